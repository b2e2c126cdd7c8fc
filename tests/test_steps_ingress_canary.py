"""The Ingress step and canaries: the share a canary backend takes of a location's requests.

A copy of the healthy world whose controllers' dynamic backends give app1's backend a canary
(``alternativeBackends`` plus the canary backend with its ``trafficShapingPolicy``), as
ingress-nginx holds them for a canary Ingress. Stored and live (the kube API peer answering
``/dbg backends get`` through the real client's exec) must agree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from peers.kube_api import running_kube_api

from ackwb.demo import demo_world_root
from ackwb.model import Severity, Trace
from ackwb.sources import Sources
from ackwb.sources.live_kube_exec import LivePodExec
from ackwb.sources.world import load_world
from ackwb.steps.ingress import IngressResult
from ackwb.trace import run_trace

A1 = "app1.qas.abc.com"
MAIN, CANARY = "app-app1-service-8080", "app-app1-service-canary-8080"
HOP = "ingress:app/app1-service-ingress"


def canary_world(tmp_path: Path, weight: int, endpoints: list[dict], header: str = "") -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), root)
    for path in root.glob("pods/kube-system/*/backends.json"):
        backends = json.loads(path.read_text())
        main = next(b for b in backends if b["name"] == MAIN)
        main["alternativeBackends"] = [CANARY]
        canary = json.loads(json.dumps(main))
        canary.update(name=CANARY, noServer=True, endpoints=endpoints, alternativeBackends=[])
        canary["trafficShapingPolicy"].update(weight=weight, header=header)
        path.write_text(json.dumps([*backends, canary], indent=2))
    return root


def ingress_of(trace: Trace) -> IngressResult:
    return next(s for s in trace.steps if isinstance(s, IngressResult))


def trace_of(root: Path) -> Trace:
    return run_trace(load_world(root).sources(), A1)


NEW_POD = [{"address": "10.17.10.95", "port": "8080"}]


def test_a_weighted_canary_takes_its_share_and_the_trace_follows_the_main_service(tmp_path: Path) -> None:
    trace = trace_of(canary_world(tmp_path, 20, NEW_POD, header="X-Canary"))
    ing = ingress_of(trace)
    assert [(t.name, round(t.share, 2), t.canary) for t in ing.traffic] == [
        (MAIN, 0.8, False),
        (CANARY, 0.2, True),
    ]
    [finding] = [f for f in trace.findings if f.code == "INGRESS_CANARY"]
    assert (finding.severity, finding.hop) == (Severity.INFO, HOP)
    assert "20% of the requests" in finding.message and "header X-Canary" in finding.message
    policy = next(e for e in finding.evidence if e.locator.endswith("trafficShapingPolicy"))
    assert json.loads(policy.excerpt)["weight"] == 20
    assert f"/dbg backends get {CANARY}" in (finding.check or "")
    assert not [f for f in trace.findings if f.severity is Severity.ERROR]
    assert ing.service_name == "app1-service"


def test_a_canary_at_full_weight_is_a_warning(tmp_path: Path) -> None:
    trace = trace_of(canary_world(tmp_path, 100, NEW_POD))
    [finding] = [f for f in trace.findings if f.code.startswith("INGRESS_CANARY")]
    assert (finding.code, finding.severity) == ("INGRESS_CANARY_TAKES_ALL", Severity.WARNING)
    assert "Every request for this location goes to the canary backend" in finding.message


def test_a_canary_without_endpoints_takes_nothing_and_says_why(tmp_path: Path) -> None:
    trace = trace_of(canary_world(tmp_path, 50, []))
    [finding] = [f for f in trace.findings if f.code.startswith("INGRESS_CANARY")]
    assert finding.severity is Severity.INFO
    assert "takes no request" in finding.message and "no endpoints" in finding.message
    assert [(t.name, t.share) for t in ingress_of(trace).traffic] == [(MAIN, 1.0)]


def test_without_a_canary_nothing_is_said(tmp_path: Path) -> None:
    trace = run_trace(load_world(demo_world_root()).sources(), A1)
    assert ingress_of(trace).traffic == ()
    assert not [f for f in trace.findings if f.code.startswith("INGRESS_CANARY")]


def test_live_exec_reads_the_canary_backend_like_the_stored_world(tmp_path: Path) -> None:
    world = load_world(canary_world(tmp_path, 20, NEW_POD))
    stored = world.sources()
    with running_kube_api(world, tmp_path) as (peer, kubeconfig):
        live = Sources(**{**stored.__dict__, "pod_exec": LivePodExec(kubeconfig, "peer")})
        got = run_trace(live, A1)
        asked = [r.exec_argv for r in peer.requests if r.exec_argv]
    expected = run_trace(stored, A1)
    assert [(f.code, f.message, f.evidence) for f in got.findings] == [
        (f.code, f.message, f.evidence) for f in expected.findings
    ]
    assert ("/dbg", "backends", "get", CANARY) in asked, asked
