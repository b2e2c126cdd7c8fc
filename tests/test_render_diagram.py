"""Diagram: SVG through Graphviz when `dot` is installed, a clear fallback when it is not.

The fallback is tested by changing the environment (PATH without `dot`, or a `dot` that
fails), never by patching the graphviz package.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path as FilePath

import pytest

from ackwb.errors import AckwbError, InputError
from ackwb.model import Edge, Hop, Path
from ackwb.render.diagram import MISSING_DOT_MESSAGE, Diagram, GraphvizMissing, dot_available
from ackwb.render.dot import to_dot

GOLDEN = FilePath(__file__).parent / "golden"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")

HOPS = [
    Hop(id="lb:1", kind="lb", label="public-lb 公网", details=(("address", "203.0.113.10"),)),
    Hop(id="pod:1", kind="pod", label="app1 <pod>"),
    Hop(id="eip:1", kind="eip", label="EIP", path=Path.EGRESS),
]
EDGES = [Edge("lb:1", "pod:1", "via ENI"), Edge("pod:1", "eip:1", "SNAT", Path.EGRESS)]


def make_diagram(with_edges: bool = True) -> Diagram:
    return Diagram(to_dot(HOPS, EDGES, "demo"), edges=EDGES if with_edges else ())


@pytest.fixture
def no_dot_on_path(tmp_path: FilePath, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no executables at all
    assert not dot_available()


@needs_dot
def test_svg_is_inline_svg_with_the_labels() -> None:
    svg = make_diagram().svg()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert "public&#45;lb 公网" in svg or "public-lb 公网" in svg
    assert "app1 &lt;pod&gt;" in svg


@needs_dot
def test_notebook_reprs_show_the_svg() -> None:
    diagram = make_diagram()
    assert "<svg" in diagram._repr_html_()
    assert (diagram._repr_svg_() or "").startswith("<svg")
    assert MISSING_DOT_MESSAGE not in diagram._repr_html_()


@needs_dot
@pytest.mark.parametrize("name", ["d.svg", "d.dot", "d.gv"])
def test_save_by_suffix(tmp_path: FilePath, name: str) -> None:
    diagram = make_diagram()
    written = diagram.save(tmp_path / name)
    text = written.read_text(encoding="utf-8")
    assert text == (diagram.svg() if name.endswith(".svg") else diagram.dot)


@pytest.mark.parametrize("dot_installed", [True, False])
def test_save_html_is_a_page_with_the_diagram(
    tmp_path: FilePath, monkeypatch: pytest.MonkeyPatch, dot_installed: bool
) -> None:
    if dot_installed and not dot_available():
        pytest.skip("Graphviz 'dot' is not installed")
    if not dot_installed:
        monkeypatch.setenv("PATH", str(tmp_path))
    page = make_diagram().save(tmp_path / "map.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>map</title>" in page
    assert ("<svg" in page) is dot_installed
    assert (html.escape(MISSING_DOT_MESSAGE) in page) is not dot_installed


def test_save_refuses_unknown_suffix(tmp_path: FilePath) -> None:
    with pytest.raises(InputError, match="d.png"):
        make_diagram().save(tmp_path / "d.png")


@pytest.mark.usefixtures("no_dot_on_path")
@pytest.mark.parametrize("with_edges", [True, False])
def test_without_dot_html_shows_message_edges_and_dot_text(with_edges: bool) -> None:
    diagram = make_diagram(with_edges)
    page = diagram._repr_html_()  # must not raise
    bare = re.sub(r"<(td|th)[^>]*>", r"<\1>", page)  # cells without their style attributes
    assert page.count(html.escape(MISSING_DOT_MESSAGE)) == 1
    assert "apt-get install graphviz" in page
    assert "<svg" not in page
    assert "<pre>" in page and "digraph ackwb" in page
    for edge in EDGES:  # the edge table names both ends and the path of every edge
        assert f"<td>{edge.src}</td><td>{edge.dst}</td><td>{edge.path.value}</td>" in bare
    assert diagram._repr_svg_() is None
    with pytest.raises(GraphvizMissing):
        diagram.svg()


@pytest.mark.usefixtures("no_dot_on_path")
def test_without_dot_saving_dot_text_still_works(tmp_path: FilePath) -> None:
    assert make_diagram().save(tmp_path / "x.dot").read_text(encoding="utf-8").startswith("digraph")
    with pytest.raises(GraphvizMissing):
        make_diagram().save(tmp_path / "x.svg")


def test_a_failing_dot_becomes_a_message_not_an_exception(
    tmp_path: FilePath, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: something broke' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    diagram = make_diagram()
    with pytest.raises(AckwbError, match="something broke"):
        diagram.svg()
    page = diagram._repr_html_()
    assert "something broke" in page and "digraph ackwb" in page


def test_edge_rows_read_back_from_dot_text_decode_ids() -> None:
    hops = [Hop(id='a"b%', kind="pod", label="x"), Hop(id="c", kind="pod", label="y")]
    diagram = Diagram(to_dot(hops, [Edge('a"b%', "c", path=Path.IN_CLUSTER)]))
    assert diagram.edge_rows() == [{"from": 'a"b%', "to": "c", "path": "in-cluster", "label": ""}]


def test_golden_article_dot_reads_back_every_edge() -> None:
    text = (GOLDEN / "article.dot").read_text(encoding="utf-8")
    rows = Diagram(text).edge_rows()
    assert len(rows) == text.count(" -> ")
    assert {r["path"] for r in rows} == {"request", "in-cluster", "egress"}
