"""Services of every kind, traced in the design worlds: an ExternalName followed out of the cluster,
a headless Service answered by cluster DNS, ports chosen by name, ClientIP affinity shown where
kube-proxy keeps it and flagged where ingress-nginx bypasses it.

terway-nlb holds them all (ext → ExternalName api.partner.example.net, search headless, grpc with
two ports chosen by name, pay with ClientIP affinity and IPVS persistent); flannel-nodeport has
partner (ExternalName orders.partner.example.com, reached through the controllers' nodes:
masqueraded, then the node vSwitch's SNAT), logs (headless, two Pods on two nodes), shop (port 80,
targetPort by name) and api (ClientIP affinity, service-upstream, iptables ``recent``). ExternalName
and headless are asserted on both designs. Expectations are this file's own, from the worlds'
facts; the failing variants edit a copy of a world so that the same check turns.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Path as Journey
from ackwb.model import Severity, Trace, Verdict
from ackwb.trace import dead_end
from ackwb.verdicts import on_route

OK, BLOCKED = Verdict.OK, Verdict.BLOCKED
CONTROLLERS = ("controller:kube-system/nginx-ingress-controller-5kp96jq2sr-5fbch",
               "controller:kube-system/nginx-ingress-controller-5kp96jq2sr-xrrwj")  # fmt: skip
NLB_FRONT = [
    "client", "dns:{d}", "lb:nlb-vw02naiuq5kxg1dg3shr", "listener:nlb-vw02naiuq5kxg1dg3shr:{p}",
    "backend:10.30.64.12:{p}", "backend:10.30.80.12:{p}", *CONTROLLERS,
]  # fmt: skip
FLN_CONTROLLERS = ("controller:kube-system/nginx-ingress-controller-fcjr6xhkgf-8z486",
                   "controller:kube-system/nginx-ingress-controller-fcjr6xhkgf-hctw7")  # fmt: skip
# Local: only nodes 1 and 4 (a ready controller each) pass the health check; each DNATs to its own
FLN_FRONT = [
    "client", "dns:{d}", "lb:lb-bp1r0xg58175n9ifddvai", "listener:lb-bp1r0xg58175n9ifddvai:{p}",
    "backend:10.20.1.11:30581", "backend:10.20.1.14:30581",
    "node:cn-hangzhou.10.20.1.11", "nodeport:cn-hangzhou.10.20.1.11:30581", FLN_CONTROLLERS[0],
    "node:cn-hangzhou.10.20.1.14", "nodeport:cn-hangzhou.10.20.1.14:30581", FLN_CONTROLLERS[1],
]  # fmt: skip
ABSENT_BY_DESIGN = {"SERVICE_NO_READY_ENDPOINTS", "KUBE_PROXY_VIP_MISSING", "SERVICE_DNS_MISMATCH"}


def trace_of(world: str | Path, domain: str, port: int = 80, client_ip: str | None = None) -> Trace:
    book = Workbook.from_world(world) if isinstance(world, Path) else Workbook.demo(world)
    return book.trace(domain, port=port, client_ip=client_ip)


def request_hops(trace: Trace) -> list[str]:
    """The hops the request takes from the client to its end (side listeners left out)."""
    route = on_route({h.id: h for h in trace.hops}, trace.edges)
    return [h.id for h in trace.hops if h.path is Journey.REQUEST and h.id in route]


def front(domain: str, port: int = 80, hops: list[str] = NLB_FRONT) -> list[str]:
    return [h.format(d=domain, p=port) for h in hops]


def copy_world(tmp_path: Path, world: str) -> Path:
    root = tmp_path / world
    shutil.copytree(str(demo_world_root(world)), root)
    return root


def edit_json(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body, indent=1))


def hop(trace: Trace, hop_id: str):  # type: ignore[no-untyped-def]
    return next(h for h in trace.hops if h.id == hop_id)


# ExternalName


@dataclass(frozen=True)
class ExternalName:
    world: str
    domain: str
    front: list[str]
    ingress: str
    service: str
    name: str  # the Service's externalName
    address: str  # its public A record (a documentation address)
    egress_ip: str  # what the outside host sees
    # controller Pod → (the address it leaves as, how, its vSwitch, its SNAT entry)
    ways_out: dict[str, tuple[str, str, str, str]]


EXTERNAL_NAMES = [
    ExternalName(
        "terway-nlb", "ext.tnl.abc.com", NLB_FRONT, "ingress:shop/ext-ingress", "service:shop/partner",
        "api.partner.example.net", "198.51.100.24", "203.0.113.220",
        {  # Terway: each Pod leaves as itself, through the SNAT entry of its pod vSwitch
            "nginx-ingress-controller-5kp96jq2sr-5fbch": ("10.30.64.12", "its own address, on shared ENI "
                "eni-bp19xl864gvtmzzy94rd", "vsw-bp1i1pge55fx89meh0oc", "snat-bp102ct76tv5dzxpiax9"),
            "nginx-ingress-controller-5kp96jq2sr-xrrwj": ("10.30.80.12", "its own address, on shared ENI "
                "eni-bp14ebco40mnsm8fdgp2", "vsw-bp138c0x2nawesl0bd9f", "snat-bp1pq8mvkgwuf8ewv3j5"),
        },
    ),
    ExternalName(
        "flannel-nodeport", "partner.fln.abc.com", FLN_FRONT, "ingress:app/partner-ingress",
        "service:app/partner", "orders.partner.example.com", "198.51.100.37", "203.0.113.210",
        {  # Flannel: each Pod is masqueraded to its node, then the node vSwitch's SNAT entry
            f"nginx-ingress-controller-fcjr6xhkgf-{pod}": (node, f"masqueraded to its node's address {node} "
                "(Flannel (Pod CIDR per node))", "vsw-bp1dpyoclhw89pwepwkj", "snat-bp1hf9mbsr9of3tk0k2x")
            for pod, node in (("8z486", "10.20.1.11"), ("hctw7", "10.20.1.14"))
        },
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", EXTERNAL_NAMES, ids=lambda c: c.world)
def test_external_name_leaves_through_the_controllers_egress_and_ends_at_the_outside_host(
    case: ExternalName,
) -> None:
    trace = trace_of(case.world, case.domain)
    assert trace.verdict is OK and dead_end(trace) == ""
    outside_id = f"external:{case.name}"
    assert request_hops(trace) == [
        *front(case.domain, hops=case.front), case.ingress, case.service, outside_id
    ]  # fmt: skip
    balances = dict(hop(trace, case.ingress).details)["balances to"]
    assert balances == f"the external name {case.name} (ExternalName), resolved by nginx"
    service = hop(trace, case.service)
    assert service.label == f"Service partner\nExternalName {case.name}" and service.verdict is OK
    assert dict(service.details)["resolves to"] == case.address
    outside = hop(trace, outside_id)
    assert outside.label == f"{case.name}\n{case.address}:80" and outside.verdict is OK
    assert str(outside.arrives) == f"{case.egress_ip}:* → {case.address}:80"
    assert dict(outside.details)["sees the request from"] == case.egress_ip
    assert not [h for h in trace.hops if h.kind in ("pod", "ipvs", "iptables", "nftables")]
    assert not {f.code for f in trace.findings} & ABSENT_BY_DESIGN
    # the way out is the controller Pods', not a Pod of the Service
    ways_out = {
        r["pod"]: (r["leaves as"], r["how"], r["vswitch"], r["snat entry"]) for r in trace.step("egress").rows
    }
    assert ways_out == case.ways_out
    assert {r["egress ip"] for r in trace.step("egress").rows} == {case.egress_ip}
    assert trace.verdict_of(Journey.EGRESS) is OK
    controllers = {f"controller:kube-system/{pod}" for pod in case.ways_out}
    out = {e.src for e in trace.edges if e.path is Journey.EGRESS and e.dst.startswith("vswitch:")}
    assert out == controllers


def test_an_external_name_that_does_not_resolve_is_named(tmp_path: Path) -> None:
    root = copy_world(tmp_path, "terway-nlb")
    edit_json(
        root / "dns/public.json",
        lambda records: records.__setitem__(
            slice(None), [r for r in records if r["name"] != "api.partner.example.net."]
        ),
    )
    trace = trace_of(root, "ext.tnl.abc.com")
    assert trace.verdict is BLOCKED
    (finding,) = [f for f in trace.findings if f.code == "SERVICE_EXTERNAL_NAME_UNRESOLVED"]
    assert finding.hop == "service:shop/partner" and finding.severity is Severity.ERROR
    assert "api.partner.example.net" in finding.message and "api.partner.example.net" in dead_end(trace)
    assert finding.evidence[0].locator == "api.partner.example.net A" and finding.check
    assert hop(trace, "service:shop/partner").verdict is BLOCKED
    assert not [h for h in trace.hops if h.kind == "external"]


def test_an_external_name_without_a_way_out_blocks_the_request(tmp_path: Path) -> None:
    root = copy_world(tmp_path, "terway-nlb")
    for entries in (root / "cloud/vpc/DescribeSnatTableEntries").iterdir():
        edit_json(entries, lambda body: body["SnatTableEntries"].__setitem__("SnatTableEntry", []))
    trace = trace_of(root, "ext.tnl.abc.com")
    assert trace.verdict is BLOCKED
    outside = hop(trace, "external:api.partner.example.net")
    assert outside.verdict is BLOCKED and outside.arrives is None
    (finding,) = [f for f in trace.findings if f.code == "SERVICE_EXTERNAL_NAME_NO_WAY_OUT"]
    assert "api.partner.example.net (198.51.100.24)" in finding.message


# headless


@dataclass(frozen=True)
class Headless:
    world: str
    domain: str
    front: list[str]
    ingress: str
    service: str
    label: str
    pods: list[str]  # the Pod hops nginx balances to, in order
    ips: str  # what cluster DNS answers: the ready Pod IPs


HEADLESS = [
    Headless("terway-nlb", "search.tnl.abc.com", NLB_FRONT, "ingress:shop/search-ingress",
             "service:shop/search", "Service search\nheadless :9200",
             ["pod:shop/search-8lvzfk7rqq-hkrvq", "pod:shop/search-8lvzfk7rqq-dldt5"],
             "10.30.64.13, 10.30.80.23"),
    Headless("flannel-nodeport", "logs.fln.abc.com", FLN_FRONT, "ingress:app/logs-ingress",
             "service:app/logs", "Service logs\nheadless :3100",
             ["pod:app/logs-4hms57589f-fwtvn", "pod:app/logs-4hms57589f-dt5d5"],
             "172.20.0.7, 172.20.2.6"),
]  # fmt: skip


@pytest.mark.parametrize("case", HEADLESS, ids=lambda c: c.world)
def test_headless_service_is_answered_by_cluster_dns_and_has_no_virtual_ip(case: Headless) -> None:
    trace = trace_of(case.world, case.domain)
    assert trace.verdict is OK and dead_end(trace) == ""
    assert request_hops(trace) == [*front(case.domain, hops=case.front), case.ingress, *case.pods]
    svc = hop(trace, case.service)
    assert svc.label == case.label and svc.verdict is OK
    assert dict(svc.details)["headless"] == f"cluster DNS answers the Pod IPs: {case.ips}"
    assert [hop(trace, p).label.split("\n")[1].split(":")[0] for p in case.pods] == case.ips.split(", ")
    assert all(hop(trace, p).verdict is OK for p in case.pods)
    assert not [h for h in trace.hops if h.kind in ("ipvs", "iptables", "nftables")]
    assert not {f.code for f in trace.findings} & ABSENT_BY_DESIGN


def test_headless_dns_that_answers_other_addresses_is_a_finding(tmp_path: Path) -> None:
    root = copy_world(tmp_path, "terway-nlb")

    def stale(records: list[dict]) -> None:
        for r in records:
            if r["name"] == "search.shop.svc.cluster.local." and r["value"] == "10.30.80.23":
                r["value"] = "10.30.80.99"

    edit_json(root / "dns/cluster.json", stale)
    trace = trace_of(root, "search.tnl.abc.com")
    (finding,) = [f for f in trace.findings if f.code == "SERVICE_DNS_MISMATCH"]
    assert "is headless" in finding.message and "answers 10.30.64.13, 10.30.80.99" in finding.message
    assert "10.30.80.99" in " ".join(e.excerpt for e in finding.evidence)


# named and multi-port Services


def test_ports_chosen_by_name_on_two_designs() -> None:
    for world, domain, port, service, chosen, pod in (
        ("terway-nlb", "grpc.tnl.abc.com", 80, "service:shop/grpc",
         "grpc 50051/TCP (by name) → targetPort grpc = 50051 (EndpointSlice port grpc)", "10.30.80.13:50051"),
        ("flannel-nodeport", "shop.fln.abc.com", 443, "service:shop/shop",
         "http 80/TCP (by name) → targetPort http = 8080 (EndpointSlice port http)", "172.20.2.5:8080"),
    ):  # fmt: skip
        trace = trace_of(world, domain, port)
        assert trace.verdict is OK, world
        svc = hop(trace, service)
        assert dict(svc.details)["port"] == chosen
        assert svc.label.endswith(":" + chosen.split()[1].split("/")[0])  # the Service port, not the name
        ingress = next(h for h in trace.hops if h.kind == "ingress")
        assert dict(ingress.details)["service"].endswith(":" + chosen.split()[0])  # nginx.conf: the name
        pods = [h for h in trace.hops if h.kind == "pod" and h.verdict is OK]
        assert [p.label.split("\n")[1] for p in pods] == [pod]
        errors = [f for f in trace.findings if f.severity is Severity.ERROR]
        assert not [f for f in errors if f.code.startswith("SERVICE_")]


def test_a_target_port_name_no_container_declares_is_refused(tmp_path: Path) -> None:
    root = copy_world(tmp_path, "flannel-nodeport")

    def rename(body: dict) -> None:
        for s in body["items"]:
            if s["metadata"]["name"] == "shop":
                s["spec"]["ports"][0]["targetPort"] = "web"

    edit_json(root / "kube/services.json", rename)
    trace = trace_of(root, "shop.fln.abc.com", 443)
    (finding,) = [f for f in trace.findings if f.code == "SERVICE_TARGET_PORT_NOT_EXPOSED"]
    assert "targetPort web" in finding.message and "8080/TCP (http)" in finding.message


# affinity


def test_client_ip_affinity_is_shown_and_its_bypass_flagged() -> None:
    trace = trace_of("terway-nlb", "pay.tnl.abc.com", 443)
    service = hop(trace, "service:shop/pay")
    assert dict(service.details)["session affinity"] == "ClientIP, timeout 10800 s"
    ipvs = [h for h in trace.hops if h.kind == "ipvs"]
    assert len(ipvs) == 2
    assert all(h.label.startswith("IPVS rr persistent 10800 192.168.140.97:8080") for h in ipvs)
    assert all(dict(h.details)["client affinity"].startswith("IPVS persistent 10800") for h in ipvs)
    (bypass,) = [f for f in trace.findings if f.code == "SERVICE_AFFINITY_BYPASSED"]
    assert bypass.hop == "service:shop/pay" and bypass.severity is Severity.WARNING
    assert "Service shop/pay" in bypass.message and "affinity: cookie" in bypass.message
    assert [(e.source, e.locator, e.excerpt) for e in bypass.evidence] == [
        ("kube:services", "shop/pay spec.sessionAffinity", "ClientIP")
    ]
    assert trace.verdict is OK


def test_iptables_recent_is_shown_and_service_upstream_pins_the_controllers() -> None:
    trace = trace_of("flannel-nodeport", "api.fln.abc.com")
    rules = [h for h in trace.hops if h.kind == "iptables"]
    saved = (demo_world_root("flannel-nodeport") / "nodes" / "10.20.1.11" / "iptables-save.txt").read_text()
    checked = sorted(re.findall(r"-m recent --rcheck --seconds 10800 --reap --name (KUBE-SEP-\w+)", saved))
    assert len(checked) == 2  # api's two endpoints, each remembered in a list named after its chain
    for h in rules:
        said = dict(h.details)["client affinity"]
        assert said.startswith(
            "iptables -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-…: a client address keeps "
            "its endpoint for 10800 s, remembered per endpoint chain ("
        ), said
        assert sorted(re.findall(r"KUBE-SEP-\w+", said)) == checked, said
    (bypass,) = [f for f in trace.findings if f.code == "SERVICE_AFFINITY_BYPASSED"]
    assert bypass.severity is Severity.INFO and "service-upstream" in bypass.message
    assert "controller Pod" in bypass.message


def test_cookie_affinity_is_not_flagged(tmp_path: Path) -> None:
    root = copy_world(tmp_path, "terway-nlb")

    def cookie(body: dict) -> None:
        for i in body["items"]:
            if i["metadata"]["name"] == "pay-ingress":
                i["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] = "cookie"

    edit_json(root / "kube/ingresses.json", cookie)
    trace = trace_of(root, "pay.tnl.abc.com", 443)
    assert not [f for f in trace.findings if f.code == "SERVICE_AFFINITY_BYPASSED"]
    assert dict(hop(trace, "service:shop/pay").details)["session affinity"] == "ClientIP, timeout 10800 s"
