"""Step 4's node branch for an ALB server group of type Instance: ECS nodes on the Service's NodePort.

Where Pod IPs are no VPC addresses (Flannel), or the Service is a NodePort one, the ALB Ingress
controller fills a Service's server group with the cluster's ECS instances: servers of
ServerType ``Ecs``, ServerId the instance ID, ServerIp the node's address, Port the Service's
NodePort. The ALB sends each request to a node; kube-proxy there turns the NodePort into a Pod
of the Service (externalTrafficPolicy Local keeps to the node's own Pods, Cluster may cross
nodes and masquerades the ALB's address to the node's). That is the path an L4 Service's NodePort
backends take, so this module hands the servers to the same branch (``ecs.node_port``) with the
Service's Pods as the answerers; the Pod step draws the edges it recorded (``Link``).

What only this door has: the group names the NodePort the controller last saw. When the Service
was recreated and got a new ``nodePort``, the group still sends to the old one, where kube-proxy
has no rule: ``ALB_GROUP_NODEPORT_STALE`` names the group, its port and the Service's nodePort.
"""

from __future__ import annotations

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Severity
from ackwb.parse.alb_groups import NO_TRAFFIC, AlbServer, AlbServerGroup
from ackwb.sources import Sources
from ackwb.steps.alb_result import AlbPathResult
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import cloud_evidence, details, dig, kube_evidence, sh, source_finding
from ackwb.steps.ecs import l4, node_port
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.reads import Seen, read_nodes_of
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Decision, Door
from ackwb.steps.slb.checks import HEALTH_WORDS, backend_verdict
from ackwb.steps.slb.records import Backend
from ackwb.steps.slb.result import LoadBalancerResult

TITLE = "4. ALB server group → ECS node on the NodePort"


def health(state: str) -> str:
    """An ALB server's health state in the words the backend records use (``slb.checks``)."""
    if state in NO_TRAFFIC:
        return "abnormal"
    return "normal" if state == "Normal" else "unavailable"


def follow(
    sources: Sources,
    result: AlbPathResult,
    lb: LoadBalancerResult,
    cluster: Cluster,
    group: AlbServerGroup,
    servers: list[tuple[AlbServer, str]],
) -> None:
    """Each Ecs server of an Instance group (with its health state) → node → kube-proxy → Pods."""
    group_hop = f"alb-group:{group.server_group_id}"
    service = group.service()
    backends = [
        Backend(s.server_id, s.ip, s.port, "ecs", s.weight, health(state)) for s, state in servers
    ]  # fmt: skip
    for backend in backends:
        _draw_backend(result, lb, group_hop, backend)
    if service is None:  # no Service in the tags: the nodes are drawn, what answers there is unknown
        return
    namespace, name, port = service
    nodes = NodeResult(step="ecs", title=TITLE, domain=result.domain, prev=lb)
    nodes.decision = Decision(
        Door.ALB,
        f"{namespace}/{name}",
        f"server group {group.name} (type Instance) holds ECS nodes on the NodePort of Service "
        f"{namespace}/{name}",
    )
    nodes.service = f"{namespace}/{name}"
    try:
        seen = Seen(service=sources.kube.get("services", name, namespace))
        if seen.service is not None:
            l4.read_service_pods(sources, seen)
        read_nodes_of(sources, seen, [b.server_id for b in backends])
    except SourceError as error:
        result.findings.append(source_finding(error, group_hop, f"the nodes and Service behind {group.name}"))
        result.dead_end = result.dead_end or f"could not read the nodes behind server group {group.name}"
        return
    policy = str(dig(seen.service or {}, "spec", "externalTrafficPolicy") or "Cluster")
    nodes.traffic_policy = policy
    context = Context(sources, cluster, lb, seen, nodes)
    for backend in backends:
        nodes.branches.append(node_port.follow(context, backend))
    _stale_node_port(result, nodes, group, seen, port, sources.settings.region)
    result.node_results.append(nodes)
    result.hops += nodes.hops
    result.edges += nodes.edges
    result.findings += nodes.findings
    result.evidence += nodes.evidence


def _draw_backend(result: AlbPathResult, lb: LoadBalancerResult, group_hop: str, backend: Backend) -> None:
    result.hops.append(Hop(
        backend.hop_id, "backend", f"backend {backend.server_ip}:{backend.port}\nEcs {backend.server_id}",
        verdict=backend_verdict(backend),
        details=details(type="Ecs", id=backend.server_id, weight=backend.weight,
                        health=HEALTH_WORDS.get(backend.health, backend.health)),
        arrives=lb.to_backend(backend),
    ))  # fmt: skip
    result.edges.append(Edge(group_hop, backend.hop_id, f"weight {backend.weight}"))


def _stale_node_port(
    result: AlbPathResult, nodes: NodeResult, group: AlbServerGroup, seen: Seen, port: str, region: str
) -> None:
    """The group's servers listen on a port that is not the Service's nodePort any more: one finding
    for the group, in place of kube-proxy's "no rule for this NodePort" on each node."""
    ports = dig(seen.service or {}, "spec", "ports") or []
    wanted = next((p for p in ports if str(p.get("port")) == port or p.get("name") == port), None)
    node_port_now = (wanted or {}).get("nodePort")
    if seen.service is None or node_port_now is None:
        return
    stale = sorted({b.backend.port for b in nodes.branches if b.backend.port != node_port_now})
    if not stale:
        return
    hops = {f"nodeport:{b.node.name}:{b.backend.port}" for b in nodes.branches if b.node}
    replaced = [f for f in nodes.findings if f.hop in hops and f.code == "KUBE_PROXY_NODEPORT_MISSING"]
    nodes.findings = [f for f in nodes.findings if f not in replaced]
    first = next((h.id for h in nodes.hops if h.id in hops), f"alb-group:{group.server_group_id}")
    namespace, name = nodes.service.split("/", 1)
    message = (
        f"Server group {group.name} ({group.server_group_id}) sends requests to NodePort "
        f"{', '.join(map(str, stale))} on its nodes, but Service {nodes.service} port {port} has nodePort "
        f"{node_port_now} now (the Service was recreated and got a new one; the group was not updated): "
        "kube-proxy has no rule for the old port, so the nodes refuse the ALB's connections."
    )
    evidence = (
        cloud_evidence(
            "alb", "ListServerGroupServers", f"ServerGroupId={group.server_group_id} Servers[].Port", stale
        ),  # fmt: skip
        kube_evidence("services", namespace, name, f"spec.ports[port={port}].nodePort", node_port_now),
        *(e for f in replaced for e in f.evidence),
    )
    check = (
        f"aliyun alb ListServerGroupServers --region {sh(region)} --ServerGroupId {sh(group.server_group_id)}"
        f"; kubectl -n {sh(namespace)} get service {sh(name)} -o jsonpath='{{.spec.ports[*].nodePort}}'"
    )
    finding = Finding("ALB_GROUP_NODEPORT_STALE", Severity.ERROR, first, message, evidence, check)
    nodes.findings.append(finding)
    result.dead_end = result.dead_end or message
