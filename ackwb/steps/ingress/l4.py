"""Step 4 behind an L4 Service (``front_door``): no Ingress, no nginx, no HTTP evaluation.

The Service that owns the load balancer answers itself, so the step only names it and the
port the listener serves, for the Service step to read; the decision's reason is its row.
"""

from __future__ import annotations

from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.slb.result import LoadBalancerResult


def ingress_for(nodes: NodeResult, result: IngressResult) -> IngressResult:
    """Step 4 behind an L4 Service: the Service that owns the load balancer and the listener's
    port, with no HTTP evaluation at all."""
    lb = nodes.prev if isinstance(nodes.prev, LoadBalancerResult) else None
    port = lb.listener.port if lb is not None and lb.listener is not None else 0
    result.namespace, _, result.service_name = nodes.service.partition("/")
    result.service_port = str(port) if port else ""
    result.door = Door.L4_SERVICE
    result.rows.append(
        {
            "front door": Door.L4_SERVICE.value,
            "service": nodes.service,
            "listener port": port or "",
            "why": nodes.decision.why,
            "HTTP evaluation": "none: the load balancer passes connections as they are",
        }
    )
    result.evidence.extend(nodes.decision.evidence)
    if not nodes.service:
        result.dead_end = nodes.dead_end or "no Service owns the load balancer"
    return result
