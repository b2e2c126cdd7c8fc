"""The report's kernel is shut down without an interrupt, so it never logs a KeyboardInterrupt.

jupyter_client's ``shutdown_kernel`` sends SIGINT before its shutdown request; a kernel still
inside a message handler then logs ``KeyboardInterrupt caught in kernel.`` on our stderr (a
race: ``ackwb report`` printed it now and then). To see the signal every time rather than by
chance, a stand-in notebook makes the kernel record any SIGINT it receives once idle (it
swaps the handler ipykernel restores after each message). Exported through ``export_report``,
the kernel must record none; the same notebook run with jupyter_client's own manager records
one, which shows the check can fail.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from ackwb.render.kernel import quiet_kernel_manager
from ackwb.render.report import export_report

PARAMETERS = 'domain = "x"\nworld = None\nscenario = "healthy"\nclient_ip = None\nport = 80\npath = "/"'


def recording_notebook(folder: Path, marker: Path) -> Path:
    """A notebook whose kernel writes ``marker`` when SIGINT reaches it between messages."""
    record = (
        "from pathlib import Path\n"
        "def _record(signum, frame):\n"
        f"    Path({str(marker)!r}).write_text('SIGINT')\n"
        "# ipykernel restores this handler after each message: the idle kernel then calls it\n"
        "get_ipython().kernel.saved_sigint_handler = _record\n"
        "print('recording SIGINT for', domain)"
    )
    nb = new_notebook(
        cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}), new_code_cell(record)]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = folder / "record.ipynb"
    nbformat.write(nb, target)
    return target


def test_report_kernel_is_not_interrupted_at_shutdown(tmp_path: Path) -> None:
    marker = tmp_path / "sigint.txt"
    page = export_report(
        "app1.qas.abc.com", tmp_path / "r.html", notebook=recording_notebook(tmp_path, marker)
    )
    assert "recording SIGINT for app1.qas.abc.com" in page.read_text(encoding="utf-8")
    assert not marker.exists(), "the report's kernel received SIGINT while shutting down"


def test_default_kernel_manager_interrupts_at_shutdown(tmp_path: Path) -> None:
    """The control: jupyter_client's own manager does send SIGINT, so the check above can fail."""
    from nbclient import NotebookClient

    marker = tmp_path / "sigint.txt"
    nb = nbformat.read(recording_notebook(tmp_path, marker), as_version=4)
    NotebookClient(nb, kernel_name="python3").execute()
    assert marker.exists(), "jupyter_client no longer interrupts at shutdown: the quiet manager may be moot"
    assert issubclass(quiet_kernel_manager(), NotebookClient(nb).kernel_manager_class)
