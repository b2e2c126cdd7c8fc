"""Gateway API on ALB live: against the real peers (the Kubernetes API server serving the Gateway API
custom resources, the OpenAPI server answering the ALB SDK, dnsmasq, sshd) of design world
alb-gateway, ``ackwb trace`` of the Gateway's host prints exactly what the built-in world prints,
for the weighted /api rule and for the catch-all, and only reads reach the peers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from peers.lab import live_lab

from ackwb.demo import demo_world_root
from ackwb.sources.world import load_world

HOST = "store.gw.alb.abc.com"


def test_live_gateway_trace_equals_the_world_trace(tmp_path: Path) -> None:
    runs = {}
    with live_lab(load_world(demo_world_root("alb-gateway")), tmp_path / "lab") as lab:
        for path in ("/api/items", "/"):
            command = [sys.executable, "-m", "ackwb.cli", "trace", HOST, "--path", path, "--output", "wide"]
            runs[path] = subprocess.run(
                [*command, "--profile", "lab"], capture_output=True, text=True, timeout=180, env=lab.env()
            )
        read = {r.path.split("?")[0].rsplit("/", 1)[-1] for r in lab.kube.requests}
        assert {r.method for r in lab.kube.requests} == {"GET"}
        assert {"gateways", "httproutes", "alb"} <= read  # Gateways, HTTPRoutes, GatewayClass alb: live
        assert all(r.action.startswith(("Describe", "List", "Get")) for r in lab.cloud.requests)
    for path, live in runs.items():
        command = [sys.executable, "-m", "ackwb.cli", "trace", HOST, "--path", path, "--output", "wide"]
        world = subprocess.run(
            [*command, "--scenario", "alb-gateway"], capture_output=True, text=True, timeout=180
        )
        assert live.returncode == world.returncode == 0, live.stderr
        assert live.stdout == world.stdout
        assert "Gateway shop/alb-gw" in live.stdout and "HTTPRoute shop/store" in live.stdout


def test_live_refused_route_equals_the_world_trace(tmp_path: Path) -> None:
    """The scenario live: the route's Accepted=False condition is read from the API server's status
    and quoted exactly as the stored world quotes it; both exit 1 (blocked)."""
    scenario = "gateway-route-not-accepted"
    command = [sys.executable, "-m", "ackwb.cli", "trace", HOST, "--output", "wide"]
    with live_lab(load_world(demo_world_root(scenario)), tmp_path / "lab") as lab:
        live = subprocess.run(
            [*command, "--profile", "lab"], capture_output=True, text=True, timeout=180, env=lab.env()
        )
    world = subprocess.run([*command, "--scenario", scenario], capture_output=True, text=True, timeout=180)
    assert live.returncode == world.returncode == 1, live.stderr
    assert live.stdout == world.stdout
    assert "GATEWAY_ROUTE_NOT_ACCEPTED" in live.stdout and "NoMatchingParent" in live.stdout
