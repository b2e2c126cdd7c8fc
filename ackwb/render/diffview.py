"""How a diff between two worlds looks: a table of changes and a diagram with them highlighted.

The diagram is the path as it is now plus the hops that are gone: changed hops are drawn
orange and bold, added hops green, removed hops (and edges) dashed. Unchanged hops keep
their usual colours, so a blocked hop is still red. Used by the presenter for notebooks,
and by ``ackwb diff`` for the terminal (``diff_text`` needs neither pandas nor Graphviz).
"""

from __future__ import annotations

import html

from ackwb.diff import TraceDiff, WorldDiff
from ackwb.model import Edge, Hop
from ackwb.render.diagram import Diagram
from ackwb.render.dot import to_dot
from ackwb.render.text import hop_table

DIFF_COLUMNS = ("domain", "item", "id", "kind", "change", "before", "after")
# A hop marked differently by two domains' diffs keeps the strongest mark.
MARK_RANK = {"added": 1, "removed": 2, "changed": 3}


def diff_diagram(diff: TraceDiff | WorldDiff) -> Diagram:
    """One diagram of every changed domain: the current path, lost hops, changes highlighted."""
    diffs = [diff] if isinstance(diff, TraceDiff) else diff.changed
    hops: dict[str, Hop] = {}
    edges: dict[tuple[str, str], Edge] = {}
    marks: dict[str, str] = {}
    edge_marks: dict[tuple[str, str], str] = {}
    for one in diffs:
        for hop in one.before.hops:
            hops.setdefault(hop.id, hop)
        for hop in one.after.hops:  # the current version wins
            hops[hop.id] = hop
        for edge in [*one.before.edges, *one.after.edges]:
            edges[(edge.src, edge.dst)] = edge
        for hop_id, change in one.changed_hops.items():
            _mark(marks, hop_id, "changed" if change in ("verdict", "details") else change)
        for ends, change in one.edge_changes.items():
            _mark(edge_marks, ends, change)
    if isinstance(diff, TraceDiff):
        title = f"{diff.domain}: changes from {diff.before.world} to {diff.after.world}"
    else:
        title = f"changes from {diff.before} to {diff.after}"
    dot = to_dot(list(hops.values()), list(edges.values()), title, highlight=marks, edge_highlight=edge_marks)
    return Diagram(dot, edges=list(edges.values()))


def _mark(marks: dict, key: object, mark: str) -> None:
    if MARK_RANK[mark] > MARK_RANK.get(marks.get(key, ""), 0):
        marks[key] = mark


def diff_html(diff: TraceDiff | WorldDiff) -> str:
    """Heading, the table of changes and, when something changed, the highlighted diagram."""
    from ackwb.render.html import rows_html

    before, after = (
        (diff.before.world, diff.after.world) if isinstance(diff, TraceDiff) else (diff.before, diff.after)
    )
    parts = [f"<h4>{_esc(headline(diff))}</h4>", f"<p>before: {_esc(before)}<br>after: {_esc(after)}</p>"]
    if diff:
        parts.append(rows_html(diff.rows))
        parts.append(diff_diagram(diff)._repr_html_())
    return '<div class="ackwb-diff">' + "".join(parts) + "</div>"


def headline(diff: TraceDiff | WorldDiff) -> str:
    """A one-line count, e.g. "3 changes in 1 of 3 domains" or "no differences in 3 domains"."""
    diffs = [diff] if isinstance(diff, TraceDiff) else diff.diffs
    count = sum(len(d.rows) for d in diffs)
    changed = sum(1 for d in diffs if d)
    if not count:
        return f"no differences in {_plural(len(diffs), 'domain')}"
    return f"{_plural(count, 'change')} in {changed} of {_plural(len(diffs), 'domain')}"


def diff_text(diff: WorldDiff) -> str:
    """The terminal form: the worlds, one table of changes, and why each changed path now stops."""
    lines = [f"before: {diff.before}", f"after:  {diff.after}", ""]
    if not diff:
        lines.append(headline(diff))
        return "\n".join(lines)
    lines.append(hop_table(diff.rows, columns=DIFF_COLUMNS, max_width=70))
    for one in diff.changed:
        was, now = one.dead_ends
        if was != now:
            lines.append("")
            lines.append(f"{one.domain}: path " + (f"now stops: {now}" if now else "now gets through"))
    lines += ["", headline(diff)]
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
