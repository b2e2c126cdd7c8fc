"""The broken demo worlds: each yields its finding, on its hop, with its verdict and culprit.

``EXPECTED`` is this test's own table (not read back from the worlds' ``world.json``), so a
scenario or a step that drifts makes it fail. Hop ids are matched with shell wildcards
where they hold generated IDs (``listener:lb-*:80``). The healthy world must produce no
error for any of its domains, and the overlay folders must hold only what differs (plus, for
a node a scenario switches to iptables mode, that node's ``iptables-save`` output).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.cli import main as cli_main
from ackwb.demo import SCENARIOS, WORLDS, demo_world_root
from ackwb.errors import InputError
from ackwb.model import Path as Journey
from ackwb.model import Severity, Trace, Verdict
from ackwb.sources.world import load_world
from ackwb.trace import dead_end

ROOT = Path(__file__).resolve().parent.parent
OK, BLOCKED = Verdict.OK, Verdict.BLOCKED
FAMILIES = {"dns", "load balancer", "ingress", "service", "kube-proxy", "pod", "egress"}


@dataclass(frozen=True)
class Expect:
    family: str
    domain: str
    code: str
    hop: str  # the finding's hop id, shell wildcards allowed
    hop_verdict: Verdict  # of that hop, as the trace draws it
    verdict: Verdict  # of the whole trace
    culprit: str  # text ackwb.trace.dead_end must contain; "" = the request gets through
    severity: Severity = Severity.ERROR
    client_ip: str | None = None
    journey: Journey = Journey.REQUEST  # whose verdict ``verdict`` is; the request gets through otherwise
    branch: bool = False  # the fault blocks one branch of several: the request gets through by the others


A1, A2, A3, A4 = "app1.qas.abc.com", "app2.qas.abc.com", "app3.qas.abc.com", "app4.qas.abc.com"
EXPECTED = {
    "dns-record-deleted": Expect(
        "dns", A1, "DNS_NAME_NOT_FOUND", f"dns:{A1}", BLOCKED, BLOCKED, f"{A1} does not resolve"
    ),
    "dns-stale-answer": Expect(
        "dns", A2, "DNS_RECORD_MISMATCH", f"dns:{A2}", BLOCKED, BLOCKED,
        "resolvers answer 203.0.113.15", Severity.WARNING,
    ),
    "lb-listener-stopped": Expect(
        "load balancer", A1, "LB_LISTENER_STOPPED", "listener:lb-*:80", BLOCKED, BLOCKED,
        "listener 80 of public-lb is stopped",
    ),
    "lb-acl-entry-removed": Expect(
        "load balancer", A3, "LB_ACL_DENIES_CLIENT", "listener:lb-*:80", BLOCKED, BLOCKED,
        "refuses client 192.0.2.44", client_ip="192.0.2.44",
    ),
    "lb-backends-unhealthy": Expect(
        "load balancer", A1, "LB_BACKENDS_UNHEALTHY", "listener:lb-*:80", BLOCKED, BLOCKED, "is unhealthy"
    ),
    "lb-nodeport-mismatch": Expect(
        "load balancer", A1, "LB_NODEPORT_MISMATCH", "backend:10.17.10.1?:30080", BLOCKED, BLOCKED,
        "listens on NodePort 31523",
    ),
    "nlb-security-group-closed": Expect(
        "load balancer", A4, "LB_SECURITY_GROUP_DENIES", "listener:nlb-*:80", BLOCKED, BLOCKED,
        "Drop TCP 80/80 from 0.0.0.0/0 priority 1",
    ),
    "ingress-host-typo": Expect(
        "ingress", A1, "INGRESS_NO_RULE_FOR_HOST", f"ingress:{A1}", BLOCKED, BLOCKED, "app1.qsa.abc.com"
    ),
    "ingress-class-not-served": Expect(
        "ingress", A2, "INGRESS_CLASS_NOT_SERVED", f"ingress:{A2}", BLOCKED, BLOCKED, "IngressClass alb"
    ),
    "ingress-out-of-sync": Expect(
        "ingress", A1, "INGRESS_OUT_OF_SYNC", "ingress:app/app1-service-ingress", BLOCKED, BLOCKED,
        "out of sync",
    ),
    "ingress-backend-empty": Expect(
        "ingress", A1, "INGRESS_BACKEND_NO_ENDPOINTS", "ingress:app/app1-service-ingress", BLOCKED, BLOCKED,
        "dynamic backends are stale",
    ),
    "service-selector-typo": Expect(
        "service", A1, "SERVICE_SELECTOR_MATCHES_NOTHING", "service:app/app1-service", BLOCKED, BLOCKED,
        "app=app1-srvice",
    ),
    "service-target-port": Expect(
        "service", A2, "SERVICE_TARGET_PORT_NOT_EXPOSED", "service:app/app2-service", BLOCKED, BLOCKED,
        "targetPort 80",
    ),
    "ipvs-stale-real-server": Expect(  # node .12's controller and kube-proxy still get app2 through
        "kube-proxy", A2, "KUBE_PROXY_STALE_RULES", "kube-proxy:cn-hangzhou.10.17.10.11", BLOCKED, OK,
        "stale 10.17.10.95:8080", branch=True,
    ),
    "ipvs-weight-zero": Expect(
        "kube-proxy", A2, "KUBE_PROXY_WEIGHT_ZERO", "kube-proxy:cn-hangzhou.10.17.10.11", OK, OK, "",
        Severity.WARNING,
    ),
    "proxy-mode-differs": Expect(
        "kube-proxy", A1, "KUBE_PROXY_MODE_DIFFERS", "kube-proxy:cn-hangzhou.10.17.10.1?", OK, OK, "",
        Severity.WARNING,
    ),
    "iptables-stale-dnat": Expect(  # app1's request goes nginx → Pod IP; the ClusterIP is in-cluster only
        "kube-proxy", A1, "KUBE_PROXY_STALE_RULES", "kube-proxy:cn-hangzhou.10.17.10.11", BLOCKED, OK,
        "stale 10.17.10.90:8080", branch=True,
    ),
    "pod-crashloop": Expect(
        "pod", A1, "POD_NOT_READY", "pod:app/app1-service-*", BLOCKED, BLOCKED, "CrashLoopBackOff"
    ),
    "node-not-ready": Expect(
        "pod", A1, "POD_NODE_NOT_READY", "pod:app/app1-service-*", BLOCKED, BLOCKED,
        "node cn-hangzhou.10.17.10.13, which is NotReady",
    ),
    "egress-no-default-route": Expect(
        "egress", A1, "EGRESS_NO_ROUTE_TO_NAT", "vswitch:vsw-*", BLOCKED, BLOCKED, "no 0.0.0.0/0 route",
        journey=Journey.EGRESS,
    ),
    "egress-snat-removed": Expect(
        "egress", A1, "EGRESS_NO_SNAT_ENTRY", "snat:none@vsw-*", BLOCKED, BLOCKED, "No SNAT entry",
        journey=Journey.EGRESS,
    ),
}  # fmt: skip
BROKEN = sorted(EXPECTED)


def trace_of(name: str) -> Trace:
    expect = EXPECTED[name]
    return Workbook.demo(name).trace(expect.domain, client_ip=expect.client_ip)


def test_the_table_covers_every_scenario_and_family() -> None:
    assert {name for name, w in WORLDS.items() if w.design == "healthy"} - {"healthy"} == set(EXPECTED)
    assert len(EXPECTED) >= 10
    assert {e.family for e in EXPECTED.values()} == FAMILIES


@pytest.mark.parametrize("name", BROKEN)
def test_scenario_yields_its_finding_hop_and_verdict(name: str) -> None:
    expect, trace = EXPECTED[name], trace_of(name)
    found = [f for f in trace.findings if f.code == expect.code and fnmatch(f.hop, expect.hop)]
    codes = sorted((f.code, f.hop) for f in trace.findings)
    assert found, f"{name}: no {expect.code} on {expect.hop}; the trace found {codes}"
    finding = found[0]
    assert finding.severity is expect.severity
    assert finding.evidence and all(e.excerpt for e in finding.evidence), "the evidence must quote the source"
    assert finding.check, "a by-hand check command"
    hop = next((h for h in trace.hops if h.id == finding.hop), None)
    assert hop is not None, f"{name}: the finding's hop {finding.hop} is not drawn"
    assert hop.verdict is expect.hop_verdict
    assert trace.verdict_of(expect.journey) is expect.verdict
    errors = " ".join(f.message for f in trace.findings if f.severity is Severity.ERROR)
    if expect.journey is not Journey.REQUEST:  # a fault on another journey never stops the request
        assert trace.verdict is OK and dead_end(trace) == "" and expect.culprit in errors
    elif expect.branch:  # listed as a branch the request loses, never the verdict
        lost = {hop.id: why for hop, why in trace.blocked_branches}
        assert trace.verdict is OK and dead_end(trace) == ""
        assert expect.culprit in lost.get(finding.hop, ""), lost
    elif expect.culprit:
        assert expect.culprit in dead_end(trace)
    else:
        assert dead_end(trace) == "" and not errors


@pytest.mark.parametrize("name", BROKEN)
def test_a_blocking_error_blocks_its_hop(name: str) -> None:
    """Every error finding sits on a hop the trace draws as blocked."""
    trace = trace_of(name)
    verdicts = {h.id: h.verdict for h in trace.hops}
    for finding in trace.findings:
        if finding.severity is Severity.ERROR:
            assert verdicts.get(finding.hop) is BLOCKED, f"{finding.code} on {finding.hop}"


DEPENDS = Verdict.DEPENDS


@pytest.mark.parametrize(
    ("domain", "client_ip", "verdict"),
    [
        (A1, None, OK),
        (A2, None, OK),
        (A3, None, DEPENDS),  # private-lb's whitelist: the office and VPN ranges get in, others not
        (A3, "192.0.2.44", OK),
        (A3, "198.51.100.70", OK),
        (A4, None, OK),
        (A4, "192.0.2.44", OK),
    ],
)
def test_the_healthy_world_has_no_error(domain: str, client_ip: str | None, verdict: Verdict) -> None:
    trace = Workbook.demo().trace(domain, client_ip=client_ip)
    assert [f.code for f in trace.findings if f.severity is Severity.ERROR] == []
    assert trace.verdict is verdict and dead_end(trace) == ""
    assert {h.verdict for h in trace.hops} == {OK} | ({verdict} if verdict is DEPENDS else set())


def test_a_scenario_only_breaks_what_it_changed() -> None:
    """The ACL scenario leaves public-lb alone: app1 still gets through."""
    assert Workbook.demo("lb-acl-entry-removed").trace(A1).verdict is OK
    vpn = Workbook.demo("lb-acl-entry-removed").trace(A3, client_ip="198.51.100.70")
    assert vpn.verdict is OK and "LB_ACL_ALLOWS_CLIENT" in {f.code for f in vpn.findings}


def test_the_security_group_scenario_closes_port_80_only() -> None:
    """The Drop rule names port 80: HTTPS clients of app4 still get through, and the CLBs are untouched."""
    closed = Workbook.demo("nlb-security-group-closed")
    assert closed.trace(A4, port=443).verdict is OK
    assert closed.trace(A1).verdict is OK


def test_the_cli_takes_a_scenario() -> None:
    assert cli_main(["trace", A1, "--scenario", "pod-crashloop"]) == 1
    assert cli_main(["trace", A1, "--scenario", "healthy"]) == 0


# ------------------------------------------------------------------------------------- overlays
def test_scenario_folders_are_overlays_of_healthy() -> None:
    healthy = Path(str(demo_world_root("healthy")))
    healthy_files = {p.relative_to(healthy).as_posix() for p in healthy.rglob("*") if p.is_file()}
    for name in BROKEN:
        root = Path(str(demo_world_root(name)))
        meta = json.loads((root / "world.json").read_text())
        assert meta["base"] == "healthy" and meta["name"] == name and meta["description"] == SCENARIOS[name]
        assert meta["changed"] and meta["expected_finding"]
        own = sorted(
            p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != "world.json"
        )
        assert own == meta["files"] and set(own) & healthy_files < healthy_files
        added = set(own) - healthy_files  # only the rules of a node whose kube-proxy runs another mode
        assert all(p.startswith("nodes/") and p.endswith("/iptables-save.txt") for p in added), added
        for relative in set(own) & healthy_files:
            assert (root / relative).read_bytes() != (healthy / relative).read_bytes(), f"{name}/{relative}"


def test_an_overlay_world_reads_its_base(tmp_path: Path) -> None:
    base, top = tmp_path / "base", tmp_path / "top"
    for folder, files in {
        base: {
            "world.json": {"name": "base", "region": "cn-hangzhou"},
            "dns/public.json": [],
            "x/a.txt": "A",
        },
        top: {
            "world.json": {"name": "top", "base": "base"},
            "x/b.txt": "B",
            "dns/public.json": [{"name": "a.example.", "type": "A", "ttl": 60, "value": "192.0.2.1"}],
        },
    }.items():
        for relative, content in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else json.dumps(content)
            (folder / relative).write_text(text)
    world = load_world(top)
    assert world.name == "top" and world.settings.region == "cn-hangzhou"  # region from the base
    assert world.files.text("x/a.txt") == "A" and world.files.text("x/b.txt") == "B"
    assert world.files.names("x") == ["a.txt", "b.txt"] and world.files.is_dir("x")
    assert [r.value for r in world.sources().dns.resolve("a.example")] == ["192.0.2.1"]  # the overlay wins
    assert world.files.text("x/none.txt") is None


@pytest.mark.parametrize(
    ("base_meta", "top_base", "problem"),
    [
        ({"name": "base", "region": "r"}, "nowhere", "not a world folder beside it"),
        ({"name": "base", "region": "r"}, "../base", "must name a world folder"),
        ({"name": "base", "region": "r", "base": "other"}, "base", "only one level"),
    ],
)
def test_a_bad_base_is_named(tmp_path: Path, base_meta: dict, top_base: str, problem: str) -> None:
    for name, meta in (("base", base_meta), ("top", {"name": "top", "base": top_base})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "world.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=problem):
        load_world(tmp_path / "top")


def test_committed_scenarios_are_what_the_generator_writes() -> None:
    if not (ROOT / "tools" / "build_demo_world.py").is_file():
        pytest.skip("not a checkout: tools/ is absent")
    sys.path.insert(0, str(ROOT))
    try:
        from tools.build_demo_world import check
    finally:
        sys.path.remove(str(ROOT))
    assert check() == [], "run: python tools/build_demo_world.py"
