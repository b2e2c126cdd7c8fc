"""The L4 Service front door in steps 4 to 7: what replaces the Ingress when nothing reads HTTP.

Behind an L4 Service (``front_door``) the load balancer hands each connection to the NodePort
or the Pod of the Service that owns it; no controller matches a host or a path. Step 4 then
names that Service and the port the listener serves (``ingress.l4``) instead of evaluating
a request; step 5 shows the Service with its ``externalTrafficPolicy`` and session affinity
and says who answers (``door_finding``); step 6 has no controller's ClusterIP hop to read
(kube-proxy's part was the NodePort rule of step 3); step 7 draws the Service's Pods and the
edges step 3 recorded to them (``links_to``).
"""

from __future__ import annotations

from typing import Any

from ackwb.model import Edge, Finding, Packet, Path, Severity
from ackwb.steps.common import dig
from ackwb.steps.ecs.result import Link, NodeResult
from ackwb.steps.front_door import Door

Obj = dict[str, Any]


def is_l4(result: Any) -> bool:
    """Whether a step's chain runs behind an L4 Service (its ECS step decided so)."""
    nodes = result if isinstance(result, NodeResult) else result.earlier("ecs")
    return isinstance(nodes, NodeResult) and nodes.door is Door.L4_SERVICE


def service_details(obj: Obj) -> dict[str, Any]:
    """What an L4 Service's hop adds: how it keeps clients and their connections."""
    affinity = dig(obj, "spec", "sessionAffinity") or "None"
    timeout = dig(obj, "spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds")
    return {
        "type": dig(obj, "spec", "type") or "ClusterIP",
        "external_traffic_policy": dig(obj, "spec", "externalTrafficPolicy") or "Cluster",
        "session_affinity": f"{affinity} ({timeout} s)" if affinity == "ClientIP" and timeout else affinity,
    }


def door_finding(hop: str, nodes: NodeResult, obj: Obj) -> Finding:
    """Info: who answers behind the listener, and what that means for the connection."""
    shown = service_details(obj)
    direct = not any(b.kind == "nodeport" for b in nodes.branches)
    if direct:
        way = "the load balancer sends straight to the Pod IPs (no NodePort, no kube-proxy)"
    elif shown["external_traffic_policy"] == "Local":
        way = "NodePorts keep to their node's Pods and the client's address (externalTrafficPolicy Local)"
    else:
        way = "NodePorts may send to any node's Pod and masquerade the client (externalTrafficPolicy Cluster)"
    pinned = ""
    if shown["session_affinity"] != "None" and direct:
        pinned = (
            f"; session affinity {shown['session_affinity']} is kube-proxy's, which is not on this path: "
            "the load balancer's own scheduler picks the Pod"
        )
    elif shown["session_affinity"] != "None":
        pinned = f"; session affinity {shown['session_affinity']} pins each client to one Pod (kube-proxy)"
    return Finding(
        "FRONT_DOOR_L4",
        Severity.INFO,
        hop,
        f"What answers behind this listener is Service {nodes.service} itself (an L4 Service): "
        f"{nodes.decision.why}. No host or path is matched; {way}{pinned}.",
        nodes.decision.evidence,
    )


def links_to(nodes: Any, pod_hop: str) -> list[Link]:
    """The edges step 3 (or an ALB's Instance groups) recorded to this Pod (none behind a controller)."""
    links: list[Link] = getattr(nodes, "links", None) or []
    return [link for link in links if link.dst == pod_hop]


def draw_links(edges: list[Edge], links: list[Link]) -> Packet | None:
    """The edges to a Pod from its backends or NodePorts; the packet as the first one delivers it."""
    for link in links:
        edges.append(Edge(link.src, link.dst, link.label, Path.REQUEST))
    return links[0].arrives if links else None
