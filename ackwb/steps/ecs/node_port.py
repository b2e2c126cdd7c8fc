"""Branch: a backend that is an ECS instance on the NodePort of the Service that owns the load
balancer. kube-proxy on that node turns the NodePort into a controller Pod, by the rules of
its mode: an IPVS virtual server on the node's address and NodePort; in iptables mode
KUBE-NODEPORTS → KUBE-EXT → KUBE-SVL (Local) or KUBE-SVC (Cluster) → KUBE-SEP; in nftables
mode the ``service-nodeports`` map → ``external-`` → ``local-`` or ``service-`` → ``endpoint-``.

With ``externalTrafficPolicy: Local`` only the node's own controller Pods are targets and the
client's address is kept; a node with none drops the request, which is why the load balancer's
health check (the health-check NodePort) marks it unhealthy. With ``Cluster`` any controller
Pod is a target, possibly on another node, and the packet is masqueraded to the node's
address: the controller sees the node, not the client. Rules are read only on nodes the load
balancer sends requests to.
"""

from __future__ import annotations

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Severity, Verdict
from ackwb.steps.common import details, sh, source_finding
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.node_eni import not_a_node
from ackwb.steps.ecs.result import Branch, ControllerPod, Node
from ackwb.steps.rules import RULE_MODES, Target, read_rules
from ackwb.steps.rules.ipvs import read_virtual_service
from ackwb.steps.rules.mode import proxy_mode
from ackwb.steps.slb.records import Backend


def follow(context: Context, backend: Backend) -> Branch:
    obj = context.node_object(backend)
    if obj is None:
        return not_a_node(context, backend, "nodeport")
    arriving = context.lb.to_backend(backend)
    node = context.draw_node(obj, backend, f"NodePort {backend.port}", arriving)
    if not context.carries(backend):  # no request goes there: its rules are not read
        return Branch(backend, "nodeport", node, (), carries=False, why="fails its health check")
    hop_id = f"nodeport:{node.name}:{backend.port}"
    context.result.edges.append(Edge(node.hop_id, hop_id, f"NodePort {backend.port}"))
    try:
        mode, said = proxy_mode(context.sources, context.cluster, node.internal_ip)
        context.result.modes[node.name] = mode
        context.result.evidence.append(said)
        targets, head, local, rule = _lookup(context, node, backend, mode)
    except (SourceError, AckwbError) as error:
        what = f"kube-proxy's NodePort rule on node {node.name}"
        finding = (
            source_finding(error, hop_id, what)
            if isinstance(error, SourceError)
            else Finding("KUBE_PROXY_UNREADABLE", Severity.WARNING, hop_id, f"Could not read {what}: {error}")
        )
        context.result.findings.append(finding)
        _draw(context, hop_id, node, backend, "NodePort ?", Verdict.UNKNOWN, arriving, None, "")
        return Branch(backend, "nodeport", node, (), carries=True, why="its NodePort rule could not be read")
    forwarding = [t for t in targets if t.forwarding]
    masquerade = not local
    if forwarding and context.controllers_unseen(hop_id, node.name, "DNAT"):
        _draw(context, hop_id, node, backend, rule, Verdict.OK, arriving, None, "")
        return Branch(backend, "nodeport", node, (), carries=True, masquerade=masquerade)
    src = f"{node.internal_ip}:*" if masquerade else arriving.src
    leaves = Packet(src, ", ".join(t.hostport for t in forwarding) or "nothing")
    rewrite = (
        f"DNAT to a {context.answerer}; masquerade to the node's address {node.internal_ip} "
        "(externalTrafficPolicy Cluster: the client's address is lost here)"
        if masquerade
        else f"DNAT to a {context.answerer} on this node; the client's address is kept "
        "(externalTrafficPolicy Local)"
    )
    context.result.evidence.extend((*head, *(e for t in targets for e in t.evidence)))
    if not forwarding:
        _nothing_to_forward(context, hop_id, node, backend, head, local, mode)
        _draw(context, hop_id, node, backend, rule, Verdict.BLOCKED, arriving, None, "")
        return Branch(backend, "nodeport", node, (), carries=True, masquerade=masquerade)
    _draw(context, hop_id, node, backend, rule, Verdict.OK, arriving, leaves, rewrite)
    controllers = _controllers(context, hop_id, node, forwarding, leaves.src)
    port = context.target_port(backend.port)
    return Branch(
        backend,
        "nodeport",
        node,
        tuple(controllers),
        carries=True,
        masquerade=masquerade,
        controller_port=port,
    )


def _lookup(
    context: Context, node: Node, backend: Backend, mode: str
) -> tuple[tuple[Target, ...], tuple[Evidence, ...], bool, str]:
    """(targets, the rule's own evidence, whether it keeps to local endpoints, the rule's name)."""
    sources, ip = context.sources, node.internal_ip
    if mode == "ipvs":
        found = read_virtual_service(sources, ip, ip, backend.port, "TCP")
        name = f"IPVS {found.service.scheduler} {ip}:{backend.port}" if found.service else "IPVS: no such"
        return found.targets, found.head, context.local, name
    if mode in RULE_MODES:
        lookup = read_rules(sources, ip, mode, None, backend.port, "TCP", context.cluster.remember)
        local = lookup.chain.local if lookup.chain else context.local
        name = f"{mode} {lookup.chain.chain}" if lookup.chain else f"{mode}: NodePort {backend.port}"
        return lookup.targets, lookup.evidence, local, name
    raise AckwbError(f"kube-proxy runs in {mode} mode there; ackwb reads IPVS, iptables and nftables only")


def _draw(
    context: Context,
    hop_id: str,
    node: Node,
    backend: Backend,
    rule: str,
    verdict: Verdict,
    arriving: Packet,
    leaves: Packet | None,
    rewrite: str,
) -> None:
    mode = context.result.modes.get(node.name, "")
    context.result.hops.append(
        Hop(
            hop_id,
            "nodeport",
            f"NodePort {backend.port} on {node.name}\n{rule}",
            verdict=verdict,
            details=details(mode=mode, traffic_policy=context.result.traffic_policy),
            arrives=Packet(arriving.src, f"{node.internal_ip}:{backend.port}"),
            leaves=leaves,
            rewrite=rewrite,
        )
    )


def _controllers(
    context: Context, hop_id: str, node: Node, targets: list[Target], src: str
) -> list[ControllerPod]:
    found = []
    for target in targets:
        pods = [context.controller(p) for p in context.controllers_at(target.address)]
        for pod in pods:
            label = f"DNAT → {target.hostport}" + (
                "" if pod.node == hop_id.split(":")[1] else " (another node)"
            )
            context.draw_controller(pod, hop_id, label, Packet(src, target.hostport))
        found += pods
        if not pods:
            context.result.findings.append(
                Finding(
                    "KUBE_PROXY_NODEPORT_STALE",
                    Severity.WARNING,
                    hop_id,
                    f"kube-proxy's NodePort rule sends a share of requests to {target.hostport}, which is no "
                    f"{context.answerer if context.own_pods else 'ingress controller Pod'}: "
                    "its rules are stale (kube-proxy's logs say why).",
                    target.evidence,
                )
            )
    return found


def _nothing_to_forward(
    context: Context,
    hop_id: str,
    node: Node,
    backend: Backend,
    head: tuple[Evidence, ...],
    local: bool,
    mode: str,
) -> None:
    """The load balancer sends requests to a NodePort that forwards them nowhere."""
    if head and local:
        message = (
            f"kube-proxy on {node.name} keeps NodePort {backend.port} to this node's {context.answerers} "
            "(externalTrafficPolicy Local) and there are none ready here: it drops the requests the load "
            "balancer still sends to it."
        )
        code = "KUBE_PROXY_NO_LOCAL_ENDPOINT"
    elif head:
        message = (
            f"kube-proxy on {node.name} has no endpoint for NodePort {backend.port}: it rejects requests."
        )
        code = "KUBE_PROXY_NO_ENDPOINTS"
    else:
        message = (
            f"kube-proxy ({mode}) on {node.name} has no rule for NodePort {backend.port}: nothing on the "
            "node listens there, so the requests the load balancer sends are refused."
        )
        code = "KUBE_PROXY_NODEPORT_MISSING"
        head = (
            Evidence(f"node {node.internal_ip}: {mode}", f"NodePort TCP {backend.port}", "(no such rule)"),
        )
    check = {
        "ipvs": f"ipvsadm -Ln -t {sh(node.internal_ip)}:{sh(backend.port)}",
        "iptables": f"iptables-save -t nat | grep -e {sh(f'KUBE-NODEPORTS.*--dport {backend.port} ')}",
        "nftables": "nft list map ip kube-proxy service-nodeports",
    }.get(mode, "")
    context.result.findings.append(Finding(code, Severity.ERROR, hop_id, message, head, check))
