"""Presentation: DOT diagrams, HTML for notebooks and reports, text for the terminal.

Importing this package registers ``HtmlPresenter`` on ``ackwb.model.Presentable``, so
step results and traces display as table + diagram + findings in a notebook. Nothing
heavy is imported here: Graphviz, papermill and nbconvert load only when used, and
``export_report`` lives in ``ackwb.render.report`` for that reason.
"""

from ackwb.model import Presentable
from ackwb.render.diagram import Diagram, GraphvizMissing, dot_available
from ackwb.render.dot import to_dot
from ackwb.render.html import markdown_text, step_html, trace_html, trace_summary_html
from ackwb.render.presenter import HtmlPresenter
from ackwb.render.text import findings_text, hop_table

Presentable.presenter = HtmlPresenter()
md = markdown_text  # the short name notebooks use: Markdown(f"World: **{md(wb.description)}**")

__all__ = [
    "Diagram",
    "GraphvizMissing",
    "HtmlPresenter",
    "dot_available",
    "findings_text",
    "hop_table",
    "markdown_text",
    "md",
    "step_html",
    "to_dot",
    "trace_html",
    "trace_summary_html",
]
