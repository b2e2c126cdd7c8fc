"""The front door of a trace in one word or two, as the cluster map, the sweep and the notebooks name it.

Who answers behind the listener is decided by the steps from the world (``front_door``: the
Service that owns a CLB or NLB; an ALB found by its DNS name): the ingress step's result carries
the decision as a ``Door`` (nginx, an L4 Service, Envoy Gateway, the ALB's rules). This module
only reads that decision back from a finished trace, so every table and diagram that shows the
door says the same thing, and a new door is one line of ``NAMES``.

A trace that stops before the door was decided (the name did not resolve, no load balancer owns
the address) names it "unknown": nothing was seen, so nothing is claimed.
"""

from __future__ import annotations

from ackwb.model import StepResult, Trace
from ackwb.steps.front_door import Door

# How tables and diagrams name each door; a door missing here is named by its ``Door`` value.
NAMES: dict[Door, str] = {
    Door.NGINX: "nginx",
    Door.ALB: "ALB",
    Door.L4_SERVICE: "L4 Service",
    Door.ENVOY_GATEWAY: "Envoy Gateway",
}
UNKNOWN = "unknown"


def front_door(trace: Trace) -> Door | None:
    """The door the trace went through, or None when the trace never got to decide it."""
    by_step: dict[str, StepResult] = {s.step: s for s in trace.steps}
    door = getattr(by_step.get("ingress"), "door", None)
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
