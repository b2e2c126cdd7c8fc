"""How results display in a notebook: ``HtmlPresenter``, which ``ackwb.render`` registers on
``ackwb.model.Presentable``.

It only dispatches: a trace or a step result to ``ackwb.render.html``, a diff to
``ackwb.render.diffview``, a sweep to ``ackwb.render.sweep_html``. It lives apart from them so
that none imports another. ``ackwb.diff`` and ``ackwb.sweep`` are imported only when displayed.
"""

from __future__ import annotations

import html
from typing import Any

from ackwb.model import StepResult, Trace
from ackwb.render.diagram import Diagram
from ackwb.render.html import diagram_of, step_html, trace_html


class HtmlPresenter:
    """Renders any ``Presentable`` (a step result, a trace, a diff) as HTML and as a Diagram."""

    def html(self, item: Any) -> str:
        if isinstance(item, Trace):
            return trace_html(item)
        if isinstance(item, StepResult):
            return step_html(item)
        if _is_diff(item):
            from ackwb.render.diffview import diff_html

            return diff_html(item)
        if _is_sweep(item):
            from ackwb.render.sweep_html import sweep_body

            return sweep_body(item)
        return f"<pre>{html.escape(repr(item))}</pre>"

    def diagram(self, item: Any) -> Diagram:
        if _is_diff(item):
            from ackwb.render.diffview import diff_diagram

            return diff_diagram(item)
        if _is_sweep(item):
            from ackwb.render.clustermap import ClusterMap

            return ClusterMap(item.traces, title=item.title).diagram()
        title = item.domain if isinstance(item, Trace) else getattr(item, "title", "")
        return diagram_of(item, title)


def _is_sweep(item: Any) -> bool:
    from ackwb.sweep import Sweep

    return isinstance(item, Sweep)


def _is_diff(item: Any) -> bool:
    from ackwb.diff import TraceDiff, WorldDiff

    return isinstance(item, (TraceDiff, WorldDiff))
