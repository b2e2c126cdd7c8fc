"""Gateway API on ALB, traced: the Gateway programmed on the ALB and the HTTPRoute rule Gateway API's
precedence picks, beside the ALB rule that really evaluates the request.

Design world alb-gateway: Gateway shop/alb-gw (listener http, HTTP 80) on ALB gw-shop-alb-gw,
HTTPRoute shop/store for store.gw.alb.abc.com with /api → api 80 % and api-v2 20 %, / → shop.
Expectations are this file's own, written from the design (tools/demo_world/designs/
alb_gateway_api.py); the drift cases edit a copy of the world as the ALB console would, and the
second world (tests/fixtures/worlds/frontdoor) holds a Gateway of class alb on an intranet ALB
beside an AlbConfig's ALB, to check that the Gateway is found by data on another design.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Severity, Trace, Verdict
from ackwb.sources.world import load_world
from ackwb.steps.alb_gateway import find_gateways
from ackwb.steps.slb.alb import find_alb
from ackwb.trace import dead_end

HOST = "store.gw.alb.abc.com"
GW_ALB = "alb-bp1wh9synt5rrt8l0z6z"
LISTENER = "lsn-bp11dr5nyz0ak2a4et06"
API_RULE, ROOT_RULE = "rule-75cd887cf07055a86243", "rule-a4f12d38e9f3cd9066b2"
API, API_V2, SHOP = "sgp-00ef7841c8e0e3ee5908", "sgp-d3d3110b21de656d218b", "sgp-865a8053948b1f74079e"
FRONTDOOR = Path(__file__).resolve().parent / "fixtures" / "worlds" / "frontdoor"
HEAD = [
    "client",
    f"dns:{HOST}",
    f"lb:{GW_ALB}",
    f"listener:{GW_ALB}:80",
    "gateway:shop/alb-gw",
    "httproute:shop/store",
]


def request_hops(trace: Trace) -> list[tuple[str, str]]:
    return [(h.id, h.verdict.value) for h in trace.hops if h.path.value != "egress"]


def raised(trace: Trace) -> set[tuple[str, str]]:
    return {(f.code, f.hop) for f in trace.findings if f.severity is not Severity.INFO}


def world_copy(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root("alb-gateway")), root)
    return root


def edit(root: Path, relative: str, change: Any) -> None:
    path = root / relative
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body))


def test_the_api_prefix_is_shared_80_20_across_two_services_and_both_pods_are_reached() -> None:
    trace = Workbook.demo("alb-gateway").trace(HOST, path="/api/items")
    ok = "ok"
    assert request_hops(trace) == [(h, ok) for h in HEAD] + [
        (f"alb-rule:{LISTENER}:{API_RULE}", ok),
        (f"alb-group:{API}", ok),
        (f"alb-group:{API_V2}", ok),
        ("service:shop/api", ok),
        ("pod:shop/api-9dgm7h864r-2lnl2", ok),
        ("pod:shop/api-v2-6sw5z5vn4w-qnrjb", ok),
    ]
    assert trace.verdict is Verdict.OK and dead_end(trace) == "" and raised(trace) == set()
    route = next(h for h in trace.hops if h.id == "httproute:shop/store")
    assert route.label == "HTTPRoute shop/store spec.rules[0]\nPathPrefix /api"
    assert dict(route.details)["backends"] == "shop/api:8080 80%, shop/api-v2:8080 20%"
    groups = {h.id: dict(h.details) for h in trace.hops if h.kind == "backend"}
    assert {g["service"] for g in groups.values()} == {"shop/api/8080", "shop/api-v2/8080"}
    assert [g["weight"] for g in groups.values()] == ["80", "20"]
    gateway = dict(next(h for h in trace.hops if h.kind == "gateway").details)
    assert gateway["gateway class"] == "alb (gateways.alibabacloud.com/alb/v1)"
    assert gateway["listener"] == "http: HTTP 80" and gateway["hostname"] == "*.gw.alb.abc.com"
    assert gateway["conditions"] == "Accepted=True, Programmed=True"
    assert f"{GW_ALB}.cn-hangzhou.alb.aliyuncsslb.com" in gateway["on this alb"]
    pods = {h.id for h in trace.hops if h.kind == "pod"}
    rule_hop = f"alb-rule:{LISTENER}:{API_RULE}"
    assert {e.dst for s in trace.steps for e in s.edges if e.src == rule_hop} >= pods | {f"alb-group:{API}"}


@pytest.mark.parametrize(
    ("path", "rule", "service"), [("/", ROOT_RULE, "shop"), ("/apix", ROOT_RULE, "shop")]
)
def test_every_other_path_takes_the_catch_all_rule_on_both_sides(path: str, rule: str, service: str) -> None:
    """/apix is not under PathPrefix /api (element-wise) nor under the ALB's /api and /api/*: both the
    route and the ALB send it to shop, so nothing disagrees."""
    trace = Workbook.demo("alb-gateway").trace(HOST, path=path)
    assert request_hops(trace) == [(h, "ok") for h in HEAD] + [
        (f"alb-rule:{LISTENER}:{rule}", "ok"),
        (f"alb-group:{SHOP}", "ok"),
        (f"service:shop/{service}", "ok"),
        ("pod:shop/shop-pq8h7nvgkr-mh8zh", "ok"),
        ("pod:shop/shop-pq8h7nvgkr-5zkb8", "ok"),
    ]
    route = next(h for h in trace.hops if h.id == "httproute:shop/store")
    assert route.label == "HTTPRoute shop/store spec.rules[1]\nPathPrefix /"
    assert trace.verdict is Verdict.OK and raised(trace) == set()


def test_an_albconfigs_alb_shows_no_gateway() -> None:
    """www.alb's ALB is the AlbConfig's: no Gateway's status names it, so no Gateway hop is drawn."""
    trace = Workbook.demo("alb-gateway").trace("www.alb.abc.com")
    assert not [h for h in trace.hops if h.kind in ("gateway", "httproute")]
    assert trace.verdict is Verdict.OK


def test_a_route_naming_a_missing_listener_is_not_accepted_and_the_default_action_answers() -> None:
    trace = Workbook.demo("gateway-route-not-accepted").trace(HOST)
    (finding,) = [f for f in trace.findings if f.code == "GATEWAY_ROUTE_NOT_ACCEPTED"]
    assert finding.hop == "httproute:shop/store" and finding.severity is Severity.ERROR
    assert (
        "Accepted is False (NoMatchingParent): Gateway shop/alb-gw has no listener named https"
        in finding.message
    )
    (evidence,) = finding.evidence
    assert evidence.excerpt == (
        "Accepted=False reason=NoMatchingParent message=Gateway shop/alb-gw has no listener named https"
    )
    assert finding.check == "kubectl get httproute -n shop store -o jsonpath='{.status.parents}'"
    hops = dict(request_hops(trace))
    assert hops["httproute:shop/store"] == "blocked" and hops[f"alb-rule:{LISTENER}:default"] == "ok"
    assert next(h for h in trace.hops if h.id == "httproute:shop/store").label == (
        "HTTPRoute shop/store\nnot accepted (NoMatchingParent)"
    )
    assert trace.verdict is Verdict.BLOCKED
    assert raised(trace) == {
        ("GATEWAY_ROUTE_NOT_ACCEPTED", "httproute:shop/store"),
        ("ALB_NO_RULE_MATCHES", f"alb-rule:{LISTENER}:default"),
        ("ALB_GROUP_EMPTY", "alb-group:sgp-7b176d8389237040f28a"),
    }
    assert dead_end(trace) == "no server of the rule's server groups carries requests"


def _forward_only_to_shop(body: dict[str, Any]) -> None:
    rule = next(r for r in body["Rules"] if r["RuleId"] == API_RULE)
    rule["RuleActions"][0]["ForwardGroupConfig"]["ServerGroupTuples"] = [
        {"ServerGroupId": SHOP, "Weight": 100}
    ]


def _without(*rules: str) -> Any:
    def change(body: dict[str, Any]) -> None:
        body["Rules"] = [r for r in body["Rules"] if r["RuleId"] not in rules]
        body["TotalCount"] = len(body["Rules"])

    return change


@pytest.mark.parametrize(
    ("change", "rule"),
    [(_forward_only_to_shop, API_RULE), (_without(API_RULE), ROOT_RULE)],
    ids=["rule-edited", "rule-deleted"],
)
def test_an_alb_rule_that_forwards_elsewhere_than_the_route_is_named_with_both_sides(
    tmp_path: Path, change: Any, rule: str
) -> None:
    root = world_copy(tmp_path)
    edit(root, "cloud/alb/ListRules.json", change)
    trace = Workbook.from_world(root).trace(HOST, path="/api/items")
    hop = f"alb-rule:{LISTENER}:{rule}"
    (finding,) = [f for f in trace.findings if f.code == "GATEWAY_ALB_RULE_DIFFERS"]
    assert finding.hop == hop and finding.severity is Severity.ERROR
    assert "forwards store.gw.alb.abc.com/api/items to shop/shop:8080 100%" in finding.message
    assert (
        "HTTPRoute shop/store spec.rules[0] asks for shop/api:8080 80%, shop/api-v2:8080 20%"
        in finding.message
    )
    sources = {e.source for e in finding.evidence}
    assert {"kube:httproutes", "alb:ListRules", "alb:ListServerGroups"} <= sources
    assert finding.check == f"aliyun alb ListRules --region cn-hangzhou --ListenerIds.1 {LISTENER}"
    assert dict(request_hops(trace))[hop] == "blocked" and trace.verdict is Verdict.BLOCKED


def test_no_alb_rule_for_an_accepted_route_is_named(tmp_path: Path) -> None:
    root = world_copy(tmp_path)
    edit(root, "cloud/alb/ListRules.json", _without(API_RULE, ROOT_RULE))
    trace = Workbook.from_world(root).trace(HOST, path="/api")
    (finding,) = [f for f in trace.findings if f.code == "GATEWAY_ALB_RULE_MISSING"]
    assert finding.hop == f"alb-rule:{LISTENER}:default"
    assert finding.message.startswith(
        "HTTPRoute shop/store spec.rules[0] takes store.gw.alb.abc.com/api and asks for shop/api:8080 80%, "
        "shop/api-v2:8080 20%, but listener 80 of the ALB has no forwarding rule for it"
    )
    assert trace.verdict is Verdict.BLOCKED


def test_the_gateway_is_found_by_the_instance_tag_when_its_status_has_no_address(tmp_path: Path) -> None:
    """Before the controller writes status.addresses, the instance's tag (UNCONFIRMED scheme) still ties
    the Gateway to the ALB, and GATEWAY_NO_ADDRESS says the status is not written yet."""
    root = world_copy(tmp_path)
    edit(root, "kube/gateways.json", lambda body: body["items"][0]["status"].update(addresses=[]))
    trace = Workbook.from_world(root).trace(HOST)
    gateway = dict(next(h for h in trace.hops if h.kind == "gateway").details)
    assert (
        gateway["on this alb"]
        == f"LoadBalancerId={GW_ALB} Tags[gateways.alibabacloud.com/gateway]: shop/alb-gw"
    )
    assert raised(trace) == {("GATEWAY_NO_ADDRESS", "gateway:shop/alb-gw")}
    assert trace.verdict is Verdict.OK


def test_without_an_address_or_a_tag_no_gateway_is_claimed(tmp_path: Path) -> None:
    root = world_copy(tmp_path)
    edit(root, "kube/gateways.json", lambda body: body["items"][0]["status"].update(addresses=[]))
    for name in ("ListLoadBalancers.json", f"GetLoadBalancerAttribute/{GW_ALB}.json"):

        def untag(body: dict[str, Any]) -> None:
            for item in body.get("LoadBalancers", [body]):
                item["Tags"] = [t for t in item["Tags"] if not t["Key"].startswith("gateways.")]

        edit(root, f"cloud/alb/{name}", untag)
    trace = Workbook.from_world(root).trace(HOST)
    assert not [h for h in trace.hops if h.kind in ("gateway", "httproute")] and trace.verdict is Verdict.OK


def test_unreadable_gateways_make_the_tagged_gateway_unknown(tmp_path: Path) -> None:
    root = world_copy(tmp_path)
    (root / "kube" / "gateways.json").unlink()
    trace = Workbook.from_world(root).trace(HOST)
    hop = next(h for h in trace.hops if h.kind == "gateway")
    assert hop.id == "gateway:shop/alb-gw" and hop.verdict is Verdict.UNKNOWN
    assert any(f.hop == hop.id and f.code.startswith("SOURCE_") for f in trace.findings)
    assert trace.verdict is Verdict.OK  # the ALB rule still answers: the Gateway is only unseen


@pytest.mark.parametrize(
    ("dns_name", "gateway"),
    [
        ("alb-fd02.cn-hangzhou.alb.aliyuncsslb.com", ["store/internal"]),
        ("alb-fd01.cn-hangzhou.alb.aliyuncsslb.com", []),
    ],
)
def test_the_frontdoor_world_ties_its_gateway_to_the_intranet_alb_only(
    dns_name: str, gateway: list[str]
) -> None:
    sources = load_world(FRONTDOOR).sources()
    found = find_alb(sources, "", [dns_name])
    assert found is not None
    front, _ = found
    gateways = find_gateways(sources, front)
    assert [g.record.meta.key for g in gateways] == gateway
    assert all(g.why.locator == "store/internal status.addresses" for g in gateways)


def test_an_ingress_alb_rule_split_across_two_services_reaches_the_pods_of_both(tmp_path: Path) -> None:
    """The Pod step follows every Service a weighted ALB rule forwards to, Gateway or not: www.alb's
    rule on listener 80 edited to send 10 % to pay's server group reaches pay's Pod beside shop's."""
    root = world_copy(tmp_path)

    def split(body: dict[str, Any]) -> None:
        rule = next(r for r in body["Rules"] if r["RuleId"] == "rule-118d4c63d15ba7358dd4")
        rule["RuleActions"][0]["ForwardGroupConfig"]["ServerGroupTuples"] = [
            {"ServerGroupId": "sgp-f84f263dc117e990b9a7", "Weight": 90},
            {"ServerGroupId": "sgp-72e1b4141328c5ee7754", "Weight": 10},
        ]

    edit(root, "cloud/alb/ListRules.json", split)
    trace = Workbook.from_world(root).trace("www.alb.abc.com")
    pods = {h.id.rsplit("-", 2)[0] for h in trace.hops if h.kind == "pod"}
    assert pods == {"pod:shop/shop", "pod:shop/pay"}
    assert [h.id for h in trace.hops if h.kind == "service"] == ["service:shop/shop"]  # the heaviest share
    assert not [h for h in trace.hops if h.kind in ("gateway", "httproute")]


def test_an_unreadable_httproute_is_left_out_with_a_warning(tmp_path: Path) -> None:
    root = world_copy(tmp_path)

    def add_nameless(body: dict[str, Any]) -> None:
        broken = json.loads(json.dumps(body["items"][0]))
        broken["metadata"]["name"] = ""
        body["items"].append(broken)

    edit(root, "kube/httproutes.json", add_nameless)
    trace = Workbook.from_world(root).trace(HOST)
    assert raised(trace) == {("GATEWAY_ROUTE_UNREADABLE", "gateway:shop/alb-gw")}
    assert "has no metadata.name" in next(
        f.message for f in trace.findings if f.code == "GATEWAY_ROUTE_UNREADABLE"
    )
    assert trace.verdict is Verdict.OK  # the readable route still explains the ALB rule
