"""The SLB step on an NLB: how the NLB behind an address is found, its listeners, servers and
health read into the CLB's records, and the CLB's checks applied to them.

The demo world's app4.qas.abc.com is published on the NLB ``public-nlb`` (DESIGN.md section 3,
the NLB path); the edits below change one fact of a copy of that world and check that the
step names it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.errors import Forbidden
from ackwb.model import Severity, Verdict
from ackwb.sources import Sources
from ackwb.trace import dead_end

APP4, NLB_ADDRESS, NLB_ZONE_I, NLB_PRIVATE = "app4.qas.abc.com", "203.0.113.40", "203.0.113.41", "10.17.20.8"
CONTROLLER_NODES = {"10.17.10.11", "10.17.10.12"}


class Calls:
    """The world's cloud source, remembering every call; ``refuse`` names actions RAM denies."""

    def __init__(self, inner: Any, refuse: tuple[str, ...] = ()) -> None:
        self.inner, self.refuse, self.region = inner, refuse, inner.region
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        self.seen.append((product, action, dict(params)))
        if action in self.refuse:
            raise Forbidden(f"{product}:{action}", "Forbidden.RAM", permission=f"{product}:{action}")
        return self.inner.call(product, action, params)

    def of(self, action: str) -> list[dict[str, Any]]:
        return [params for _, a, params in self.seen if a == action]


def watched(wb: Workbook, refuse: tuple[str, ...] = ()) -> tuple[Workbook, Calls]:
    calls = Calls(wb.sources.cloud, refuse)
    return Workbook(Sources(**{**wb.sources.__dict__, "cloud": calls})), calls


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), root)
    return root


def edit(root: Path, relative: str, change: Callable[[Any], None]) -> None:
    path = root / relative
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body))


def add_dns(root: Path, name: str, kind: str, value: str) -> None:
    edit(
        root,
        "dns/public.json",
        lambda rows: rows.append({"name": name, "type": kind, "ttl": 60, "value": value}),
    )


def nlb_item(root: Path) -> dict[str, Any]:
    return json.loads((root / "cloud/nlb/ListLoadBalancers.json").read_text())["LoadBalancers"][0]


def listeners_of(root: Path) -> list[dict[str, Any]]:
    return json.loads((root / "cloud/nlb/ListListeners.json").read_text())["Listeners"]


def codes(result) -> set[str]:
    return {f.code for f in result.findings}


# ----------------------------------------------------------------------------------- the NLB path
def test_app4_goes_through_the_nlb_with_the_clb_result_shape() -> None:
    wb = Workbook.demo()
    lb = wb.slb(wb.dns(APP4))
    assert (lb.api.kind, lb.load_balancer_name, lb.address) == ("NLB", "public-nlb", NLB_ADDRESS)
    assert lb.load_balancer_id.startswith("nlb-") and lb.hop_id == f"lb:{lb.load_balancer_id}"
    assert [(li.port, li.protocol, li.status) for li in lb.listeners] == [
        (80, "TCP", "running"),
        (443, "TCP", "running"),
    ]
    assert lb.listener is lb.listeners[0] and lb.listener.listener_id.startswith("lsn-")
    assert {(b.server_ip, b.port, b.type, b.health) for b in lb.backends} == {
        (ip, 80, "eni", "normal") for ip in CONTROLLER_NODES
    }
    details = dict(next(h for h in lb.hops if h.kind == "lb").details)
    assert details["product"] == "NLB" and details["dns name"].endswith(".nlb.aliyuncsslb.com")
    assert {e.source for e in lb.evidence} >= {
        "vpc:DescribeEipAddresses", "nlb:ListLoadBalancers", "nlb:ListListeners",
        "nlb:ListServerGroupServers", "nlb:GetListenerHealthStatus",
    }  # fmt: skip
    trace = wb.trace(APP4)
    assert trace.verdict is Verdict.OK and dead_end(trace) == ""
    assert {h.label.split("\n")[1] for h in trace.hops if h.kind == "node"} == CONTROLLER_NODES
    assert [h.label.split("\n")[0] for h in trace.hops if h.kind == "ingress"] == [
        "Ingress app4-service-ingress"
    ]
    assert [h.label.split("\n")[1] for h in trace.hops if h.kind == "pod"] == ["10.17.10.96:8080"]


def test_found_by_its_eip_with_a_targeted_read() -> None:
    wb, calls = watched(Workbook.demo())
    lb = wb.slb(wb.dns(APP4))
    assert lb.api.kind == "NLB"
    assert calls.of("DescribeEipAddresses")[0]["EipAddress"] == NLB_ADDRESS
    assert [p.get("LoadBalancerIds") for p in calls.of("ListLoadBalancers")] == [[lb.load_balancer_id]]
    eip = next(e for e in lb.evidence if e.source == "vpc:DescribeEipAddresses")
    assert json.loads(eip.excerpt)["InstanceId"] == lb.load_balancer_id


def test_found_by_scanning_zone_addresses_when_the_eip_cannot_be_read() -> None:
    wb, calls = watched(Workbook.demo(), refuse=("DescribeEipAddresses",))
    lb = wb.slb(wb.dns(APP4))
    assert lb.api.kind == "NLB" and lb.load_balancer_name == "public-nlb"
    (scan,) = calls.of("ListLoadBalancers")
    assert "LoadBalancerIds" not in scan and scan["MaxResults"] == 100
    zone = next(e for e in lb.evidence if e.source == "nlb:ListLoadBalancers")
    assert "ZoneMappings[ZoneId=cn-hangzhou-h]" in zone.locator and NLB_ADDRESS in zone.excerpt
    assert not [f for f in lb.findings if f.severity is Severity.ERROR]


def test_a_private_zone_address_is_found_by_the_scan(world: Path) -> None:
    add_dns(world, "inside.qas.abc.com.", "A", NLB_PRIVATE)  # no EIP holds a private address
    lb = Workbook.from_world(world).slb(Workbook.from_world(world).dns("inside.qas.abc.com"))
    assert lb.load_balancer_name == "public-nlb" and lb.address == NLB_PRIVATE


def test_an_alias_to_the_dns_name_is_followed_by_dns_name(world: Path) -> None:
    dns_name = nlb_item(world)["DNSName"]
    add_dns(world, "app5.qas.abc.com.", "CNAME", dns_name + ".")
    add_dns(world, dns_name + ".", "A", NLB_ZONE_I)
    wb, calls = watched(Workbook.from_world(world), refuse=("DescribeEipAddresses",))
    lb = wb.slb(wb.dns("app5.qas.abc.com"))
    assert lb.load_balancer_name == "public-nlb" and lb.address == NLB_ZONE_I
    assert [p.get("DNSName") for p in calls.of("ListLoadBalancers")] == [dns_name]
    assert calls.of("DescribeEipAddresses") == []


def test_an_address_no_clb_or_nlb_owns(world: Path) -> None:
    add_dns(world, "stray.qas.abc.com.", "A", "192.0.2.99")
    wb, calls = watched(Workbook.from_world(world))
    trace = wb.trace("stray.qas.abc.com")
    finding = next(f for f in trace.findings if f.code == "LB_NOT_FOUND_FOR_IP")
    assert "NLBs' zone addresses" in finding.message and trace.verdict is Verdict.BLOCKED
    assert calls.of("ListLoadBalancers"), "the NLBs were searched before saying no load balancer owns it"


def test_nlbs_that_cannot_be_listed_make_the_hop_unknown() -> None:
    wb, _ = watched(Workbook.demo(), refuse=("ListLoadBalancers",))
    trace = wb.trace(APP4)
    hop = next(h for h in trace.hops if h.kind == "lb")
    assert hop.verdict is Verdict.UNKNOWN
    finding = next(f for f in trace.findings if f.code == "SOURCE_FORBIDDEN")
    assert "nlb:ListLoadBalancers" in finding.message and "LB_NOT_FOUND_FOR_IP" not in codes(trace)


# ------------------------------------------------------------------------------- listeners, health
def test_a_stopped_nlb_listener_names_the_nlb_command(world: Path) -> None:
    edit(world, "cloud/nlb/ListListeners.json", lambda b: b["Listeners"][0].update(ListenerStatus="Stopped"))
    trace = Workbook.from_world(world).trace(APP4)
    stopped = next(f for f in trace.findings if f.code == "LB_LISTENER_STOPPED")
    assert stopped.check.startswith(
        "aliyun nlb ListListeners --RegionId cn-hangzhou --LoadBalancerIds.1 nlb-"
    )
    assert [e.source for e in stopped.evidence] == ["nlb:ListListeners"]
    assert next(h for h in trace.hops if h.id == stopped.hop).verdict is Verdict.BLOCKED


def test_a_port_without_listener() -> None:
    trace = Workbook.demo().trace(APP4, port=8443)
    finding = next(f for f in trace.findings if f.code == "LB_NO_LISTENER_FOR_PORT")
    assert "it listens on 80, 443" in finding.message and "aliyun nlb ListListeners" in finding.check
    assert trace.verdict is Verdict.BLOCKED


def test_a_port_range_listener_serves_every_port_of_its_range(world: Path) -> None:
    def add_range(body: dict[str, Any]) -> None:
        ranged = dict(
            body["Listeners"][0], ListenerPort=0, StartPort="8000", EndPort="8100", ListenerId="lsn-range"
        )
        body["Listeners"].append(ranged)

    edit(world, "cloud/nlb/ListListeners.json", add_range)
    health = world / "cloud/nlb/GetListenerHealthStatus"
    shutil.copy(health / f"{listeners_of(world)[0]['ListenerId']}.json", health / "lsn-range.json")
    wb = Workbook.from_world(world)
    lb = wb.slb(wb.dns(APP4), port=8080)
    assert lb.listener is not None and (lb.listener.ports, lb.listener.listener_id) == (
        "8000-8100",
        "lsn-range",
    )
    assert "listener TCP 8000-8100" in {h.label for h in lb.hops}


def set_not_normal(world: Path, ips: set[str], status: str = "Unhealthy") -> None:
    listener = listeners_of(world)[0]
    servers = json.loads(
        (world / f"cloud/nlb/ListServerGroupServers/{listener['ServerGroupId']}.json").read_text()
    )
    unwell = [
        {"Port": s["Port"], "Reason": {"ReasonCode": "CONNECT_TIMEOUT"}, "ServerId": s["ServerId"],
         "ServerIp": s["ServerIp"], "Status": status}
        for s in servers["Servers"] if s["ServerIp"] in ips
    ]  # fmt: skip
    edit(
        world,
        f"cloud/nlb/GetListenerHealthStatus/{listener['ListenerId']}.json",
        lambda b: b["ListenerHealthStatus"][0]["ServerGroupInfos"][0].update(NonNormalServers=unwell),
    )


def test_one_unhealthy_server_is_a_warning(world: Path) -> None:
    set_not_normal(world, {"10.17.10.12"})
    trace = Workbook.from_world(world).trace(APP4)
    assert "LB_BACKEND_UNHEALTHY" in codes(trace) and "LB_BACKENDS_UNHEALTHY" not in codes(trace)
    verdicts = {h.id: h.verdict for h in trace.hops}
    assert (
        verdicts["backend:10.17.10.12:80"] is Verdict.BLOCKED
        and verdicts["backend:10.17.10.11:80"] is Verdict.OK
    )


def test_every_server_unhealthy_blocks_the_listener(world: Path) -> None:
    set_not_normal(world, CONTROLLER_NODES)
    trace = Workbook.from_world(world).trace(APP4)
    finding = next(f for f in trace.findings if f.code == "LB_BACKENDS_UNHEALTHY")
    assert finding.check.startswith(
        "aliyun nlb GetListenerHealthStatus --RegionId cn-hangzhou --ListenerId lsn-"
    )
    assert "CONNECT_TIMEOUT" in finding.evidence[0].excerpt and trace.verdict is Verdict.BLOCKED


def test_initial_health_is_not_a_failure(world: Path) -> None:
    set_not_normal(world, CONTROLLER_NODES, status="Initial")
    lb = Workbook.from_world(world).slb(Workbook.from_world(world).dns(APP4))
    assert {b.health for b in lb.backends} == {"unavailable"}
    assert not [f for f in lb.findings if f.severity is not Severity.INFO]


def test_an_empty_server_group(world: Path) -> None:
    group = listeners_of(world)[0]["ServerGroupId"]
    edit(
        world, f"cloud/nlb/ListServerGroupServers/{group}.json", lambda b: b.update(Servers=[], TotalCount=0)
    )
    trace = Workbook.from_world(world).trace(APP4)
    finding = next(f for f in trace.findings if f.code == "LB_SERVER_GROUP_EMPTY")
    assert (
        finding.check == f"aliyun nlb ListServerGroupServers --RegionId cn-hangzhou --ServerGroupId {group}"
    )
    assert trace.verdict is Verdict.BLOCKED


def test_ecs_servers_on_the_wrong_node_port(world: Path) -> None:
    """The CLB's NodePort check reads the NLB's servers too: Service nginx-ingress-lb-nlb uses 30467."""
    instances = {
        i["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]: i["InstanceId"]
        for i in json.loads((world / "cloud/ecs/DescribeInstances.json").read_text())["Instances"]["Instance"]
    }
    group = listeners_of(world)[0]["ServerGroupId"]

    def to_ecs(body: dict[str, Any]) -> None:
        for server in body["Servers"]:
            server.update(ServerType="Ecs", ServerId=instances[server["ServerIp"]], Port=30080)

    edit(world, f"cloud/nlb/ListServerGroupServers/{group}.json", to_ecs)
    trace = Workbook.from_world(world).trace(APP4)
    mismatch = [f for f in trace.findings if f.code == "LB_NODEPORT_MISMATCH"]
    assert {f.hop for f in mismatch} == {f"backend:{ip}:30080" for ip in CONTROLLER_NODES}
    assert "NodePort 30467" in mismatch[0].message
    assert mismatch[0].evidence[0].source == "nlb:ListServerGroupServers"
    assert trace.verdict is Verdict.BLOCKED
