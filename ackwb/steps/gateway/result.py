"""What the Envoy Gateway front door found: the Gateway and listener the request arrives on, the
HTTPRoute rule it takes and the backends that rule sends it to.

It is an ``IngressResult``, so the Service and Pod steps follow it as they follow nginx: Envoy,
like nginx, balances over the Pod IPs of the Service's EndpointSlices itself, so the ClusterIP
and kube-proxy are not on the request path. Kept apart from the step so that the notebook's
section (``ackwb.render.door_gateway``) reads it without importing the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.parse.gateway_records import GatewayRecord, Listener
from ackwb.steps.front_door import Door
from ackwb.steps.gateway_match import GatewayMatch
from ackwb.steps.ingress.result import IngressResult


@dataclass(frozen=True)
class PortMapping:
    """How the load balancer's listener port reaches an Envoy listener: the proxy Service's port
    (the Gateway listener's port) and the container port Envoy binds (80 → 10080)."""

    service_port: int
    port_name: str
    target_port: str


@dataclass(kw_only=True)
class EnvoyResult(IngressResult):
    gateway: GatewayRecord | None = None
    listener: Listener | None = None
    mapping: PortMapping | None = None
    match: GatewayMatch | None = None
    gateway_hop: str = ""
    route_hop: str = ""
    backend_hops: dict[str, str] = field(default_factory=dict)  # "ns/name:port" → hop id
    endpoints_by_backend: dict[str, list[str]] = field(default_factory=dict)  # "ns/name:port" → ip:port
    balancer: str = "Envoy"
    door: Door = Door.ENVOY_GATEWAY

    @property
    def hop_id(self) -> str:
        """The hop the Pods hang from: the followed Service's backend hop, else the route's."""
        target = f"{self.namespace}/{self.service_name}:{self.service_port}"
        return self.backend_hops.get(target) or self.route_hop or self.gateway_hop
