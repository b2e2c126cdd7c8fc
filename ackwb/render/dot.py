"""Turn hops and edges into Graphviz DOT text that reads like the article's figure.

The output is deterministic: the same hops and edges, in any order, give the same text
byte for byte, so diagrams can be checked against golden files and diffs stay readable.
Hops are grouped into one cluster per layer, in the order of the path (client/DNS → load
balancer → node → ingress controller → Service → kube-proxy → Pod, then the egress path):
left to right for a step's diagram, top to bottom, as bands one under the other, for the
whole path (``rankdir="TB"``, with parallel branches folded by ``ackwb.render.fold``) so it
fits the width of a page. Each ``Path`` has its own colour. Labels are HTML-like labels with
every piece of text escaped, so names with ``<``, ``&`` or Chinese characters survive. Only
the standard library is used here; running ``dot`` is ``ackwb.render.diagram``'s job.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from ackwb.model import VERDICT_RANK, Edge, Hop, Path, Verdict
from ackwb.render.fold import FOLD_PREFIX

# Listed first: a family with CJK glyphs; the browser falls back to sans-serif without it.
FONT = "Noto Sans CJK SC,sans-serif"
DETAIL_MAX_CHARS = 64
LEGEND_ID = "ackwb:legend"
RANKDIRS = {"LR": "0.45", "TB": "0.3"}  # rankdir → ranksep (inches between ranks)

# Layer id, cluster title, hop kinds; in the left-to-right order of the path.
LAYERS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("client", "client / DNS", frozenset({"client", "dns", "record", "domain"})),
    ("lb", "load balancer", frozenset({"lb", "slb", "clb", "nlb", "listener", "acl", "server_group"})),
    ("gateway", "Gateway API", frozenset({"gateway", "httproute"})),  # what a Gateway on the LB asks for
    ("node", "node ENI / ECS", frozenset({"backend", "eni", "ecs", "instance", "node", "nodeport"})),
    ("ingress", "ingress controller", frozenset({"controller", "ingress", "server", "location", "upstream"})),
    ("service", "Service VIP", frozenset({"service", "clusterip", "endpoints", "endpointslice"})),
    ("proxy", "kube-proxy", frozenset({"ipvs", "kube_proxy", "kube-proxy", "iptables", "nftables"})),
    ("pod", "Pod", frozenset({"pod"})),
    ("egress", "egress: Pod → internet", frozenset({"route", "vswitch", "nat", "snat", "eip", "internet"})),
)
OTHER_LAYER = ("other", "other")
LAYER_ORDER = [layer_id for layer_id, _, _ in LAYERS] + [OTHER_LAYER[0]]
LAYER_TITLES = {layer_id: title for layer_id, title, _ in LAYERS} | {OTHER_LAYER[0]: OTHER_LAYER[1]}

# Line colour, box fill, line style per path.
PATH_STYLE: dict[Path, tuple[str, str, str]] = {
    Path.REQUEST: ("#1f3a93", "#eef2fb", "solid"),
    Path.IN_CLUSTER: ("#6b86a8", "#f2f5f9", "dashed"),
    Path.EGRESS: ("#d6336c", "#fdeef4", "solid"),
}
PATH_LEGEND = {
    Path.REQUEST: "request path",
    Path.IN_CLUSTER: "in-cluster path",
    Path.EGRESS: "egress path",
}
BLOCKED_STYLE = ("#c0392b", "#fde2e0")
UNKNOWN_STYLE = ("#8c8c8c", "#f2f2f2")
NOT_REACHED_STYLE = ("#b0b0b0", "#fafafa")
DEPENDS_STYLE = ("#b7791f", "#fff8e6")
SHAPES = {"acl": "note"}

# How a diff marks a hop or an edge: line colour, box fill, extra style, pen width, marker, legend.
HIGHLIGHT_STYLE: dict[str, tuple[str, str, str, str, str, str]] = {
    "changed": ("#e67e22", "#fff3e0", "bold", "3", "CHANGED", "orange bold box: changed"),
    "added": ("#2e8b57", "#e8f6ee", "", "2.5", "ADDED", "green box: added"),
    "removed": ("#7f8c8d", "#ffffff", "dashed", "1.5", "REMOVED", "dashed white box: removed"),
}
# Hops from an earlier step, drawn faded as context: alpha appended to the colours, grey text.
CONTEXT_ALPHA = "66"
CONTEXT_TEXT = "#8a8a8a"


@dataclass(frozen=True)
class _Look:
    """The attributes one node is drawn with."""

    line: str
    fill: str
    style: str
    penwidth: str
    markers: tuple[tuple[str, str], ...]  # (word, colour) rows under the label
    classes: str
    fontcolor: str = ""
    details: bool = True


def to_dot(
    hops: list[Hop],
    edges: list[Edge],
    title: str = "",
    *,
    context: Collection[str] = (),
    highlight: Mapping[str, str] | None = None,
    edge_highlight: Mapping[tuple[str, str], str] | None = None,
    rankdir: str = "LR",
) -> str:
    """DOT text for these hops and edges; input order does not matter.

    ``rankdir`` is ``LR`` (the path left to right, layers side by side: a step's diagram) or
    ``TB`` (top to bottom, layers as bands one under the other: the whole path, which must
    fit the width of a page).

    ``context`` names hops drawn faded, without details (an earlier step's hops a step's
    edges start from). ``highlight`` maps hop ids and ``edge_highlight`` (src, dst) pairs
    to a diff mark, a key of ``HIGHLIGHT_STYLE``: changed, added or removed.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"unknown rankdir {rankdir!r}; expected one of {sorted(RANKDIRS)}")
    highlight = highlight or {}
    edge_highlight = edge_highlight or {}
    for mark in [*highlight.values(), *edge_highlight.values()]:
        if mark not in HIGHLIGHT_STYLE:
            raise ValueError(f"unknown diff mark {mark!r}; expected one of {sorted(HIGHLIGHT_STYLE)}")
    by_id = _unique_hops(hops)
    unique_edges = sorted(set(edges), key=_edge_key)
    for edge in unique_edges:  # an edge may name a hop no step described: draw it, honestly grey
        for end in (edge.src, edge.dst):
            if end not in by_id:
                by_id[end] = Hop(
                    id=end,
                    kind="",
                    label=end,
                    path=edge.path,
                    verdict=Verdict.UNKNOWN,
                    details=(("note", "not traced"),),
                )

    lines = [
        "digraph ackwb {",
        f'  graph [rankdir={rankdir}, newrank=true, fontname="{FONT}", fontsize=16, labelloc=t, labeljust=l,'
        f' nodesep=0.3, ranksep={RANKDIRS[rankdir]}, bgcolor="white"'
        + (f", label={_html_label_text(title, bold=True)}" if title else "")
        + "];",
        f'  node [fontname="{FONT}", fontsize=11, shape=box, style="rounded,filled", margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
    ]
    layers: dict[str, list[Hop]] = {}
    for hop in by_id.values():
        layers.setdefault(layer_of(hop), []).append(hop)
    for layer_id in LAYER_ORDER:
        members = sorted(layers.get(layer_id, []), key=lambda h: h.id)
        if not members:
            continue
        colour = PATH_STYLE[Path.EGRESS][0] if layer_id == "egress" else "#b8c2cc"
        lines.append(f"  subgraph {_quote('cluster_' + layer_id)} {{")
        lines.append(
            f'    graph [label={_html_label_text(LAYER_TITLES[layer_id])}, style="rounded,dashed",'
            f' color="{colour}", fontcolor="#555555", fontsize=11];'
        )
        lines.extend(f"    {_node(hop, hop.id in context, highlight.get(hop.id, ''))}" for hop in members)
        lines.append("  }")
    lines.extend(f"  {_edge(edge, edge_highlight.get((edge.src, edge.dst), ''))}" for edge in unique_edges)
    marks = set(highlight.values()) | set(edge_highlight.values())
    faded = any(hop_id in by_id for hop_id in context)
    legend = _legend(by_id.values(), unique_edges, marks, faded)
    if legend:
        lines.append(f"  {legend}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def layer_of(hop: Hop) -> str:
    """The cluster a hop is drawn in; egress-path hops other than the Pod go to the egress layer."""
    kind = hop.kind.lower()
    if hop.path is Path.EGRESS and kind != "pod":
        return "egress"
    for layer_id, _, kinds in LAYERS:
        if kind in kinds:
            return layer_id
    return OTHER_LAYER[0]


def _unique_hops(hops: Iterable[Hop]) -> dict[str, Hop]:
    """One hop per id; if two disagree, the worst verdict wins, then the richer one (order-free)."""
    chosen: dict[str, Hop] = {}
    for hop in hops:
        current = chosen.get(hop.id)
        if current is None or _hop_weight(hop) > _hop_weight(current):
            chosen[hop.id] = hop
    return chosen


def _hop_weight(hop: Hop) -> tuple[int, int, str]:
    return (VERDICT_RANK[hop.verdict], len(hop.details), repr(hop))


def _edge_key(edge: Edge) -> tuple[str, str, str, str]:
    return (edge.src, edge.dst, edge.path.value, edge.label)


def _node(hop: Hop, faded: bool = False, mark: str = "") -> str:
    look = _look(hop, faded, mark)
    shape = SHAPES.get(hop.kind.lower(), "box")
    style = look.style if shape == "box" else look.style.replace("rounded,", "")
    attrs = [
        f"id={_quote('hop-' + hop.id)}",
        f"class={_quote(look.classes)}",
        f"label={_hop_label(hop, look.markers, look.details)}",
        f"shape={shape}",
        f'style="{style}"',
        f'color="{look.line}"',
        f'fillcolor="{look.fill}"',
        f"penwidth={look.penwidth}",
    ]
    if look.fontcolor:
        attrs.append(f'fontcolor="{look.fontcolor}"')
    return f"{_quote(hop.id)} [{', '.join(attrs)}];"


def _look(hop: Hop, faded: bool, mark: str) -> _Look:
    """Colours by path, overridden by the verdict, then by a diff mark; faded for context hops."""
    line_colour, fill, _ = PATH_STYLE[hop.path]
    style, penwidth, markers = "rounded,filled", "1.2", []
    if hop.verdict is Verdict.BLOCKED:
        (line_colour, fill), penwidth = BLOCKED_STYLE, "2.5"
        markers.append(("BLOCKED", line_colour))
    elif hop.verdict is Verdict.UNKNOWN:
        (line_colour, fill), style = UNKNOWN_STYLE, "rounded,filled,dashed"
        markers.append(("UNKNOWN", line_colour))
    elif hop.verdict is Verdict.NOT_REACHED:
        (line_colour, fill), style = NOT_REACHED_STYLE, "rounded,filled,dotted"
        markers.append(("NOT REACHED", line_colour))
    elif hop.verdict is Verdict.DEPENDS:
        line_colour, fill = DEPENDS_STYLE
        markers.append(("DEPENDS ON THE CLIENT", line_colour))
    classes = hop.path.value + " " + hop.verdict.name.lower().replace("_", "-")
    if hop.id.startswith(FOLD_PREFIX):
        classes += " folded"
    if mark:
        line_colour, fill, extra, penwidth, word, _ = HIGHLIGHT_STYLE[mark]
        if extra and extra not in style.split(","):
            style += "," + extra
        markers.append((word, line_colour))
        classes += " " + mark
    if faded:
        markers = [(word, colour + CONTEXT_ALPHA) for word, colour in markers]
        return _Look(
            line_colour + CONTEXT_ALPHA,
            fill + CONTEXT_ALPHA,
            style,
            "1",
            tuple(markers),
            classes + " context",
            fontcolor=CONTEXT_TEXT,
            details=False,
        )
    return _Look(line_colour, fill, style, penwidth, tuple(markers), classes)


def _hop_label(hop: Hop, markers: Iterable[tuple[str, str]], details: bool = True) -> str:
    rows = []
    if hop.kind:
        rows.append(_cell(_escape(hop.kind.upper()), size=8, colour="#666666"))
    rows.extend(_cell(f"<B>{_escape(line)}</B>") for line in (hop.label or hop.id).splitlines() or [""])
    for key, value in hop.details if details else ():
        for number, part in enumerate(str(value).splitlines() or [""]):
            text = (f"{key}: {part}" if key else part) if number == 0 else f"  {part}"
            rows.append(_cell(_escape(_shorten(text)), size=9))
    rows.extend(_cell(f"<B>{word}</B>", size=9, colour=colour) for word, colour in markers)
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def _cell(content: str, size: int | None = None, colour: str | None = None) -> str:
    if size or colour:
        font = "<FONT" + (f' POINT-SIZE="{size}"' if size else "") + (f' COLOR="{colour}"' if colour else "")
        content = f"{font}>{content}</FONT>"
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{content}</TD></TR>'


def _edge(edge: Edge, mark: str = "") -> str:
    colour, _, style = PATH_STYLE[edge.path]
    penwidth = "1.4" if edge.path is Path.IN_CLUSTER else "2"
    label = edge.label or ("in-cluster path" if edge.path is Path.IN_CLUSTER else "")
    classes = edge.path.value
    if mark:
        colour, _, extra, penwidth, _, _ = HIGHLIGHT_STYLE[mark]
        style = "dashed" if mark == "removed" else ("bold" if extra == "bold" else style)
        classes += " " + mark
    attrs = [
        f"class={_quote(classes)}",
        f'color="{colour}"',
        f'fontcolor="{colour}"',
        f"style={style}",
        f"penwidth={penwidth}",
    ]
    if label:
        attrs.append(f"label={_html_label_text(label)}")
    return f"{_quote(edge.src)} -> {_quote(edge.dst)} [{', '.join(attrs)}];"


def _legend(hops: Iterable[Hop], edges: list[Edge], marks: Collection[str] = (), faded: bool = False) -> str:
    """A small key: which colour is which path, what red and grey boxes mean, and any diff marks."""
    paths = {e.path for e in edges} | {h.path for h in hops}
    verdicts = {h.verdict for h in hops}
    if not edges:
        return ""
    rows = []
    for path in Path:
        if path in paths:
            colour, _, style = PATH_STYLE[path]
            stroke = "┅┅┅" if style == "dashed" else "━━━"
            rows.append(_cell(f"{stroke} {PATH_LEGEND[path]}", size=9, colour=colour))
    if Verdict.BLOCKED in verdicts:
        rows.append(_cell("red box: traffic blocked here", size=9, colour=BLOCKED_STYLE[0]))
    if Verdict.UNKNOWN in verdicts:
        rows.append(_cell("grey dashed box: could not be checked", size=9, colour=UNKNOWN_STYLE[0]))
    if Verdict.NOT_REACHED in verdicts:
        text = "dotted box: not reached (after a blocked hop)"
        rows.append(_cell(text, size=9, colour=NOT_REACHED_STYLE[0]))
    if Verdict.DEPENDS in verdicts:
        rows.append(_cell("amber box: depends on the client's address", size=9, colour=DEPENDS_STYLE[0]))
    if faded:
        rows.append(_cell("faded box: from an earlier step", size=9, colour=CONTEXT_TEXT))
    for mark, (colour, _, _, _, _, text) in HIGHLIGHT_STYLE.items():
        if mark in marks:
            rows.append(_cell(text, size=9, colour=colour))
    table = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"
    return f'{_quote(LEGEND_ID)} [label={table}, shape=plain, style="", id={_quote(LEGEND_ID)}];'


def _html_label_text(text: str, bold: bool = False) -> str:
    inner = '<BR ALIGN="LEFT"/>'.join(_escape(part) for part in (text.splitlines() or [""]))
    return f"<<B>{inner}</B>>" if bold else f"<{inner}>"


def _escape(text: str) -> str:
    """Text safe inside a Graphviz HTML-like label: XML-escaped, control characters dropped."""
    cleaned = "".join(
        " " if ch == "\t" else ch for ch in text if ch == "\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return html.escape(cleaned, quote=True)


def _shorten(text: str) -> str:
    return text if len(text) <= DETAIL_MAX_CHARS else text[: DETAIL_MAX_CHARS - 1] + "…"


def _quote(identifier: str) -> str:
    """A DOT quoted string. ``%``, ``"``, backslash and line breaks are percent-encoded: the DOT
    lexer has no safe escape for a backslash before a quote, and distinct ids must stay distinct."""
    return '"' + identifier.translate(_ID_ESCAPES) + '"'


def unquote_id(quoted_body: str) -> str:
    """Inverse of the encoding ``_quote`` applies (without the surrounding quotes)."""
    return re.sub(r"%(25|22|5C|0A|0D)", lambda m: chr(int(m.group(1), 16)), quoted_body)


_ID_ESCAPES = str.maketrans({"%": "%25", '"': "%22", "\\": "%5C", "\n": "%0A", "\r": "%0D"})

# Public names for other diagram modules (the cluster map, diffs) that write their own DOT.
quote_id = _quote
escape_label = _escape
