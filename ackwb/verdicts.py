"""How hop verdicts add up to the verdict of a path, by following the edges.

A path branches: a load balancer has several backends, several controllers answer, a
Service has several endpoints. The request gets through when at least one branch from the
client reaches a terminal hop (a ready Pod, or an answer nginx gives itself) through hops
that let it pass; blocked branches are listed, never decisive. So a path's verdict is a
question of reachability, not of the worst hop:

- ok: a terminal hop is reached through ok hops only;
- depends on the client: reached, but only through a hop whose decision depends on a
  client address that was not given (an ACL, a security group);
- unknown: reached only through hops that could not be seen;
- blocked: no branch gets through.

A hop that no passable branch reaches is "not reached", never ok, whatever it looked like
on its own: it tells the reader that whatever sits behind a blocked hop was not exercised.
Pure functions over ``Hop`` and ``Edge``; the ``Trace`` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ackwb.hops import Edge, Hop, Path, Verdict, worst_verdict

# Where each journey ends: a ready Pod, an answer nginx gives itself, an outside host (an
# ExternalName Service); the way out ends on the internet.
TERMINAL_KINDS = {
    Path.REQUEST: frozenset({"pod", "answer", "external"}),
    Path.IN_CLUSTER: frozenset({"pod", "external"}),
    Path.EGRESS: frozenset({"internet"}),
}
PASSABLE = frozenset({Verdict.OK, Verdict.DEPENDS})
MAYBE = PASSABLE | {Verdict.UNKNOWN}
# From most to least demanding: the first set that lets a terminal hop be reached decides.
LADDER: tuple[tuple[frozenset[Verdict], Verdict], ...] = (
    (frozenset({Verdict.OK}), Verdict.OK),
    (PASSABLE, Verdict.DEPENDS),
    (MAYBE, Verdict.UNKNOWN),
)


def _graph(edges: Iterable[Edge], path: Path) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    for edge in edges:
        if edge.path is path:
            graph.setdefault(edge.src, []).append(edge.dst)
    return graph


def _starts(graph: dict[str, list[str]], hops: dict[str, Hop]) -> list[str]:
    """Where a path begins: the client when it is drawn, else every hop nothing leads to."""
    if "client" in graph:
        return ["client"]
    targets = {dst for dsts in graph.values() for dst in dsts}
    return sorted(src for src in graph if src not in targets)


def reached(
    hops: dict[str, Hop],
    edges: Sequence[Edge],
    path: Path,
    allowed: frozenset[Verdict],
    starts: Sequence[str] | None = None,
) -> set[str]:
    """Hop ids reachable from the start of ``path`` passing only through hops whose verdict is in
    ``allowed``. A reached hop with another verdict is in the set but lets nothing through. A
    journey's start always lets it begin: a Pod that is not ready still sends its own traffic out.
    """
    graph = _graph(edges, path)
    starts = list(starts) if starts is not None else _starts(graph, hops)
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        hop_id = todo.pop()
        if hop_id in seen:
            continue
        seen.add(hop_id)
        hop = hops.get(hop_id)
        if hop_id in starts or hop is None or hop.verdict in allowed:
            todo.extend(graph.get(hop_id, ()))
    return seen


def path_verdict(hops: dict[str, Hop], edges: Sequence[Edge], path: Path = Path.REQUEST) -> Verdict:
    """The verdict of one journey (request, in-cluster or egress) over the hops it reaches.

    A request needs one branch that gets through; on the way out each Pod makes its own way,
    so there the worst of the Pods decides.
    """
    on_path = _on_path(edges, path)
    if not on_path:
        return Verdict.UNKNOWN
    terminals = [h for h in hops.values() if h.id in on_path and h.kind in TERMINAL_KINDS[path]]
    starts = _starts(_graph(edges, path), hops)
    groups = [[start] for start in starts] if path is Path.EGRESS else [starts]
    return worst_verdict(_verdict_from(hops, edges, path, group, terminals) for group in groups)


def _verdict_from(
    hops: dict[str, Hop], edges: Sequence[Edge], path: Path, starts: list[str], terminals: list[Hop]
) -> Verdict:
    for allowed, verdict in LADDER:
        seen = reached(hops, edges, path, allowed, starts)
        if any(t.id in seen and t.verdict in allowed for t in terminals):
            return verdict
    maybe = reached(hops, edges, path, MAYBE, starts)
    graph = _graph(edges, path)
    if any(hops[h].verdict is Verdict.UNKNOWN and not graph.get(h) for h in maybe if h in hops):
        return Verdict.UNKNOWN  # a branch ends where nothing is known: it may get through
    if any(hops[h].verdict is Verdict.BLOCKED for h in maybe if h in hops and h not in starts):
        return Verdict.BLOCKED
    return Verdict.UNKNOWN


def mark_not_reached(hops: dict[str, Hop], edges: Sequence[Edge]) -> dict[str, Hop]:
    """``hops`` with every passable hop that no passable branch reaches marked "not reached".

    A hop on several journeys (a Pod on the request and the in-cluster path) is not reached
    only when none of them reaches it. Blocked and unknown hops keep their verdict: they say
    something of their own.
    """
    paths = {edge.path for edge in edges}
    # a journey's start is where traffic begins, not where it arrives: it cannot be "reached"
    on = {path: _on_path(edges, path) - set(_starts(_graph(edges, path), hops)) for path in paths}
    seen = {path: reached(hops, edges, path, MAYBE) for path in paths}

    def cut_off(hop_id: str) -> bool:
        journeys = [path for path in paths if hop_id in on[path]]
        return bool(journeys) and all(hop_id not in seen[path] for path in journeys)

    return {
        hop_id: replace(hop, verdict=Verdict.NOT_REACHED)
        if hop.verdict in PASSABLE and cut_off(hop_id)
        else hop
        for hop_id, hop in hops.items()
    }


def _on_path(edges: Iterable[Edge], path: Path) -> set[str]:
    return {end for edge in edges if edge.path is path for end in (edge.src, edge.dst)}


def on_route(hops: dict[str, Hop], edges: Sequence[Edge], path: Path = Path.REQUEST) -> set[str]:
    """Hop ids on some way from the start of ``path`` to one of its terminal hops, whatever their
    verdicts: the hops a request could take, without side branches that lead nowhere (a listener
    on another port)."""
    graph = _graph(edges, path)
    forward = reached(hops, edges, path, frozenset(Verdict))
    back: dict[str, list[str]] = {}
    for src, dsts in graph.items():
        for dst in dsts:
            back.setdefault(dst, []).append(src)
    todo = [h for h in forward if h in hops and hops[h].kind in TERMINAL_KINDS[path]]
    behind: set[str] = set()
    while todo:
        hop_id = todo.pop()
        if hop_id not in behind:
            behind.add(hop_id)
            todo.extend(back.get(hop_id, ()))
    return forward & behind


def passes(hops: dict[str, Hop], edges: Sequence[Edge], group: set[str], path: Path = Path.REQUEST) -> bool:
    """Whether a request that reaches ``group`` (a column of a map: a load balancer and its
    listeners, the backends, nodes and controllers) gets out of it: some passable hop of the
    group, reached by passable hops, leads on to a hop outside it, or is where the path ends."""
    seen = reached(hops, edges, path, PASSABLE)
    passable = {h for h in group if h in seen and h in hops and hops[h].verdict in PASSABLE}
    if any(e.path is path and e.src in passable and e.dst not in group for e in edges):
        return True
    return any(hops[h].kind in TERMINAL_KINDS[path] for h in passable)
