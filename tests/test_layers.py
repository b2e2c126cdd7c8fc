"""Import rules: layers depend downward only, and the pure layers never touch live clients.

Every module under ackwb/ is parsed with ast and every import is checked, including imports
inside functions, under ``if TYPE_CHECKING:`` and ``importlib.import_module("literal")``.
The rules come from DESIGN.md section 2:

1. A module may import modules of its own layer and of the layers below it (LAYERS, lowest first).
2. ackwb.demo (data plus a tiny locator) is imported only by the modules in DEMO_IMPORTERS.
3. The pure layers (PURE) never import a live client package (LIVE_CLIENTS), neither directly nor
   through an ackwb module they load at import time.

The last tests run `import ackwb` and a demo trace in a fresh interpreter and check that no heavy
package (HEAVY) was loaded: a demo trace must cost little more than importing the package.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest layer first. A module may import its own layer and every layer listed before it.
LAYERS: list[tuple[str, list[str]]] = [
    ("foundation", ["ackwb.errors", "ackwb.demo"]),
    ("sources (all I/O)", ["ackwb.sources", "ackwb.profiles"]),  # profiles: stdlib-only settings
    ("parsers and model", ["ackwb.parse", "ackwb.hops", "ackwb.verdicts", "ackwb.model"]),
    ("steps", ["ackwb.steps"]),
    # ackwb.diff compares Traces; readahead starts a trace's reads; plan and sweep trace every path
    (
        "trace",
        [
            "ackwb.trace",
            "ackwb.diff",
            "ackwb.readahead",
            "ackwb.readahead_nodes",
            "ackwb.plan",
            "ackwb.sweep",
        ],
    ),
    (
        "front ends",
        [
            "ackwb.cli",
            "ackwb.cli_common",
            "ackwb.cli_sweep",
            "ackwb.workbook",
            "ackwb.designs",
            "ackwb.render",
            "ackwb.__main__",
        ],
    ),
    ("package root", ["ackwb"]),  # ackwb/__init__.py re-exports Workbook
]

# The demo world is found through ackwb.demo by the snapshot source and the workbook only.
DEMO_IMPORTERS = ["ackwb.demo", "ackwb.sources", "ackwb.workbook", "ackwb.cli"]

PURE = ["ackwb.steps", "ackwb.parse", "ackwb.hops", "ackwb.verdicts", "ackwb.model", "ackwb.render"]
LIVE_CLIENTS = ["kubernetes", "paramiko", "dns", "Tea", "darabonba", "alibabacloud_*"]

HEAVY = [
    "pandas", "numpy", "graphviz", "crossplane", "kubernetes", "paramiko", "dns", "papermill",
    "nbconvert", "nbclient", "IPython", "Tea", "darabonba", "alibabacloud_*",
]  # fmt: skip


def in_group(module: str, group: list[str]) -> bool:
    """True when ``module`` is, or is inside, one of the names (``x_*`` matches any top-level x_...)."""
    for name in group:
        if name.endswith("_*"):
            if module.split(".")[0].startswith(name[:-1]):
                return True
        elif module == name or module.startswith(name + "."):
            return True
    return False


def layer_of(module: str) -> int | None:
    """Index into LAYERS of the most specific entry naming ``module``."""
    best: tuple[int, int] | None = None  # (length of the matching name, layer index)
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            # "ackwb.steps" covers its subtree; the bare "ackwb" means the package root module only
            inside = "." in name and module.startswith(name + ".")
            if (module == name or inside) and (best is None or len(name) > best[0]):
                best = (len(name), index)
    return None if best is None else best[1]


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int
    at_import_time: bool  # False inside a function body or an ``if TYPE_CHECKING:`` block


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class ImportCollector(ast.NodeVisitor):
    """Collects every import of one module, resolved to absolute names."""

    def __init__(self, module: str, is_package: bool, known_modules: set[str]) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known_modules
        self.imports: list[Import] = []
        self.depth = 0  # > 0 inside functions and TYPE_CHECKING blocks

    def add(self, name: str, node: ast.AST) -> None:
        self.imports.append(Import(name, node.lineno, self.depth == 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base_parts = self.package.split(".")
            base_parts = base_parts[: len(base_parts) - (node.level - 1)]
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            self.add(candidate if candidate in self.known else base, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in {"import_module", "__import__"} and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value[:1] != ".":
                self.add(first.value, node)
        self.generic_visit(node)

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _nested

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            self.visit(test)
            self.depth += 1
            for statement in node.body:
                self.visit(statement)
            self.depth -= 1
            for statement in node.orelse:
                self.visit(statement)
        else:
            self.generic_visit(node)


def collect_imports(root: Path, package: str = "ackwb") -> dict[str, list[Import]]:
    """Every module of ``package`` under ``root`` and the imports it makes."""
    paths = sorted((root / package).rglob("*.py"))
    known = {module_name(path, root) for path in paths}
    result: dict[str, list[Import]] = {}
    for path in paths:
        name = module_name(path, root)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            raise AssertionError(f"{path}: cannot parse: {error}") from error
        collector = ImportCollector(name, path.name == "__init__.py", known)
        collector.visit(tree)
        result[name] = collector.imports
    return result


def layer_violations(imports: dict[str, list[Import]]) -> list[str]:
    problems = []
    for module, found in sorted(imports.items()):
        own = layer_of(module)
        if own is None:
            problems.append(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
            continue
        for imp in found:
            if not imp.module.startswith("ackwb"):
                continue
            target = layer_of(imp.module)
            if target is not None and target > own:
                problems.append(
                    f"{module} (line {imp.line}) imports {imp.module}: layer '{LAYERS[own][0]}' "
                    f"may not import the higher layer '{LAYERS[target][0]}'"
                )
            if in_group(imp.module, ["ackwb.demo"]) and not in_group(module, DEMO_IMPORTERS):
                problems.append(f"{module} (line {imp.line}) imports {imp.module}: only {DEMO_IMPORTERS} may")
    return problems


def live_client_violations(imports: dict[str, list[Import]]) -> list[str]:
    """Pure modules importing a live client, directly or through modules loaded at import time."""
    problems = []
    for module in sorted(m for m in imports if in_group(m, PURE)):
        for imp in imports[module]:
            if in_group(imp.module, LIVE_CLIENTS):
                problems.append(f"{module} (line {imp.line}) imports {imp.module}")
        # follow import-time edges through ackwb modules, remembering the chain
        chains = {module: [module]}
        pending = [module]
        while pending:
            current = pending.pop()
            for imp in imports.get(current, []):
                if not imp.at_import_time:
                    continue
                if current != module and in_group(imp.module, LIVE_CLIENTS):
                    via = " -> ".join(chains[current])
                    problems.append(f"{module} loads {imp.module} at import time via {via}")
                nxt = imp.module
                if nxt in imports and nxt not in chains:
                    chains[nxt] = chains[current] + [nxt]
                    pending.append(nxt)
    return problems


# --- the real package -------------------------------------------------------------------------


def test_every_module_is_in_a_layer_and_imports_downward() -> None:
    assert layer_violations(collect_imports(ROOT)) == []


def test_pure_layers_never_import_live_clients() -> None:
    assert live_client_violations(collect_imports(ROOT)) == []


HEAVY_PROBE = """
import contextlib, io, json, sys
HEAVY = {heavy!r}
def heavy():
    def hit(top):
        return any(top.startswith(h[:-1]) if h.endswith("_*") else top == h for h in HEAVY)
    return sorted(m for m in sys.modules if hit(m.split(".")[0]))
import ackwb
report = {{"import": heavy()}}
if {run_trace!r}:
    from ackwb import cli
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = cli.main(["trace", "app1.qas.abc.com"])
        except SystemExit as stop:
            code = stop.code
    report.update(trace=heavy(), code=code, output=out.getvalue())
print("RESULT " + json.dumps(report))
"""


def run_probe(run_trace: bool) -> dict:
    script = HEAVY_PROBE.format(heavy=HEAVY, run_trace=run_trace)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"probe failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_import_ackwb_loads_nothing_heavy() -> None:
    assert run_probe(run_trace=False)["import"] == []


def test_demo_trace_loads_nothing_heavy() -> None:
    report = run_probe(run_trace=True)
    assert report["code"] in (0, None), f"ackwb trace failed with {report['code']}:\n{report['output']}"
    assert "app1.qas.abc.com" in report["output"]
    assert report["trace"] == [], "keep these imports inside the functions that need them"


# --- the checks themselves can fail -------------------------------------------------------------

FAKE_PACKAGE = {
    "ackwb/__init__.py": "from ackwb.workbook import Workbook\n",
    "ackwb/errors.py": "class AckwbError(Exception): ...\n",
    "ackwb/workbook.py": "from ackwb import trace\nclass Workbook: ...\n",
    "ackwb/trace.py": "from ackwb.steps import dns\n",
    "ackwb/model.py": "from ackwb.errors import AckwbError\n",
    "ackwb/demo/__init__.py": "WORLD = 'demo'\n",
    "ackwb/sources/__init__.py": "from ackwb.sources.base import Sources\n",
    "ackwb/sources/base.py": "class Sources: ...\n",
    "ackwb/sources/kube.py": "import kubernetes\n",
    "ackwb/steps/__init__.py": "",
    "ackwb/steps/dns.py": "from ..model import Hop\nfrom ackwb.sources import Sources\n",
    "ackwb/parse/__init__.py": "",
}

BROKEN = {
    "step imports the trace": (
        "ackwb/steps/slb.py",
        "def f():\n    from ackwb.trace import run\n",
        "ackwb.steps.slb (line 2) imports ackwb.trace: layer 'steps' may not import the higher layer 'trace'",
    ),
    "relative import upward": (
        "ackwb/parse/nginx.py",
        "from ..steps import dns\n",
        "ackwb.parse.nginx (line 1) imports ackwb.steps.dns",
    ),
    "source imports the model": (
        "ackwb/sources/snapshot.py",
        "from ackwb.model import Hop\n",
        "layer 'sources (all I/O)' may not import the higher layer 'parsers and model'",
    ),
    "module in no layer": ("ackwb/extras.py", "", "ackwb.extras is in no layer"),
    "step imports the package root": (
        "ackwb/steps/pod.py",
        "from ackwb import Workbook\n",
        "ackwb.steps.pod (line 1) imports ackwb: layer 'steps' may not import the higher layer 'package",
    ),
    "step reads the demo world": (
        "ackwb/steps/egress.py",
        "import ackwb.demo\n",
        "ackwb.steps.egress (line 1) imports ackwb.demo: only",
    ),
    "dynamic import upward": (
        "ackwb/parse/lazy.py",
        "import importlib\n\ndef f():\n    return importlib.import_module('ackwb.cli')\n",
        "ackwb.parse.lazy (line 4) imports ackwb.cli",
    ),
}

LIVE_BROKEN = {
    "parser imports dnspython in a function": (
        "ackwb/parse/resolv.py",
        "def f():\n    import dns.resolver\n",
        "ackwb.parse.resolv (line 2) imports dns.resolver",
    ),
    "render imports an SDK under TYPE_CHECKING": (
        "ackwb/render/x.py",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from alibabacloud_slb20140515 import models\n",
        "ackwb.render.x (line 3) imports alibabacloud_slb20140515",
    ),
    "step reaches kubernetes through a source": (
        "ackwb/steps/svc.py",
        "from ackwb.sources import kube\n",
        "ackwb.steps.svc loads kubernetes at import time via ackwb.steps.svc -> ackwb.sources.kube",
    ),
}


def write_package(root: Path, extra: dict[str, str]) -> None:
    for relative, text in {**FAKE_PACKAGE, **extra}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_fake_package_is_clean(tmp_path: Path) -> None:
    write_package(tmp_path, {})
    imports = collect_imports(tmp_path)
    assert layer_violations(imports) == []
    assert live_client_violations(imports) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_layer_violation_is_reported(tmp_path: Path, case: str) -> None:
    relative, text, expected = BROKEN[case]
    write_package(tmp_path, {relative: text})
    problems = layer_violations(collect_imports(tmp_path))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("case", sorted(LIVE_BROKEN))
def test_live_client_import_is_reported(tmp_path: Path, case: str) -> None:
    relative, text, expected = LIVE_BROKEN[case]
    write_package(tmp_path, {relative: text})
    problems = live_client_violations(collect_imports(tmp_path))
    assert any(expected in problem for problem in problems), problems


def test_function_level_import_in_a_source_is_not_followed(tmp_path: Path) -> None:
    """A source that imports its client lazily does not drag it into the steps that use it."""
    write_package(
        tmp_path,
        {
            "ackwb/sources/kube.py": "def client():\n    import kubernetes\n",
            "ackwb/steps/svc.py": "from ackwb.sources import kube\n",
        },
    )
    assert live_client_violations(collect_imports(tmp_path)) == []


def import_cycles(imports: dict[str, list[Import]]) -> list[list[str]]:
    """Groups of ackwb modules that import each other, directly or around a loop, counting every
    import (at import time, in a function, under TYPE_CHECKING): Tarjan's strongly connected
    components of the import graph, each of more than one module."""
    graph = {
        m: sorted({i.module for i in found if i.module in imports and i.module != m})
        for m, found in imports.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(cycles)


def test_no_module_imports_another_that_imports_it_back() -> None:
    cycles = import_cycles(collect_imports(ROOT))
    assert cycles == [], "import cycles: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_the_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "ackwb"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from ackwb.b import g\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ackwb.a import f\n"
    )
    (package / "c.py").write_text("from ackwb.a import f\n")
    assert import_cycles(collect_imports(tmp_path)) == [["ackwb.a", "ackwb.b"]]
