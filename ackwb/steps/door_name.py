"""The front door of a trace in one word or two, as the cluster map, the sweep and the notebooks name it.

Who answers behind the listener is decided by the steps from the world (``front_door``: the
Service that owns a CLB or NLB; an ALB found by its DNS name): the ingress step's result carries
the decision as a ``Door`` (nginx, an L4 Service, Envoy Gateway, the ALB's rules). This module
only reads that decision back from a finished trace, so every table and diagram that shows the
door says the same thing, and a new door is one line of ``NAMES``.

A trace that stops before the door was decided (the name did not resolve, no load balancer owns
the address) names it "unknown": nothing was seen, so nothing is claimed. ``reach_sentence`` says
in one plain sentence how a door other than nginx gets the request to the Pod (trace summaries).
"""

from __future__ import annotations

from ackwb.model import StepResult, Trace
from ackwb.steps.alb_result import AlbPathResult
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult

# How tables and diagrams name each door; a door missing here is named by its ``Door`` value.
NAMES: dict[Door, str] = {
    Door.NGINX: "nginx",
    Door.ALB: "ALB",
    Door.L4_SERVICE: "L4 Service",
    Door.ENVOY_GATEWAY: "Envoy Gateway",
    Door.ALB_GATEWAY: "Gateway on ALB",
}
UNKNOWN = "unknown"


def front_door(trace: Trace) -> Door | None:
    """The door the trace went through, or None when the trace never got to decide it."""
    by_step: dict[str, StepResult] = {s.step: s for s in trace.steps}
    ing = by_step.get("ingress")
    door = getattr(ing, "door", None)
    if door is Door.ALB and ing is not None and any(h.kind == "gateway" for h in ing.hops):
        return Door.ALB_GATEWAY  # the ALB's rules were programmed for a Gateway's HTTPRoutes
    if isinstance(door, Door):
        return door
    decision = getattr(by_step.get("ecs"), "decision", None)  # decided, but nothing behind it was read
    nodes = by_step.get("ecs")
    if decision is not None and nodes is not None and (nodes.hops or nodes.rows):
        return decision.door if isinstance(decision.door, Door) else None
    lb = by_step.get("slb")
    if getattr(lb, "alb", None) is not None:  # an ALB whose rules could not be read
        return Door.ALB
    return None


def front_door_name(trace: Trace) -> str:
    """ "nginx", "ALB", "L4 Service", "Envoy Gateway" (one line of ``NAMES`` per door), or "unknown"."""
    door = front_door(trace)
    if door is None:
        return UNKNOWN
    return NAMES.get(door, door.value)


def reach_sentence(trace: Trace) -> str:
    """How the request gets to the Pod behind a door other than nginx, in one sentence ("" for nginx
    or an unknown door: the caller says it its own way). Plain text: no value of the world in it."""
    ing = trace.step("ingress")
    if isinstance(ing, AlbPathResult) and ing.node_results:
        return (
            "The ALB sends the request to ECS nodes on the Service's NodePort (a server group of type "
            "Instance); kube-proxy on each node forwards it to a Pod of the Service."
        )
    if isinstance(ing, AlbPathResult) and ing.backend_endpoints:
        return (
            "The ALB sends the request straight to the Pod IPs of its server group (type Ip); the ClusterIP "
            "→ kube-proxy hop is the in-cluster path (dashed): the way a client inside the cluster reaches "
            "the Service."
        )
    if isinstance(ing, IngressResult) and ing.door is Door.ENVOY_GATEWAY:
        return (
            "The Envoy Gateway proxies send the request straight to the Pod IPs of the route's backends "
            "(read from their EndpointSlices); the ClusterIP → kube-proxy hop is the in-cluster path "
            "(dashed): the way a client inside the cluster reaches the Service."
        )
    if isinstance(ing, IngressResult) and ing.door is Door.L4_SERVICE:
        nodes = ing.earlier("ecs")
        if isinstance(nodes, NodeResult) and any(b.kind == "nodeport" for b in nodes.branches):
            return (
                "No HTTP is evaluated: the load balancer hands each connection to the Service's NodePort on "
                "the nodes, and kube-proxy there forwards it to a Pod of the Service."
            )
        return (
            "No HTTP is evaluated: the load balancer hands each connection straight to a Pod IP of the "
            "Service."
        )
    return ""
