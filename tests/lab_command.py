"""The command ``make lab`` runs, read from the Makefile with ``make -n`` (nothing is executed).

Tests use it twice: to check the flags (loopback, ``--allow-root`` exactly when root) and to
start the JupyterLab the browser test drives, so that test starts JupyterLab the way a user's
``make lab`` does, as whichever user runs the suite (root on CI).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lab_command(**variables: str) -> list[str]:
    """The ``jupyter lab`` command line of ``make lab``, with make ``variables`` set (LAB_UID=...)."""
    make = shutil.which("make")
    if make is None:
        raise FileNotFoundError("make is not installed (apt-get install make)")
    assignments = [f"{name}={value}" for name, value in variables.items()]
    done = subprocess.run(
        [make, "-n", "-s", "--no-print-directory", "lab", *assignments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"make -n lab failed: {done.stderr.strip()}")
    lines = [line for line in done.stdout.splitlines() if " lab " in f" {line} " and "jupyter" in line]
    if len(lines) != 1:
        raise RuntimeError(f"expected one `jupyter lab` line from make -n lab, got: {done.stdout!r}")
    return shlex.split(lines[0])
