"""A snapshot answers what its capture asked, and says "not in this snapshot" for everything else.

The world here is the demo with one more path: ``app1.qas.abc.com/api`` goes to app3-service (a
second rule of app1's Ingress and its location in both controllers' nginx.conf). A snapshot of
``app1.qas.abc.com:80/`` then replays that request exactly; another host, port or path gives
unknown hops whose finding names the scope and the command that would capture it, and never a
finding of error severity. Negative answers (NXDOMAIN, a command's failure) are recorded and
replayed; a manifest of an unknown format is refused in one line.
"""

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
from ackwb.model import Severity, Verdict
from ackwb.render.json_trace import trace_document

HOST, OTHER = "app1.qas.abc.com", "app2.qas.abc.com"


def two_paths(target: Path) -> Path:
    """The demo world where app1's Ingress also sends /api to app3-service."""
    shutil.copytree(str(demo_world_root()), target)
    ingresses = json.loads((target / "kube" / "ingresses.json").read_text())
    app1 = next(i for i in ingresses["items"] if i["metadata"]["name"] == "app1-service-ingress")
    paths = app1["spec"]["rules"][0]["http"]["paths"]
    api = json.loads(json.dumps(paths[0]))
    api["path"], api["backend"]["service"]["name"] = "/api", "app3-service"
    paths.append(api)
    (target / "kube" / "ingresses.json").write_text(json.dumps(ingresses))
    for conf in target.glob("pods/*/*/nginx.conf"):
        text = conf.read_text()
        start = text.index("\t\tlocation / {", text.index(f"## start server {HOST}"))
        end = text.index("\n\t\t}\n", start) + len("\n\t\t}\n")
        location = text[start:end].replace("location / {", "location /api {")
        location = location.replace('"app1-service"', '"app3-service"').replace('"/"', '"/api"')
        location = location.replace("app-app1-service-8080", "app-app3-service-8080")
        conf.write_text(text[:start] + location + text[start:])
    return target


def capture(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ackwb.cli", "snapshot", "capture", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_paths(tmp_path_factory.mktemp("scope") / "world")


@pytest.fixture(scope="module")
def snapshot(world: Path) -> Path:
    output = world.parent / "app1.zip"
    run = capture("--world", str(world), HOST, "--port", "80", "--path", "/", "-o", str(output))
    assert run.returncode == 0, run.stderr
    return output


def document(trace) -> dict:
    found = trace_document(trace)
    found.pop("world")
    return found


def test_the_world_really_routes_api_elsewhere(world: Path) -> None:
    trace = Workbook.from_world(world).trace(HOST, path="/api")
    assert trace.verdict is Verdict.OK
    assert trace.step("service").name == "app3-service"


def test_the_manifest_records_the_scope(snapshot: Path) -> None:
    manifest = json.loads(zipfile.ZipFile(snapshot).read("world.json"))["snapshot"]
    assert manifest["format"] == 1 and manifest["captured_by"].startswith("ackwb snapshot capture")
    assert manifest["world"].startswith("--world ")
    scope = manifest["scope"]
    assert (scope["hosts"], scope["ports"], scope["paths"]) == ([HOST], [80], ["/"])
    assert scope["requests"] == [{"host": HOST, "port": 80, "path": "/"}]
    assert scope["nodes"] == ["10.17.10.11", "10.17.10.12", "10.17.10.13"]
    asked = [entry["q"] for entry in scope["queries"]]
    assert f"dns public {HOST}. A" in asked
    assert any(q.startswith("cloud slb:DescribeLoadBalancers ") for q in asked)


def test_inside_the_scope_the_replay_is_the_world(world: Path, snapshot: Path) -> None:
    replay, stored = Workbook.from_snapshot(snapshot), Workbook.from_world(world)
    assert document(replay.trace(HOST)) == document(stored.trace(HOST))


@pytest.mark.parametrize(
    ("host", "port", "path", "unknown"),
    [(OTHER, 80, "/", "dns"), (HOST, 443, "/", "lb"), (HOST, 80, "/api", "ingress")],
    ids=["another-host", "another-port", "another-path"],
)
def test_outside_the_scope_is_unknown_never_an_error(
    world: Path, snapshot: Path, host: str, port: int, path: str, unknown: str
) -> None:
    trace = Workbook.from_snapshot(snapshot).trace(host, port=port, path=path)
    assert [f for f in trace.findings if f.severity is Severity.ERROR] == []
    assert trace.verdict is Verdict.UNKNOWN
    assert any(h.kind == unknown and h.verdict is Verdict.UNKNOWN for h in trace.hops)
    missing = [f for f in trace.findings if f.code == "SOURCE_NOT_CAPTURED"]
    assert missing and all("not in this snapshot" in f.message for f in missing)
    message = missing[0].message
    assert f"It holds hosts {HOST}; ports 80; paths /" in message
    assert f"ackwb snapshot capture --world {world} {host} --port {port} --path {path} -o NEW.zip" in message
    # the world itself answers: the replay did not stand in for a fault
    assert Workbook.from_world(world).trace(host, port=port, path=path).verdict is not Verdict.UNKNOWN


def test_a_negative_answer_is_replayed(world: Path, tmp_path: Path) -> None:
    output = tmp_path / "gone.zip"
    assert capture("--world", str(world), "gone.qas.abc.com", "-o", str(output)).returncode == 0
    manifest = json.loads(zipfile.ZipFile(output).read("world.json"))["snapshot"]
    nxdomain = next(e for e in manifest["scope"]["queries"] if e["q"] == "dns public gone.qas.abc.com. A")
    assert nxdomain["error"]["kind"] == "InputError" and "NXDOMAIN" in nxdomain["error"]["message"]
    replay = Workbook.from_snapshot(output).trace("gone.qas.abc.com")
    stored = Workbook.from_world(world).trace("gone.qas.abc.com")
    assert [f.code for f in replay.findings] == [f.code for f in stored.findings] == ["DNS_NAME_NOT_FOUND"]


def test_a_failing_command_is_recorded_with_its_exit_status(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    listing = world / "nodes" / "10.17.10.11" / "ipvsadm.txt"  # app1's virtual server is gone there
    lines, kept, skipping = listing.read_text().splitlines(keepends=True), [], False
    for line in lines:
        skipping = line.startswith("TCP  192.168.195.85:8080") or (skipping and line.startswith("  ->"))
        kept += [] if skipping else [line]
    listing.write_text("".join(kept))
    output = tmp_path / "vip-missing.zip"
    assert capture("--world", str(world), HOST, "-o", str(output)).returncode == 0
    manifest = json.loads(zipfile.ZipFile(output).read("world.json"))["snapshot"]
    (failed,) = [e for e in manifest["scope"]["queries"] if "output" in e]
    assert failed["q"].startswith("node 10.17.10.11 ") and "192.168.195.85:8080" in failed["q"]
    assert failed["output"] == {"stdout": "", "exit_status": 1, "stderr": "Memory allocation problem\n"}
    replay, stored = Workbook.from_snapshot(output).trace(HOST), Workbook.from_world(world).trace(HOST)
    assert "KUBE_PROXY_VIP_MISSING" in [f.code for f in replay.findings]
    assert document(replay) == document(stored)


@pytest.mark.parametrize("version", [2, "1", None])
def test_an_unknown_format_is_refused_in_one_line(snapshot: Path, tmp_path: Path, version) -> None:
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(snapshot).extractall(folder)
    meta = json.loads((folder / "world.json").read_text())
    meta["snapshot"]["format"] = version
    (folder / "world.json").write_text(json.dumps(meta))
    command = [sys.executable, "-m", "ackwb.cli", "trace", HOST, "--world", str(folder)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert f"snapshot format {version!r} is not one this ackwb reads" in run.stderr
