"""Step 6, Kube-proxy (virtual IP → Pod IP): on each node where a serving controller runs, the
proxy mode and the rule that turns the Service's ClusterIP into Pod IPs.

In IPVS mode the ClusterIP:port is a virtual server with one real server per endpoint
kube-proxy uses (the ready ones); in iptables and nftables mode it is a rule leading to a
KUBE-SVC / ``service-`` chain that DNATs each new connection to one endpoint, by share
(``ackwb.steps.rules`` reads those rules). Either way the targets must be those endpoints: a
stale rule (targets ≠ endpoints), a missing virtual server or rule, or (IPVS) a weight-0 real
server is a finding. Every node whose controller serves the request is read, because each
node's kube-proxy forwards its own controller's connections: one stale node fails its share
(``service-upstream``), or its in-cluster clients. The mode is also read on the other nodes
of the trace; a node that runs another mode is a finding. Windows' ``kernelspace`` mode is
reported as not analysed, never guessed.
"""

from __future__ import annotations

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Severity, Verdict
from ackwb.parse.endpointslices import kube_proxy_endpoints
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, node_ip_of, read_cluster
from ackwb.steps.common import attempt, details, settle_verdicts, sh, source_finding, unwrap
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.kube_proxy.checks import mode_differs, no_endpoints, stale_rules, weight_zero
from ackwb.steps.kube_proxy.result import KubeProxyResult, NodeRules
from ackwb.steps.rules import RULE_MODES, RuleLookup, Target, affinity, check, read_rules, rows
from ackwb.steps.rules.ipvs import read_virtual_service
from ackwb.steps.rules.mode import proxy_mode
from ackwb.steps.service.result import ServiceResult

__all__ = ["TITLE", "KubeProxyResult", "NodeRules", "kube_proxy"]
TITLE = "6. Virtual IP → Pod IP (Kube-proxy)"


def kube_proxy(sources: Sources, svc: ServiceResult, cluster: Cluster | None = None) -> KubeProxyResult:
    result = KubeProxyResult(step="kube_proxy", title=TITLE, domain=svc.domain, prev=svc)
    nodes, ing = svc.earlier("ecs"), svc.earlier("ingress")
    controllers = ing.views if isinstance(ing, IngressResult) else []
    if isinstance(ing, IngressResult) and ing.door is Door.L4_SERVICE:
        return result  # no controller sends to the ClusterIP: kube-proxy's part was the NodePort rule
    if svc.port is None or not isinstance(nodes, NodeResult) or not controllers:
        result.dead_end = svc.dead_end or "no Service port to look up"
        return result
    cluster = cluster or read_cluster(sources)
    names = list(dict.fromkeys(v.controller.node for v in controllers if v.controller.node))
    known = {n.name: n.internal_ip for n in nodes.nodes}
    for name in names:
        ip = known.get(name) or _node_ip(sources, cluster, name)
        sender = next(v.controller.pod_ip for v in controllers if v.controller.node == name)
        result.read.append(NodeRules(name, ip, sender=sender or "*"))
    if svc.cluster_ip in ("", "None"):  # headless or ExternalName: no virtual IP, no rule by design
        _no_rule_by_design(sources, cluster, result, svc, nodes)
        return result
    _read_modes(sources, cluster, result, svc, nodes)
    for node in result.read:
        _follow(sources, cluster, result, node, svc)
    mode_differs(result)
    if result.read and all(
        h.verdict is Verdict.BLOCKED for h in result.hops if h.id.startswith("kube-proxy:")
    ):
        result.dead_end = result.dead_end or next(
            (f.message for f in result.findings if f.severity is Severity.ERROR), ""
        )
    settle_verdicts(result)
    return result


def _no_rule_by_design(
    sources: Sources, cluster: Cluster, result: KubeProxyResult, svc: ServiceResult, nodes: NodeResult
) -> None:
    """The mode on the nodes of the trace (the cluster's design), and a row saying why no rule is read."""
    _read_modes(sources, cluster, result, svc, nodes)
    why = (
        f"none by design: ExternalName {svc.external_name} (nginx connects to it itself)"
        if svc.external_name
        else "none by design: headless Service (clusterIP: None), cluster DNS answers the Pod IPs"
    )
    for name, mode in sorted(result.modes.items()):
        result.rows.append({"node": name, "mode": mode, "rule": why})
    result.read = []  # nothing followed: no node's rules are on this path


def _node_ip(sources: Sources, cluster: Cluster, name: str) -> str:
    try:
        return node_ip_of(sources, cluster, name)
    except SourceError:
        return ""


def _read_modes(
    sources: Sources, cluster: Cluster, result: KubeProxyResult, svc: ServiceResult, nodes: NodeResult
) -> None:
    """kube-proxy's mode on the controllers' nodes and on the other nodes of the trace, read at
    once. An unreadable node is not a disagreement; its own hop says what was seen."""
    targets = {n.node: n.node_ip for n in result.read if n.node_ip}
    targets.update(
        (name, ip) for name, ip in _trace_nodes(sources, cluster, svc, nodes).items() if name not in targets
    )
    answers = sources.gather(
        [attempt(lambda ip=ip: proxy_mode(sources, cluster, ip)) for ip in targets.values()]
    )
    for (name, _ip), answer in zip(targets.items(), answers, strict=True):
        try:
            mode, evidence = unwrap(answer)
        except AckwbError:
            continue
        result.evidence.append(evidence)
        result.modes[name] = mode


def _follow(
    sources: Sources, cluster: Cluster, result: KubeProxyResult, node: NodeRules, svc: ServiceResult
) -> None:
    assert svc.port is not None
    port, protocol = svc.port.port, svc.port.protocol
    try:
        mode, _ = proxy_mode(sources, cluster, node.node_ip)
        node.mode = mode
        if mode == "ipvs":
            lookup = read_virtual_service(sources, node.node_ip, svc.cluster_ip, port, protocol)
            node.virtual_service = lookup.service
            _follow_ipvs(result, node, svc, lookup.head, lookup.targets, lookup.where)
        elif mode in RULE_MODES:
            node.rules = read_rules(
                sources, node.node_ip, mode, svc.cluster_ip, port, protocol, cluster.remember
            )
            _follow_rules(result, node, svc, node.rules)
        else:
            _mode_not_analysed(result, node, svc)
    except SourceError as error:
        result.findings.append(
            source_finding(error, node.hop_id, f"the kube-proxy rules on node {node.node}")
        )
        _add_hop(result, node, svc, Verdict.UNKNOWN, "")
    except AckwbError as error:
        result.findings.append(Finding("KUBE_PROXY_UNREADABLE", Severity.WARNING, node.hop_id, str(error)))
        _add_hop(result, node, svc, Verdict.UNKNOWN, "")


def _follow_ipvs(
    result: KubeProxyResult,
    node: NodeRules,
    svc: ServiceResult,
    head: tuple[Evidence, ...],
    targets: tuple[Target, ...],
    where: str,
) -> None:
    assert svc.port is not None
    vs = node.virtual_service
    if vs is None:
        message = (
            f"IPVS on node {node.node} has no virtual server {svc.cluster_ip}:{svc.port.port}: "
            "clients on this node cannot reach the Service."
        )
        evidence = (
            Evidence(where, f"{svc.port.protocol} {svc.cluster_ip}:{svc.port.port}", "(no such line)"),
        )
        _vip_missing(
            result, node, message, evidence, f"ipvsadm -Ln -t {sh(svc.cluster_ip)}:{sh(svc.port.port)}"
        )
        _add_hop(result, node, svc, Verdict.BLOCKED, f"IPVS: no {svc.cluster_ip}:{svc.port.port}")
        return
    result.evidence.extend((*head, *(e for t in targets for e in t.evidence)))
    for rs in vs.real_servers:
        result.rows.append(
            {
                "node": node.node,
                "mode": node.mode,
                "virtual server": f"{vs.protocol} {vs.address}:{vs.port}",
                "scheduler": vs.scheduler,
                "real server": f"{rs.address}:{rs.port}",
                "forward": rs.forward,
                "weight": rs.weight,
                "active": rs.active_conn,
                "inactive": rs.inactive_conn,
            }
        )
    by_hand = f"ipvsadm -Ln -t {sh(vs.address)}:{sh(vs.port)}"
    _compare_with_endpoints(result, node, svc, targets, head, "IPVS", by_hand)
    weight_zero(result, node, vs, where)
    node.forwards = tuple(t.hostport for t in targets if t.forwarding)
    verdict = Verdict.OK if node.forwards else Verdict.BLOCKED
    sticky = f" persistent {vs.persistent}" if vs.persistent else ""
    node.affinity = (
        f"IPVS persistent {vs.persistent}: each client address keeps its real server for "
        f"{vs.persistent} s (sessionAffinity ClientIP)"
        if vs.persistent
        else ""
    )
    _add_hop(result, node, svc, verdict, f"IPVS {vs.scheduler}{sticky} {vs.address}:{vs.port}")


def _follow_rules(result: KubeProxyResult, node: NodeRules, svc: ServiceResult, lookup: RuleLookup) -> None:
    """iptables or nftables: the way in for the ClusterIP, the chain, its DNAT targets and shares."""
    assert svc.port is not None
    vip, port, mode = svc.cluster_ip, svc.port.port, lookup.mode
    by_hand = check(mode, vip, port, svc.port.protocol, lookup.chain.chain if lookup.chain else None)
    result.evidence.extend((*lookup.evidence, *(e for t in lookup.targets for e in t.evidence)))
    result.rows.extend(rows(lookup, node.node))
    seconds = lookup.chain.affinity_seconds if lookup.chain else None
    if seconds:
        node.affinity = affinity(mode, seconds, lookup.chain.endpoints if lookup.chain else ())
    if lookup.entry is not None:
        _compare_with_endpoints(result, node, svc, lookup.targets, lookup.evidence, mode, by_hand)
        node.forwards = tuple(t.hostport for t in lookup.targets if t.forwarding)
        _add_hop(result, node, svc, Verdict.OK if node.forwards else Verdict.BLOCKED, lookup.rule)
        return
    none_ready = svc.endpoints_seen and not kube_proxy_endpoints(svc.endpoints)
    if lookup.rejected is not None or (mode == "iptables" and none_ready):
        result.findings.append(no_endpoints(svc, node.node, node.hop_id, lookup, by_hand))
        _compare_with_endpoints(result, node, svc, (), lookup.evidence, mode, by_hand)
        _add_hop(result, node, svc, Verdict.BLOCKED, f"{mode}: REJECT, no endpoints")
        return
    message = (
        f"kube-proxy ({mode}) on node {node.node} has no rule for {svc.port.protocol} {vip}:{port}: "
        "clients on this node cannot reach the Service."
    )
    evidence = (Evidence(lookup.where, f"{svc.port.protocol} {vip}:{port}", "(no such rule)"),)
    _vip_missing(result, node, message, evidence, by_hand)
    _add_hop(result, node, svc, Verdict.BLOCKED, f"{mode}: no {vip}:{port}")


def _vip_missing(
    result: KubeProxyResult, node: NodeRules, message: str, evidence: tuple[Evidence, ...], by_hand: str
) -> None:
    result.findings.append(
        Finding("KUBE_PROXY_VIP_MISSING", Severity.ERROR, node.hop_id, message, evidence, by_hand)
    )


def _trace_nodes(sources: Sources, cluster: Cluster, svc: ServiceResult, nodes: NodeResult) -> dict[str, str]:
    """Node name → internal IP of the load balancer's backend nodes and the endpoints' nodes."""
    found = {n.name: n.internal_ip for n in nodes.nodes}
    names = sorted({e.node for e in svc.endpoints if e.node} - set(found))
    answers = sources.gather(
        [attempt(lambda name=name: node_ip_of(sources, cluster, name)) for name in names]
    )
    for name, answer in zip(names, answers, strict=True):
        if isinstance(answer, str) and answer:
            found[name] = answer
    return found


def _compare_with_endpoints(
    result: KubeProxyResult,
    node: NodeRules,
    svc: ServiceResult,
    targets: tuple[Target, ...],
    head: tuple[Evidence, ...],
    what: str,
    by_hand: str,
) -> None:
    finding = stale_rules(svc, node.node, node.hop_id, targets, head, what, by_hand)
    if finding is not None:
        result.findings.append(finding)


def _add_hop(
    result: KubeProxyResult, node: NodeRules, svc: ServiceResult, verdict: Verdict, rule: str
) -> None:
    """Draw the node's hop. A blocked hop names the culprit only through a finding: a virtual
    server without real servers because no endpoint is ready is not kube-proxy's fault."""
    vip = f"{svc.cluster_ip}:{svc.port.port if svc.port else ''}"
    forwards = ", ".join(node.forwards) or "nothing"
    result.hops.append(
        Hop(
            node.hop_id,
            node.mode if node.mode in ("ipvs", *RULE_MODES) else "kube-proxy",
            f"{rule or 'kube-proxy ' + (node.mode or '?')}\non {node.node}",
            svc.path_kind,
            verdict,
            details(mode=node.mode, node_ip=node.node_ip, client_affinity=node.affinity),
            arrives=Packet(f"{node.sender}:*", vip),
            leaves=Packet(f"{node.sender}:*", forwards) if node.forwards else None,
            rewrite=f"DNAT {vip} → one of {forwards}" if node.forwards else "",
        )
    )
    result.edges.append(Edge(svc.hop_id, node.hop_id, vip, svc.path_kind))


def _mode_not_analysed(result: KubeProxyResult, node: NodeRules, svc: ServiceResult) -> None:
    """A mode whose rules ackwb does not read (``kernelspace``: Windows' HNS load balancers)."""
    result.findings.append(
        Finding(
            "KUBE_PROXY_MODE_NOT_ANALYSED",
            Severity.INFO,
            node.hop_id,
            f"kube-proxy on {node.node} runs in {node.mode} mode; ackwb reads IPVS, iptables and "
            "nftables rules only.",
            check="hnsdiag list loadbalancers  (on the Windows node)",
        )
    )
    _add_hop(result, node, svc, Verdict.UNKNOWN, "")
