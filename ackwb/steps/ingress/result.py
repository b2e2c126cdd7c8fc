"""What the Ingress step found: what each serving controller renders for the host, and the
location, Ingress, Service and endpoints of the request as the first of them routes it.

Kept apart from the step so that its checks and the later steps take the result without
importing the step that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.model import Evidence, StepResult
from ackwb.parse.backends import Backend
from ackwb.parse.canary import TrafficTarget
from ackwb.parse.nginx_conf import Location, ServerBlock
from ackwb.steps.ecs.result import ControllerPod
from ackwb.steps.front_door import Door
from ackwb.steps.nginx_request import NginxOutcome


@dataclass(frozen=True)
class ControllerView:
    """What one controller Pod renders for the host and balances the location over.

    ``problem`` says why the view is incomplete ("" when it is whole): the server block or the
    dynamic backends could not be read, or the controller has no server block for the host.
    """

    controller: ControllerPod
    text: str = ""  # the server block, markers included ("" when there is none)
    block: ServerBlock | None = None
    location: Location | None = None
    backends: tuple[Backend, ...] = ()  # what the backends command printed, parsed
    backend: Backend | None = None  # the location's dynamic backend
    backends_source: str = ""  # the evidence source of the backends command
    backends_read: bool = False  # False: the dynamic backends could not be read
    problem: str = ""
    evidence: tuple[Evidence, ...] = ()

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(f"{e.address}:{e.port}" for e in self.backend.endpoints) if self.backend else ()

    @property
    def route(self) -> tuple[str | None, ...]:
        """What the location sends the request to, for comparing controllers."""
        loc = self.location
        return (loc.service_name, loc.service_port, loc.upstream_name) if loc else (None, None, None)


@dataclass(kw_only=True)
class IngressResult(StepResult):
    path: str = "/"
    controller: ControllerPod | None = None  # the first serving controller: the one shown in full
    views: list[ControllerView] = field(default_factory=list)  # every serving controller's
    server_block_text: str = ""
    server_block: ServerBlock | None = None
    location: Location | None = None
    namespace: str = ""
    ingress_name: str = ""
    service_name: str = ""
    service_port: str = ""  # a number or a port name, as nginx.conf holds it
    service_upstream: bool = False  # True: nginx proxies to the ClusterIP, so kube-proxy is on the path
    backend: Backend | None = None
    backend_endpoints: list[str] = field(default_factory=list)  # "ip:port" the balancer picks from
    traffic: tuple[TrafficTarget, ...] = ()  # the split with a canary backend (empty without one)
    nginx: NginxOutcome | None = None  # what nginx does with the request (None: not evaluated)
    ingress_object: dict[str, Any] | None = None  # the Ingress the location was rendered from
    balancer: str = "Lua balancer"  # who picks the Pod IP from ``backend_endpoints`` (an ALB's rule)
    door: Door = Door.NGINX  # who answers behind the listener (L4: no HTTP evaluation, no hop)

    def also_endpoints(self) -> list[str]:
        """ "ip:port" the front door also sends to behind Services other than the one followed (an ALB
        rule forwarding to two Services' server groups); the Pod step follows them too."""
        return []

    @property
    def answered(self) -> bool:
        """nginx answers the request itself (a redirect, a refusal): nothing is proxied."""
        return self.nginx is not None and self.nginx.kind == "answered"

    @property
    def hop_id(self) -> str:
        return f"ingress:{self.namespace}/{self.ingress_name}"
