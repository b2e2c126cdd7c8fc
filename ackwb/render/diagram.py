"""A path diagram that shows itself in a notebook, as SVG when Graphviz is installed.

Graphviz's ``dot`` program is a system package and may be missing (a fresh laptop, a
minimal CI image). The diagram must then still be useful and must never raise while a
notebook displays it: ``_repr_html_`` shows one clear message, the edges as a table and
the DOT text, which can be pasted into any Graphviz viewer. The ``graphviz`` Python
package is imported only when an SVG is actually drawn.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Sequence
from pathlib import Path as FilePath

from ackwb.errors import AckwbError, InputError
from ackwb.model import Edge
from ackwb.render.dot import unquote_id

MISSING_DOT_MESSAGE = (
    "Graphviz 'dot' not found; install it with `apt-get install graphviz` (or conda install graphviz). "
    "Showing the DOT text and the edge table instead."
)
CELL_STYLE = "text-align:left;padding:1px 8px"
# A wide diagram shrinks to the page width, but never below this share of its natural size
# (11 pt labels stay about 10 px); past that its box scrolls sideways. Printed, it fits the page.
MIN_SCALE = 0.7
PRINT_STYLE = "<style>@media print { .ackwb-diagram > svg { min-width: 0 !important; } }</style>"
_SVG_WIDTH = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"')
_EDGE_LINE = re.compile(r'^\s*"([^"]*)"\s*->\s*"([^"]*)"(?:\s*\[class="([^"]*)")?', re.MULTILINE)


class GraphvizMissing(AckwbError):
    """The ``dot`` executable is not on PATH."""

    def __init__(self) -> None:
        super().__init__(MISSING_DOT_MESSAGE)


def dot_available() -> bool:
    return shutil.which("dot") is not None


class Diagram:
    """DOT text plus, optionally, the edges it was drawn from (for the fallback table)."""

    def __init__(self, dot: str, edges: Sequence[Edge] = ()) -> None:
        self.dot = dot
        self.edges = list(edges)
        self._svg: str | None = None

    def __repr__(self) -> str:
        return f"Diagram({len(self.edge_rows())} edges; .dot for the DOT text, .svg() to draw)"

    def svg(self) -> str:
        """The drawing as an inline ``<svg>`` element (no XML prolog). Raises GraphvizMissing."""
        if self._svg is None:
            self._svg = _run_dot(self.dot)
        return self._svg

    def edge_rows(self) -> list[dict[str, str]]:
        """from / to / path / label per edge; read back from the DOT text when no edges were given."""
        if self.edges:
            return [{"from": e.src, "to": e.dst, "path": e.path.value, "label": e.label} for e in self.edges]
        return [
            {"from": unquote_id(src), "to": unquote_id(dst), "path": path or "", "label": ""}
            for src, dst, path in _EDGE_LINE.findall(self.dot)
        ]

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except AckwbError:
            return None  # the notebook then uses _repr_html_, which explains

    def _repr_html_(self) -> str:
        try:
            svg = self.svg()
        except AckwbError as error:
            return self.fallback_html(str(error))
        svg = svg.replace("<svg", f'<svg style="{svg_size_style(svg)}"', 1)
        return f'{PRINT_STYLE}<div class="ackwb-diagram" style="overflow-x:auto;max-width:100%">{svg}</div>'

    def html_page(self, title: str = "") -> str:
        """A standalone HTML page showing the diagram (for ``save("x.html")`` and browsers)."""
        heading = (
            f"<h1 style='font-family:sans-serif;font-size:18px'>{html.escape(title)}</h1>" if title else ""
        )
        return (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title or 'ackwb diagram')}</title></head>"
            f"<body style='margin:16px;background:white'>{heading}{self._repr_html_()}</body></html>\n"
        )

    def fallback_html(self, message: str = MISSING_DOT_MESSAGE) -> str:
        """What a notebook shows without Graphviz: the message, the edge table, the DOT text."""
        columns = ("from", "to", "path", "label")
        head = "".join(f"<th style='{CELL_STYLE}'>{name}</th>" for name in columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td style='{CELL_STYLE}'>{html.escape(row[c])}</td>" for c in columns)
            + "</tr>"
            for row in self.edge_rows()
        )
        return (
            '<div class="ackwb-diagram ackwb-diagram-fallback">'
            f'<p style="color:#8a6d3b;background:#fcf8e3;padding:6px 10px">{html.escape(message)}</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<pre>{html.escape(self.dot)}</pre></div>"
        )

    def save(self, path: str | FilePath) -> FilePath:
        """Write ``.svg`` (drawn by dot), ``.html`` (a page with it), ``.dot`` or ``.gv``; returns it."""
        target = FilePath(path)
        suffix = target.suffix.lower()
        if suffix == ".svg":
            target.write_text(self.svg(), encoding="utf-8")
        elif suffix in (".html", ".htm"):
            target.write_text(self.html_page(target.stem), encoding="utf-8")
        elif suffix in (".dot", ".gv"):
            target.write_text(self.dot, encoding="utf-8")
        else:
            raise InputError(
                f"cannot save a diagram as {target.name!r}: use a .svg, .html, .dot or .gv file name"
            )
        return target


def svg_size_style(svg: str) -> str:
    """Inline CSS for Graphviz's ``<svg>``: fit the page width, down to ``MIN_SCALE``, then scroll.

    JupyterLab's and nbconvert's CSS cap an SVG at the cell width (max-width: 100%), which makes
    a long path unreadably small, while a fixed natural width is cut off on the page's right.
    """
    match = _SVG_WIDTH.search(svg)
    if match is None:
        return "max-width:none"
    natural = float(match.group(1))
    return f"width:100%;height:auto;max-width:{natural:g}pt;min-width:{natural * MIN_SCALE:.0f}pt"


def _run_dot(dot: str) -> str:
    if not dot_available():
        raise GraphvizMissing()
    import graphviz  # imported on demand: tracing in a terminal never draws

    try:
        raw = graphviz.Source(dot).pipe(format="svg", encoding="utf-8", quiet=True)
    except graphviz.ExecutableNotFound as error:
        raise GraphvizMissing() from error
    except graphviz.CalledProcessError as error:
        stderr = error.stderr
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        first = next((line for line in str(stderr).splitlines() if line.strip()), "no message")
        raise AckwbError(f"Graphviz could not draw the diagram: {first.strip()}") from error
    start = raw.find("<svg")
    return raw[start:] if start >= 0 else raw
