"""In every built-in design world, a full capture replayed for every host, path and port equals the
live trace against the real peers (the Kubernetes API server, the OpenAPI server, sshd, dnsmasq).

Each world gets its own lab; ``ackwb snapshot capture --profile lab`` captures every Ingress host ×
rule path × listener port and every LoadBalancer Service (through a session whose narrow queries
are answered from broad reads, since the sources are live); tests/replay_compare.py then traces
each request of the snapshot's manifest live and from the snapshot and compares the documents.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from peers.lab import live_lab

from ackwb.demo import DESIGNS, demo_world_root
from ackwb.plan import plan
from ackwb.sources.world import load_world

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("design", DESIGNS)
def test_a_full_capture_replays_as_the_live_trace(design: str, tmp_path: Path) -> None:
    world = load_world(demo_world_root(design))
    with live_lab(world, tmp_path / "lab") as lab:
        snapshot = tmp_path / f"{design}.zip"
        command = [
            sys.executable,
            "-m",
            "ackwb.cli",
            "snapshot",
            "capture",
            "--profile",
            "lab",
            "-o",
            str(snapshot),
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=lab.env())
        assert run.returncode == 0, run.stderr
        manifest = json.loads(zipfile.ZipFile(snapshot).read("world.json"))["snapshot"]
        asked = {(r["host"], r["port"], r["path"]) for r in manifest["scope"]["requests"]}
        wanted = {(r.host, r.port, r.path) for r in plan(world.sources(), services=True)}
        assert asked == wanted and any(port != 80 for _, port, _ in asked)
        compare = [sys.executable, str(HERE / "replay_compare.py"), str(snapshot)]
        done = subprocess.run(compare, capture_output=True, text=True, timeout=600, env=lab.env())
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
    assert result["requests"] == len(asked)
    assert result["differences"] == []


def test_a_live_sweep_of_a_broken_world_lists_exactly_its_broken_paths(tmp_path: Path) -> None:
    scenario = "lb-listener-stopped"  # listener 80 of public-lb: app1 and app2 on port 80
    with live_lab(load_world(demo_world_root(scenario)), tmp_path / "lab") as lab:
        command = [sys.executable, "-m", "ackwb.cli", "sweep", "--profile", "lab"]
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=lab.env())
        cloud_actions = [r.action for r in lab.cloud.requests]
    assert run.returncode == 1, run.stderr
    rows = [line.split() for line in run.stdout.splitlines()[2:] if line.strip() and "paths," not in line]
    blocked = sorted((row[0], row[2]) for row in rows if row[5] == "blocked")  # after "front door"
    assert blocked == [("app1.qas.abc.com", "80"), ("app2.qas.abc.com", "80")]
    assert len(rows) == 8 and "8 paths, 2 not ok" in run.stdout
    # one session: each load balancer's listeners were read once, however many hosts and ports
    assert cloud_actions.count("DescribeLoadBalancerListeners") == 2
