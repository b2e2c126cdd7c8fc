"""The L4 Service front door live: against the real peers (Kubernetes API server, OpenAPI server,
sshd nodes, dnsmasq) serving a design world, ``ackwb trace`` of an L4 host prints exactly what
the built-in world prints, and only reads reach the peers.

mqtt.fln.abc.com (TCP 1883): a CLB to NodePorts on Flannel with iptables, so the live trace
reads kube-proxy's rules over SSH; redis.tnl.abc.com (TCP 6379): an NLB whose server group of
type Ip holds the Pod IPs, found through a CNAME that dnsmasq answers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from peers.lab import live_lab

from ackwb.demo import demo_world_root
from ackwb.sources.world import load_world

CASES = [("flannel-nodeport", "mqtt.fln.abc.com", "1883"), ("terway-nlb", "redis.tnl.abc.com", "6379")]


@pytest.mark.parametrize(("design", "domain", "port"), CASES)
def test_live_l4_trace_equals_the_world_trace(design: str, domain: str, port: str, tmp_path: Path) -> None:
    with live_lab(load_world(demo_world_root(design)), tmp_path / "lab") as lab:
        command = [sys.executable, "-m", "ackwb.cli", "trace", domain, "--port", port, "--output", "wide"]
        live = subprocess.run(
            [*command, "--profile", "lab"], capture_output=True, text=True, timeout=180, env=lab.env()
        )
        assert lab.kube.requests and {r.method for r in lab.kube.requests} == {"GET"}
        assert all(r.action.startswith(("Describe", "List", "Get")) for r in lab.cloud.requests)
    world = subprocess.run([*command, "--scenario", design], capture_output=True, text=True, timeout=180)
    assert live.returncode == world.returncode == 0, live.stderr
    assert live.stdout == world.stdout
    assert "FRONT_DOOR_L4" in live.stdout and "ingress-nginx" not in live.stdout
