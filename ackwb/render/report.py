"""Export a shareable HTML report: run notebooks/report.ipynb with papermill, convert with nbconvert.

The report is the same notebook a user can open, executed with parameters (domain, world,
scenario, client) and exported with the code hidden. It must be readable with no network:
the template below is nbconvert's ``lab`` template without the script tags that would load
require.js, MathJax, Mermaid or the widget manager from a CDN; styles are inlined and the
diagrams are inline ``<svg>`` produced by ``Diagram``. The page is then made inert
(``sanitize.sanitize_html``: no script, no event attribute, no ``javascript:`` URL), so a name
from a cluster or a world cannot run in a reader's browser even if it escaped escaping.
papermill and nbconvert are heavy, so they are imported only inside ``export_report``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ackwb.errors import AckwbError, InputError
from ackwb.render.sanitize import sanitize_html

# The directory holding the ackwb package (a checkout's root): notebooks/ sits beside the package.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_NOTEBOOK = PACKAGE_ROOT / "notebooks" / "report.ipynb"
KERNEL = "python3"

# nbconvert's lab template minus every block that loads a script from the network.
OFFLINE_TEMPLATE_NAME = "ackwb_offline_report.html.j2"
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


def export_report(
    domain: str,
    output: Path,
    *,
    world: str | None = None,
    scenario: str = "healthy",
    client_ip: str | None = None,
    port: int = 80,
    path: str = "/",
    notebook: Path | None = None,
    cell_timeout: int = 600,
) -> Path:
    """Execute the report notebook for ``domain`` and write it as self-contained HTML to ``output``.

    ``notebook`` overrides the report notebook (tests use a stand-in). Raises InputError when
    the notebook is missing or a cell raised InputError, AckwbError for any other failing cell,
    with the cell's error name and message on one line. Returns the path written.
    """
    source = Path(notebook) if notebook is not None else DEFAULT_NOTEBOOK
    if not source.is_file():
        raise InputError(f"report notebook not found: {source}")
    parameters = {
        "domain": domain,
        "world": world,
        "scenario": scenario,
        "client_ip": client_ip,
        "port": port,
        "path": path,
    }
    with tempfile.TemporaryDirectory(prefix="ackwb-report-") as workdir:
        executed = _execute(source, Path(workdir), parameters, cell_timeout)
    executed.metadata["title"] = f"ackwb report: {domain}"
    page = _to_html(executed)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


def _execute(source: Path, workdir: Path, parameters: dict[str, Any], cell_timeout: int) -> Any:
    """Run the notebook in a fresh ``python3`` kernel (cwd ``workdir``); return the executed notebook."""
    import nbformat
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel

    from ackwb.render.kernel import quiet_kernel_manager

    executed_path = workdir / source.name
    try:
        with _kernel_imports_this_ackwb(), _quiet_papermill():
            papermill.execute_notebook(
                str(source),
                str(executed_path),
                parameters=parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                cwd=str(workdir),
                execution_timeout=cell_timeout,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no kernel start-up chatter on stderr
                kernel_manager_class=quiet_kernel_manager(),  # no interrupt at shutdown: no KeyboardInterrupt
            )
    except papermill.PapermillExecutionError as error:
        message = (error.evalue or "").strip().splitlines()
        detail = f"{error.ename}: {message[0]}" if message else error.ename
        kind = InputError if error.ename == "InputError" else AckwbError
        raise kind(f"report notebook {source.name} failed in cell {error.exec_count}: {detail}") from None
    except NoSuchKernel as error:
        raise AckwbError(f"Jupyter kernel {KERNEL!r} not found; install ipykernel ({error})") from None
    except (RuntimeError, TimeoutError) as error:  # dead kernel, cell timeout
        first = (str(error).strip().splitlines() or [""])[0]
        reason = f"{type(error).__name__}: {first}"
        raise AckwbError(f"report notebook {source.name} did not finish: {reason}") from None
    return nbformat.read(executed_path, as_version=4)


def _to_html(notebook: Any) -> str:
    """HTML with code cells and prompts hidden and no script loaded from the network."""
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({OFFLINE_TEMPLATE_NAME: OFFLINE_TEMPLATE})],
        template_file=OFFLINE_TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    return sanitize_html(body)[0]


@contextmanager
def _kernel_imports_this_ackwb() -> Iterator[None]:
    """Let the kernel (started in a temporary cwd) import the same ackwb as this process."""
    previous = os.environ.get("PYTHONPATH")
    parts = [str(PACKAGE_ROOT)] + ([previous] if previous else [])
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous


@contextmanager
def _quiet_papermill() -> Iterator[None]:
    """papermill warns about parameter lines it cannot type-infer; a report reader need not see that."""
    logger = logging.getLogger("papermill")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)
