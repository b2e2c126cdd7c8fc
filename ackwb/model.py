"""Dataclasses every step speaks: hops, edges, evidence, findings, step results, traces.

A step returns a ``StepResult``: rows for its table, the hops and edges it adds to the
path diagram, its findings and the evidence it read. Presentation (HTML, diagrams)
lives in ``ackwb.render``, which registers itself here as the ``presenter`` so that
this module never imports upward.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import pandas


class Verdict(StrEnum):
    """Whether traffic passes a hop."""

    OK = "ok"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Path(StrEnum):
    """Which journey a hop or edge belongs to; each gets its own colour."""

    REQUEST = "request"  # the way a client's request really goes
    IN_CLUSTER = "in-cluster"  # the way a client inside the cluster reaches the Service
    EGRESS = "egress"  # the way a Pod reaches the internet


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
class Hop:
    """A box on the path diagram."""

    id: str  # stable, e.g. "lb:lb-bp1public", used as the DOT node id
    kind: str  # dns, lb, listener, backend, node, controller, ingress, service, ipvs, pod, nat, snat, eip
    label: str
    path: Path = Path.REQUEST
    verdict: Verdict = Verdict.OK
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str = ""
    path: Path = Path.REQUEST


@dataclass(frozen=True)
class Client:
    """Who sends the request. ``ip=None`` means an unspecified internet client."""

    ip: str | None = None
    port: int = 80
    path: str = "/"


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


def worst_verdict(verdicts: Any) -> Verdict:
    found = set(verdicts)
    for v in (Verdict.BLOCKED, Verdict.UNKNOWN):
        if v in found:
            return v
    return Verdict.OK


@dataclass(kw_only=True)
class Trace(Presentable):
    """Every step for one domain and client, chained: the whole path and its findings."""

    domain: str
    client: Client
    world: str  # one line naming the world the trace read (demo, snapshot, profile)
    steps: list[StepResult] = field(default_factory=list)

    @property
    def hops(self) -> list[Hop]:
        """Hops in path order; a hop seen by two steps keeps its place and last version."""
        by_id: dict[str, Hop] = {}
        for step in self.steps:
            for hop in step.hops:
                by_id[hop.id] = hop
        return list(by_id.values())

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
            }
            for h in self.hops
        ]

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)

    @property
    def verdict(self) -> Verdict:
        """Blocked when a request hop is blocked or a finding is an error; unknown when a hop is unseen."""
        verdicts = [h.verdict for h in self.hops if h.path is Path.REQUEST]
        if any(f.severity is Severity.ERROR for f in self.findings):
            verdicts.append(Verdict.BLOCKED)
        return worst_verdict(verdicts)

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.step == name), None)
