"""A capture writes only inside its output, whatever names the answers hold.

Names from answers become file names (an Alidns zone, load balancer and server group IDs, node
IPs, namespaces and Pods). A hostile answer (``DomainName: ../../escape``) once made capture write
beside the output folder and put a ``../`` member into the zip. Such an answer is now not kept
(the capture says so), every path is checked again when written, and a folder output must be new
or empty.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.errors import InputError
from ackwb.sources import commands
from ackwb.sources.base import CommandOutput
from ackwb.sources.recording import Recording, recording, world_meta
from ackwb.sources.world_archive import safe_relative

ESCAPE = "../../../../../escape"  # from cloud/alidns/DescribeDomainRecords/ to tmp_path


@pytest.fixture
def hostile_zone_world(tmp_path: Path) -> Path:
    world = tmp_path / "deep" / "world"
    shutil.copytree(str(demo_world_root()), world)
    records = world / "cloud" / "alidns" / "DescribeDomainRecords" / "abc.com.json"
    data = json.loads(records.read_text(encoding="utf-8"))
    for record in data["DomainRecords"]["Record"]:
        record["DomainName"] = ESCAPE
    records.write_text(json.dumps(data), encoding="utf-8")
    return world


@pytest.mark.parametrize("output", ["out/snap", "out/snap.zip"])
def test_a_hostile_zone_name_writes_nothing_outside_the_output(
    hostile_zone_world: Path, tmp_path: Path, output: str
) -> None:
    before = {p for p in tmp_path.rglob("*")}
    target = tmp_path / "deep" / output
    run = subprocess.run(
        [sys.executable, "-m", "ackwb.cli", "snapshot", "capture", "--world", str(hostile_zone_world),
         "app1.qas.abc.com", "-o", str(target)], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "not stored" in run.stderr and ESCAPE in run.stderr
    new = {p for p in tmp_path.rglob("*")} - before
    assert all(p == target or target in p.parents or p == target.parent for p in new), sorted(new)
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "deep" / "escape.json").exists()
    if target.suffix == ".zip":
        names = zipfile.ZipFile(target).namelist()
        assert names and all(safe_relative(name) for name in names)


class AnyNode:
    """A node source that answers every allow-listed command on any node (a stand-in for SSH)."""

    def run(self, node: str, command: Any) -> CommandOutput:
        return CommandOutput("ipvs")


class AnyPod:
    def run(self, namespace: str, pod: str, container: str, command: Any) -> CommandOutput:
        return CommandOutput('{"name": "x", "endpoints": []}\n' if command.name == "nginx-backend" else "x\n")


class AnyCloud:
    region = "cn-hangzhou"

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"RequestId": "r", "BackendServers": {"BackendServer": []}}


def test_hostile_names_from_any_source_are_not_kept() -> None:
    from dataclasses import replace

    base = Workbook.demo().sources
    sources, rec = recording(replace(base, node=AnyNode(), pod_exec=AnyPod(), cloud=AnyCloud()))
    sources.node.run("../../etc", commands.proxy_mode())
    sources.node.run("10.17.10.11/../..", commands.proxy_mode())
    sources.pod_exec.run("../..", "x", "c", commands.nginx_backend("x"))
    sources.pod_exec.run("kube-system", "a/../../b", "c", commands.nginx_server_block("h"))
    sources.cloud.call("slb", "DescribeVServerGroupAttribute", {"VServerGroupId": "../../x"})
    sources.cloud.call("slb", "DescribeHealthStatus", {"LoadBalancerId": ".hidden"})
    sources.node.run("10.17.10.11", commands.proxy_mode())  # a plain name is kept
    assert list(rec.files) == ["nodes/10.17.10.11/proxy-mode.txt"]
    assert len(rec.refused) == 6


def test_a_path_that_is_not_plain_is_never_written(tmp_path: Path) -> None:
    rec = Recording(files={"kube/../../x.json": {}})
    settings = Workbook.demo().sources.settings
    with pytest.raises(InputError, match="not a plain relative path"):
        rec.write(tmp_path / "out.zip", world_meta("w", "d", settings))
    assert not (tmp_path / "out.zip").exists()


def test_a_folder_output_must_be_new_or_empty(tmp_path: Path) -> None:
    output = tmp_path / "existing"
    output.mkdir()
    (output / "kube").symlink_to(tmp_path)  # a symlink that would lead writes elsewhere
    with pytest.raises(InputError, match="not an empty folder"):
        Recording().write(output, world_meta("w", "d", Workbook.demo().sources.settings))
