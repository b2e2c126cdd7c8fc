"""ALB and PrivateZone answered from a stored world (tests/fixtures/worlds/frontdoor).

The stored bodies and every answer built from them round-trip through the SDK response models
(alibabacloud_alb20200616 1.3.3, alibabacloud_pvtz20180101 1.5.0) without losing a key, so the
field names are the real ones; the hand-written rule fixtures use only fields those models know.
Filters, paging (MaxResults/NextToken for ALB, PageNumber/PageSize with TotalItems/TotalPages
for PrivateZone), PrivateZone's ``Rr``/``Ttl`` casing, the zone ↔ VPC binding and errors are
checked against values read off the stored files.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ackwb.sources.world import load_world
from ackwb.sources.world_cloud import ACTIONS
from ackwb.sources.world_cloud_kit import CloudApiError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORLD = FIXTURES / "worlds" / "frontdoor"
PACKAGES = {"alb": "alibabacloud_alb20200616", "pvtz": "alibabacloud_pvtz20180101"}
STORED = sorted(p.relative_to(WORLD / "cloud").as_posix() for p in (WORLD / "cloud").rglob("*.json"))


@pytest.fixture(scope="module")
def cloud() -> Any:
    return load_world(WORLD).sources().cloud


def model(product: str, action: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGES[product]}.models"), f"{action}ResponseBody")


def dropped(stored: Any, kept: Any, where: str = "") -> list[str]:
    """Keys of ``stored`` that the SDK model did not keep (or changed), as paths."""
    if isinstance(stored, dict):
        if not isinstance(kept, dict):
            return [where or "(body)"]
        return [
            p
            for k, v in stored.items()
            for p in (dropped(v, kept[k], f"{where}.{k}") if k in kept else [f"{where}.{k}"])
        ]
    if isinstance(stored, list):
        if not isinstance(kept, list) or len(kept) != len(stored):
            return [where]
        return [
            p
            for i, (a, b) in enumerate(zip(stored, kept, strict=True))
            for p in dropped(a, b, f"{where}[{i}]")
        ]
    return [] if stored == kept else [where]


@pytest.mark.parametrize("relative", STORED)
def test_stored_bodies_round_trip_through_the_sdk(relative: str) -> None:
    product, action = relative.split("/")[:2]
    body = json.loads((WORLD / "cloud" / relative).read_text())
    assert model(product, action.removesuffix(".json"))().from_map(body).to_map() == body


RULE_FIXTURES = sorted(
    p
    for folder in ("alb_rules", "alb_findings")
    for p in (FIXTURES / folder).glob("*.json")
    if not p.name.endswith(".expected.json")
)


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=[p.stem for p in RULE_FIXTURES])
def test_rule_fixtures_use_only_fields_the_sdk_knows(path: Path) -> None:
    raw = json.loads(path.read_text())
    pairs = [(x["listener"], x["rules"]) for x in raw.get("listeners", [])]
    pairs += [(raw["listener"], raw.get("rules"))] if "listener" in raw else []
    for listener, rules in pairs:
        body = {"Listeners": [listener], "RequestId": "x"}
        assert dropped(body, model("alb", "ListListeners")().from_map(body).to_map()) == []
        if rules:
            assert dropped(rules, model("alb", "ListRules")().from_map(rules).to_map()) == []
    if "server_groups" in raw:
        groups = raw["server_groups"]
        assert dropped(groups, model("alb", "ListServerGroups")().from_map(groups).to_map()) == []
    for servers in raw.get("servers", {}).values():
        assert dropped(servers, model("alb", "ListServerGroupServers")().from_map(servers).to_map()) == []
    if "health" in raw:
        assert (
            dropped(raw["health"], model("alb", "GetListenerHealthStatus")().from_map(raw["health"]).to_map())
            == []
        )


def test_the_field_check_catches_a_misspelt_field() -> None:
    body = {"Rules": [{"RuleId": "r", "Priority": 1, "RuleCondition": []}]}
    assert dropped(body, model("alb", "ListRules")().from_map(body).to_map()) == [".Rules[0].RuleCondition"]


ANSWERS: list[tuple[str, str, dict[str, Any]]] = [
    ("alb", "ListLoadBalancers", {"DNSName": "ALB-FD01.cn-hangzhou.alb.aliyuncsslb.com"}),
    ("alb", "GetLoadBalancerAttribute", {"LoadBalancerId": "alb-fd01"}),
    ("alb", "ListListeners", {"LoadBalancerIds": ["alb-fd01"]}),
    ("alb", "GetListenerAttribute", {"ListenerId": "lsn-fd443"}),
    ("alb", "ListRules", {"ListenerIds": ["lsn-fd80", "lsn-fd443"], "MaxResults": 4}),
    ("alb", "ListServerGroups", {"ServerGroupIds": ["sgp-fdweb", "sgp-fdapi"]}),
    ("alb", "ListServerGroupServers", {"ServerGroupId": "sgp-fdweb"}),
    ("alb", "GetListenerHealthStatus", {"ListenerId": "lsn-fd80", "IncludeRule": True}),
    ("alb", "ListAcls", {"AclIds": ["acl-fdoffice"]}),
    ("alb", "ListAclEntries", {"AclId": "acl-fdoffice"}),
    ("pvtz", "DescribeZones", {"QueryVpcId": "vpc-fd1", "PageSize": 1}),
    ("pvtz", "DescribeZoneInfo", {"ZoneId": "pz-fdqas"}),
    ("pvtz", "DescribeZoneRecords", {"ZoneId": "pz-fdqas", "Keyword": "API"}),
]


@pytest.mark.parametrize(("product", "action", "params"), ANSWERS, ids=[f"{p}:{a}" for p, a, _ in ANSWERS])
def test_answers_round_trip_through_the_sdk(
    cloud: Any, product: str, action: str, params: dict[str, Any]
) -> None:
    body = cloud.call(product, action, params)
    assert model(product, action)().from_map(body).to_map() == body
    assert re.fullmatch(r"[0-9A-F-]{36}", body["RequestId"])


def test_answers_cover_every_alb_and_pvtz_action() -> None:
    assert {(p, a) for p, a, _ in ANSWERS} == {(p, a) for p, a in ACTIONS if p in PACKAGES}


def ids(body: dict[str, Any], items: str, key: str) -> list[str]:
    found = body
    for part in items.split("."):
        found = found[part]
    return [item[key] for item in found]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["alb-fd01", "alb-fd02", "alb-other"]),
        ({"VpcIds": ["vpc-fd1"]}, ["alb-fd01", "alb-fd02"]),
        ({"LoadBalancerIds": ["alb-fd02", "alb-other"]}, ["alb-fd02", "alb-other"]),
        ({"DNSName": "alb-fd02.cn-hangzhou.alb.aliyuncsslb.com"}, ["alb-fd02"]),
        ({"AddressType": "Intranet"}, ["alb-fd02"]),
        ({"ZoneId": "cn-hangzhou-j"}, ["alb-fd02"]),
        ({"ZoneId": "cn-hangzhou-h"}, ["alb-fd01", "alb-fd02"]),
        ({"Tag": [{"Key": "ingress.k8s.alibaba/albconfig", "Value": "alb"}]}, ["alb-fd01"]),
    ],
)
def test_list_load_balancers_filters(cloud: Any, params: dict[str, Any], expected: list[str]) -> None:
    flat = dict(params)
    for tag in flat.pop("Tag", []):
        flat.update({"Tag.1.Key": tag["Key"], "Tag.1.Value": tag["Value"]})
    assert ids(cloud.call("alb", "ListLoadBalancers", flat), "LoadBalancers", "LoadBalancerId") == expected


def test_rules_filter_by_listener_rule_and_direction(cloud: Any) -> None:
    assert ids(cloud.call("alb", "ListRules", {"ListenerIds": ["lsn-gw80"]}), "Rules", "RuleId") == [
        "rule-gw80a",
        "rule-gw80r",
    ]
    assert ids(cloud.call("alb", "ListRules", {"Direction": "response"}), "Rules", "RuleId") == ["rule-gw80r"]
    assert ids(cloud.call("alb", "ListRules", {"RuleIds": ["rule-fd443b"]}), "Rules", "RuleId") == [
        "rule-fd443b"
    ]


def test_alb_pages_with_next_token_to_the_end(cloud: Any) -> None:
    seen, token, pages = [], "", 0
    while True:
        body = cloud.call("alb", "ListRules", {"MaxResults": 3, **({"NextToken": token} if token else {})})
        assert body["MaxResults"] == 3 and body["TotalCount"] == 7
        seen += ids(body, "Rules", "RuleId")
        token, pages = body["NextToken"], pages + 1
        if not token:
            break
    stored = json.loads((WORLD / "cloud/alb/ListRules.json").read_text())
    assert pages == 3 and seen == [r["RuleId"] for r in stored["Rules"]]


@pytest.mark.parametrize(
    "action, params",
    [
        ("ListRules", {"MaxResults": 101}),
        ("ListRules", {"MaxResults": 0}),
        ("GetListenerHealthStatus", {"ListenerId": "lsn-fd80", "MaxResults": 31}),
        ("ListRules", {"NextToken": "x"}),
    ],
)
def test_alb_paging_limits_are_the_apis(cloud: Any, action: str, params: dict[str, Any]) -> None:
    with pytest.raises(CloudApiError) as caught:
        cloud.call("alb", action, params)
    assert caught.value.status == 400 and caught.value.code.startswith("InvalidParameter")


def test_servers_of_one_group_or_of_every_group(cloud: Any) -> None:
    one = cloud.call("alb", "ListServerGroupServers", {"ServerGroupId": "sgp-fdapi"})
    assert ids(one, "Servers", "ServerIp") == ["10.40.1.71", "10.40.2.72"] and one["TotalCount"] == 2
    every = cloud.call("alb", "ListServerGroupServers", {"ServerIds": ["i-fdnode2", "10.40.1.81"]})
    assert [(s["ServerGroupId"], s["ServerId"]) for s in every["Servers"]] == [
        ("sgp-fdweb", "i-fdnode2"),
        ("sgp-gwstore", "10.40.1.81"),
    ]
    assert cloud.call("alb", "ListServerGroupServers", {"ServerGroupId": "sgp-fdweb2"})["Servers"] == []


def test_health_has_rules_only_when_asked(cloud: Any) -> None:
    plain = cloud.call("alb", "GetListenerHealthStatus", {"ListenerId": "lsn-fd80"})
    assert "RuleHealthStatus" not in plain and set(plain) == {
        "ListenerHealthStatus",
        "NextToken",
        "RequestId",
    }
    full = cloud.call("alb", "GetListenerHealthStatus", {"ListenerId": "lsn-fd80", "IncludeRule": "true"})
    assert [r["RuleId"] for r in full["RuleHealthStatus"]] == ["rule-fd80a"]


@pytest.mark.parametrize(
    "product, action, params, code, status",
    [
        ("alb", "GetListenerAttribute", {"ListenerId": "lsn-nope"}, "ResourceNotFound.Listener", 404),
        ("alb", "ListServerGroupServers", {"ServerGroupId": "sgp-nope"}, "ResourceNotFound.ServerGroup", 404),
        ("alb", "ListAclEntries", {}, "MissingAclId", 400),
        ("pvtz", "DescribeZoneRecords", {}, "MissingZoneId", 400),
        ("pvtz", "DescribeZoneInfo", {"ZoneId": "pz-nope"}, "Zone.Invalid.Id", 404),
    ],
)
def test_errors(
    cloud: Any, product: str, action: str, params: dict[str, Any], code: str, status: int
) -> None:
    with pytest.raises(CloudApiError) as caught:
        cloud.call(product, action, params)
    assert (caught.value.code, caught.value.status) == (code, status)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["pz-fdqas", "pz-fdshop", "pz-fdother"]),
        ({"ZoneType": "CLOUD_PRODUCT_ZONE"}, ["pz-fdproduct"]),
        ({"QueryVpcId": "vpc-fd1"}, ["pz-fdqas", "pz-fdshop"]),
        ({"QueryVpcId": "vpc-other"}, ["pz-fdother"]),
        ({"QueryRegionId": "cn-shanghai"}, ["pz-fdshop"]),
        ({"Keyword": "QAS"}, ["pz-fdqas", "pz-fdshop"]),
        ({"Keyword": "qas.internal", "SearchMode": "EXACT"}, ["pz-fdqas"]),
    ],
)
def test_describe_zones_filters(cloud: Any, params: dict[str, Any], expected: list[str]) -> None:
    assert ids(cloud.call("pvtz", "DescribeZones", params), "Zones.Zone", "ZoneId") == expected


def test_pvtz_pages_report_total_items_and_pages(cloud: Any) -> None:
    pages = [cloud.call("pvtz", "DescribeZones", {"PageSize": 2, "PageNumber": n}) for n in (1, 2)]
    assert [(p["PageNumber"], p["PageSize"], p["TotalItems"], p["TotalPages"]) for p in pages] == [
        (1, 2, 3, 2),
        (2, 2, 3, 2),
    ]
    assert ids(pages[1], "Zones.Zone", "ZoneId") == ["pz-fdother"]
    assert "TotalCount" not in pages[0]
    with pytest.raises(CloudApiError):
        cloud.call("pvtz", "DescribeZones", {"PageSize": 101})


def test_zone_records_keep_pvtz_casing_and_search_modes(cloud: Any) -> None:
    exact = cloud.call("pvtz", "DescribeZoneRecords", {"ZoneId": "pz-fdqas", "Keyword": "api"})["Records"][
        "Record"
    ]
    assert [(r["Rr"], r["Ttl"], r["RecordId"]) for r in exact] == [("api", 60, 81002)]
    assert "RR" not in exact[0] and "TTL" not in exact[0]
    like = cloud.call(
        "pvtz", "DescribeZoneRecords", {"ZoneId": "pz-fdqas", "Keyword": "api", "SearchMode": "LIKE"}
    )
    assert [r["Rr"] for r in like["Records"]["Record"]] == ["api", "api-old"]


def test_binding_lives_in_zone_info(cloud: Any) -> None:
    info = cloud.call("pvtz", "DescribeZoneInfo", {"ZoneId": "pz-fdshop"})
    assert [(v["VpcId"], v["RegionId"]) for v in info["BindVpcs"]["Vpc"]] == [
        ("vpc-fd1", "cn-hangzhou"),
        ("vpc-fd9", "cn-shanghai"),
    ]


@pytest.mark.parametrize(
    "relative, change, call, field",
    [
        (
            "cloud/alb/ListRules.json",
            lambda b: b["Rules"][1].update(Priority="second"),
            ("alb", "ListRules", {}),
            "Rules[1].Priority is a string ('second'), expected a whole number",
        ),
        (
            "cloud/pvtz/DescribeZoneRecords/pz-fdqas.json",
            lambda b: b["Records"]["Record"][0].update(Ttl="60s"),
            ("pvtz", "DescribeZoneRecords", {"ZoneId": "pz-fdqas"}),
            "Records.Record[0].Ttl is a string",
        ),
        (
            "kube/httproutes.json",
            lambda b: b["items"][0]["spec"]["parentRefs"][0].update(port="eighty"),
            ("kube", "httproutes", None),
            "store/orders: spec.parentRefs[0].port is a string ('eighty')",
        ),
        (
            "kube/gateways.json",
            lambda b: b["items"][0]["spec"].update(listeners={"name": "http"}),
            ("kube", "gateways", None),
            "store/internal: spec.listeners is an object, expected a list",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_a_source_error_naming_it(
    tmp_path: Path, relative: str, change: Any, call: tuple[str, str, Any], field: str
) -> None:
    import shutil

    from ackwb.errors import SourceError

    copy = tmp_path / "world"
    shutil.copytree(WORLD, copy)
    body = json.loads((copy / relative).read_text())
    change(body)
    (copy / relative).write_text(json.dumps(body))
    sources = load_world(copy).sources()
    with pytest.raises(SourceError) as caught:
        if call[0] == "kube":
            sources.kube.list(call[1])
        else:
            sources.cloud.call(*call)
    assert field in str(caught.value)
