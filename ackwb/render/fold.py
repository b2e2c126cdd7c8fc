"""Fold parallel branches of a whole-path diagram into one box with a count.

A trace's diagram drew every backend, node, controller Pod and Pod side by side, which made
the demo path 4,008 pt wide: wider than any page. Those hops are alternatives the request is
balanced over, so the whole-path diagram draws each set of parallel hops as one box ("2
backends", "3 Pods"); each step's own diagram still draws every hop.

Which hops are parallel: hops of a foldable kind (``FOLD_KINDS``) on the same path that are
reached from the same boxes, found by refining groups until they no longer change (two
backends of one listener are parallel; so are the two nodes behind them, once the backends
are one box). Listeners are never folded: the client's port picks one of them.

Folding keeps verdicts honest: a folded box has its worst member's verdict (and so its
colour), and its label says how many members are ok, blocked, not reached and so on. Ids are
stable (``fold:`` and the first member's id) and the output order is sorted, so the DOT stays
deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable

from ackwb.hops import Edge, Hop, Path, Verdict, worst_verdict

FOLD_KINDS = frozenset(
    {"backend", "eni", "ecs", "instance", "node", "controller", "pod", "ipvs", "iptables", "nftables"}
)
PLURALS = {"controller": "controller Pods", "pod": "Pods", "ipvs": "IPVS nodes", "eni": "ENIs"}
MEMBERS_LISTED = 4  # members named in a folded box; the rest are counted
FOLD_PREFIX = "fold:"  # a folded box's id: this prefix and its first member's id


def fold_parallel(hops: Iterable[Hop], edges: Iterable[Edge]) -> tuple[list[Hop], list[Edge]]:
    """The hops and edges with every set of parallel hops replaced by one folded hop."""
    by_id = {hop.id: hop for hop in hops}
    edges = list(edges)
    group = _parallel_groups(by_id, edges)
    members: dict[str, list[Hop]] = {}
    for hop_id, hop in by_id.items():
        members.setdefault(group[hop_id], []).append(hop)
    replacement: dict[str, str] = {}
    folded: list[Hop] = []
    for key in sorted(members):
        hops_in = sorted(members[key], key=lambda hop: hop.id)
        if len(hops_in) == 1:
            folded.append(hops_in[0])
            replacement[hops_in[0].id] = hops_in[0].id
            continue
        box = folded_hop(hops_in)
        folded.append(box)
        replacement.update((hop.id, box.id) for hop in hops_in)
    return folded, _fold_edges(edges, replacement)


def folded_hop(members: list[Hop]) -> Hop:
    """One box for parallel hops: the count, how many have each verdict, the first few names."""
    kind = members[0].kind
    counts = Counter(hop.verdict for hop in members)
    tally = " · ".join(f"{counts[verdict]} {verdict.value}" for verdict in Verdict if counts[verdict])
    names = [("", name) for name in _member_names(members)[:MEMBERS_LISTED]]
    if len(members) > MEMBERS_LISTED:
        names.append(("", f"and {len(members) - MEMBERS_LISTED} more"))
    return Hop(
        id=FOLD_PREFIX + members[0].id,
        kind=kind,
        label=f"{len(members)} {PLURALS.get(kind.lower(), kind + 's')}",
        path=members[0].path,
        verdict=worst_verdict(hop.verdict for hop in members),
        details=(("verdicts", tally), *names),
    )


def _parallel_groups(by_id: dict[str, Hop], edges: list[Edge]) -> dict[str, str]:
    """Hop id → group key; hops share a key when they are parallel (see the module docstring)."""
    sources: dict[str, set[tuple[str, Path]]] = {hop_id: set() for hop_id in by_id}
    for edge in edges:
        if edge.dst in sources:
            sources[edge.dst].add((edge.src, edge.path))
    start: dict[str, Hashable] = {
        hop_id: (hop.kind.lower(), hop.path.value) if hop.kind.lower() in FOLD_KINDS else hop_id
        for hop_id, hop in by_id.items()
    }
    group = _canonical(start)
    while True:
        signature = {
            hop_id: (group[hop_id], tuple(sorted((group.get(src, src), path.value) for src, path in found)))
            for hop_id, found in sources.items()
        }
        refined = _canonical(signature)
        if len(set(refined.values())) == len(set(group.values())):
            return refined
        group = refined


def _canonical(keys: dict[str, Hashable]) -> dict[str, str]:
    """Name each group after its smallest member id, so keys are stable and comparable."""
    first: dict[Hashable, str] = {}
    for hop_id in sorted(keys):
        first.setdefault(keys[hop_id], hop_id)
    return {hop_id: first[key] for hop_id, key in keys.items()}


def _fold_edges(edges: list[Edge], replacement: dict[str, str]) -> list[Edge]:
    """Edges between boxes, once each; differing labels keep their common leading words."""
    labels: dict[tuple[str, str, Path], list[str]] = {}
    for edge in edges:
        key = (replacement.get(edge.src, edge.src), replacement.get(edge.dst, edge.dst), edge.path)
        labels.setdefault(key, []).append(edge.label)
    ordered = sorted(labels.items(), key=lambda item: (item[0][0], item[0][1], item[0][2].value))
    return [Edge(src, dst, _shared_label(found), path) for (src, dst, path), found in ordered]


def _shared_label(labels: list[str]) -> str:
    distinct = sorted(set(labels))
    if len(distinct) == 1:
        return distinct[0]
    words = [label.split() for label in distinct]
    common: list[str] = []
    for column in zip(*words, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return " ".join(common) + " …" if common else ""


def _member_names(members: list[Hop]) -> list[str]:
    """Each member's name: the first line of the labels that tells the members apart (controller
    Pods share their first line, "ingress-nginx", and differ in the Pod name below it)."""
    lines = [[" ".join(part.split()) for part in _label(hop).splitlines()] or [""] for hop in members]
    depth = min(len(found) for found in lines)
    telling = next((i for i in range(depth) if len({found[i] for found in lines}) > 1), 0)
    return [found[telling] for found in lines]


def _label(hop: Hop) -> str:
    return hop.label or hop.id
