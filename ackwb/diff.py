"""What changed along a request's path between two worlds, hop by hop.

A healthy world and a broken one (a demo scenario, yesterday's snapshot and today's) give
two traces of the same domain. Hops are matched by id, which steps keep stable
(``lb:<id>``, ``pod:<namespace>/<name>``), and findings by code, hop and message. A
``TraceDiff`` lists hops added, removed, with a changed verdict or with a changed label,
path or details, and findings added, removed or reworded; ``WorldDiff`` gathers the
diffs of several domains. Both display as a table and a diagram with the changes
highlighted (drawn by ``ackwb.render.diffview`` through the registered presenter).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ackwb.model import Client, Edge, Finding, Hop, Presentable, Trace, rows_to_frame
from ackwb.sources import Sources
from ackwb.trace import dead_end, run_trace

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True)
class HopChange:
    """One hop that differs: ``change`` is added, removed, verdict or details."""

    hop: str  # Hop.id
    kind: str
    change: str
    before: str  # what differs, as it was ("" for an added hop)
    after: str  # what differs, as it is ("" for a removed hop)


@dataclass(frozen=True)
class FindingChange:
    """One finding that appeared, disappeared or was reworded (same code and hop)."""

    code: str
    hop: str
    change: str  # added, removed, changed
    before: str  # "severity: message" ("" when added)
    after: str  # "severity: message" ("" when removed)


@dataclass(kw_only=True)
class TraceDiff(Presentable):
    """Two traces of one domain and what differs between them."""

    domain: str
    before: Trace
    after: Trace
    hop_changes: list[HopChange] = field(default_factory=list)
    finding_changes: list[FindingChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        """True when anything differs."""
        return bool(self.hop_changes or self.finding_changes)

    @property
    def changed_hops(self) -> dict[str, str]:
        """Hop id → change (added, removed, verdict, details)."""
        return {c.hop: c.change for c in self.hop_changes}

    @property
    def edge_changes(self) -> dict[tuple[str, str], str]:
        """(src, dst) → added or removed, for the diagram."""
        before, after = _edge_ends(self.before.edges), _edge_ends(self.after.edges)
        return {end: "removed" for end in before - after} | {end: "added" for end in after - before}

    @property
    def dead_ends(self) -> tuple[str, str]:
        """Why each trace stops ("" when the request gets through): before, after."""
        return dead_end(self.before), dead_end(self.after)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per change: hops first, in path order, then findings."""
        rows = [
            {"domain": self.domain, "item": "hop", "id": c.hop, "kind": c.kind, "change": c.change}
            | {"before": c.before, "after": c.after}
            for c in self.hop_changes
        ]
        rows += [
            {"domain": self.domain, "item": "finding", "id": c.hop, "kind": c.code, "change": c.change}
            | {"before": c.before, "after": c.after}
            for c in self.finding_changes
        ]
        return rows

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)


@dataclass(kw_only=True)
class WorldDiff(Presentable):
    """The diffs of several domains between two worlds."""

    before: str  # the description of each world
    after: str
    diffs: list[TraceDiff] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(self.diffs)

    @property
    def changed(self) -> list[TraceDiff]:
        """The diffs with at least one change."""
        return [d for d in self.diffs if d]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [row for d in self.diffs for row in d.rows]

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)

    def domain(self, name: str) -> TraceDiff | None:
        return next((d for d in self.diffs if d.domain == name), None)


def diff_traces(before: Trace, after: Trace) -> TraceDiff:
    """Compare two traces hop by hop (by id) and finding by finding."""
    return TraceDiff(
        domain=after.domain or before.domain,
        before=before,
        after=after,
        hop_changes=_hop_changes(before.hops, after.hops),
        finding_changes=_finding_changes(before.findings, after.findings),
    )


def diff_worlds(
    before: Sources, after: Sources, domains: Sequence[str], client: Client | None = None
) -> WorldDiff:
    """Trace every domain in both worlds with the same client and compare the traces."""
    diffs = [
        diff_traces(run_trace(before, domain, client), run_trace(after, domain, client)) for domain in domains
    ]
    return WorldDiff(before=before.description, after=after.description, diffs=diffs)


def _hop_changes(before: list[Hop], after: list[Hop]) -> list[HopChange]:
    old = {hop.id: hop for hop in before}
    new = {hop.id: hop for hop in after}
    order = list(dict.fromkeys([*new, *old]))  # path order of the new trace, then what was lost
    changes = []
    for hop_id in order:
        a, b = old.get(hop_id), new.get(hop_id)
        if a is None and b is not None:
            changes.append(HopChange(hop_id, b.kind, "added", "", _summary(b)))
        elif b is None and a is not None:
            changes.append(HopChange(hop_id, a.kind, "removed", _summary(a), ""))
        elif a is not None and b is not None and a != b:
            was, now = _differences(a, b)
            change = "verdict" if a.verdict != b.verdict else "details"
            changes.append(HopChange(hop_id, b.kind, change, was, now))
    return changes


def _summary(hop: Hop) -> str:
    return f"{hop.verdict.value}: {' '.join(hop.label.split())}"


def _differences(a: Hop, b: Hop) -> tuple[str, str]:
    """What differs between two versions of a hop, as ("verdict ok; ready: True", "...")."""
    was: list[str] = []
    now: list[str] = []
    pairs = [("verdict", a.verdict.value, b.verdict.value), ("path", a.path.value, b.path.value)]
    pairs.append(("label", " ".join(a.label.split()), " ".join(b.label.split())))
    pairs.append(("kind", a.kind, b.kind))
    old, new = _detail_map(a.details), _detail_map(b.details)
    pairs += [(key, old.get(key, "(none)"), new.get(key, "(none)")) for key in dict.fromkeys([*new, *old])]
    for key, x, y in pairs:
        if x != y:
            was.append(f"{key}: {x}")
            now.append(f"{key}: {y}")
    return "; ".join(was), "; ".join(now)


def _detail_map(details: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Details by key; a key given twice keeps both values, joined."""
    merged: dict[str, list[str]] = {}
    for key, value in details:
        merged.setdefault(key, []).append(str(value))
    return {key: " / ".join(values) for key, values in merged.items()}


def _finding_changes(before: list[Finding], after: list[Finding]) -> list[FindingChange]:
    old = Counter(_finding_key(f) for f in before)
    new = Counter(_finding_key(f) for f in after)
    gone = list((old - new).elements())
    came = list((new - old).elements())
    changes = []
    for key in came:  # a finding of the same code and hop that was there before was reworded
        match = next((g for g in gone if g[:2] == key[:2]), None)
        if match is not None:
            gone.remove(match)
            changes.append(FindingChange(key[0], key[1], "changed", _said(match), _said(key)))
        else:
            changes.append(FindingChange(key[0], key[1], "added", "", _said(key)))
    changes += [FindingChange(key[0], key[1], "removed", _said(key), "") for key in gone]
    return changes


def _finding_key(finding: Finding) -> tuple[str, str, str, str]:
    return (finding.code, finding.hop, finding.severity.value, finding.message)


def _said(key: tuple[str, str, str, str]) -> str:
    return f"{key[2]}: {key[3]}"


def _edge_ends(edges: Iterable[Edge]) -> set[tuple[str, str]]:
    return {(edge.src, edge.dst) for edge in edges}
