"""An NLB's security groups decide who reaches its listeners: the rule that decides is named.

The rules are weighed as ECS documents them (Priority 1 first, Drop before Accept at equal
priority) and as the NLB documentation adds: what no rule matches gets in, and an NLB in no
security group lets everyone in. The demo's public-nlb opens 80 and 443 to 0.0.0.0/0; the
edits below turn it into a whitelist, or take the group away.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Severity, Verdict
from ackwb.steps.slb.records import Listener
from ackwb.steps.slb.security_groups import SecurityRule, security_decision
from ackwb.trace import dead_end

ROOT = Path(__file__).resolve().parent.parent
APP4, OFFICE_CLIENT, OUTSIDER = "app4.qas.abc.com", "192.0.2.44", "203.0.113.7"
TCP80 = Listener(port=80, protocol="TCP", status="running", server_group_id="sgp-x")


def rule(policy: str, priority: int, source: str = "0.0.0.0/0", ports: str = "80/80", protocol: str = "TCP"):
    return SecurityRule("sg-a", policy, priority, protocol, ports, source, raw={"Policy": policy})


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), root)
    return root


def group_file(root: Path) -> Path:
    """The rules of the NLB's security group (the nodes' group is stored beside it)."""
    (path,) = [
        p
        for p in (root / "cloud/ecs/DescribeSecurityGroupAttribute").iterdir()
        if json.loads(p.read_text())["Description"] == "ingress rules of public-nlb"
    ]
    return path


def permission(port: int, policy: str, priority: int, source: str) -> dict[str, Any]:
    """A rule as the demo generator writes it (tools/demo_world/cloud_nlb.py)."""
    sys.path.insert(0, str(ROOT))
    try:
        from tools.demo_world.cloud_nlb import permission as make
    finally:
        sys.path.remove(str(ROOT))
    return make(port, policy=policy, priority=priority, source=source)


def whitelist(root: Path) -> dict[str, Any]:
    """Port 80 for the office only: Accept 192.0.2.0/24 at priority 1, Drop everyone at 100."""
    body = json.loads(group_file(root).read_text())
    rules = [r for r in body["Permissions"]["Permission"] if r["PortRange"] != "80/80"]
    deny = permission(80, "Drop", 100, "0.0.0.0/0")
    rules += [permission(80, "Accept", 1, "192.0.2.0/24"), deny]
    body["Permissions"]["Permission"] = rules
    group_file(root).write_text(json.dumps(body))
    return deny


def finding(trace, code: str):
    return next(f for f in trace.findings if f.code == code)


# ------------------------------------------------------------------------------------ the decision
def test_priority_one_comes_first_and_drop_wins_a_tie() -> None:
    assert security_decision([rule("drop", 2), rule("accept", 1)], TCP80, 80, OUTSIDER) == (
        True,
        rule("accept", 1),
    )
    assert security_decision([rule("accept", 1), rule("drop", 1)], TCP80, 80, OUTSIDER) == (
        False,
        rule("drop", 1),
    )


def test_what_no_rule_matches_gets_in() -> None:
    rules = [rule("drop", 1, ports="443/443"), rule("drop", 1, protocol="UDP"), rule("drop", 1, "10.0.0.0/8")]
    assert security_decision(rules, TCP80, 80, OUTSIDER) == (True, None)
    assert security_decision([], TCP80, 80, None) == (True, None)


def test_all_protocols_and_all_ports_match_any_listener() -> None:
    every = rule("drop", 5, ports="-1/-1", protocol="ALL")
    assert security_decision([every], TCP80, 80, OUTSIDER) == (False, every)
    ranged = rule("drop", 5, ports="1/1024")
    assert security_decision([ranged], TCP80, 80, OUTSIDER) == (False, ranged)
    tls = Listener(port=443, protocol="TCPSSL", status="running", server_group_id="sgp-x")
    assert security_decision([rule("drop", 5, ports="443/443")], tls, 443, OUTSIDER)[0] is False


def test_a_rule_without_a_cidr_cannot_match_an_internet_client() -> None:
    from_group = rule("drop", 1, source="")
    assert security_decision([from_group], TCP80, 80, OUTSIDER) == (True, None)


def test_without_a_client_ip_the_answer_is_for_every_client() -> None:
    assert security_decision([rule("accept", 1)], TCP80, 80, None) == (True, rule("accept", 1))
    assert security_decision([rule("drop", 1)], TCP80, 80, None) == (False, rule("drop", 1))
    office = [rule("accept", 1, "192.0.2.0/24"), rule("drop", 100)]
    assert security_decision(office, TCP80, 80, None) == (None, rule("drop", 100))
    assert security_decision([rule("drop", 1, "192.0.2.0/24")], TCP80, 80, None)[0] is None


# -------------------------------------------------------------------------------------- the step
def test_the_demo_group_lets_every_client_in() -> None:
    trace = Workbook.demo().trace(APP4)
    allowed = finding(trace, "LB_SECURITY_GROUP_ALLOWS_CLIENT")
    assert (
        allowed.severity is Severity.INFO and "Accept TCP 80/80 from 0.0.0.0/0 priority 1" in allowed.message
    )
    assert trace.verdict is Verdict.OK


def test_a_client_inside_the_whitelist_gets_in(world: Path) -> None:
    whitelist(world)
    trace = Workbook.from_world(world).trace(APP4, client_ip=OFFICE_CLIENT)
    allowed = finding(trace, "LB_SECURITY_GROUP_ALLOWS_CLIENT")
    assert (
        f"client {OFFICE_CLIENT}" in allowed.message
        and "Accept TCP 80/80 from 192.0.2.0/24" in allowed.message
    )
    assert trace.verdict is Verdict.OK and "LB_SECURITY_GROUP_DENIES" not in {f.code for f in trace.findings}


def test_a_client_outside_the_whitelist_is_refused_by_the_drop_rule(world: Path) -> None:
    deny = whitelist(world)
    trace = Workbook.from_world(world).trace(APP4, client_ip=OUTSIDER)
    refused = finding(trace, "LB_SECURITY_GROUP_DENIES")
    assert refused.severity is Severity.ERROR and refused.hop.startswith("listener:nlb-")
    assert (
        f"refuses client {OUTSIDER}" in refused.message
        and "Drop TCP 80/80 from 0.0.0.0/0 priority 100" in refused.message
    )
    assert json.loads(refused.evidence[0].excerpt) == deny
    assert deny["SecurityGroupRuleId"] in refused.evidence[0].locator
    group = json.loads(group_file(world).read_text())["SecurityGroupId"]
    command = "aliyun ecs DescribeSecurityGroupAttribute --RegionId cn-hangzhou"
    assert refused.check == f"{command} --SecurityGroupId {group} --Direction ingress"
    assert next(h for h in trace.hops if h.id == refused.hop).verdict is Verdict.BLOCKED
    assert trace.verdict is Verdict.BLOCKED and "refuses client" in dead_end(trace)


def test_a_whitelist_without_a_client_ip_asks_for_one(world: Path) -> None:
    whitelist(world)
    trace = Workbook.from_world(world).trace(APP4)
    limits = finding(trace, "LB_SECURITY_GROUP_LIMITS_SOURCES")
    assert limits.severity is Severity.INFO and "Give a client IP" in limits.message
    assert trace.verdict is Verdict.DEPENDS
    assert any(h.kind == "listener" and h.verdict is Verdict.DEPENDS for h in trace.hops)


def test_a_port_no_rule_names_is_open(world: Path) -> None:
    whitelist(world)
    trace = Workbook.from_world(world).trace(APP4, client_ip=OUTSIDER, port=443)
    assert "Accept TCP 443/443" in finding(trace, "LB_SECURITY_GROUP_ALLOWS_CLIENT").message
    assert trace.verdict is Verdict.OK


def test_an_nlb_in_no_security_group_lets_everyone_in(world: Path) -> None:
    listing = world / "cloud/nlb/ListLoadBalancers.json"
    body = json.loads(listing.read_text())
    body["LoadBalancers"][0]["SecurityGroupIds"] = []
    listing.write_text(json.dumps(body))
    group_file(world).unlink()  # nothing may read it
    trace = Workbook.from_world(world).trace(APP4, client_ip=OUTSIDER)
    assert not [f for f in trace.findings if f.code.startswith("LB_SECURITY_GROUP")]
    lb = next(h for h in trace.hops if h.kind == "lb")
    assert dict(lb.details)["security groups"].startswith("none")
    assert trace.verdict is Verdict.OK


def test_a_security_group_that_cannot_be_read_is_a_warning_not_a_verdict(world: Path) -> None:
    group_file(world).unlink()
    trace = Workbook.from_world(world).trace(APP4, client_ip=OUTSIDER)
    unseen = finding(trace, "SOURCE_ERROR")
    assert unseen.severity is Severity.WARNING and "security groups" in unseen.message
    assert not [f for f in trace.findings if f.code.startswith("LB_SECURITY_GROUP")]
