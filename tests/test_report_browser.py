"""An exported report, opened in headless Chromium, shows the diagram: the screenshot is not blank there.

Two stand-in reports are exported the same way, one displaying the Diagram of the golden
article path and one without it; the region where the first draws its diagram must be
drawn in the path colours and be far from blank, and the same region of the second must
be blank. Reading the PNG needs Pillow (part of the test extra). Without chromium or Pillow
the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from browser import REQUEST_BLUE, bounding_box, in_ci, ink_ratio, require_chromium, require_pillow, screenshot
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ackwb.render.report import export_report

GOLDEN_DOT = Path(__file__).parent / "golden" / "article.dot"
WIDTH, HEIGHT = 1400, 1000
BLOCKED_RED = (0xC0, 0x39, 0x2B)
PARAMETERS = 'domain = "x"\nworld = None\nscenario = "healthy"\nclient_ip = None\nport = 80\npath = "/"'


def stand_in(folder: Path, with_diagram: bool) -> Path:
    diagram = f"from ackwb.render import Diagram\nDiagram(open({str(GOLDEN_DOT)!r}, encoding='utf-8').read())"
    shown = diagram if with_diagram else "None"
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Stand-in report"),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_code_cell("print(f'report for {domain}')"),
            new_code_cell(shown),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = folder / ("with.ipynb" if with_diagram else "without.ipynb")
    nbformat.write(nb, target)
    return target


def test_report_in_chromium_shows_the_diagram(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        if in_ci():
            pytest.fail(
                "Graphviz 'dot' is not installed but CI is set: install it (apt-get install graphviz)"
            )
        pytest.skip("Graphviz 'dot' is not installed: the report has no SVG to look at")
    require_chromium()
    pil = require_pillow()
    shots = {}
    for with_diagram in (True, False):
        page = export_report(
            "app1.qas.abc.com",
            tmp_path / f"report-{with_diagram}.html",
            notebook=stand_in(tmp_path, with_diagram),
        )
        png = screenshot(page, tmp_path / f"report-{with_diagram}.png", width=WIDTH, height=HEIGHT)
        shots[with_diagram] = pil.Image.open(png).convert("RGB")
    drawn, blank = shots[True], shots[False]
    assert drawn.size == blank.size

    box = bounding_box(drawn, REQUEST_BLUE)  # the request path's lines and boxes
    assert box is not None, "no request-path blue anywhere: the diagram was not drawn"
    left, top, right, bottom = box
    assert right - left > WIDTH // 3 and bottom - top > 100, f"diagram area too small: {box}"
    assert bounding_box(drawn, BLOCKED_RED) is not None, "the blocked ACL hop is not drawn in red"

    assert ink_ratio(drawn, box) > 0.04
    assert ink_ratio(blank, box) < 0.005
    assert bounding_box(blank, REQUEST_BLUE) is None
