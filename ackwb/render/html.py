"""HTML for step results and traces: what a notebook cell and the exported report show.

A step result displays as its title, its table, its diagram and its findings; a trace
adds a summary on top (which way the request really goes, and the egress IP beside the
ingress IP). Everything is plain HTML with inline styles, so it survives JupyterLab,
nbconvert and a browser with no network. All text from the model is escaped here.
``HtmlPresenter`` is what ``ackwb.render`` registers on ``ackwb.model.Presentable``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from ackwb.model import Finding, Hop, Path, Severity, StepResult, Trace, Verdict
from ackwb.render.diagram import Diagram
from ackwb.render.dot import to_dot
from ackwb.render.fold import fold_parallel
from ackwb.steps.door_name import reach_sentence

SEVERITY_COLOURS = {Severity.INFO: "#2c6fbb", Severity.WARNING: "#b7791f", Severity.ERROR: "#c0392b"}
VERDICT_COLOURS = {
    Verdict.OK: "#2e7d32",
    Verdict.BLOCKED: "#c0392b",
    Verdict.UNKNOWN: "#757575",
    Verdict.NOT_REACHED: "#9e9e9e",
    Verdict.DEPENDS: "#b7791f",
}
EXCERPT_MAX_CHARS = 400
CELL_STYLE = "text-align:left;padding:1px 8px"
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IP_DETAIL_KEYS = ("ip", "address", "ip address", "public ip", "eip")


def step_html(result: StepResult, *, heading: bool = True) -> str:
    """Title, table, diagram and findings of one step; ``heading=False`` leaves the title to the page
    (the report's own section heading names the step)."""
    parts = ([f"<h3>{_esc(result.title)}</h3>"] if heading else []) + [rows_html(result.rows)]
    if result.hops:
        parts.append(_untitled_diagram(result)._repr_html_())  # the heading above is its title
    parts.append(findings_html(result.findings))
    return _section(parts)


def trace_html(trace: Trace, *, findings: bool = True) -> str:
    """The whole path: how the cluster is built, summary, hop table, diagram, findings, packets
    (``findings=False``: a page that lists them in a section of its own, like the report)."""
    parts = [
        design_html(trace),
        trace_summary_html(trace),
        "<h4>Hops</h4>",
        rows_html(trace.rows),
        _untitled_diagram(trace)._repr_html_(),
    ]
    if findings:
        parts += ["<h4>Findings</h4>", findings_html(trace.findings)]
    parts.append(packets_html(trace))
    return _section(parts)


def design_html(trace: Trace) -> str:
    """How the cluster on this path is built: the record every trace reads first."""
    return f"<h4>{_esc(trace.design.summary())}</h4>" + rows_html(trace.design.rows)


def packets_html(trace: Trace) -> str:
    """The packet view: each hop's packet in and out, and what it rewrote."""
    if not trace.packets:
        return ""
    note = (
        "<p>Where the client's address is kept and where it is lost: a firewall rule, ACL or "
        "<code>allow</code> line must name the source address the hop sees.</p>"
    )
    return "<h4>Packet view</h4>" + note + rows_html(trace.packets)


def trace_summary_html(trace: Trace) -> str:
    """Where the request goes, whether it gets through, and which IPs face the internet."""
    request_hops = [h for h in trace.hops if h.path is Path.REQUEST]
    verdict = trace.verdict
    route = " → ".join(_esc(" / ".join(labels)) for labels in _labels_by_kind(request_hops)) or "(no hops)"
    client = trace.client.ip or "any internet client"
    via_service = any(h.kind == "service" for h in request_hops)
    has_in_cluster = any(h.path is Path.IN_CLUSTER for h in trace.hops)
    door_way = reach_sentence(trace)  # an ALB or an L4 Service: not nginx's dynamic backends
    if door_way:
        how = _esc(door_way)
    elif via_service:
        how = (
            "The request passes the Service's ClusterIP and kube-proxy "
            '(the Ingress sets <code>service-upstream: "true"</code>).'
        )
    elif has_in_cluster:
        how = (
            "ingress-nginx sends the request straight to Pod IPs from its dynamic backends; "
            "the ClusterIP → kube-proxy hop is the in-cluster path (dashed): the way a client inside "
            "the cluster reaches the Service."
        )
    else:
        how = "No Service hop was traced."
    ingress_ip = _first_ip(request_hops, ("lb", "dns"))
    egress_ip = _first_ip(trace.hops, ("eip",))
    if ingress_ip and egress_ip:
        same = "the same address" if ingress_ip == egress_ip else "a different address"
        ip_note = f" ({same} from the one clients connect to)"
    else:
        ip_note = ""
    rows = [
        ("domain", _esc(trace.domain)),
        ("client", f"{_esc(client)} → port {trace.client.port}, path <code>{_esc(trace.client.path)}</code>"),
        ("world", _esc(trace.world)),
        ("request path", _badge(verdict.value, VERDICT_COLOURS[verdict]) + " " + route),
        ("how it reaches the Pod", how),
        ("ingress IP (clients connect to)", _esc(ingress_ip or "not found")),
        ("egress IP (Pods reach the internet as)", _esc(egress_ip or "not found") + ip_note),
    ]
    th = "<th style='text-align:left;vertical-align:top;padding-right:12px'>"
    body = "".join(
        f"<tr>{th}{name}</th><td style='text-align:left'>{value}</td></tr>" for name, value in rows
    )
    return f'<table class="ackwb-summary">{body}</table>'


def rows_html(rows: list[dict[str, Any]]) -> str:
    """A table from row dicts; columns in order of first appearance, every cell escaped."""
    if not rows:
        return "<p><em>(no rows)</em></p>"
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th style='{CELL_STYLE}'>{_esc(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='{CELL_STYLE}'>{_esc(cell_text(row.get(c)))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    return f'<table class="ackwb-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def cell_text(value: Any) -> str:
    """How one table value reads: empty for None, comma-joined for lists, .value for enums."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(cell_text(v) for v in value)
    return str(getattr(value, "value", value))


def findings_html(findings: Iterable[Finding]) -> str:
    """Severity-coloured list: code, hop, message, evidence excerpts and the command to check by hand."""
    items = []
    for finding in findings:
        colour = SEVERITY_COLOURS[finding.severity]
        evidence = "".join(
            f"<li>{_esc(e.source)} · {_esc(e.locator)}: <code>{_esc(_excerpt(e.excerpt))}</code></li>"
            for e in finding.evidence
        )
        check = (
            (
                f"<div>check by hand: <pre style='display:inline-block;margin:2px 0'><code>"
                f"{_esc(finding.check)}</code></pre></div>"
            )
            if finding.check
            else ""
        )
        items.append(
            f'<li class="ackwb-finding ackwb-{finding.severity.value}" '
            f'style="border-left:4px solid {colour};padding:2px 8px;margin:4px 0;list-style:none">'
            f"{_badge(finding.severity.value, colour)} <code>{_esc(finding.code)}</code> "
            f"at <code>{_esc(finding.hop)}</code>: {_esc(finding.message)}"
            + (f"<ul>{evidence}</ul>" if evidence else "")
            + check
            + "</li>"
        )
    if not items:
        return "<p><em>No findings.</em></p>"
    return f'<ul class="ackwb-findings" style="padding-left:0">{"".join(items)}</ul>'


def _labels_by_kind(hops: Iterable[Hop]) -> list[list[str]]:
    """Hop labels grouped by kind, kinds in order of first appearance (two listeners read as one step)."""
    groups: dict[str, list[str]] = {}
    for hop in hops:
        groups.setdefault(hop.kind, []).append(" ".join((hop.label or hop.id).split()))
    return list(groups.values())


def _untitled_diagram(item: StepResult | Trace) -> Diagram:
    return diagram_of(item, "")


def diagram_of(item: StepResult | Trace, title: str) -> Diagram:
    """A trace's diagram, or a step's with the earlier hops its edges start from drawn faded."""
    if isinstance(item, Trace):  # the whole path: top to bottom, parallel branches folded to fit a page
        hops, edges = fold_parallel(item.hops, item.edges)
        return Diagram(to_dot(hops, edges, title, rankdir="TB"), edges=edges)
    context = context_hops(item)
    dot = to_dot(item.hops + context, item.edges, title, context={h.id for h in context})
    return Diagram(dot, edges=item.edges)


def context_hops(result: StepResult) -> list[Hop]:
    """Hops a step's edges name but the step does not describe, found in the earlier steps.

    Walks ``result.prev`` back; the nearest step that describes a hop wins (its latest
    version). Ends found nowhere are left out: the diagram draws them as not traced.
    """
    own = {hop.id for hop in result.hops}
    wanted = {end for edge in result.edges for end in (edge.src, edge.dst)} - own
    found: dict[str, Hop] = {}
    earlier = result.prev
    while earlier is not None and len(found) < len(wanted):
        for hop in earlier.hops:
            if hop.id in wanted and hop.id not in found:
                found[hop.id] = hop
        earlier = earlier.prev
    return sorted(found.values(), key=lambda hop: hop.id)


def _first_ip(hops: Iterable[Hop], kinds: tuple[str, ...]) -> str:
    """The first IP address on a hop of one of ``kinds`` (kinds tried in order).

    Looks at details named like an address first, then any IPv4 in details and label.
    """
    hops = list(hops)
    for kind in kinds:
        for hop in (h for h in hops if h.kind == kind):
            for key, value in hop.details:
                match = _IP.search(str(value))
                if match and key.lower() in _IP_DETAIL_KEYS:
                    return match.group(0)
            for text in [str(v) for _, v in hop.details] + [hop.label]:
                match = _IP.search(text)
                if match:
                    return match.group(0)
    return ""


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_MAX_CHARS else text[: EXCERPT_MAX_CHARS - 1] + "…"


def _badge(text: str, colour: str) -> str:
    return (
        f'<span style="background:{colour};color:white;border-radius:3px;padding:0 5px;'
        f'font-size:85%;font-weight:bold">{_esc(text.upper())}</span>'
    )


def _section(parts: list[str]) -> str:
    return '<div class="ackwb-result">' + "".join(parts) + "</div>"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:>=\"'])")


def markdown_text(value: Any) -> str:
    """``value`` as literal text inside Markdown (what notebooks pass to ``IPython.display.Markdown``).

    A name from a cluster or a world (a world folder, a host, a finding) must not become markup:
    HTML special characters become entities, Markdown punctuation is backslash-escaped (no
    emphasis, link, autolink or code span can start), and line breaks become spaces so that no
    new block (a heading, a raw HTML block) can begin."""
    text = " ".join(str(value).split())
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))
