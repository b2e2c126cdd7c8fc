"""Bad input to the ``ackwb`` command is one line on stderr and exit status 2, never a traceback.

Each case here crashed, or exited 1, before: a snapshot that is not a zip, cut short or empty
(``trace`` and ``diff``), a world.json with wrong types or not UTF-8, ``-o`` naming a folder or a
place that cannot be written (report, capture, map), an invalid domain (refused before any world
is opened), and a profile whose timeout is nan or inf. ``report --world RELATIVE`` must work,
although the report notebook runs in another folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ackwb.demo import demo_world_root
from ackwb.errors import InputError
from ackwb.profiles import load_profile

ACKWB = [sys.executable, "-m", "ackwb.cli"]


def ackwb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ACKWB, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def one_line_error(run: subprocess.CompletedProcess[str], *words: str) -> str:
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr
    last = run.stderr.splitlines()[-1]
    assert last.startswith("ackwb: "), run.stderr
    for word in words:
        assert word in last, (word, last)
    return last


@pytest.fixture(scope="module")
def good_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("snap") / "good.zip"
    run = ackwb("snapshot", "capture", "app1.qas.abc.com", "-o", str(output))
    assert run.returncode == 0, run.stderr
    return output


def test_garbage_zip_is_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 this is not a zip at all " * 40)
    run = ackwb("trace", "app1.qas.abc.com", "--world", str(garbage))
    assert run.stderr.count("\n") == 1
    one_line_error(run, "not a snapshot", "garbage.zip")


def test_truncated_zip_is_one_line(tmp_path: Path, good_zip: Path) -> None:
    cut = tmp_path / "cut.zip"
    data = good_zip.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    one_line_error(ackwb("trace", "app1.qas.abc.com", "--world", str(cut)), "cut.zip")


def test_empty_zip_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    one_line_error(ackwb("trace", "app1.qas.abc.com", "--snapshot", str(empty)), "empty zip")


def test_diff_with_a_garbage_zip_is_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"\x00" * 100)
    one_line_error(ackwb("diff", "healthy", str(garbage)), "not a snapshot")


def world_with_manifest(tmp_path: Path, manifest: bytes) -> Path:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    (world / "world.json").write_bytes(manifest)
    return world


@pytest.mark.parametrize(
    "changes, words",
    [({"name": 5}, ["'name'"]), ({"cluster_id": ["x"]}, ["'cluster_id' must be a string, not a list"]),
     ({"ingress_controller": "kube-system"}, ["'ingress_controller' must be an object"]),
     ({"ingress_controller": {"namespace": 7}}, ["ingress_controller.namespace"]),
     ({"cluster_domain": None}, ["'cluster_domain' must be a string, not null"])],
)  # fmt: skip
def test_world_json_with_wrong_types_is_one_line(tmp_path: Path, changes: dict, words: list[str]) -> None:
    meta = json.loads((demo_world_root() / "world.json").read_text(encoding="utf-8"))
    world = world_with_manifest(tmp_path, json.dumps({**meta, **changes}).encode())
    one_line_error(ackwb("trace", "app1.qas.abc.com", "--world", str(world)), "world.json", *words)


def test_world_json_not_utf8_is_one_line(tmp_path: Path) -> None:
    world = world_with_manifest(tmp_path, b'{"name": "caf\xe9", "region": "cn-hangzhou"}')
    one_line_error(ackwb("domains", "--world", str(world)), "world.json", "not UTF-8")


def test_output_that_is_a_folder_is_refused_before_tracing(tmp_path: Path) -> None:
    one_line_error(ackwb("report", "app1.qas.abc.com", "-o", str(tmp_path)), "is a folder")
    folder_zip = tmp_path / "snap.zip"
    folder_zip.mkdir()
    one_line_error(ackwb("snapshot", "capture", "-o", str(folder_zip)), "is a folder")
    one_line_error(ackwb("map", "-o", str(tmp_path)), "is a folder")
    (tmp_path / "not-empty").mkdir()
    (tmp_path / "not-empty" / "keep.txt").write_text("mine")
    one_line_error(ackwb("snapshot", "capture", "-o", str(tmp_path / "not-empty")), "already exists")
    assert (tmp_path / "not-empty" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("target", ["/proc/ackwb-report.html", "/etc/hostname/report.html"])
def test_output_that_cannot_be_written_is_one_line(target: str) -> None:
    one_line_error(ackwb("report", "app1.qas.abc.com", "-o", target), target.split("/")[1])
    one_line_error(ackwb("map", "-o", target.replace(".html", ".svg")))
    one_line_error(ackwb("snapshot", "capture", "-o", target.replace(".html", ".zip")))


def test_report_with_a_relative_world_folder(tmp_path: Path) -> None:
    shutil.copytree(str(demo_world_root()), tmp_path / "w")
    run = ackwb("report", "app1.qas.abc.com", "--world", "w", "-o", "r.html", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "app1-service-ingress" in page and str(tmp_path / "w") in page


@pytest.mark.parametrize(
    "domain", ["app1 .qas.abc.com", "a..b.com", "app1.qas.abc.com/x", "é.abc.com", "x" * 64]
)
def test_an_invalid_domain_exits_2_before_any_world_is_opened(domain: str) -> None:
    for command in (["trace", domain], ["report", domain], ["snapshot", "capture", domain, "-o", "x.zip"]):
        run = ackwb(*command)
        line = one_line_error(run, "domain")
        assert "using the" not in run.stderr, line  # refused before the world was opened


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e9"])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_is_refused(tmp_path: Path, value: str) -> None:
    profiles = tmp_path / "ackwb.toml"
    ssh = f"[profiles.qas.ssh]\ncommand_timeout = {value}\n"
    profiles.write_text(f'[profiles.qas]\nregion = "cn-hangzhou"\n{ssh}')
    with pytest.raises(InputError, match="command_timeout .* a positive number of seconds"):
        load_profile("qas", profiles)
    run = ackwb("trace", "app1.qas.abc.com", "--profile", "qas", "--profiles", str(profiles))
    one_line_error(run, "command_timeout")
