"""``ackwb`` in live mode against all four real peers at once, as a user runs it.

The peers serve the demo world, so a live trace must print exactly what the demo trace
prints; a capture must replay to the same trace and hold no credential; nothing but reads
and allow-listed commands may reach a peer; and with any one peer failing, the trace still
completes, with that hop unknown and a finding naming the cause.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers.kube_api import TOKEN
from peers.lab import FAKE_SECRET, Lab, live_lab

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.sources import commands
from ackwb.sources.world import load_world

DOMAINS = ["app1.qas.abc.com", "app2.qas.abc.com", "app3.qas.abc.com", "app4.qas.abc.com"]  # app4: NLB


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with live_lab(load_world(demo_world_root()), tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture(autouse=True)
def healthy_peers(lab: Lab) -> Iterator[None]:
    yield
    lab.kube.reset()
    lab.cloud.reset()


def ackwb(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ackwb.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=lab.env())


@pytest.mark.parametrize("domain", DOMAINS)
def test_live_trace_prints_the_same_hops_as_the_demo(lab: Lab, domain: str) -> None:
    live = ackwb(lab, "trace", domain, "--profile", "lab")
    demo = subprocess.run(
        [sys.executable, "-m", "ackwb.cli", "trace", domain], capture_output=True, text=True
    )
    assert live.returncode == demo.returncode == 0, live.stderr
    assert live.stdout == demo.stdout
    assert live.stderr.startswith("ackwb: using the live profile 'lab'")


def test_capture_live_then_replay(lab: Lab, tmp_path: Path) -> None:
    snapshot = tmp_path / "qas.zip"
    run = ackwb(lab, "snapshot", "capture", "--profile", "lab", "-o", str(snapshot), *DOMAINS)
    assert run.returncode == 0, run.stderr
    assert "nodes" in run.stderr.splitlines()[-1] and "calls" in run.stderr.splitlines()[-1]
    demo, replay = Workbook.demo(), Workbook.from_snapshot(snapshot)
    for domain in DOMAINS:
        assert replay.trace(domain).rows == demo.trace(domain).rows
    archive = zipfile.ZipFile(snapshot)
    stored = "\n".join(archive.read(name).decode() for name in archive.namelist())
    for secret in (FAKE_SECRET, TOKEN, "BEGIN PRIVATE KEY", "BEGIN OPENSSH PRIVATE KEY"):
        assert secret not in stored


def test_nothing_but_reads_reached_any_peer(lab: Lab) -> None:
    for domain in DOMAINS:
        assert ackwb(lab, "trace", domain, "--profile", "lab").returncode == 0
    assert lab.kube.requests and {r.method for r in lab.kube.requests} == {"GET"}
    assert lab.cloud.requests and all(
        r.action.startswith(("Describe", "List", "Get")) for r in lab.cloud.requests
    )
    nlb = {r.action for r in lab.cloud.requests if (r.product, r.version) == ("nlb", "2022-04-30")}
    assert nlb == {
        "ListLoadBalancers", "ListListeners", "ListServerGroupServers", "GetListenerHealthStatus",
        "ListServerGroups",
    }
    node_commands = [entry["command"] for entry in lab.ssh.node.commands()]
    allowed = {
        commands.proxy_mode().shell(),
        commands.ipvsadm_list().shell(),
        commands.ip_addresses().shell(),
    }
    assert node_commands and all(c in allowed or c.startswith("ipvsadm -Ln -t ") for c in node_commands)


@pytest.mark.parametrize(
    ("break_peer", "code", "hop_kind", "status"),
    [
        (lambda lab: lab.kube.set_fault("refuse"), "SOURCE_UNREACHABLE", "node", 1),
        # app1's Service is on the in-cluster path only: the request still reaches the Pod nginx knows
        (lambda lab: lab.kube.set_fault("forbidden", "endpointslices"), "SOURCE_FORBIDDEN", "service", 0),
        (lambda lab: lab.cloud.forbid("DescribeLoadBalancerListeners"), "SOURCE_FORBIDDEN", "lb", 1),
        (lambda lab: lab.cloud.refuse(), "SOURCE_UNREACHABLE", "lb", 1),
    ],
    ids=["kube-refused", "kube-403-endpointslices", "cloud-403-listeners", "cloud-refused"],
)
def test_a_failing_peer_makes_its_hop_unknown_not_a_crash(
    lab: Lab, break_peer, code: str, hop_kind: str, status: int
) -> None:
    break_peer(lab)
    run = ackwb(lab, "trace", "app1.qas.abc.com", "--profile", "lab")
    assert "Traceback" not in run.stderr
    assert run.returncode == status
    assert code in run.stdout
    assert any(line.startswith(hop_kind) and "unknown" in line for line in run.stdout.splitlines())
