"""Dataclasses every step speaks: evidence, findings, step results and traces.

Hops, edges and verdicts are defined in ``ackwb.hops`` and re-exported here. A step
returns a ``StepResult``: rows for its table, the hops and edges it adds to the path
diagram, its findings and the evidence it read. Presentation (HTML, diagrams) lives in
``ackwb.render``, which registers itself here as the ``presenter`` so that this module
never imports upward.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ackwb.hops import VERDICT_RANK, Edge, Hop, Packet, Path, Verdict, worst_verdict
from ackwb.verdicts import mark_not_reached, path_verdict, reached

__all__ = [
    "VERDICT_RANK", "Client", "Design", "Edge", "Evidence", "Finding", "Hop", "Packet", "Path", "Severity",
    "StepResult", "Trace", "Verdict", "rows_to_frame", "worst_verdict",
]  # fmt: skip

if TYPE_CHECKING:
    import pandas


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Evidence:
    """One fact a step relied on: where it came from and the exact raw excerpt."""

    source: str  # e.g. "slb:DescribeLoadBalancerListeners", "node 10.17.10.11: ipvsadm -Ln"
    locator: str  # e.g. "Listeners[0].AclStatus", "line 4"
    excerpt: str  # the raw value or line


@dataclass(frozen=True)
class Finding:
    """Something a newcomer should know about a hop, with the evidence behind it."""

    code: str  # stable, e.g. "LB_ACL_DENIES_CLIENT"
    severity: Severity
    hop: str  # Hop.id it belongs to
    message: str
    evidence: tuple[Evidence, ...] = ()
    check: str = ""  # a command to verify it by hand


@dataclass(frozen=True)
class Client:
    """Who sends the request. ``ip=None`` means an unspecified internet client.

    ``scheme`` is the client's (https on port 443 unless said otherwise); ``headers`` are the
    request headers that can change nginx's answer (a canary header, an auth header's presence).
    """

    ip: str | None = None
    port: int = 80
    path: str = "/"
    scheme: str = ""  # "" → from the port
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def url_scheme(self) -> str:
        return self.scheme or ("https" if self.port == 443 else "http")


class Presenter(Protocol):
    def html(self, item: Any) -> str: ...
    def diagram(self, item: Any) -> Any: ...


class Presentable:
    """Gives results ``_repr_html_`` and ``diagram()`` through the registered presenter."""

    presenter: ClassVar[Presenter | None] = None

    def _repr_html_(self) -> str:
        if Presentable.presenter is None:
            return f"<pre>{html.escape(repr(self))}</pre>"
        return Presentable.presenter.html(self)

    def diagram(self) -> Any:
        """The Graphviz diagram of these hops (SVG in a notebook, DOT text without dot)."""
        if Presentable.presenter is None:
            raise RuntimeError("import ackwb.render to draw diagrams")
        return Presentable.presenter.diagram(self)


def rows_to_frame(rows: list[dict[str, Any]]) -> pandas.DataFrame:
    import pandas  # imported on demand: the CLI trace never needs it

    return pandas.DataFrame(rows)


@dataclass(kw_only=True)
class StepResult(Presentable):
    """What one step found. Subclasses add the typed facts the next step needs."""

    step: str  # module name: dns, slb, ecs, ingress, service, kube_proxy, pod, egress
    title: str  # English heading, with the article's Chinese title beside it
    domain: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    dead_end: str = ""  # why the path cannot be followed past this step ("" = it can)
    prev: StepResult | None = field(default=None, repr=False)  # the result this step started from

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)

    @property
    def verdict(self) -> Verdict:
        return worst_verdict(h.verdict for h in self.hops)

    def earlier(self, step: str) -> StepResult | None:
        """The result of an earlier step in this chain, e.g. ``earlier("ingress")``."""
        current = self.prev
        while current is not None and current.step != step:
            current = current.prev
        return current

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]


@dataclass(frozen=True)
class Design:
    """How the cluster on this path is built (DESIGN.md section 7), shown first in every trace.

    Each value is what the trace read, in words; "unknown" says it could not be read.
    """

    network: str = "unknown"  # "Terway (shared ENI)", "Flannel (Pod CIDR per node)"
    network_policy: str = "unknown"  # enforced, not enforced, unknown
    proxy_modes: tuple[tuple[str, str], ...] = ()  # (node, mode) of the nodes read
    load_balancer: str = ""  # "CLB public-lb", "NLB tnl-public-nlb"
    backends: str = ""  # "ECS:NodePort", "ENI = node IP (host-network controller)", "Pod IP"
    traffic_policy: str = ""  # externalTrafficPolicy of the Service behind the load balancer
    controllers: str = ""  # "host network", "Pod IPs"
    tls: str = ""  # where TLS ends, for the client's port

    @property
    def proxy_mode(self) -> str:
        modes = sorted({mode for _, mode in self.proxy_modes})
        if len(modes) == 1:
            return modes[0]
        return "; ".join(f"{m} on {', '.join(n for n, mm in self.proxy_modes if mm == m)}" for m in modes)

    def summary(self) -> str:
        """One line: "this cluster: Flannel, iptables, CLB → ECS:NodePort, Local"."""
        network = self.network.split(" (")[0]
        lb = self.load_balancer.split(" ")[0]
        path = f"{lb} → {self.backends}" if lb and self.backends else lb or self.backends
        parts = [network, self.proxy_mode or "kube-proxy mode not read", path, self.traffic_policy]
        return "this cluster: " + ", ".join(p for p in parts if p)

    @property
    def rows(self) -> list[dict[str, str]]:
        return [
            {"axis": axis, "this cluster": value}
            for axis, value in (
                ("network plugin", self.network),
                ("NetworkPolicy", self.network_policy),
                ("kube-proxy mode", self.proxy_mode or "not read on this path"),
                ("load balancer", self.load_balancer),
                ("backends", self.backends),
                ("externalTrafficPolicy", self.traffic_policy),
                ("ingress controller", self.controllers),
                ("TLS", self.tls),
            )
            if value
        ]


@dataclass(kw_only=True)
class Trace(Presentable):
    """Every step for one domain and client, chained: the whole path and its findings."""

    domain: str
    client: Client
    world: str  # one line naming the world the trace read (demo, snapshot, profile)
    steps: list[StepResult] = field(default_factory=list)
    design: Design = field(default_factory=Design)

    @property
    def hops(self) -> list[Hop]:
        """Hops in path order; a hop seen by two steps keeps its place and last version. A hop
        that only a blocked branch leads to reads "not reached" (``ackwb.verdicts``)."""
        by_id: dict[str, Hop] = {}
        for step in self.steps:
            for hop in step.hops:
                by_id[hop.id] = hop
        return list(mark_not_reached(by_id, self.edges).values())

    @property
    def edges(self) -> list[Edge]:
        return list(dict.fromkeys(e for s in self.steps for e in s.edges))

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.steps for f in s.findings]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per hop: what it is, its details, which path, and the verdict."""
        return [
            {
                "hop": h.kind,
                "what": h.label.replace("\n", " "),
                "details": ", ".join(f"{k}: {v}" for k, v in h.details),
                "path": h.path.value,
                "verdict": h.verdict.value,
                "packet": _packet_text(h),
            }
            for h in self.hops
        ]

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)

    def verdict_of(self, path: Path) -> Verdict:
        """Whether one journey gets through: ok when a branch from its start reaches a terminal
        hop (a ready Pod, an answer, the internet) through passable hops (``ackwb.verdicts``)."""
        return path_verdict({h.id: h for h in self.hops}, self.edges, path)

    @property
    def verdict(self) -> Verdict:
        """The request's verdict: warnings never change it, a blocked branch only when no other
        branch gets through."""
        return self.verdict_of(Path.REQUEST)

    @property
    def packets(self) -> list[dict[str, str]]:
        """The packet view: for every hop that sees the packet, as it arrives and as it leaves, and
        what the hop rewrote (where the client's address is kept, and where it is lost)."""
        return [
            {
                "hop": h.kind,
                "what": " ".join(h.label.split()),
                "path": h.path.value,
                "arrives": str(h.arrives or ""),
                "leaves": str(h.leaves or h.arrives or ""),
                "rewrite": h.rewrite,
            }
            for h in self.hops
            if h.arrives is not None or h.leaves is not None
        ]

    @property
    def blocked_branches(self) -> list[tuple[Hop, str]]:
        """Blocked hops the request (or an in-cluster client) meets, each with the first error that
        says why: what a path that gets through by other branches still loses."""
        hops = {h.id: h for h in self.hops}
        every = frozenset(Verdict)
        route = reached(hops, self.edges, Path.REQUEST, every) | reached(
            hops, self.edges, Path.IN_CLUSTER, every
        )
        why: dict[str, str] = {}
        order = (Severity.ERROR, Severity.WARNING, Severity.INFO)
        for finding in sorted(self.findings, key=lambda f: order.index(f.severity)):
            why.setdefault(finding.hop, finding.message)
        return [
            (h, why.get(h.id, "")) for h in hops.values() if h.id in route and h.verdict is Verdict.BLOCKED
        ]

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.step == name), None)


def _packet_text(hop: Hop) -> str:
    """``in → out`` of a hop, or one packet when the hop does not change it."""
    if hop.arrives is None and hop.leaves is None:
        return ""
    if hop.leaves is None or hop.leaves == hop.arrives:
        return str(hop.arrives)
    if hop.arrives is None:
        return str(hop.leaves)
    return f"in {hop.arrives}; out {hop.leaves}"
