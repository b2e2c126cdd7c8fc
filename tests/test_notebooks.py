"""The guided notebooks: committed clean, and each one runs headless top to bottom.

Notebooks are the product a newcomer opens first, so a notebook that no longer runs
against the package is a broken product. The structure tests read the committed JSON;
the execution tests run every notebook with nbclient in its own ``python3`` kernel,
several at once, from the ``notebooks/`` directory, with the checkout's ``ackwb`` on
``PYTHONPATH`` so they test this tree whether or not the package is installed.
Parameters are injected after the ``parameters`` cell the way papermill does it
(``ackwb report`` itself goes through papermill; its own tests cover that).
"""

from __future__ import annotations

import ast
import html
import importlib
import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
CELL_TIMEOUT_SECONDS = 120

# Section notebook → (the step module it walks through, the article's section title).
SECTION_TITLES = {
    "01_dns.ipynb": ("dns", "查看域名的 IP"),
    "02_slb.ipynb": ("slb", "查看公网 IP 对应的 SLB"),
    "03_ecs.ipynb": ("ecs", "ECS"),
    "04_ingress.ipynb": ("ingress", "Ingress"),
    "05_service.ipynb": ("service", "Service"),
    "06_kube_proxy.ipynb": ("kube_proxy", "Kube-proxy"),
    "07_pod.ipynb": ("pod", "Pod"),
    "08_egress.ipynb": ("egress", "Pod 访问外网"),
}
ALL_NOTEBOOKS = ["00_overview.ipynb", *SECTION_TITLES, "report.ipynb", "explorer.ipynb", "cluster_map.ipynb"]
PARAMETER_NAMES = {"domain", "scenario", "world", "client_ip", "port", "path"}
EXTRA_PARAMETERS = {"explorer.ipynb": {"headers"}}  # request headers: the explorer's own box
UNKNOWN_DOMAIN = "no-such.qas.abc.com"
OUTSIDE_APP3_ACL = "203.0.113.77"  # not in private-lb's whitelist (office and VPN ranges)


@dataclass(frozen=True)
class Run:
    """One headless execution: a notebook and the parameter values injected into it."""

    notebook: str
    parameters: tuple[tuple[str, Any], ...] = ()


Executed = dict[str, tuple[nbformat.NotebookNode, str]]  # run id → (executed notebook, failure or "")

# Runs where the request cannot get through: the notebook must show the trace's error
# findings (code and sentence), never a traceback.
BAD_INPUT_RUNS = {
    "report-unknown-domain": Run("report.ipynb", (("domain", UNKNOWN_DOMAIN),)),
    "overview-unknown-domain": Run("00_overview.ipynb", (("domain", UNKNOWN_DOMAIN),)),
    "egress-unknown-domain": Run("08_egress.ipynb", (("domain", UNKNOWN_DOMAIN),)),
    "report-client-outside-acl": Run(
        "report.ipynb", (("domain", "app3.qas.abc.com"), ("client_ip", OUTSIDE_APP3_ACL))
    ),
    "explorer-client-outside-acl": Run(
        "explorer.ipynb", (("domain", "app3.qas.abc.com"), ("client_ip", OUTSIDE_APP3_ACL))
    ),
}
EXPLORER_403 = Run(  # the allow-list answers 403 whatever the headers say
    "explorer.ipynb",
    (("scenario", "terway-nlb"), ("domain", "shop.tnl.abc.com"), ("path", "/admin"),
     ("client_ip", "203.0.113.9"), ("headers", ["X-Canary: always"])),
)  # fmt: skip
RUNS = {
    **{name.removesuffix(".ipynb"): Run(name) for name in ALL_NOTEBOOKS},
    "report-app3": Run("report.ipynb", (("domain", "app3.qas.abc.com"),)),
    **BAD_INPUT_RUNS,
    "explorer-403-with-a-header": EXPLORER_403,
}


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def output_texts(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(output type or stream name, text) for every output of every code cell."""
    texts = []
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                texts.append((out.name, out.text))
            elif out.output_type == "error":
                texts.append(("error", f"{out.ename}: {out.evalue}\n" + "\n".join(out.traceback)))
            else:
                for value in out.get("data", {}).values():
                    text = value if isinstance(value, str) else json.dumps(value)
                    texts.append((out.output_type, html.unescape(text)))
    return texts


# --- structure of the committed files ---------------------------------------------------


def test_every_notebook_is_covered() -> None:
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(ALL_NOTEBOOKS)


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_committed_clean_with_python3_kernel(name: str) -> None:
    nb = load(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in code_cells(nb):
        assert cell.outputs == [], f"{name}: a code cell was committed with outputs"
        assert cell.execution_count is None, f"{name}: a code cell was committed with an execution count"


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_first_code_cell_holds_the_parameters(name: str) -> None:
    first = code_cells(load(name))[0]
    assert "parameters" in first.metadata.get("tags", []), f"{name}: first code cell is not tagged parameters"
    tree = ast.parse(first.source)
    assigned = {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets}
    wanted = PARAMETER_NAMES | EXTRA_PARAMETERS.get(name, set())
    assert assigned == wanted, f"{name}: parameters cell assigns {sorted(assigned)}"
    assert all(isinstance(node, ast.Assign) for node in tree.body), (
        f"{name}: parameters cell does more than assign"
    )


def import_checkout_ackwb() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


@pytest.mark.parametrize(("name", "step", "article_title"), [(n, *t) for n, t in SECTION_TITLES.items()])
def test_section_heading_has_english_and_chinese_titles(name: str, step: str, article_title: str) -> None:
    """The heading is the step's own title (what its result displays): English, article title beside it."""
    import_checkout_ackwb()
    title = importlib.import_module(f"ackwb.steps.{step}").TITLE
    first = load(name).cells[0]
    assert first.cell_type == "markdown"
    heading = first.source.splitlines()[0]
    assert heading == f"# {title}", f"{name}: heading {heading!r} is not the step title {title!r}"
    assert article_title in title, f"{name}: {title!r} lacks the article's title {article_title!r}"
    english = title if article_title.isascii() else title.replace(article_title, "")
    assert re.search(r"[A-Za-z]{2,}", english), f"{name}: {title!r} has no English heading"


# --- headless execution -----------------------------------------------------------------


def with_parameters(nb: nbformat.NotebookNode, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    """Insert the run's values after the ``parameters`` cell, as papermill does."""
    if parameters:
        index = next(i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", []))
        source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
        injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
        nb.cells.insert(index + 1, injected)
    return nb


def execute(run: Run) -> tuple[nbformat.NotebookNode, str]:
    """Run one notebook top to bottom in a fresh python3 kernel: (notebook with outputs, failure or '')."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = with_parameters(load(run.notebook), dict(run.parameters))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as error:
        return nb, str(error)[-4000:]
    return nb, ""


@pytest.fixture(scope="session")
def executed() -> Executed:
    """Every run in RUNS, in parallel threads (each drives its own kernel process)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.fail(
            "no Jupyter kernel named python3: install ipykernel (python -m ipykernel install --sys-prefix)"
        )
    workers = min(4, (os.cpu_count() or 2) + 2)  # kernels mostly wait on each other's start-up
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(RUNS, pool.map(execute, RUNS.values()), strict=True))


def executed_notebook(executed: Executed, run_id: str) -> nbformat.NotebookNode:
    nb, failure = executed[run_id]
    assert not failure, f"{run_id} failed to execute: {failure}"
    return nb


def assert_ran_cleanly(run_id: str, nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    cells = code_cells(nb)
    assert all(cell.execution_count is not None for cell in cells), f"{run_id}: not every cell ran"
    texts = output_texts(nb)
    problems = [
        (kind, text[:500]) for kind, text in texts if kind in ("error", "stderr") or "Traceback" in text
    ]
    assert not problems, f"{run_id}: error output: {problems}"
    return texts


@pytest.mark.parametrize("run_id", RUNS)
def test_notebook_executes_without_error_output(executed: Executed, run_id: str) -> None:
    nb = executed_notebook(executed, run_id)
    texts = assert_ran_cleanly(run_id, nb)
    domain = dict(RUNS[run_id].parameters).get("domain", "app1.qas.abc.com")
    assert any(domain in text for _, text in texts), f"{run_id}: the outputs never name {domain}"


def demo_trace(domain: str, **client: Any) -> Any:
    """The trace the notebooks display, computed here through the API they call."""
    import_checkout_ackwb()
    from ackwb import Workbook

    return Workbook.demo().trace(domain, **client)


def test_report_for_app3_shows_its_load_balancer(executed: Executed) -> None:
    nb = executed_notebook(executed, "report-app3")
    text = "\n".join(text for _, text in assert_ran_cleanly("report-app3", nb))
    load_balancer = demo_trace("app3.qas.abc.com").step("slb")
    assert load_balancer is not None
    assert load_balancer.load_balancer_name in text
    assert load_balancer.address in text
    acl_entries = {entry.cidr for listener in load_balancer.listeners for entry in listener.acl_entries}
    assert acl_entries, "private-lb should carry a whitelist ACL in the demo world"
    assert all(cidr in text for cidr in acl_entries), f"ACL entries {sorted(acl_entries)} are not all shown"


@pytest.mark.parametrize("run_id", BAD_INPUT_RUNS)
def test_bad_input_shows_findings_not_a_traceback(executed: Executed, run_id: str) -> None:
    nb = executed_notebook(executed, run_id)
    text = "\n".join(text for _, text in assert_ran_cleanly(run_id, nb))
    errors = [
        f
        for f in demo_trace(**dict(BAD_INPUT_RUNS[run_id].parameters)).findings
        if f.severity.value == "error"
    ]
    assert errors, f"the API gives no error finding for {BAD_INPUT_RUNS[run_id].parameters}"
    for finding in errors:
        assert finding.code in text, f"{run_id}: finding {finding.code} is not shown"
        assert finding.message in text, f"{run_id}: the message of {finding.code} is not shown"


def displayed(nb: nbformat.NotebookNode) -> list[str]:
    """One text per displayed output: its HTML when it has one, else its plain text."""
    shown = []
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = data.get("text/html") or data.get("text/plain")
            if text:
                shown.append(html.unescape(text if isinstance(text, str) else "".join(text)))
    return shown


def test_overview_shows_the_hop_table_diagram_and_findings_once(executed: Executed) -> None:
    nb = executed_notebook(executed, "00_overview")
    assert_ran_cleanly("00_overview", nb)
    outputs = displayed(nb)
    page = "\n".join(outputs)
    trace = demo_trace("app1.qas.abc.com")
    assert page.count('class="ackwb-diagram"') == 1, "the path diagram is shown more than once"
    assert "<h4>Hops</h4>" not in page and "<h4>Findings</h4>" not in page, "the whole trace is shown too"
    hop_tables = [text for text in outputs if "<th>verdict</th>" in text and "<th>packet</th>" in text]
    assert len(hop_tables) == 1, f"the hop table is shown {len(hop_tables)} times"
    assert trace.findings, "the demo trace of app1 should have findings to show"
    for finding in trace.findings:
        times = page.count(finding.message)
        assert times == 1, f"{finding.code} is shown {times} times"


def test_report_repeats_no_heading(executed: Executed) -> None:
    """Markdown headings and the headings its outputs draw, each once (no step title under its section)."""
    nb = executed_notebook(executed, "report")
    headings = [
        line.lstrip("#").strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    ]
    for _, text in assert_ran_cleanly("report", nb):
        headings += [
            re.sub(r"<[^>]+>", "", h).strip() for _, h in re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", text)
        ]
        headings += [line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{1,6} ", line)]
    assert len(headings) == len(set(headings)), f"repeated headings: {headings}"


def test_ecs_notebook_is_right_about_nodeport_traffic() -> None:
    """Another node only with externalTrafficPolicy: Cluster; the NodePort hop is step 3's, not step 6's."""
    text = "\n".join(cell.source for cell in load("03_ecs.ipynb").cells if cell.cell_type == "markdown")
    sentences = re.split(r"(?<=[.;])\s", " ".join(text.split()))
    another_node = [s for s in sentences if "another node" in s]
    assert another_node and all("externalTrafficPolicy: Cluster" in s for s in another_node), another_node
    nodeport = [s for s in sentences if "NodePort" in s and "06_kube_proxy" in s]
    assert not nodeport, f"03_ecs sends the reader to step 6 for the NodePort hop: {nodeport}"
    assert "NodePort hop on the backend node is shown in this step" in " ".join(text.split())


def test_explorer_passes_headers_and_shows_nginx_answering_403(executed: Executed) -> None:
    nb = executed_notebook(executed, "explorer-403-with-a-header")
    text = "\n".join(text for _, text in assert_ran_cleanly("explorer-403-with-a-header", nb))
    assert "headers <code>X-Canary: always</code>" in text
    assert "NGINX_ACCESS_DENIED" in text and "nginx answers 403" in text
    assert "the request stops: answered by nginx: 403" in text
