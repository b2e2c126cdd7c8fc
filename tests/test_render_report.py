"""export_report: papermill runs a (stand-in) notebook, nbconvert writes offline HTML with code hidden.

The real notebooks/report.ipynb is tested with the notebooks; here small stand-in notebooks
written into a temporary directory pin down the export itself: parameters arrive, code is
hidden, the diagram is inline SVG, nothing is loaded from the network, and a failing cell
becomes one line naming the error.
"""

from __future__ import annotations

import html.parser
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ackwb.errors import AckwbError, InputError
from ackwb.render.report import DEFAULT_NOTEBOOK, export_report

GOLDEN_DOT = Path(__file__).parent / "golden" / "article.dot"
CODE_MARKER = "CODE-MARKER-7f3a"
PARAMETERS = 'domain = "x"\nworld = None\nscenario = "healthy"\nclient_ip = None\nport = 80\npath = "/"'


def write_notebook(folder: Path, *cells: str, name: str = "standin.ipynb") -> Path:
    """A notebook: a heading, the parameters cell (tagged), then ``cells`` as code cells."""
    parameters = new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]})
    nb = new_notebook(
        cells=[new_markdown_cell("# Stand-in report"), parameters]
        + [new_code_cell(source) for source in cells]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = folder / name
    nbformat.write(nb, target)
    return target


def diagram_cell(dot_file: Path = GOLDEN_DOT) -> str:
    return (
        f"# {CODE_MARKER}\nfrom pathlib import Path\nfrom ackwb.render import Diagram\n"
        "print(f'report for {domain} world={world} scenario={scenario} client={client_ip} "
        "port={port} path={path}')\n"
        f"Diagram(Path({str(dot_file)!r}).read_text(encoding='utf-8'))"
    )


class Resources(html.parser.HTMLParser):
    """Every URL the page would fetch: script/img/iframe src, link href, CSS url(...) in style tags."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "embed", "source", "audio", "video") and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"] or "")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("report")
    notebook = write_notebook(folder, diagram_cell())
    output = export_report(
        "app1.qas.abc.com",
        folder / "out" / "report.html",
        scenario="acl",
        client_ip="198.51.100.77",
        port=443,
        path="/api",
        notebook=notebook,
    )
    assert output == folder / "out" / "report.html"
    return output.read_text(encoding="utf-8")


def test_parameters_reach_the_notebook(exported: str) -> None:
    expected = "report for app1.qas.abc.com world=None scenario=acl client=198.51.100.77 port=443 path=/api"
    assert expected in exported


def test_code_and_prompts_are_hidden(exported: str) -> None:
    assert CODE_MARKER not in exported
    for element in ('class="jp-InputPrompt', 'class="jp-OutputPrompt', 'class="highlight'):
        assert element not in exported
    assert "In&nbsp;[" not in exported and "Out[1]" not in exported


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_diagram_is_inline_svg(exported: str) -> None:
    parser = Resources()
    parser.feed(exported)
    assert "svg" in parser.tags
    assert "查看域名的 IP" in exported  # Chinese survives execution and export
    assert "Graphviz 'dot' not found" not in exported


def test_nothing_is_loaded_from_the_network(exported: str) -> None:
    parser = Resources()
    parser.feed(exported)
    remote = [u for u in parser.urls if u.startswith(("http:", "https:", "//"))]
    assert remote == []
    assert "cdnjs" not in exported and "unpkg.com" not in exported and "require.min.js" not in exported


def test_title_names_the_domain(exported: str) -> None:
    assert "<title>ackwb report: app1.qas.abc.com</title>" in exported


def test_failing_cell_becomes_one_line(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path, "x = 1", "raise ValueError('bad thing\\nsecond line')")
    with pytest.raises(AckwbError) as caught:
        export_report("app1.qas.abc.com", tmp_path / "r.html", notebook=notebook)
    message = str(caught.value)
    assert "ValueError: bad thing" in message and "standin.ipynb" in message
    assert "\n" not in message and "second line" not in message
    assert not isinstance(caught.value, InputError)
    assert not (tmp_path / "r.html").exists()


def test_input_error_in_the_notebook_stays_an_input_error(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path,
        "from ackwb.errors import InputError\nraise InputError('no Ingress rule for host nope.qas.abc.com')",
    )
    with pytest.raises(InputError, match="InputError: no Ingress rule for host nope.qas.abc.com"):
        export_report("nope.qas.abc.com", tmp_path / "r.html", notebook=notebook)


def test_missing_notebook_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "report.ipynb"
    with pytest.raises(InputError, match="report notebook not found: .*nowhere"):
        export_report("app1.qas.abc.com", tmp_path / "r.html", notebook=missing)


def test_default_notebook_is_beside_the_package() -> None:
    import ackwb

    expected = Path(ackwb.__file__).resolve().parent.parent / "notebooks" / "report.ipynb"
    assert expected == DEFAULT_NOTEBOOK
