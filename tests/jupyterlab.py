"""Start JupyterLab for a browser test: loopback, a token, a free port, a home of its own.

The browser test clicks through the notebooks as a newcomer would, so JupyterLab is started
from the command line ``make lab`` runs (tests/lab_command.py: ``--ip=127.0.0.1``, and
``--allow-root`` when the suite runs as root, as on CI), in a temporary folder holding a copy
of the notebooks (JupyterLab saves what it runs, and the checkout must stay clean). HOME and
the Jupyter and IPython folders point into that temporary folder, so a user's own settings
neither leak in nor get changed. Nothing reaches out: the update check and the news feed are
off, and the server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from lab_command import ROOT, lab_command

START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it listens, its token, and the folder it serves."""

    base: str  # http://127.0.0.1:PORT
    token: str
    notebooks: Path

    def url(self, notebook: str) -> str:
        """The notebook opened in a fresh workspace (``reset``: no tabs restored from earlier pages)."""
        return f"{self.base}/lab/tree/{notebook}?reset&token={self.token}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_lab(folder: Path) -> Iterator[Lab]:
    """JupyterLab serving a copy of notebooks/ under ``folder``; stopped (with its kernels) on exit."""
    shutil.copytree(ROOT / "notebooks", folder / "notebooks")
    home = folder / "home"
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    _user_settings(home / "jupyter-config" / "lab" / "user-settings")
    port, token = free_port(), secrets.token_hex(16)
    command = [str(ROOT / part) if part.startswith(".venv/") else part for part in lab_command()]
    command += [
        f"--port={port}",
        "--no-browser",
        f"--IdentityProvider.token={token}",
        "--ServerApp.port_retries=0",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    log = (folder / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        lab = Lab(f"http://127.0.0.1:{port}", token, folder / "notebooks")
        _wait_until_up(lab, server, folder / "jupyterlab.log")
        yield lab
    finally:
        _stop(server)
        log.close()


def _user_settings(folder: Path) -> None:
    """Two answers a user gives once: no Jupyter news (its question covers the page, and "no"
    keeps the test offline); and every cell kept in the page, not only those scrolled into view,
    so the test can read every output."""
    for plugin, name, text in (
        ("@jupyterlab/apputils-extension", "notification", '{"fetchNews": "false"}'),
        ("@jupyterlab/notebook-extension", "tracker", '{"windowingMode": "none"}'),
    ):
        (folder / plugin).mkdir(parents=True, exist_ok=True)
        (folder / plugin / f"{name}.jupyterlab-settings").write_text(text, encoding="utf-8")


def _wait_until_up(lab: Lab, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{lab.base}/api/status?token={lab.token}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer in {START_TIMEOUT_SECONDS} s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server then shuts its kernels down), SIGKILL to its process group if it lingers."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
    with suppress(ProcessLookupError):  # the kernels it started, if any outlived it
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=15)
