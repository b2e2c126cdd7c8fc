"""The kube-proxy step in iptables and nftables mode, as it is in IPVS mode.

iptables: the demo scenario ``iptables-stale-dnat`` (kube-proxy on the controllers' node
10.17.10.11 in iptables mode, its rules written by the fixture generator from the world's
objects, app1's rule stale) and small edits of a copy of it. nftables: a copy of the healthy
world whose node 10.17.10.11 answers ``nft -j list table ip kube-proxy`` with the real capture
tests/fixtures/parse/nftables/overall_ip.json, one of its Services moved onto the demo's
ClusterIP. Live: the same scenario served by the real sshd peer, read through the live node
source, traces the same as the stored world, and a capture keeps the rules it read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers.sshd import SshLab, ssh_lab

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Severity, Trace, Verdict
from ackwb.sources import Sources, commands
from ackwb.sources.live_ssh import LiveNodes
from ackwb.sources.recording import recording, world_meta
from ackwb.sources.world import load_demo_world
from ackwb.steps.kube_proxy import KubeProxyResult, NodeRules
from ackwb.trace import dead_end, run_trace

SCENARIO = "iptables-stale-dnat"
NODE_IP, NODE = "10.17.10.11", "cn-hangzhou.10.17.10.11"
HOP = f"kube-proxy:{NODE}"
A1, A2 = "app1.qas.abc.com", "app2.qas.abc.com"
APP1_VIP, APP2_VIP = "192.168.195.85", "192.168.37.214"
NFT_CAPTURE = Path(__file__).parent / "fixtures" / "parse" / "nftables" / "overall_ip.json"
NFT_SVC2 = "service-MYNJZVWM-ns2/svc2/tcp/p80"  # two endpoints: 10.180.0.2:80, 10.180.1.2:80


def kube_proxy_of(trace: Trace) -> KubeProxyResult:
    step = trace.step("kube_proxy")
    assert isinstance(step, KubeProxyResult)
    return step


def on_node(kp: KubeProxyResult) -> NodeRules:
    """What kube-proxy does on the node these tests change (one of the controllers' nodes)."""
    (found,) = [n for n in kp.read if n.node == NODE]
    return found


def rows_on(kp: KubeProxyResult) -> list[dict]:
    return [r for r in kp.rows if r["node"] == NODE]


def findings(trace: Trace, code: str) -> list:
    return [f for f in trace.findings if f.code == code]


def percent(share: str) -> float:
    assert share.endswith(" %"), share
    return float(share.removesuffix(" %"))


@pytest.fixture()
def scenario_copy(tmp_path: Path) -> Path:
    """A complete copy of the healthy world with the scenario's files on top."""
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), root)
    overlay = Path(str(demo_world_root(SCENARIO)))
    for relative in json.loads((overlay / "world.json").read_text())["files"]:
        shutil.copyfile(overlay / relative, root / relative)
    return root


# ------------------------------------------------------------------------------------- iptables
def test_iptables_mode_rows_share_the_endpoints_and_quote_the_rules() -> None:
    trace = Workbook.demo(SCENARIO).trace(A2)  # app2's rules on the node are current
    kp = kube_proxy_of(trace)
    node, rows = on_node(kp), rows_on(kp)
    assert node.mode == "iptables" and node.rules is not None
    assert {n.node for n in kp.read} == {NODE, "cn-hangzhou.10.17.10.12"}  # both controllers' nodes
    assert sorted(r["endpoint"] for r in rows) == ["10.17.10.92:8080", "10.17.10.93:8080"]
    assert {r["mode"] for r in rows} == {"iptables"}
    assert [r["share"] for r in rows] == ["50.0 %", "50.0 %"]
    assert sum(percent(r["share"]) for r in rows) == pytest.approx(100.0)
    assert sum(e.share for e in node.rules.endpoints) == pytest.approx(1.0)
    chain = rows[0]["rule"]
    assert chain.startswith("KUBE-SVC-") and {r["rule"] for r in rows} == {chain}
    saved = (Path(str(demo_world_root(SCENARIO))) / "nodes" / NODE_IP / "iptables-save.txt").read_text()
    lines = saved.split("\n")
    for row in rows:  # the row's line is the endpoint's DNAT rule
        assert lines[row["line"] - 1].endswith(f"-j DNAT --to-destination {row['endpoint']}")
    quoted = [e for e in kp.evidence if e.source == f"node {NODE_IP}: iptables-save -t nat"]
    assert quoted and all(lines[int(e.locator.removeprefix("line ")) - 1] == e.excerpt for e in quoted)
    assert any(e.excerpt.startswith(f"-A KUBE-SERVICES -d {APP2_VIP}/32 ") for e in quoted)
    hop = next(h for h in trace.hops if h.id == HOP)
    assert hop.kind == "iptables" and hop.label == f"iptables {chain}\non {NODE}"
    assert hop.verdict is Verdict.OK and not findings(trace, "KUBE_PROXY_STALE_RULES")
    assert not findings(trace, "KUBE_PROXY_MODE_NOT_ANALYSED")
    assert trace.verdict is Verdict.OK


def test_a_stale_dnat_rule_is_quoted_as_evidence() -> None:
    trace = Workbook.demo(SCENARIO).trace(A1)
    (stale,) = findings(trace, "KUBE_PROXY_STALE_RULES")
    assert stale.severity is Severity.ERROR and stale.hop == HOP
    assert "stale 10.17.10.90:8080" in stale.message and "missing 10.17.10.91:8080" in stale.message
    dnat = [e for e in stale.evidence if e.excerpt.endswith("-j DNAT --to-destination 10.17.10.90:8080")]
    assert len(dnat) == 1 and dnat[0].excerpt.startswith("-A KUBE-SEP-")
    saved = (Path(str(demo_world_root(SCENARIO))) / "nodes" / NODE_IP / "iptables-save.txt").read_text()
    assert saved.split("\n")[int(dnat[0].locator.removeprefix("line ")) - 1] == dnat[0].excerpt
    assert any(e.source == "kube:endpointslices" and e.excerpt == "10.17.10.91:8080" for e in stale.evidence)
    assert stale.check.startswith("iptables-save -t nat")
    kp = kube_proxy_of(trace)
    assert [(r["endpoint"], r["share"]) for r in rows_on(kp)] == [("10.17.10.90:8080", "100.0 %")]
    assert next(h for h in trace.hops if h.id == HOP).verdict is Verdict.BLOCKED
    # app1's request goes from nginx to the Pod IP, and the other controller's node is current:
    # the stale node is a blocked branch, listed, never the verdict
    assert trace.verdict is Verdict.OK and dead_end(trace) == ""
    assert [h.id for h, _ in trace.blocked_branches] == [HOP]


def test_iptables_without_the_clusterip_rule_is_a_missing_vip(scenario_copy: Path) -> None:
    saved = scenario_copy / "nodes" / NODE_IP / "iptables-save.txt"
    lines = saved.read_text().split("\n")
    kept = [line for line in lines if not line.startswith(f"-A KUBE-SERVICES -d {APP1_VIP}/32 ")]
    assert len(kept) == len(lines) - 1
    saved.write_text("\n".join(kept))
    trace = Workbook.from_world(scenario_copy).trace(A1)
    (missing,) = findings(trace, "KUBE_PROXY_VIP_MISSING")
    assert missing.severity is Severity.ERROR and missing.hop == HOP
    assert missing.evidence[0].source == f"node {NODE_IP}: iptables-save -t nat"
    assert f"{APP1_VIP}:8080" in missing.evidence[0].locator
    assert next(h for h in trace.hops if h.id == HOP).label == f"iptables: no {APP1_VIP}:8080\non {NODE}"
    assert trace.verdict is Verdict.OK and [h.id for h, _ in trace.blocked_branches] == [HOP]


def test_iptables_for_a_service_without_endpoints_is_not_kube_proxys_fault(scenario_copy: Path) -> None:
    """No ready endpoint: kube-proxy writes no nat rule (only a filter-table REJECT), like an IPVS
    virtual server without real servers: the hop is blocked, the culprit is the Service."""
    slices_file = scenario_copy / "kube" / "endpointslices.json"
    slices = json.loads(slices_file.read_text())
    (app1,) = [s for s in slices["items"] if s["metadata"]["name"].startswith("app1-service-")]
    app1["endpoints"] = None
    slices_file.write_text(json.dumps(slices))
    saved = scenario_copy / "nodes" / NODE_IP / "iptables-save.txt"
    saved.write_text("\n".join(line for line in saved.read_text().split("\n") if "app1-service" not in line))
    trace = Workbook.from_world(scenario_copy).trace(A1)
    kp = kube_proxy_of(trace)
    (info,) = findings(trace, "KUBE_PROXY_NO_ENDPOINTS")
    assert info.severity is Severity.INFO and "filter table" in info.message
    assert not findings(trace, "KUBE_PROXY_VIP_MISSING")
    assert not [f for f in findings(trace, "KUBE_PROXY_STALE_RULES") if f.hop == HOP]  # the other node's is
    assert rows_on(kp) == []
    assert next(h for h in trace.hops if h.id == HOP).verdict is Verdict.BLOCKED


# ------------------------------------------------------------------------------------- nftables
def nft_world(tmp_path: Path, vip: str, port: int, dnat: dict[str, tuple[str, int]] | None = None) -> Path:
    """The healthy world, with node 10.17.10.11 in nftables mode answering the real capture in
    which Service ns2/svc2's ClusterIP element is moved to ``vip:port`` and ``dnat`` retargets
    endpoint addresses (old address → new address, port)."""
    root = tmp_path / "nft-world"
    shutil.copytree(str(demo_world_root()), root)
    listing = json.loads(NFT_CAPTURE.read_text())
    moved = retargeted = 0
    for item in listing["nftables"]:
        elements = item["map"]["elem"] if item.get("map", {}).get("name") == "service-ips" else []
        for key, verdict in elements:
            if verdict.get("goto", {}).get("target") == NFT_SVC2:
                key["concat"] = [vip, "tcp", port]
                moved += 1
        for expr in item.get("rule", {}).get("expr", []):
            if "dnat" in expr and expr["dnat"]["addr"] in (dnat or {}):
                address, new_port = (dnat or {})[expr["dnat"]["addr"]]
                expr["dnat"] = {"addr": address, "port": new_port}
                retargeted += 1
    assert moved == 1 and retargeted == len(dnat or {})
    node = root / "nodes" / NODE_IP
    (node / "proxy-mode.txt").write_text("nftables")
    (node / "nft.txt").write_text(json.dumps(listing))
    return root


def test_nftables_mode_matches_the_ready_endpoints(tmp_path: Path) -> None:
    ready = {"10.180.0.2": ("10.17.10.92", 8080), "10.180.1.2": ("10.17.10.93", 8080)}
    trace = Workbook.from_world(nft_world(tmp_path, APP2_VIP, 8080, ready)).trace(A2)
    kp = kube_proxy_of(trace)
    assert on_node(kp).mode == "nftables"
    assert [(r["endpoint"], r["share"], r["line"]) for r in rows_on(kp)] == [
        ("10.17.10.92:8080", "50.0 %", ""),
        ("10.17.10.93:8080", "50.0 %", ""),
    ]
    assert {r["rule"] for r in rows_on(kp)} == {NFT_SVC2}
    assert sum(percent(r["share"]) for r in rows_on(kp)) == pytest.approx(100.0)
    hop = next(h for h in trace.hops if h.id == HOP)
    assert hop.kind == "nftables" and hop.label == f"nftables {NFT_SVC2}\non {NODE}"
    assert hop.verdict is Verdict.OK and not findings(trace, "KUBE_PROXY_STALE_RULES")
    source = f"node {NODE_IP}: nft -j list table ip kube-proxy"
    element = next(e for e in kp.evidence if e.source == source and e.locator == "map service-ips")
    assert json.loads(element.excerpt) == [
        {"concat": [APP2_VIP, "tcp", 8080]},
        {"goto": {"target": NFT_SVC2}},
    ]
    dnats = [e for e in kp.evidence if e.source == source and e.locator.startswith("chain endpoint-")]
    assert [e.excerpt for e in dnats] == [
        '{"dnat": {"addr": "10.17.10.92", "port": 8080}}',
        '{"dnat": {"addr": "10.17.10.93", "port": 8080}}',
    ]
    assert findings(trace, "KUBE_PROXY_MODE_DIFFERS") and trace.verdict is Verdict.OK


def test_nftables_dnat_to_other_addresses_is_stale(tmp_path: Path) -> None:
    trace = Workbook.from_world(nft_world(tmp_path, APP2_VIP, 8080)).trace(A2)
    (stale,) = findings(trace, "KUBE_PROXY_STALE_RULES")
    assert stale.severity is Severity.ERROR and stale.hop == HOP
    sends = f"nftables on {NODE} sends {APP2_VIP}:8080 to 10.180.0.2:80, 10.180.1.2:80"
    assert stale.message.startswith(sends)
    assert '{"dnat": {"addr": "10.180.0.2", "port": 80}}' in [e.excerpt for e in stale.evidence]
    assert stale.check.startswith("nft list map ip kube-proxy service-ips")
    assert trace.verdict is Verdict.OK  # through the other controller's node (ipvs, current)
    assert [h.id for h, _ in trace.blocked_branches] == [HOP]


def test_nftables_without_the_clusterip_is_a_missing_vip(tmp_path: Path) -> None:
    trace = Workbook.from_world(nft_world(tmp_path, "192.0.2.1", 80)).trace(A1)
    (missing,) = findings(trace, "KUBE_PROXY_VIP_MISSING")
    assert missing.evidence[0].source == f"node {NODE_IP}: nft -j list table ip kube-proxy"
    assert rows_on(kube_proxy_of(trace)) == [] and trace.verdict is Verdict.OK
    assert [h.id for h, _ in trace.blocked_branches] == [HOP]


def test_nftables_rejecting_a_service_with_ready_endpoints_is_stale(tmp_path: Path) -> None:
    root = nft_world(tmp_path, "192.0.2.1", 80)
    nft = root / "nodes" / NODE_IP / "nft.txt"
    listing = json.loads(nft.read_text())
    for item in listing["nftables"]:
        if item.get("map", {}).get("name") == "no-endpoint-services":
            for key, _ in item["map"]["elem"]:
                if key["elem"]["comment"] == "ns6/svc6:p80":
                    key["elem"]["val"]["concat"] = [APP1_VIP, "tcp", 8080]
                    break
    nft.write_text(json.dumps(listing))
    trace = Workbook.from_world(root).trace(A1)
    (info,) = findings(trace, "KUBE_PROXY_NO_ENDPOINTS")
    assert 'its rule "ns6/svc6:p80 has no endpoints" rejects' in info.message
    assert json.loads(info.evidence[0].excerpt)[0]["elem"]["val"]["concat"] == [APP1_VIP, "tcp", 8080]
    (stale,) = findings(trace, "KUBE_PROXY_STALE_RULES")
    assert stale.severity is Severity.ERROR and "to nothing" in stale.message
    assert next(h for h in trace.hops if h.id == HOP).label == f"nftables: REJECT, no endpoints\non {NODE}"


def test_an_unknown_mode_is_not_analysed(tmp_path: Path) -> None:
    root = tmp_path / "windows"
    shutil.copytree(str(demo_world_root()), root)
    (root / "nodes" / NODE_IP / "proxy-mode.txt").write_text("kernelspace")
    trace = Workbook.from_world(root).trace(A1)
    (note,) = findings(trace, "KUBE_PROXY_MODE_NOT_ANALYSED")
    assert note.severity is Severity.INFO and "kernelspace" in note.message
    assert next(h for h in trace.hops if h.id == HOP).verdict is Verdict.UNKNOWN


# ----------------------------------------------------------------------------- capture and live
def test_a_capture_keeps_the_rules_it_read_and_replays_the_same(tmp_path: Path) -> None:
    sources, rec = recording(load_demo_world(SCENARIO).sources())
    traced = {domain: run_trace(sources, domain) for domain in (A1, A2)}
    snapshot = rec.write(tmp_path / "snap", world_meta("snap", "test", sources.settings))
    stored = Path(str(demo_world_root(SCENARIO))) / "nodes" / NODE_IP / "iptables-save.txt"
    assert (snapshot / "nodes" / NODE_IP / "iptables-save.txt").read_text() == stored.read_text()
    replay = Workbook.from_snapshot(snapshot)
    for domain, trace in traced.items():
        again = replay.trace(domain)
        assert again.rows == trace.rows and kube_proxy_of(again).rows == kube_proxy_of(trace).rows
        assert [(f.code, f.evidence) for f in again.findings] == [
            (f.code, f.evidence) for f in trace.findings
        ]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshLab]:
    with ssh_lab(load_demo_world(SCENARIO), tmp_path_factory.mktemp("ssh")) as started:
        yield started


@pytest.mark.parametrize("domain", [A1, A2])
def test_live_nodes_trace_iptables_mode_like_the_stored_world(lab: SshLab, domain: str) -> None:
    demo = load_demo_world(SCENARIO).sources()
    nodes = LiveNodes(config_file=str(lab.config), known_hosts=str(lab.known_hosts), allow_agent=False)
    try:
        live = Sources(**{**demo.__dict__, "node": nodes})
        got, expected = run_trace(live, domain), run_trace(demo, domain)
    finally:
        nodes.close()
    assert [(s.step, s.rows) for s in got.steps] == [(s.step, s.rows) for s in expected.steps]
    assert [(f.code, f.message, f.evidence) for f in got.findings] == [
        (f.code, f.message, f.evidence) for f in expected.findings
    ]
    assert {"node": NODE_IP, "command": commands.iptables_save_nat().shell()} in lab.node.commands()


def test_an_nftables_node_port_is_quoted_from_the_service_nodeports_map() -> None:
    """kube-proxy keys node ports by protocol . port in service-nodeports, not in service-ips."""
    trace = Workbook.demo("terway-eni-https").trace("docs.tee.abc.com", port=443)
    quoted = [e for e in trace.step("ecs").evidence if e.locator.startswith("map ")]
    assert quoted and {e.locator for e in quoted} == {"map service-nodeports"}
    assert all(json.loads(e.excerpt)[0] == {"concat": ["tcp", 30443]} for e in quoted)
