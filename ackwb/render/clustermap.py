"""The cluster map: every domain → load balancer → Ingress → Service → Pods in one diagram.

For the onboarding overview: where each name lands, which Ingress and Service answer it,
and which Pods are behind them, grouped by namespace. It is drawn from the traces of the
world's domains (one per domain, through the Workbook), so every box carries the verdict
the trace gave it: blocked red, unknown grey. The DOT is deterministic (sorted ids) and
compact enough to stay readable for fifty domains: left to right, small boxes, one
cluster per namespace, parallel edges merged. Hops the map leaves out lend their verdict
to the box they belong with: a listener or ACL to its load balancer, a node or the
controller to the Ingress, kube-proxy to the Service; an error finding counts as blocked.
Each load balancer's box names the front door behind it (``door_name``): nginx, ALB, L4 Service.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ackwb.model import VERDICT_RANK, Hop, Trace, Verdict, rows_to_frame, worst_verdict
from ackwb.render.diagram import Diagram
from ackwb.render.dot import (
    BLOCKED_STYLE,
    DEPENDS_STYLE,
    FONT,
    NOT_REACHED_STYLE,
    UNKNOWN_STYLE,
    escape_label,
    layer_of,
    quote_id,
    unquote_id,
)
from ackwb.steps.door_name import front_door_name
from ackwb.verdicts import passes

if TYPE_CHECKING:
    import pandas

# The columns of the map, left to right: (hop kind, column title, line colour, fill).
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("dns", "domain", "#1f3a93", "#eef2fb"),
    ("lb", "load balancer", "#1f6f93", "#e8f4fa"),
    ("ingress", "Ingress", "#6a3d9a", "#f3eefa"),
    ("service", "Service", "#2e7d32", "#edf7ee"),
    ("pod", "Pod", "#8d6e00", "#fdf7e1"),
)
KINDS = [kind for kind, _, _, _ in COLUMNS]
STYLE = {kind: (line, fill) for kind, _, line, fill in COLUMNS}
NAMESPACED = ("ingress", "service", "pod")
# Which box each layer of the path diagram (ackwb.render.dot.LAYERS) lends its verdict to.
COLUMN_OF_LAYER = {
    "client": "dns",
    "lb": "lb",
    "node": "ingress",
    "ingress": "ingress",
    "service": "service",
    "proxy": "service",
    "pod": "pod",
}
NO_NAMESPACE = "(no namespace)"
FONT_SIZE = 10  # points: about 13 px on screen, since a map this compact is shown at full size
EDGE_COLOUR = "#7b8794"
_ADDRESS = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")


@dataclass(frozen=True)
class MapNode:
    id: str
    kind: str  # one of KINDS
    name: str
    address: str
    namespace: str
    verdict: Verdict
    doors: tuple[str, ...] = ()  # a load balancer's box: the front doors its paths go through


class ClusterMap:
    """The map of a world's domains, from their traces (one per domain, or one per host, path and
    port, as ``Workbook.cluster_map`` makes them); shows as a diagram and a table."""

    def __init__(self, traces: Sequence[Trace], title: str = "") -> None:
        self.traces = sorted(traces, key=lambda t: (t.domain, t.client.port, t.client.path))
        self.title = title
        self.nodes: dict[str, MapNode] = {}
        self.edges: set[tuple[str, str]] = set()
        for trace in self.traces:
            self._add(trace)

    def __repr__(self) -> str:
        domains = len({t.domain for t in self.traces})
        return f"ClusterMap({domains} domains, {len(self.traces)} paths, {len(self.nodes)} boxes)"

    def _add(self, trace: Trace) -> None:
        verdicts = column_verdicts(trace)
        columns: list[list[MapNode]] = []
        for kind in KINDS:
            hops = [h for h in trace.hops if h.kind == kind]
            if kind == "dns" and not hops:  # the name did not even resolve: still a box
                hops = [Hop(id=f"dns:{trace.domain}", kind="dns", label=trace.domain)]
            nodes = []
            for hop in hops:
                verdict = verdicts.get(hop.id if kind == "pod" else kind, Verdict.OK)
                node = map_node(hop, trace.domain)
                if kind == "lb":  # the map shows on each path who answers behind the load balancer
                    node = replace(node, doors=(front_door_name(trace),))
                worst = worst_verdict([node.verdict, verdict])
                nodes.append(self._merge(replace(node, verdict=worst)))
            if nodes:
                columns.append(nodes)
        for left, right in zip(columns, columns[1:], strict=False):
            self.edges.update((a.id, b.id) for a in left for b in right)

    def _merge(self, node: MapNode) -> MapNode:
        """A box seen by several traces (a shared load balancer) keeps the worst verdict, and every door."""
        known = self.nodes.get(node.id)
        if known is not None:
            node = replace(node, doors=tuple(sorted({*known.doors, *node.doors})))
        if known is None or VERDICT_RANK[node.verdict] > VERDICT_RANK[known.verdict]:
            self.nodes[node.id] = node
        else:
            self.nodes[node.id] = replace(known, doors=node.doors)
        return self.nodes[node.id]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per path traced (domain, port, path): where it lands, and the trace's verdict."""
        rows = []
        for trace in self.traces:
            names = {
                kind: [map_node(h, trace.domain) for h in trace.hops if h.kind == kind] for kind in KINDS
            }
            rows.append(
                {
                    "domain": trace.domain,
                    "port": trace.client.port,
                    "path": trace.client.path,
                    "load balancer": ", ".join(f"{n.name} {n.address}".strip() for n in names["lb"]),
                    "front door": front_door_name(trace),
                    "ingress": ", ".join(f"{n.namespace}/{n.name}" for n in names["ingress"]),
                    "service": ", ".join(f"{n.namespace}/{n.name}" for n in names["service"]),
                    "pods": len(names["pod"]),
                    "verdict": trace.verdict.value,
                }
            )
        return rows

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)

    @property
    def dot(self) -> str:
        return map_dot(self.nodes.values(), self.edges, self.title)

    def diagram(self) -> Diagram:
        return Diagram(self.dot)

    def _repr_html_(self) -> str:
        from ackwb.render.html import rows_html

        return self.diagram()._repr_html_() + rows_html(self.rows)


def column_verdicts(trace: Trace) -> dict[str, Verdict]:
    """The verdict each column's hops give it (pods: per Pod hop id), as the trace settled them.

    A column the request gets through is ok (one healthy backend of two is enough; "depends on
    the client" when a hop of it depends on the client's address); one it does not get out of
    takes the worst verdict of its hops: the box where the request stops is blocked, the boxes
    behind it are not reached.
    """
    hops = {hop.id: hop for hop in trace.hops}
    found: dict[str, list[Hop]] = {}
    for hop in hops.values():
        column = COLUMN_OF_LAYER.get(layer_of(hop))
        if column is not None:
            found.setdefault(hop.id if column == "pod" else column, []).append(hop)
    verdicts = {}
    for key, members in found.items():
        if passes(hops, trace.edges, {h.id for h in members}):
            depends = any(h.verdict is Verdict.DEPENDS for h in members)
            verdicts[key] = Verdict.DEPENDS if depends else Verdict.OK
        else:
            verdicts[key] = worst_verdict(h.verdict for h in members)
    if trace.domain and "dns" not in verdicts:
        verdicts["dns"] = Verdict.UNKNOWN
    return verdicts


def map_node(hop: Hop, domain: str = "") -> MapNode:
    """A compact box for a hop: its name, its address, its namespace."""
    if hop.kind == "dns":
        name = domain or hop.id.removeprefix("dns:")
        return MapNode(f"dns:{name}", "dns", name, "", "", hop.verdict)
    tokens = hop.label.split()
    address = next((t for t in tokens if _ADDRESS.match(t)), "")
    tail = hop.id.split(":", 1)[-1]
    namespace, _, id_name = tail.rpartition("/") if "/" in tail else ("", "", tail)
    namespace = dict(hop.details).get("namespace", namespace)
    named = [t for t in tokens if t.lower() != hop.kind.lower() and not _ADDRESS.match(t)]
    name = id_name if hop.kind in NAMESPACED or not named else named[0]
    if hop.id.startswith("alb-rule:"):  # an ALB's rule is no namespaced object: its name and priority
        name = hop.label.splitlines()[0].removeprefix("ALB rule ").strip() or name
    return MapNode(hop.id, hop.kind, name, address, namespace or NO_NAMESPACE, hop.verdict)


def map_dot(nodes: Iterable[MapNode], edges: Iterable[tuple[str, str]], title: str = "") -> str:
    """DOT text of the map; the same nodes and edges in any order give the same text."""
    nodes = sorted(nodes, key=lambda n: (KINDS.index(n.kind), n.id))
    lines = [
        "digraph ackwb_map {",
        f'  graph [rankdir=LR, concentrate=true, newrank=true, fontname="{FONT}", fontsize=14,'
        ' labelloc=t, labeljust=l, nodesep=0.06, ranksep=0.5, bgcolor="white"'
        + (f", label=<<B>{escape_label(title)}</B>>" if title else "")
        + "];",
        f'  node [fontname="{FONT}", fontsize={FONT_SIZE}, shape=box, style="rounded,filled",'
        ' margin="0.08,0.04", height=0.25];',
        f'  edge [color="{EDGE_COLOUR}", arrowsize=0.5, penwidth=1];',
    ]
    outside = [n for n in nodes if n.kind not in NAMESPACED]
    for kind, title_text, _, _ in COLUMNS[:2]:
        members = [n for n in outside if n.kind == kind]
        if members:
            lines += _cluster(f"cluster_{kind}", title_text, members, "#b8c2cc")
    namespaces = sorted({n.namespace for n in nodes if n.kind in NAMESPACED})
    for namespace in namespaces:
        members = [n for n in nodes if n.kind in NAMESPACED and n.namespace == namespace]
        lines += _cluster(f"cluster_ns_{namespace}", f"namespace {namespace}", members, "#8fa3b8")
    by_id = {n.id: n for n in nodes}
    for src, dst in sorted(edges):
        blocked = dst in by_id and by_id[dst].verdict is Verdict.BLOCKED
        colour = f' [color="{BLOCKED_STYLE[0]}"]' if blocked else ""
        lines.append(f"  {quote_id(src)} -> {quote_id(dst)}{colour};")
    legend = _legend({n.verdict for n in nodes})
    if legend:
        lines.append(f"  {legend}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster(cluster_id: str, title: str, members: list[MapNode], colour: str) -> list[str]:
    lines = [
        f"  subgraph {quote_id(cluster_id)} {{",
        f'    graph [label=<{escape_label(title)}>, style="rounded,dashed", color="{colour}",'
        ' fontcolor="#444444", fontsize=12, margin=6];',
    ]
    lines += [f"    {_node(n)}" for n in members]
    lines.append("  }")
    return lines


def _node(node: MapNode) -> str:
    line, fill = STYLE[node.kind]
    style, penwidth = "rounded,filled", "1"
    if node.verdict is Verdict.BLOCKED:
        (line, fill), penwidth = BLOCKED_STYLE, "2"
    elif node.verdict is Verdict.UNKNOWN:
        (line, fill), style = UNKNOWN_STYLE, "rounded,filled,dashed"
    elif node.verdict is Verdict.NOT_REACHED:
        (line, fill), style = NOT_REACHED_STYLE, "rounded,filled,dotted"
    elif node.verdict is Verdict.DEPENDS:
        line, fill = DEPENDS_STYLE
    text = f"<B>{escape_label(node.name)}</B>"
    if node.address:
        text += f'<BR/><FONT COLOR="#555555">{escape_label(node.address)}</FONT>'
    if node.doors:
        text += f'<BR/><FONT COLOR="#555555">door: {escape_label(", ".join(node.doors))}</FONT>'
    attrs = [
        f"id={quote_id('map-' + node.id)}",
        f"class={quote_id(node.kind + ' ' + node.verdict.name.lower().replace('_', '-'))}",
        f"label=<{text}>",
        f'style="{style}"',
        f'color="{line}"',
        f'fillcolor="{fill}"',
        f"penwidth={penwidth}",
    ]
    return f"{quote_id(node.id)} [{', '.join(attrs)}];"


LEGEND = (
    (Verdict.BLOCKED, BLOCKED_STYLE[0], "red box: blocked"),
    (Verdict.UNKNOWN, UNKNOWN_STYLE[0], "grey dashed box: unknown"),
    (Verdict.NOT_REACHED, NOT_REACHED_STYLE[0], "dotted box: not reached"),
    (Verdict.DEPENDS, DEPENDS_STYLE[0], "amber box: depends on the client"),
)


def _legend(verdicts: set[Verdict]) -> str:
    rows = [
        f'<TR><TD ALIGN="LEFT"><FONT COLOR="{colour}">{text}</FONT></TD></TR>'
        for verdict, colour, text in LEGEND
        if verdict in verdicts
    ]
    if not rows:
        return ""
    table = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"
    return f'"ackwb:legend" [label={table}, shape=plain, style=""];'


def node_ids(dot: str) -> list[str]:
    """The ids of the boxes in map DOT text (for tests and tools)."""
    return [unquote_id(m) for m in re.findall(r'^\s{4}"([^"]*)" \[id=', dot, re.MULTILINE)]
