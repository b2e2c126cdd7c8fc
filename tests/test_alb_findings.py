"""ALB findings: no rule matches, empty or unhealthy server groups, redirect loops, Ingress ↔ rule drift.

Fixtures in tests/fixtures/alb_findings are raw API answers (``ListListeners`` items,
``ListRules``, ``ListServerGroups``, ``ListServerGroupServers``, ``GetListenerHealthStatus``
bodies, Ingress objects) with requests; the expected files give, per request (or per fixture for
drift), each finding's code, severity and phrases its message must contain, in order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ackwb.model import Finding
from ackwb.parse.alb_groups import read_health, read_server_groups, read_servers
from ackwb.parse.alb_rules import read_listener, read_rules
from ackwb.steps.alb_drift import expected_rules, ingress_rule_drift, path_patterns
from ackwb.steps.alb_findings import group_findings, no_rule_findings, redirect_loop
from ackwb.steps.alb_rules import AlbRequest, match_rule

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "alb_findings"


def load(name: str) -> tuple[dict[str, Any], Any]:
    return (
        json.loads((FIXTURES / f"{name}.json").read_text()),
        json.loads((FIXTURES / f"{name}.expected.json").read_text()),
    )


def check(found: list[Finding], expected: list[list[Any]]) -> None:
    assert [(f.code, f.severity.value) for f in found] == [(code, sev) for code, sev, _ in expected], [
        f.message for f in found
    ]
    for finding, (_, _, phrases) in zip(found, expected, strict=True):
        for phrase in phrases:
            assert phrase in finding.message, finding.message
        assert finding.evidence and finding.hop == "alb"


def test_every_fixture_has_its_expected_file() -> None:
    cases = sorted(p.stem for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))
    assert cases == ["drift", "groups", "redirect_loop"]
    for name in cases:
        assert load(name)[0]["about"]


GROUP_REQUESTS = range(len(load("groups")[0]["requests"]))


@pytest.mark.parametrize("index", GROUP_REQUESTS)
def test_group_findings(index: int) -> None:
    raw, expected = load("groups")
    listener, rules = read_listener(raw["listener"]), read_rules(raw["rules"])
    match = match_rule(listener, rules, AlbRequest.from_url(raw["requests"][index]["url"]))
    servers = {group: read_servers(body, group) for group, body in raw["servers"].items()}
    found = no_rule_findings(match) + group_findings(match, servers, read_health(raw["health"]))
    check(found, expected[index])


def test_health_reads_listener_and_rule_parts_and_unlisted_servers_are_normal() -> None:
    raw, _ = load("groups")
    health = read_health(raw["health"])
    assert sorted(health) == ["sgp-half", "sgp-sick"]
    half = read_servers(raw["servers"]["sgp-half"])
    assert [health["sgp-half"].state_of(s) for s in half] == ["Normal", "Unhealthy"]
    assert health["sgp-sick"].abnormal[0].reason == "RESPONSE_MISMATCH"


def test_a_group_whose_servers_were_not_read_is_not_called_empty() -> None:
    raw, _ = load("groups")
    match = match_rule(
        read_listener(raw["listener"]),
        read_rules(raw["rules"]),
        AlbRequest.from_url("http://shop.example.com/"),
    )
    assert group_findings(match, {}, {}) == []


def test_a_source_ip_rule_without_a_client_is_reported_as_depending_on_it() -> None:
    listener = read_listener({"ListenerId": "l", "ListenerPort": 80, "DefaultActions": []})
    rules = read_rules(
        {
            "Rules": [
                {
                    "RuleId": "r",
                    "RuleName": "office",
                    "Priority": 1,
                    "RuleConditions": [{"Type": "SourceIp", "SourceIpConfig": {"Values": ["192.0.2.0/24"]}}],
                }
            ]
        }
    )
    match = match_rule(listener, rules, AlbRequest.from_url("http://a.example.com/"))
    codes = [f.code for f in no_rule_findings(match)]
    assert codes == ["ALB_NO_RULE_MATCHES", "ALB_RULE_DEPENDS_ON_CLIENT"]
    assert not [
        f
        for f in no_rule_findings(
            match_rule(listener, rules, AlbRequest.from_url("http://a.example.com/", client_ip="192.0.2.9"))
        )
    ]


LOOP_REQUESTS = range(len(load("redirect_loop")[0]["requests"]))


@pytest.mark.parametrize("index", LOOP_REQUESTS)
def test_redirect_loop(index: int) -> None:
    raw, expected = load("redirect_loop")
    listeners = [(read_listener(x["listener"]), read_rules(x["rules"])) for x in raw["listeners"]]
    request = AlbRequest.from_url(raw["requests"][index]["url"])
    found = redirect_loop(listeners, request)
    check([found] if found else [], expected[index])


def test_a_redirect_to_a_host_that_reaches_this_alb_is_followed() -> None:
    raw, _ = load("redirect_loop")
    listeners = [(read_listener(x["listener"]), read_rules(x["rules"])) for x in raw["listeners"]]
    request = AlbRequest.from_url("http://away.example.com/a")
    assert redirect_loop(listeners, request) is None
    assert (
        redirect_loop(listeners, request, hosts={"away.example.com", "www.example.net"}) is None
    )  # ends on 443


def test_drift() -> None:
    raw, expected = load("drift")
    found = ingress_rule_drift(
        raw["ingresses"],
        read_rules(raw["rules"]),
        read_server_groups(raw["server_groups"]),
        read_listener(raw["listener"]),
    )
    check(found, expected)


def test_expected_rules_follow_the_controller_order_and_path_patterns() -> None:
    raw, _ = load("drift")
    want = [(e.ingress.key, e.host, e.paths, e.service) for e in expected_rules(raw["ingresses"])]
    assert want == [
        ("shop/admin", "admin.example.com", ("/console",), "console"),
        ("billing/pay", "", ("~*/pay/",), "pay"),
        ("shop/web", "shop.example.com", ("/*",), "web"),
        ("shop/web", "shop.example.com", ("/api", "/api/*"), "api"),
    ]


@pytest.mark.parametrize(
    "path, path_type, annotations, expected",
    [
        ("/", "Prefix", {}, ("/*",)),
        ("/a/", "Prefix", {}, ("/a", "/a/*")),
        ("/a", "Exact", {}, ("/a",)),
        ("/a*", "ImplementationSpecific", {}, ("/a*",)),
        ("/a", "Prefix", {"alb.ingress.kubernetes.io/rewrite-target": "/b"}, ("~*/a",)),
        ("/a", "Prefix", {"alb.ingress.kubernetes.io/rewrite-target": "/a"}, ("/a", "/a/*")),
    ],
)
def test_path_patterns(
    path: str, path_type: str, annotations: dict[str, str], expected: tuple[str, ...]
) -> None:
    from ackwb.parse.ingresses import read_ingress

    ingress = read_ingress({"metadata": {"name": "x", "namespace": "y", "annotations": annotations}})
    assert path_patterns(path, path_type, ingress) == expected


def test_https_listener_takes_only_tls_hosts() -> None:
    raw, _ = load("drift")
    ingress = json.loads(json.dumps(raw["ingresses"][0]))
    ingress["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "s"}]
    https = read_listener({"ListenerId": "l", "ListenerPort": 443, "ListenerProtocol": "HTTPS"})
    http = read_listener({"ListenerId": "l", "ListenerPort": 80, "ListenerProtocol": "HTTP"})
    assert len(expected_rules([ingress], https)) == 2
    assert expected_rules([ingress], http) == []
