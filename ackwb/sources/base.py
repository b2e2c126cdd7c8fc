"""The I/O seam: what steps may ask of the outside world, as small protocols.

Every source returns raw data in the exact shape the real system produces (Kubernetes
objects as the API returns them, OpenAPI response bodies with their wire names,
command stdout as text), so that live mode, snapshots and the demo world all run the
same parsers. Implementations: ``ackwb.sources.world`` (a stored world) and, later,
live clients. Sources raise ``ackwb.errors.SourceError`` subclasses and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ackwb.sources.commands import Command

T = TypeVar("T")


class KubeSource(Protocol):
    """Read-only Kubernetes API access. ``resource`` is the plural lower-case name
    (pods, services, endpointslices, ingresses, ingressclasses, nodes)."""

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        ...

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[dict[str, Any]]:
        """The matching objects; selectors use the Kubernetes syntax and are honoured."""
        ...


class CloudSource(Protocol):
    """Read-only Alibaba Cloud OpenAPI access."""

    region: str

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """One OpenAPI call; returns the response body with its wire (JSON) names.

        ``product`` is alidns, pvtz, slb, nlb, alb, ecs, vpc or cs; ``params`` uses wire
        names too (``Address``, ``LoadBalancerId.1``). ``RegionId`` is added by the
        source where the action needs it. Paging is the caller's business.
        """
        ...


@dataclass(frozen=True)
class DnsRecord:
    """One resource record of an answer, CNAMEs of the chain included."""

    name: str  # absolute, with the trailing dot
    type: str  # A, AAAA, CNAME
    ttl: int
    value: str


class DnsSource(Protocol):
    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        """Resolve through the client's resolver. Raises ``InputError`` for NXDOMAIN."""
        ...

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        """Resolve through the cluster DNS (kube-dns), as a node or Pod would."""
        ...


@dataclass(frozen=True)
class CommandOutput:
    stdout: str
    exit_status: int = 0
    stderr: str = ""


class NodeSource(Protocol):
    def run(self, node: str, command: Command) -> CommandOutput:
        """Run an allow-listed read command on a node, addressed by its internal IP."""
        ...


class PodExecSource(Protocol):
    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        """Run an allow-listed read command inside a Pod's container."""
        ...


@dataclass(frozen=True)
class ClusterSettings:
    """Facts about the cluster that steps need and cannot discover cheaply."""

    region: str = "cn-hangzhou"
    cluster_id: str = ""
    cluster_domain: str = "cluster.local"
    ingress_namespace: str = "kube-system"
    ingress_selector: str = "app=ingress-nginx"
    ingress_container: str = "nginx-ingress-controller"


@dataclass(frozen=True)
class Sources:
    """The bundle a step receives. ``description`` says in one line what world it is.

    ``parallel`` is how many independent reads ``gather`` runs at once: 1 for a stored
    world, whose answers cost nothing; more for live sources, where each read is a round trip.
    """

    kube: KubeSource
    cloud: CloudSource
    dns: DnsSource
    node: NodeSource
    pod_exec: PodExecSource
    description: str
    settings: ClusterSettings = ClusterSettings()
    parallel: int = 1
    session: Any = None  # the ReadCache these sources read through, when a session wraps them

    def gather(self, reads: Sequence[Callable[[], T]]) -> list[T]:
        """Run independent reads, concurrently when ``parallel`` allows, and return their answers
        in the order given. The first read that failed (in that order) raises its error, as a
        loop over them would; the step then handles it exactly as it handles one read."""
        if self.parallel <= 1 or len(reads) < 2:
            return [read() for read in reads]
        import contextvars
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.parallel, len(reads))) as pool:
            # each read sees the caller's context (the request a snapshot's replay names)
            futures = [pool.submit(contextvars.copy_context().run, read) for read in reads]
        return [future.result() for future in futures]
