"""The Envoy Gateway front door live: against the real peers (the Kubernetes API server serving
gateway.networking.k8s.io, the OpenAPI server, sshd nodes, dnsmasq) serving terway-eni-https,
``ackwb trace`` of each Gateway API host prints exactly what the built-in world prints, and only
reads reach the peers; the Gateway API objects are read on the paths their CRDs define.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from peers.lab import live_lab

from ackwb.demo import demo_world_root
from ackwb.sources.world import load_world

CASES = [
    ("terway-eni-https", "shop.gw.tee.abc.com", "/", 0, "Service store/web-next:8080 weight 10 (10%)"),
    ("terway-eni-https", "shop.gw.tee.abc.com", "/blog", 0, "Envoy answers 301"),
    ("envoy-route-refs-unresolved", "docs.gw.tee.abc.com", "/", 1, "GATEWAY_ROUTE_REFS_UNRESOLVED"),
]


@pytest.mark.parametrize(("world", "domain", "path", "status", "shown"), CASES)
def test_live_envoy_trace_equals_the_world_trace(
    world: str, domain: str, path: str, status: int, shown: str, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "ackwb.cli", "trace", domain, "--path", path, "--output", "wide"]
    with live_lab(load_world(demo_world_root(world)), tmp_path / "lab") as lab:
        live = subprocess.run(
            [*command, "--profile", "lab"], capture_output=True, text=True, timeout=180, env=lab.env()
        )
        asked = [r.path for r in lab.kube.requests]
        assert lab.kube.requests and {r.method for r in lab.kube.requests} == {"GET"}
        assert all(r.action.startswith(("Describe", "List", "Get")) for r in lab.cloud.requests)
    stored = subprocess.run([*command, "--scenario", world], capture_output=True, text=True, timeout=180)
    assert live.returncode == stored.returncode == status, live.stderr
    assert live.stdout == stored.stdout
    assert shown in live.stdout
    assert "/apis/gateway.networking.k8s.io/v1/namespaces/store/gateways/eg" in asked
    assert "/apis/gateway.networking.k8s.io/v1/httproutes" in asked
    assert "/apis/gateway.networking.k8s.io/v1beta1/referencegrants" in asked
