"""What reaches a terminal carries no control characters, whatever names a cluster or a world holds.

A hostile Ingress host (ESC sequences that recolour, retitle or clear the terminal, a carriage
return that overwrites the line, a bidirectional override) is printed by ``ackwb domains``, by
capture progress and inside error lines. None of those outputs may contain a control character
other than the line breaks and tabs of a table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ackwb.demo import demo_world_root
from ackwb.render.text import terminal_text

HOSTILE = "app9\x1b]0;pwned\x07\x1b[2J\x1b[31m.qas\r\u202e.abc.com\x9b6n"
ACKWB = [sys.executable, "-m", "ackwb.cli"]


def controls(text: str) -> list[str]:
    return [
        repr(ch)
        for ch in text
        if ch not in "\n\t" and (unicodedata.category(ch) == "Cc" or ch in "\u202e\u2066")
    ]


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("hostile") / "world"
    shutil.copytree(str(demo_world_root()), world)
    ingresses = json.loads((world / "kube" / "ingresses.json").read_text(encoding="utf-8"))
    ingresses["items"][0]["spec"]["rules"][0]["host"] = HOSTILE
    (world / "kube" / "ingresses.json").write_text(json.dumps(ingresses), encoding="utf-8")
    return world


def ackwb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ACKWB, *args], capture_output=True, text=True, timeout=300)


def test_domains_prints_hostile_hosts_without_escapes(hostile_world: Path) -> None:
    run = ackwb("domains", "--world", str(hostile_world))
    assert run.returncode == 0, run.stderr
    assert "app9" in run.stdout and "pwned" in run.stdout  # shown, defused
    assert controls(run.stdout) == [] and controls(run.stderr) == []


def test_capture_progress_has_no_escapes(hostile_world: Path, tmp_path: Path) -> None:
    run = ackwb("snapshot", "capture", "--world", str(hostile_world), "-o", str(tmp_path / "s.zip"))
    assert run.returncode == 0, run.stderr
    assert "] traced app9" in run.stderr
    assert controls(run.stderr) == [] and controls(run.stdout) == []


def test_error_lines_have_no_escapes(tmp_path: Path) -> None:
    hostile_path = tmp_path / "w\x1b[2J\x1b]0;x\x07"
    for args in (
        ["trace", "app1.qas.abc.com", "--world", str(hostile_path)],
        ["trace", "app1\x1b[31m.qas.abc.com"],
        ["diff", "healthy", str(hostile_path)],
    ):
        run = ackwb(*args)
        assert run.returncode == 2, run.stderr
        assert len(run.stderr.splitlines()) == 1
        assert controls(run.stderr) == [], run.stderr


def test_terminal_text_keeps_what_a_table_needs() -> None:
    assert terminal_text("a\tb\nc", keep="\n\t") == "a\tb\nc"
    assert terminal_text("a\x1b[31mb\x07\r\u202ec\x9b") == "a[31mbc"
    assert terminal_text("应用 app1") == "应用 app1"
