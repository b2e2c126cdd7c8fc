"""Snapshot capture and replay: what a trace read, stored as a world, traces the same again,
and nothing that could be a credential is stored."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.sources.recording import REDACTED, recording, world_meta
from ackwb.trace import run_trace

SECRET = "s3cr3t-do-not-store"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"


def capture(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ackwb.cli", "snapshot", "capture", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def same_trace(a, b) -> bool:
    return a.rows == b.rows and [(f.code, f.message) for f in a.findings] == [
        (f.code, f.message) for f in b.findings
    ]


@pytest.mark.parametrize("name", ["snap.zip", "snap-folder"])
def test_capture_then_replay_traces_the_same(tmp_path: Path, name: str) -> None:
    output = tmp_path / name
    run = capture("-o", str(output))
    assert run.returncode == 0, run.stderr
    assert "] traced app4.qas.abc.com:443/" in run.stderr and "calls" in run.stderr.splitlines()[-1]
    demo, replay = Workbook.demo(), Workbook.from_snapshot(output)
    assert replay.domains() == demo.domains()
    for domain in demo.domains():
        assert same_trace(demo.trace(domain), replay.trace(domain)), domain
    client = {"client_ip": "203.0.113.7"}
    assert same_trace(demo.trace("app3.qas.abc.com", **client), replay.trace("app3.qas.abc.com", **client))


def test_a_snapshot_holds_only_what_the_trace_read(tmp_path: Path) -> None:
    output = tmp_path / "app1.zip"
    assert capture("app1.qas.abc.com", "-o", str(output)).returncode == 0
    names = zipfile.ZipFile(output).namelist()
    assert not any(
        "app3" in n or "app3" in zipfile.ZipFile(output).read(n).decode() for n in names if "dns" in n
    )
    pods = json.loads(zipfile.ZipFile(output).read("kube/pods.json"))["items"]
    assert all(not p["metadata"]["name"].startswith(("app2", "app3")) for p in pods)


def test_capture_removes_credentials(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    pods_file = world / "kube" / "pods.json"
    pods = json.loads(pods_file.read_text())
    for pod in pods["items"]:
        pod["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = (
            SECRET
        )
        for container in pod["spec"]["containers"]:
            container.setdefault("env", []).append({"name": "API_TOKEN", "value": SECRET})
    pods_file.write_text(json.dumps(pods))
    for conf in world.glob("pods/*/*/nginx.conf"):
        text = conf.read_text()
        conf.write_text(
            text.replace("## end server app1.qas.abc.com", f"# {PRIVATE_KEY}\n## end server app1.qas.abc.com")
        )

    sources, rec = recording(Workbook.from_world(world).sources)
    for domain in ("app1.qas.abc.com", "app2.qas.abc.com"):
        run_trace(sources, domain)
    output = rec.write(tmp_path / "out.zip", world_meta("out", "test", sources.settings))
    archive = zipfile.ZipFile(output)
    stored = "\n".join(archive.read(name).decode() for name in archive.namelist())
    assert SECRET not in stored and "BEGIN PRIVATE KEY" not in stored
    assert REDACTED in stored  # the fields are kept, their values are not


def test_capture_progress_is_a_bar_on_a_terminal_and_lines_otherwise(tmp_path: Path) -> None:
    import os
    import pty

    primary, secondary = pty.openpty()
    command = [sys.executable, "-m", "ackwb.cli", "snapshot", "capture", "-o", str(tmp_path / "tty.zip")]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=120) == 0
    text = shown.decode("utf-8", "replace")
    assert "capturing" in text and "calls=" in text and "nodes=" in text and "\r" in text  # a tqdm bar
    assert "] traced " not in text  # no line per request on a terminal
    piped = capture("-o", str(tmp_path / "piped.zip"))
    lines = [line for line in piped.stderr.splitlines() if "] traced " in line]
    assert len(lines) == 12 and "capturing" not in piped.stderr and "\r" not in piped.stderr
