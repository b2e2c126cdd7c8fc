"""The whole-path diagram fits a 1,280 px wide page, with text at least 9 px high.

A stand-in report is exported like ``ackwb report`` does and opened in headless Chromium at
1,280 px. It shows three whole-path diagrams: the demo trace of app1 (two backends, nodes
and controller Pods), app2 (two Pods as well) and a hand-made trace with eight backends and
six Pods (one blocked). Each diagram's box must not scroll sideways (its scrollWidth is no
more than its clientWidth), the page must not be wider than the window, and every text in
the SVG must be at least 9 px high as laid out (font size times the SVG's scale on screen,
and the height of its box).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from browser import in_ci, require_chromium
from browser_measure import DIAGRAM_BOXES, measure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ackwb.render.report import export_report

WIDTH = 1280
MIN_TEXT_PX = 9.0
PARAMETERS = 'domain = "x"\nworld = None\nscenario = "healthy"\nclient_ip = None\nport = 80\npath = "/"'
DEMO = "from ackwb import Workbook\nWorkbook.demo().trace({domain!r}).diagram()"
# A trace built by hand: 8 backends → 8 nodes → 8 controller Pods → Ingress → 6 Pods.
MANY = """
from ackwb.model import Client, Edge, Hop, Path, StepResult, Trace, Verdict
hops = [Hop("client", "client", "client (internet)"), Hop("lb", "lb", "big-lb\\n203.0.113.99"),
        Hop("l80", "listener", "listener TCP 80", details=(("acl", "off"),)),
        Hop("ing", "ingress", "Ingress big-ingress\\nbig.example.com/"),
        Hop("svc", "service", "Service big\\n192.168.7.7:8080", path=Path.IN_CLUSTER)]
edges = [Edge("client", "lb", "203.0.113.99"), Edge("lb", "l80", "port 80"),
         Edge("ing", "svc", "in-cluster", Path.IN_CLUSTER)]
for i in range(8):
    hops += [Hop(f"b{i}", "backend", f"backend 10.17.20.{i}:80\\neni eni-bp1exampleexample{i}",
                 verdict=Verdict.BLOCKED if i == 5 else Verdict.OK, details=(("health", "normal"),)),
             Hop(f"n{i}", "node", f"node cn-hangzhou.10.17.20.{i}\\n10.17.20.{i}"),
             Hop(f"c{i}", "controller", f"ingress-nginx\\nnginx-ingress-controller-5d8f7c9b6-x{i}")]
    edges += [Edge("l80", f"b{i}", "rsp-bp1example"), Edge(f"b{i}", f"n{i}", f"ENI eni-{i}"),
              Edge(f"n{i}", f"c{i}", "hostNetwork :80"), Edge(f"c{i}", "ing", "server big.example.com")]
for i in range(6):
    hops.append(Hop(f"p{i}", "pod", f"Pod big-7f9c8d6b5-{i}abcd\\n10.17.30.{i}:8080"))
    edges += [Edge("ing", f"p{i}", f"Lua balancer → 10.17.30.{i}:8080"),
              Edge("svc", f"p{i}", "rr", Path.IN_CLUSTER)]
step = StepResult(step="many", title="many", domain="big.example.com", hops=hops, edges=edges)
Trace(domain="big.example.com", client=Client(), world="hand-made", steps=[step]).diagram()
"""

# Every SVG text: its font size times the SVG's scale on screen, and its box's height.
TEXT_HEIGHTS = """
return [...document.querySelectorAll('.ackwb-diagram svg')].map(svg =>
  [...svg.querySelectorAll('text')].map(t => ({
    text: t.textContent,
    size: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
    height: t.getBoundingClientRect().height,
  })));
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dot") is None:
        if in_ci():
            pytest.fail(
                "Graphviz 'dot' is not installed but CI is set: install it (apt-get install graphviz)"
            )
        pytest.skip("Graphviz 'dot' is not installed: the report has no SVG")
    require_chromium()
    folder = tmp_path_factory.mktemp("fits")
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Whole-path diagrams"),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_code_cell(DEMO.format(domain="app1.qas.abc.com")),
            new_code_cell(DEMO.format(domain="app2.qas.abc.com")),
            new_code_cell(MANY),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = folder / "fits.ipynb"
    nbformat.write(nb, source)
    return export_report("app1.qas.abc.com", folder / "fits.html", notebook=source)


def test_three_whole_path_diagrams_are_folded(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert page.count('class="ackwb-diagram"') == 3
    for count in ("2 backends", "2 Pods", "8 backends", "8 controller Pods", "6 Pods", "7 ok · 1 blocked"):
        assert count in page, count


def test_whole_path_diagrams_do_not_scroll_sideways_at_1280_px(report: Path) -> None:
    boxes = measure(report, DIAGRAM_BOXES, width=WIDTH, height=900)
    assert len(boxes) == 3
    for box in boxes:
        assert box["scrollWidth"] <= box["clientWidth"], f"the diagram box scrolls sideways: {box}"
        assert box["svgWidth"] <= box["clientWidth"] + 1, box
        assert box["pageWidth"] <= box["windowWidth"], f"the page is wider than the window: {box}"


def test_text_in_the_whole_path_diagrams_is_at_least_9_px_high(report: Path) -> None:
    diagrams = measure(report, TEXT_HEIGHTS, width=WIDTH, height=900)
    assert len(diagrams) == 3
    for texts in diagrams:
        assert len(texts) > 20, "too few texts measured: the SVG was not laid out"
        smallest = min(texts, key=lambda t: t["size"])
        assert smallest["size"] >= MIN_TEXT_PX, f"text drawn at {smallest['size']:.1f} px: {smallest}"
        lowest = min(texts, key=lambda t: t["height"])
        assert lowest["height"] >= MIN_TEXT_PX, f"text box {lowest['height']:.1f} px high: {lowest}"
