"""A report shows names from a world; none of them may become live HTML in the reader's browser.

Three lines of defence, each tested on its own:

1. world names are restricted: ``<img src=x onerror=alert(1)>`` as world.json ``name`` is refused;
2. notebooks escape every value they put into Markdown (``md(...)``), checked on their source;
3. the exported page is sanitised: a notebook that displays raw HTML with a script and event
   handlers still exports a page with neither.

End to end, a world kept in a folder named ``<img src=x onerror=alert(1)>`` (folder names are not
restricted) with a hostile Ingress and Service name is reported on; the page, parsed with
``html.parser``, has no script, no ``on*`` attribute and no element made from the data, while the
hostile text is shown as text.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from test_render_report import write_notebook

from ackwb.demo import demo_world_root
from ackwb.errors import InputError
from ackwb.render import md
from ackwb.render.report import export_report
from ackwb.render.sanitize import sanitize_html
from ackwb.sources.world import load_world

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_SERVICE = "<svg onload=alert(2)>"
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def assert_inert(page: str) -> Elements:
    parsed = parse(page)
    assert [tag for tag, _ in parsed.elements if tag in ("script", "iframe", "object", "embed")] == []
    handlers = [(tag, name) for tag, attrs in parsed.elements for name in attrs if name.startswith("on")]
    assert handlers == []
    scripted = [v for _, attrs in parsed.elements for v in attrs.values() if v and "javascript:" in v.lower()]
    assert scripted == []
    return parsed


def hostile_world(parent: Path, name: str = "hostile-world") -> Path:
    world = parent / HOSTILE
    shutil.copytree(str(demo_world_root()), world)
    meta = json.loads((world / "world.json").read_text(encoding="utf-8"))
    (world / "world.json").write_text(json.dumps({**meta, "name": name}), encoding="utf-8")
    ingresses = json.loads((world / "kube" / "ingresses.json").read_text(encoding="utf-8"))
    for item in ingresses["items"]:
        if item["spec"]["rules"][0]["host"] == "app1.qas.abc.com":
            item["metadata"]["name"] = "app1-ingress-" + HOSTILE
            item["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = HOSTILE_SERVICE
    (world / "kube" / "ingresses.json").write_text(json.dumps(ingresses), encoding="utf-8")
    for conf in world.glob("pods/*/*/nginx.conf"):  # the controller serves the renamed Ingress
        text = conf.read_text(encoding="utf-8")
        conf.write_text(text.replace('"app1-service-ingress"', f'"app1-ingress-{HOSTILE}"'), encoding="utf-8")
    return world


def test_a_hostile_world_name_is_refused(tmp_path: Path) -> None:
    world = hostile_world(tmp_path, name=HOSTILE)
    with pytest.raises(InputError, match="name .* is not allowed"):
        load_world(world)
    run = subprocess.run(
        [sys.executable, "-m", "ackwb.cli", "trace", "app1.qas.abc.com", "--world", str(world)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and "is not allowed" in run.stderr


def test_markdown_text_defuses_markup() -> None:
    shown = md(f"stored world 'x' from /tmp/{HOSTILE}\n# heading [a](javascript:x) `c` *e*")
    assert "<" not in shown and ">" not in shown and "\n" not in shown
    for markup in ("](", "`c`", "*e*", "(javascript:"):
        assert markup not in shown


def markdown_fstrings(source: str) -> list[ast.JoinedStr]:
    """f-strings a cell passes to Markdown(...), directly or through a variable."""
    tree = ast.parse(source)
    assigned = {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.JoinedStr)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Markdown" and node.args:
            arg = node.args[0]
            arg = assigned.get(arg.id, arg) if isinstance(arg, ast.Name) else arg
            if isinstance(arg, ast.JoinedStr):
                found.append(arg)
    return found


def test_notebooks_escape_every_value_they_put_into_markdown() -> None:
    checked = 0
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for fstring in markdown_fstrings(cell.source):
                for part in fstring.values:
                    if isinstance(part, ast.FormattedValue):
                        call = part.value
                        name = getattr(getattr(call, "func", None), "id", "")
                        assert name in ("md", "len"), f"{path.name}: {ast.unparse(part.value)} is not md(...)"
                        checked += 1
    assert checked >= 12


def test_the_exported_page_is_sanitised_even_when_a_cell_shows_raw_html(tmp_path: Path) -> None:
    cell = (
        "from IPython.display import HTML, Markdown, display\n"
        "display(HTML('<p id=\"kept\">shown</p><img src=x onerror=alert(1)><script>alert(2)</script>'))\n"
        "display(Markdown('[click](javascript:alert(3)) <a href=\"javascript:alert(4)\">a</a>'))\n"
        "display(HTML('<svg><a xlink:href=\"javascript:alert(5)\"><text>t</text></a></svg>'))"
    )
    page = export_report("app1.qas.abc.com", tmp_path / "r.html", notebook=write_notebook(tmp_path, cell))
    parsed = assert_inert(page.read_text(encoding="utf-8"))
    assert ("p", {"id": "kept"}) in parsed.elements  # the rest of the page is untouched


def test_sanitising_keeps_a_clean_page_byte_for_byte() -> None:
    page = (
        "<!DOCTYPE html><html><head><style>a>b{color:red}</style></head><body><p>x &amp; y</p>"
        "<svg><g id='a'><text>t</text></g></svg><img src='data:image/png;base64,AA=='/></body></html>"
    )
    assert sanitize_html(page) == (page, 0)


def test_report_on_a_world_in_a_hostile_folder_has_nothing_live(tmp_path: Path) -> None:
    world = hostile_world(tmp_path)
    output = tmp_path / "report.html"
    run = subprocess.run(
        [sys.executable, "-m", "ackwb.cli", "report", "app1.qas.abc.com", "--world", str(world), "-o",
         str(output)], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    parsed = assert_inert(output.read_text(encoding="utf-8"))
    text = "".join(parsed.text)
    assert f"app1-ingress-{HOSTILE}" in text and f"from {world}" in text  # shown to the reader, as text
    assert not [tag for tag, _ in parsed.elements if tag == "img"]
