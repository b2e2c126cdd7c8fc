"""Step 7, Pod: the Pods behind the Service's endpoints, whether they are ready, and which way
the request reaches them — straight from nginx's Lua balancer to the Pod IP (the default), or
through the ClusterIP and kube-proxy (``service-upstream``).

Each Pod's verdict is its own: ready (``status``), reachable from the serving controllers'
nodes (``network``: same node, Terway's VPC addresses, or Flannel's VPC route entry for the
node's Pod CIDR) and accepted by the NetworkPolicies that select it, where the plugin
enforces them (``policy``). The dynamic backends of every serving controller are compared
with the ready endpoints (``backends``).
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Hop, Packet, Path, Verdict, worst_verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, node_object, read_cluster
from ackwb.steps.common import condition, details, is_ready, kube_evidence, settle_verdicts, source_finding
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.kube_proxy import KubeProxyResult
from ackwb.steps.l4_door import draw_links, links_to
from ackwb.steps.pod.backends import compare_dynamic_backends
from ackwb.steps.pod.guard import policy_verdict
from ackwb.steps.pod.network import Crossing, crossing
from ackwb.steps.pod.result import PodInfo, PodResult
from ackwb.steps.pod.status import pod_findings, pod_info, pod_object
from ackwb.steps.service.result import ServiceResult

TITLE = "7. Pod"

__all__ = ["PodInfo", "PodResult", "pod"]


def pod(sources: Sources, kp: KubeProxyResult, cluster: Cluster | None = None) -> PodResult:
    result = PodResult(step="pod", title=TITLE, domain=kp.domain, prev=kp)
    svc, ing = kp.earlier("service"), kp.earlier("ingress")
    if not isinstance(svc, ServiceResult) or not isinstance(ing, IngressResult):
        result.dead_end = kp.dead_end or "the Service has no endpoint to follow"
        return result
    if svc.external_name:  # no Pod of the cluster serves it: the egress step follows nginx out
        return result
    targets = _targets(svc, ing, kp)
    if not targets:
        result.dead_end = kp.dead_end or "the Service has no endpoint to follow"
        return result
    cluster = cluster or read_cluster(sources)
    senders = _sender_nodes(sources, cluster, ing, kp.earlier("ecs"))
    for name, address, port in targets:
        try:
            obj = pod_object(sources, svc.namespace, name, address)
        except SourceError as error:
            unseen = f"pod:{svc.namespace}/{name or address}"
            result.hops.append(Hop(unseen, "pod", f"Pod ?\n{address}", verdict=Verdict.UNKNOWN))
            result.findings.append(source_finding(error, unseen, f"the Pod behind {address}"))
            continue
        if obj is None:
            continue
        info = pod_info(obj, port)
        result.pods.append(info)
        _add_pod(sources, cluster, result, info, obj, ing, svc, kp, senders)
    compare_dynamic_backends(result, ing, svc)
    if result.pods and not any(p.ready for p in result.pods):
        result.dead_end = result.dead_end or next(
            (f.message for f in result.findings if f.code in ("POD_NODE_NOT_READY", "POD_NOT_READY")),
            "no ready Pod serves the Service",
        )
    settle_verdicts(result)
    return result


def _targets(
    svc: ServiceResult, ing: IngressResult, kp: KubeProxyResult
) -> list[tuple[str | None, str, int]]:
    """(Pod name, IP, port) to follow: the Service's endpoints, or, when its EndpointSlices could
    not be read, the Pod IPs nginx or kube-proxy send to (the Pods are then found by IP)."""
    if svc.endpoints_seen:
        listed = [(e.pod, e.address, e.port or 0) for e in svc.endpoints]
        known = {f"{address}:{port}" for _, address, port in listed}
        more = [e for e in ing.also_endpoints() if e not in known]  # another Service's share of the rule
        return listed + [(None, a, int(p)) for a, _, p in (e.rpartition(":") for e in more)]
    seen = list(ing.backend_endpoints) if not ing.service_upstream else []
    seen += [target for node in kp.read for target in node.forwards]
    found = dict.fromkeys(seen)
    return [(None, address, int(port)) for address, _, port in (e.rpartition(":") for e in found)]


def _sender_nodes(
    sources: Sources, cluster: Cluster, ing: IngressResult, nodes: object
) -> list[dict[str, Any]]:
    """The Node objects of the serving controllers (behind an L4 Service: of the NodePorts that
    send to the Pods): where the request leaves for the Pods."""
    names = dict.fromkeys(v.controller.node for v in ing.views if v.controller.node)
    branches = nodes.branches if isinstance(nodes, NodeResult) and ing.door is Door.L4_SERVICE else []
    branches = branches or getattr(ing, "branches", [])  # an ALB's Instance groups: nodes on the NodePort
    if branches:
        names = dict.fromkeys(b.node.name for b in branches if b.carries and b.node and b.controllers)
    found = []
    for name in names:
        try:
            obj = node_object(sources, cluster, name)
        except SourceError:
            continue
        if obj is not None:
            found.append(obj)
    return found


def _add_pod(
    sources: Sources,
    cluster: Cluster,
    result: PodResult,
    info: PodInfo,
    obj: dict[str, Any],
    ing: IngressResult,
    svc: ServiceResult,
    kp: KubeProxyResult,
    senders: list[dict[str, Any]],
) -> None:
    node = _node(sources, cluster, result, info.node)
    node_ready = result.node_ready.get(info.node)
    ready_line = kube_evidence(
        "pods", info.namespace, info.name, "status.conditions[type=Ready]", condition(obj)
    )
    result.evidence += [ready_line, kube_evidence("pods", info.namespace, info.name, "status.podIP", info.ip)]
    by_node_port = bool(getattr(ing, "branches", []))  # an ALB's Instance groups: NodePorts send to the Pods
    sender = {Door.L4_SERVICE: "the NodePort", Door.ENVOY_GATEWAY: "an Envoy proxy"}.get(
        ing.door, "the NodePort" if by_node_port else "a controller"
    )
    across = crossing(sources, cluster, info.hop_id, node, senders, sender, by_node_port)
    if by_node_port and not senders:  # no node's NodePort rule forwards to any Pod: behind a blocked hop
        across = Crossing(Verdict.NOT_REACHED, "no node's NodePort rule forwards to it")
    policy, policy_text = policy_verdict(sources, cluster, result, info, obj, ing)
    if across.finding is not None:
        result.findings.append(across.finding)
    verdicts = [Verdict.OK if info.ready and node_ready is not False else Verdict.BLOCKED]
    verdicts += [across.verdict, policy]
    controller = ing.controller
    address = f"{info.ip}:{info.port}"
    arrives = draw_links(result.edges, links_to(kp.earlier("ecs"), info.hop_id) or links_to(ing, info.hop_id))
    result.hops.append(
        Hop(
            info.hop_id,
            "pod",
            f"Pod {info.name}\n{address}",
            Path.REQUEST,
            worst_verdict(verdicts),
            details(
                node=info.node,
                phase=info.phase,
                ready=info.ready,
                restarts=info.restarts,
                reached=across.detail,
                network_policy=policy_text,
            ),
            arrives=Packet(f"{controller.pod_ip}:*", address) if controller else arrives,
        )
    )
    result.rows.append(
        {
            "pod": f"{info.namespace}/{info.name}",
            "ip": info.ip,
            "port": info.port,
            "node": info.node,
            "phase": info.phase,
            "ready": info.ready,
            "restarts": info.restarts,
            "problem": info.trouble,
            "reached": across.detail,
            "network policy": policy_text,
        }
    )
    if not ing.service_upstream and not ing.answered and address in ing.backend_endpoints:
        result.edges.append(Edge(ing.hop_id, info.hop_id, f"{ing.balancer} → {address}", Path.REQUEST))
    for node_rules in kp.read:
        if address in node_rules.forwards:
            label = f"{node_rules.mode} DNAT → {address}"
            result.edges.append(Edge(node_rules.hop_id, info.hop_id, label, svc.path_kind))
    pod_findings(result, info, obj, node, ready_line)


def _node(sources: Sources, cluster: Cluster, result: PodResult, name: str) -> dict[str, Any] | None:
    """The Node object (read once per trace); records whether it is Ready."""
    if not name:
        return None
    try:
        node = node_object(sources, cluster, name)
    except SourceError:
        result.node_ready[name] = None
        return None
    result.node_ready[name] = None if node is None else is_ready(node)
    return node
