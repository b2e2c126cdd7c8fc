"""A wide diagram in an exported report is never cut off: it shrinks to the page, then its box scrolls.

The inline CSS is checked directly; then a stand-in report displaying the demo path drawn
left to right with every hop unfolded (several thousand pixels wide, as a diff draws it) is
exported like ``ackwb report`` does and opened in headless Chromium at two widths: on a wide
enough page the whole diagram fits; on a normal page it keeps at least ``MIN_SCALE`` of its
size, its own box scrolls (not the page), and once scrolled the right end of the path (the
pink egress hops) is on screen.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from browser import bounding_box, in_ci, require_chromium, require_pillow, screenshot
from browser_measure import DIAGRAM_BOXES, measure, with_script
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import ackwb.render  # noqa: F401
from ackwb.model import Path as HopPath
from ackwb.render.diagram import MIN_SCALE, Diagram, svg_size_style
from ackwb.render.dot import PATH_STYLE
from ackwb.render.report import export_report

# The demo path drawn left to right with every hop (as a diff draws it): several thousand px wide.
# A trace's own diagram is folded and top to bottom, and fits (tests/test_whole_path_fits.py).
UNFOLDED = (
    "from ackwb import Workbook\nfrom ackwb.render import Diagram, to_dot\n"
    "t = Workbook.demo().trace('app1.qas.abc.com')\nDiagram(to_dot(t.hops, t.edges))"
)
PARAMETERS = 'domain = "x"\nworld = None\nscenario = "healthy"\nclient_ip = None\nport = 80\npath = "/"'
LEGEND_WIDTH = 300  # px at the diagram's left that hold the legend
EGRESS_PINK = tuple(int(PATH_STYLE[HopPath.EGRESS][0][i : i + 2], 16) for i in (1, 3, 5))


def test_svg_style_fits_the_page_down_to_the_minimum_scale() -> None:
    style = svg_size_style('<svg width="1000pt" height="200pt" viewBox="0 0 1000 200">')
    assert "width:100%" in style and "height:auto" in style
    assert "max-width:1000pt" in style
    assert f"min-width:{1000 * MIN_SCALE:.0f}pt" in style


def test_svg_without_a_width_keeps_its_natural_size() -> None:
    assert svg_size_style("<svg viewBox='0 0 10 10'>") == "max-width:none"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_diagram_html_scrolls_its_own_box() -> None:
    page = Diagram("digraph { a -> b }")._repr_html_()
    assert re.search(r'<div class="ackwb-diagram" style="[^"]*overflow-x:auto', page)
    assert "@media print" in page, "a printed report shows the whole diagram"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dot") is None:
        if in_ci():
            pytest.fail(
                "Graphviz 'dot' is not installed but CI is set: install it (apt-get install graphviz)"
            )
        pytest.skip("Graphviz 'dot' is not installed: the report has no SVG")
    require_chromium()
    folder = tmp_path_factory.mktemp("wide")
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Wide diagram"),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_code_cell(UNFOLDED),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = folder / "wide.ipynb"
    nbformat.write(nb, source)
    return export_report("app1.qas.abc.com", folder / "wide.html", notebook=source)


@pytest.fixture(scope="module")
def normal_box(report: Path) -> dict:
    """The diagram box as laid out in a 1400 px wide window."""
    [box] = measure(report, DIAGRAM_BOXES, width=1400)
    return box


def test_on_a_wide_page_the_whole_diagram_fits(report: Path, normal_box: dict) -> None:
    natural = normal_box["naturalWidth"]
    width = int(natural * 0.9) + 200  # narrower than the diagram, wider than its minimum size
    [box] = measure(report, DIAGRAM_BOXES, width=width)
    assert box["svgWidth"] <= box["clientWidth"] + 1, box
    assert box["scrollWidth"] <= box["clientWidth"] + 1, f"the box still scrolls: {box}"
    assert box["svgWidth"] >= natural * MIN_SCALE - 1


def test_on_a_normal_page_the_box_scrolls_to_the_right_end(
    report: Path, normal_box: dict, tmp_path: Path
) -> None:
    pil = require_pillow()
    box = normal_box
    too_wide = box["naturalWidth"] * MIN_SCALE > box["clientWidth"]
    assert too_wide, "the unfolded demo path should be too wide to fit"
    assert abs(box["svgWidth"] - box["naturalWidth"] * MIN_SCALE) <= 2, box
    assert box["overflowX"] == "auto" and box["scrollWidth"] >= box["svgWidth"] - 1
    assert box["pageWidth"] <= box["windowWidth"], "the page itself must not be wider than the window"

    scrolled = tmp_path / "scrolled.html"
    script = "document.querySelectorAll('.ackwb-diagram').forEach(d => { d.scrollLeft = d.scrollWidth; });"
    scrolled.write_text(with_script(report.read_text(encoding="utf-8"), script), encoding="utf-8")
    unscrolled = screenshot(report, tmp_path / "start.png", width=1400, height=900)
    end = screenshot(scrolled, tmp_path / "end.png", width=1400, height=900)
    # Right of the legend (which names the egress path in pink at the diagram's left edge).
    region = (LEGEND_WIDTH, 0, 1400, 900)
    start_image = pil.Image.open(unscrolled).convert("RGB").crop(region)
    end_image = pil.Image.open(end).convert("RGB").crop(region)
    assert bounding_box(start_image, EGRESS_PINK) is None, "the egress end should start out of view"
    pink = bounding_box(end_image, EGRESS_PINK)
    assert pink is not None, "scrolled to the right, the egress hops are not on screen"
    assert pink[2] + LEGEND_WIDTH <= box["boxRight"] + 1 and pink[2] - pink[0] > 100
