"""A stored world with a file missing says "this world holds no …", never "does not exist".

A snapshot of app1.qas.abc.com is captured to a folder, then one file per source is deleted
(a Kubernetes List, a cloud answer, the public DNS answers, a node's command output, the
controllers' nginx.conf). Replaying app1 must give an unknown hop whose finding names the
missing file, no finding of error severity, and never a blocked verdict. The same holds for a
complete world (the demo's layout without a manifest) missing a listing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Severity, Verdict

HOST = "app1.qas.abc.com"
SG = "sg-bp1yd0gbbgof9x7po2zvi"  # the node ENIs' security group
CONTROLLERS = ("nginx-ingress-controller-7rd2bmgfrg-58r7g", "nginx-ingress-controller-7rd2bmgfrg-zjxcw")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("missing") / "app1"
    command = [sys.executable, "-m", "ackwb.cli", "snapshot", "capture", HOST, "-o", str(output)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return output


# source → (files to delete, the hop kind left unknown)
MISSING = {
    "kube": (["kube/endpointslices.json"], "service"),
    "cloud": ([f"cloud/ecs/DescribeSecurityGroupAttribute/{SG}.json"], "backend"),
    "dns": (["dns/public.json"], "dns"),
    "node": (["nodes/10.17.10.11/ipvsadm-service/TCP_192.168.195.85_8080.txt"], "ipvs"),
    "pod exec": ([f"pods/kube-system/{pod}/nginx.conf" for pod in CONTROLLERS], "ingress"),
}


@pytest.mark.parametrize("source", sorted(MISSING))
def test_a_missing_file_is_unknown_never_absent(captured: Path, tmp_path: Path, source: str) -> None:
    world = tmp_path / "world"
    shutil.copytree(captured, world)
    files, kind = MISSING[source]
    for relative in files:
        (world / relative).unlink()
    trace = Workbook.from_world(world).trace(HOST)
    assert [f for f in trace.findings if f.severity is Severity.ERROR] == []
    assert trace.verdict is not Verdict.BLOCKED
    unknown = [h for h in trace.hops if h.verdict is Verdict.UNKNOWN]
    assert any(h.kind == kind for h in unknown), [(h.id, h.kind) for h in unknown]
    named = [f.message for f in trace.findings if f.code == "SOURCE_NOT_CAPTURED"]
    assert any(f"holds no {files[0]}" in message for message in named), named
    assert Workbook.from_world(captured).trace(HOST).verdict is Verdict.OK  # whole, the snapshot was fine


@pytest.mark.parametrize("relative", ["kube/endpointslices.json", "cloud/vpc/DescribeNatGateways.json"])
def test_a_complete_world_missing_a_listing_is_unknown_too(tmp_path: Path, relative: str) -> None:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    (world / relative).unlink()
    trace = Workbook.from_world(world).trace(HOST)
    assert [f for f in trace.findings if f.severity is Severity.ERROR] == []
    assert any(f"holds no {relative}" in f.message for f in trace.findings)
