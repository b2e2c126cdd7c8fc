"""The overview a sweep exports: one self-contained HTML page for the whole cluster.

Top to bottom: a summary line, the cluster map drawn from every path's trace (every host,
path and port), the verdict table (host, path, port, client, verdict, first finding, each row
coloured by its verdict and linked to its section), then one section per path that is not
ok, with that trace's diagram and findings. Diagrams are inline SVG (or the DOT fallback when
Graphviz is missing); every value from the cluster is escaped, and the page goes through the
same sanitizer as reports, so nothing in a world can run in a reader's browser.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ackwb.model import Verdict
from ackwb.render.clustermap import ClusterMap
from ackwb.render.html import VERDICT_COLOURS, diagram_of, findings_html
from ackwb.render.sanitize import sanitize_html

if TYPE_CHECKING:
    from ackwb.sweep import Sweep, Traced

CELL = "text-align:left;padding:2px 8px;border-bottom:1px solid #e5e5e5"
COLUMNS = ("host", "path", "port", "client", "front door", "verdict", "first finding")
PAGE_STYLE = (
    "body{font-family:'Noto Sans','DejaVu Sans',sans-serif;margin:16px;color:#222;background:white}"
    "h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:15px}"
    "table.ackwb-sweep{border-collapse:collapse;font-size:13px}"
    "section.ackwb-broken{border-top:2px solid #ddd;margin-top:20px}"
)


def anchor(traced: Traced) -> str:
    request = traced.request
    text = f"{request.host}-{request.port}-{request.path}"
    return "path-" + "".join(c if c.isalnum() else "-" for c in text)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def verdict_table(sweep: Sweep) -> str:
    head = "".join(f"<th style='{CELL}'>{_esc(c)}</th>" for c in COLUMNS)
    rows = []
    for traced in sweep.traced:
        row = traced.row()
        colour = VERDICT_COLOURS.get(traced.trace.verdict, "#222")
        cells = []
        for column in COLUMNS:
            text = _esc(row[column])
            if column == "host" and not traced.ok:
                text = f"<a href='#{anchor(traced)}'>{text}</a>"
            if column == "verdict":
                text = f"<b style='color:{colour}'>{text}</b>"
            cells.append(f"<td style='{CELL}'>{text}</td>")
        state = "ok" if traced.ok else "broken"
        rows.append(
            f"<tr class='ackwb-row ackwb-{state}' data-verdict='{_esc(row['verdict'])}'>{''.join(cells)}</tr>"
        )
    return f"<table class='ackwb-sweep'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def broken_section(traced: Traced) -> str:
    request, trace = traced.request, traced.trace
    title = f"{request.host} {request.path} port {request.port}: {trace.verdict.value}"
    diagram = diagram_of(trace, "")._repr_html_()
    return (
        f"<section class='ackwb-broken' id='{anchor(traced)}'><h3>{_esc(title)}</h3>"
        f"{diagram}<h4>Findings</h4>{findings_html(trace.findings)}</section>"
    )


def sweep_body(sweep: Sweep) -> str:
    """The overview without its page: for a notebook cell and for ``sweep_page``."""
    broken = sweep.broken
    counts = {v: sum(1 for t in sweep.traced if t.trace.verdict is v) for v in Verdict}
    summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    map_html = ClusterMap(sweep.traces, title="").diagram()._repr_html_() if sweep.traced else ""
    parts = [
        f"<p class='ackwb-summary'>{len(sweep.traced)} paths: {_esc(summary or 'none')}.</p>",
        "<h2>Cluster map (every host, path and port)</h2>",
        map_html,
        "<h2>Every path</h2>",
        verdict_table(sweep),
        f"<h2>Paths that are not ok ({len(broken)})</h2>",
        *(broken_section(t) for t in broken),
    ]
    if not broken:
        parts.append("<p><em>Every path gets through.</em></p>")
    return "<div class='ackwb-sweep-overview'>" + "".join(parts) + "</div>"


def sweep_page(sweep: Sweep) -> str:
    """The overview as one standalone HTML page (no script, no network)."""
    title = sweep.title or "ackwb sweep"
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{_esc(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{_esc(title)}</h1>{sweep_body(sweep)}</body></html>\n"
    )
    return sanitize_html(page)[0]
