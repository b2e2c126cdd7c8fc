"""What the Service step found: the Service, its port, its cluster DNS answer and endpoints.

Kept apart from the step so that the checks, and the steps after it, can take the result
without importing the step that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.model import Path, StepResult
from ackwb.parse.endpointslices import SliceEndpoint


@dataclass(frozen=True)
class ServicePort:
    name: str
    protocol: str
    port: int
    target_port: str
    node_port: int | None = None


@dataclass(kw_only=True)
class ServiceResult(StepResult):
    namespace: str = ""
    name: str = ""
    cluster_dns_name: str = ""
    cluster_ip: str = ""
    resolved_ips: list[str] = field(default_factory=list)  # what cluster DNS answers for the name
    port: ServicePort | None = None
    endpoints: list[SliceEndpoint] = field(default_factory=list)
    path_kind: Path = Path.IN_CLUSTER  # REQUEST when the Ingress uses service-upstream
    endpoints_seen: bool = False  # False when the EndpointSlices could not be read
    external_name: str = ""  # type ExternalName: the DNS name nginx resolves and connects to
    external_ips: list[str] = field(default_factory=list)  # what that name resolves to
    affinity: str = ""  # "ClientIP, timeout 10800 s" (sessionAffinity), "" without

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"

    @property
    def hop_id(self) -> str:
        return f"service:{self.namespace}/{self.name}"

    @property
    def ready_endpoints(self) -> list[SliceEndpoint]:
        return [e for e in self.endpoints if e.ready]
