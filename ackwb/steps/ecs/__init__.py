"""Step 3, ECS (backend → node or Pod): where each load balancer backend leads, and which
ingress controller Pods answer behind it.

The backend set depends on the network plugin and the Service settings, so it is read, never
assumed, and each backend follows its own branch (``BRANCHES``, chosen by what the backend
is): an address that is a node's own ENI leads to controller Pods on the host network
(``node_eni``); a Pod IP is the controller Pod itself (``pod_ip``); an ECS instance receives
on the NodePort, which kube-proxy on that node forwards to a controller Pod (``node_port``).
Only backends the load balancer reports healthy carry requests: the others are drawn with the
reason the world shows, and nothing behind them reads ok. The security groups of each
backend's ENI are weighed for the source address the load balancer presents (``guard``).
What answers behind the backends is decided from the Service that owns the load balancer
(``front_door``): behind an L4 Service the same branches lead to that Service's own Pods
(``l4``), and no controller is on the path.
"""

from __future__ import annotations

from collections.abc import Callable

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, read_cluster
from ackwb.steps.common import dig, kube_evidence, settle_verdicts, sh, source_finding
from ackwb.steps.ecs import l4, node_eni, node_port, pod_ip
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.guard import guard_backend, guard_controllers
from ackwb.steps.ecs.reads import ENI_TYPES, Seen, read_all
from ackwb.steps.ecs.result import KINDS, Branch, ControllerPod, Node, NodeResult
from ackwb.steps.front_door import Door, decide
from ackwb.steps.slb.records import Backend
from ackwb.steps.slb.result import LoadBalancerResult

TITLE = "3. Backend → ECS node or Pod (ECS)"
BRANCHES: dict[str, Callable[[Context, Backend], Branch]] = {
    "node-eni": node_eni.follow,
    "pod": pod_ip.follow,
    "nodeport": node_port.follow,
}

L4_KINDS = {"pod": "Pod IP (the Service's Pod itself)", "node-eni": "ENI = node IP (host-network Pod)"}

__all__ = ["KINDS", "Branch", "ControllerPod", "Node", "NodeResult", "ecs"]


def ecs(sources: Sources, lb: LoadBalancerResult, cluster: Cluster | None = None) -> NodeResult:
    result = NodeResult(step="ecs", title=TITLE, domain=lb.domain, prev=lb)
    if not lb.backends:
        result.dead_end = lb.dead_end or "the load balancer has no backend to follow"
        return result
    try:
        seen = read_all(sources, lb.load_balancer_id, lb.backends)
    except SourceError as error:
        _unseen_nodes(result, lb, error)
        return result
    _owner(result, seen)
    result.decision = decide(seen.service, seen.controllers, sources.settings.ingress_selector)
    result.evidence.extend(result.decision.evidence)
    if result.door in (Door.L4_SERVICE, Door.ENVOY_GATEWAY):  # the Service's own Pods answer
        l4.read_service_pods(sources, seen)
    context = Context(sources, cluster or read_cluster(sources), lb, seen, result)
    for backend in lb.backends:
        branch = guard_backend(context, BRANCHES[kind_of(backend, seen)](context, backend))
        result.branches.append(branch)
        result.rows.append(_row(branch, seen, context.l4))
    guard_controllers(context)
    for branch in result.branches:
        if not context.carries(branch.backend):
            _why_unhealthy(context, branch)
    if context.l4:
        l4.pods_not_backends(context)
    if not l4.carrying(result.branches):
        result.dead_end = lb.dead_end or result.dead_end or _nothing_serves(context)
        if not context.l4:
            _behind(context)
    settle_verdicts(result)
    return result


def kind_of(backend: Backend, seen: Seen) -> str:
    """nodeport for an ECS instance; node-eni for an address that is a node's; else pod."""
    if backend.type not in ENI_TYPES:
        return "nodeport"
    node_ips = {a.get("address") for n in seen.nodes for a in dig(n, "status", "addresses") or []}
    return "node-eni" if backend.server_ip in node_ips else "pod"


def _owner(result: NodeResult, seen: Seen) -> None:
    """The Service that owns the load balancer: its externalTrafficPolicy decides the NodePort hop."""
    if seen.service is None:
        return
    meta = seen.service.get("metadata") or {}
    result.service = f"{meta.get('namespace')}/{meta.get('name')}"
    policy = dig(seen.service, "spec", "externalTrafficPolicy") or "Cluster"
    result.traffic_policy = str(policy)
    result.evidence.append(
        kube_evidence(
            "services", meta.get("namespace"), meta.get("name", ""), "spec.externalTrafficPolicy", policy
        )
    )


def _row(branch: Branch, seen: Seen, l4: bool) -> dict[str, object]:
    backend = branch.backend
    leads_to = KINDS[branch.kind]
    if l4:  # the Service's own Pods answer: no controller
        leads_to = L4_KINDS.get(branch.kind, leads_to)
    return {
        "backend": f"{backend.server_ip}:{backend.port}",
        "type": backend.type,
        "leads to": leads_to,
        "server id": backend.server_id,
        "node": branch.node.name if branch.node else "",
        "controllers": ", ".join(c.name for c in branch.controllers),
        "health": backend.health,
        "carries requests": branch.carries,
        "why not": branch.why,
    }


def _why_unhealthy(context: Context, branch: Branch) -> None:
    """Say why a backend fails its health check, from what the world shows: a controller Pod on
    its node that is not ready, or (externalTrafficPolicy Local) no controller Pod there at all,
    which is by design."""
    backend, node, result = branch.backend, branch.node, context.result
    local = [
        c for c in (context.controller(p) for p in context.seen.controllers) if node and c.node == node.name
    ]
    unready = [c for c in local if not c.ready]
    lb = context.lb
    listener = lb.listener.listener_id if lb.listener else ""
    region = context.sources.settings.region
    check = lb.api.check(lb.api.health_command, region=region, lb=lb.load_balancer_id, listener=listener)
    if unready:
        names = ", ".join(c.name for c in unready)
        message = (
            f"Backend {backend.server_ip}:{backend.port} fails its health check: the "
            f"{context.answerer} on "
            f"node {node.name if node else '?'} ({names}) is not ready, so the load balancer sends it "
            "nothing."
        )
        evidence = tuple(
            kube_evidence("pods", c.namespace, c.name, "status.conditions[type=Ready]", "False")
            for c in unready
        )
        result.findings.append(
            Finding("LB_BACKEND_UNHEALTHY", Severity.WARNING, backend.hop_id, message, evidence, check)
        )
        return
    if branch.kind == "nodeport" and node is not None and context.local and not local:
        service = context.result.service
        namespace, _, name = service.partition("/")
        message = (
            f"Backend {backend.server_ip}:{backend.port} (node {node.name}) fails its health check by "
            f"design: Service {service} has externalTrafficPolicy Local and no "
            f"{'Pod of it' if context.own_pods else 'controller Pod'} runs on this "
            "node, so its health-check NodePort answers 503 and the load balancer sends it no requests."
        )
        evidence = (
            kube_evidence("endpointslices", namespace, name, f"endpoints[nodeName={node.name}]", "(none)"),
        )
        by_hand = (
            f"kubectl -n {sh(namespace)} get endpointslices -l kubernetes.io/service-name={sh(name)} -o wide"
        )
        result.findings.append(
            Finding("LB_BACKEND_NO_LOCAL_ENDPOINT", Severity.INFO, backend.hop_id, message, evidence, by_hand)
        )
        return
    if not any(f.hop == backend.hop_id for f in result.findings):
        message = (
            f"Backend {backend.server_ip}:{backend.port} fails its health check; the others take its share."
        )
        result.findings.append(
            Finding("LB_BACKEND_UNHEALTHY", Severity.WARNING, backend.hop_id, message, (), check)
        )


def _behind(context: Context) -> None:
    """No request reaches a controller: draw the ready ones anyway, unreached, so the steps after
    this one still show what lies behind (the Ingress, the Service, the Pods), not reached."""
    for pod in context.seen.controllers:
        controller = context.controller(pod)
        if controller.ready and controller not in context.result.controller_pods:
            context.draw_controller(controller, "", "", None)


def _nothing_serves(context: Context) -> str:
    result, seen = context.result, context.seen
    if seen.controllers_error is not None:
        return f"could not read the {context.answerers if context.own_pods else 'ingress controller Pods'}"
    if not result.branches:
        return "the load balancer has no backend to follow"
    if not any(b.carries for b in result.branches):
        return "no backend carries requests: " + "; ".join(
            sorted(
                {f"{b.backend.server_ip}:{b.backend.port} {b.why or 'is unhealthy'}" for b in result.branches}
            )
        )
    if context.l4:
        return f"no ready Pod of Service {result.service} answers behind the load balancer's healthy backends"
    return "no ready ingress controller Pod answers behind the load balancer's healthy backends"


def _unseen_nodes(result: NodeResult, lb: LoadBalancerResult, error: SourceError) -> None:
    """Draw each backend's node as unknown when the ENIs, instances or Nodes cannot be read."""
    hop_ids = []
    for backend in lb.backends:
        hop_id = f"node:{backend.server_ip}"
        if hop_id not in hop_ids:
            hop_ids.append(hop_id)
            result.hops.append(Hop(hop_id, "node", f"node ?\n{backend.server_ip}", verdict=Verdict.UNKNOWN))
        result.edges.append(Edge(backend.hop_id, hop_id, backend.type))
    result.findings.append(
        source_finding(error, hop_ids[0], "the ENIs, instances and nodes behind the backends")
    )
    result.dead_end = "could not read the ENIs, instances and nodes behind the backends"
