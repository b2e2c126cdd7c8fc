"""The stored world's NLB and security-group actions: filters, NextToken paging, 404s.

NLB answers in plain arrays with ``MaxResults``/``NextToken``/``TotalCount``; ECS
``DescribeSecurityGroupAttribute`` pages its ``Permissions.Permission`` with ``NextToken``
only and filters on ``Direction``. Expected results come from the stored bodies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ackwb.demo import demo_world_root
from ackwb.sources.world import load_world
from ackwb.sources.world_cloud_kit import CloudApiError

REGION = "cn-hangzhou"


@pytest.fixture(scope="module")
def world():
    return load_world(demo_world_root())


@pytest.fixture(scope="module")
def cloud(world):
    return world.sources().cloud


def stored(world, relative: str) -> Any:
    return json.loads(world.root.joinpath("cloud", *relative.split("/")).read_text())


def call(cloud, product: str, action: str, **params: Any) -> dict[str, Any]:
    return cloud.call(product, action, {"RegionId": REGION, **params})


def test_load_balancers_filter_on_ids_dns_name_and_zone(world, cloud) -> None:
    (nlb,) = stored(world, "nlb/ListLoadBalancers.json")["LoadBalancers"]
    for filters in (
        {"LoadBalancerIds": [nlb["LoadBalancerId"], "nlb-other"]},
        {"DNSName": nlb["DNSName"].upper()},
        {"ZoneId": "cn-hangzhou-i"},
        {"AddressType": "Internet", "VpcIds.1": nlb["VpcId"]},
    ):
        body = call(cloud, "nlb", "ListLoadBalancers", **filters)
        assert body["LoadBalancers"] == [nlb] and body["TotalCount"] == 1, filters
        assert body["NextToken"] == "" and body["MaxResults"] == 20
    for filters in (
        {"LoadBalancerIds": ["nlb-other"]},
        {"ZoneId": "cn-hangzhou-k"},
        {"DNSName": "x.example"},
    ):
        assert call(cloud, "nlb", "ListLoadBalancers", **filters)["LoadBalancers"] == [], filters
    assert cloud.call("nlb", "ListLoadBalancers", {"RegionId": "cn-shanghai"})["TotalCount"] == 0


def test_listeners_page_with_next_token(world, cloud) -> None:
    every = stored(world, "nlb/ListListeners.json")["Listeners"]
    lb_id = every[0]["LoadBalancerId"]
    first = call(cloud, "nlb", "ListListeners", **{"LoadBalancerIds.1": lb_id, "MaxResults": 1})
    assert first["Listeners"] == every[:1] and first["NextToken"] and first["TotalCount"] == 2
    second = call(
        cloud,
        "nlb",
        "ListListeners",
        **{"LoadBalancerIds.1": lb_id, "MaxResults": 1, "NextToken": first["NextToken"]},
    )
    assert second["Listeners"] == every[1:] and second["NextToken"] == ""
    tcp = call(cloud, "nlb", "ListListeners", ListenerIds=[every[1]["ListenerId"]], ListenerProtocol="tcp")
    assert tcp["Listeners"] == [every[1]]
    with pytest.raises(CloudApiError, match="MaxResults"):
        call(cloud, "nlb", "ListListeners", MaxResults=101)


def test_servers_and_health_by_id(world, cloud) -> None:
    for listener in stored(world, "nlb/ListListeners.json")["Listeners"]:
        servers = call(cloud, "nlb", "ListServerGroupServers", ServerGroupId=listener["ServerGroupId"])
        assert {s["Port"] for s in servers["Servers"]} == {listener["ListenerPort"]}
        one = servers["Servers"][0]
        by_ip = call(cloud, "nlb", "ListServerGroupServers", ServerGroupId=listener["ServerGroupId"],
                     ServerIps=[one["ServerIp"]])  # fmt: skip
        assert by_ip["Servers"] == [one]
        health = call(cloud, "nlb", "GetListenerHealthStatus", ListenerId=listener["ListenerId"])
        (status,) = health["ListenerHealthStatus"]
        assert status["ServerGroupInfos"][0]["ServerGroupId"] == listener["ServerGroupId"]


@pytest.mark.parametrize(
    ("product", "action", "param", "code"),
    [("nlb", "ListServerGroupServers", "ServerGroupId", "ResourceNotFound.serverGroup"),
     ("nlb", "GetListenerHealthStatus", "ListenerId", "ResourceNotFound.listener"),
     ("ecs", "DescribeSecurityGroupAttribute", "SecurityGroupId", "InvalidSecurityGroupId.NotFound")],
)  # fmt: skip
def test_unknown_ids_are_404s(cloud, product: str, action: str, param: str, code: str) -> None:
    for value in ("x-bp1doesnotexist", "../../world"):
        with pytest.raises(CloudApiError) as error:
            call(cloud, product, action, **{param: value})
        assert (error.value.code, error.value.status) == (code, 404)
    with pytest.raises(CloudApiError) as missing:
        call(cloud, product, action)
    assert missing.value.status == 400


def test_security_group_rules_by_direction_with_paging(world, cloud) -> None:
    (nlb,) = stored(world, "nlb/ListLoadBalancers.json")["LoadBalancers"]
    (group,) = nlb["SecurityGroupIds"]
    rules = stored(world, f"ecs/DescribeSecurityGroupAttribute/{group}.json")["Permissions"]["Permission"]
    body = call(cloud, "ecs", "DescribeSecurityGroupAttribute", SecurityGroupId=group, Direction="ingress")
    assert body["Permissions"]["Permission"] == rules and body["NextToken"] == "" and "TotalCount" not in body
    assert call(cloud, "ecs", "DescribeSecurityGroupAttribute", SecurityGroupId=group, Direction="egress")[
        "Permissions"
    ] == {"Permission": []}
    first = call(cloud, "ecs", "DescribeSecurityGroupAttribute", SecurityGroupId=group, MaxResults=1)
    assert first["Permissions"]["Permission"] == rules[:1] and first["NextToken"]
    rest = call(
        cloud,
        "ecs",
        "DescribeSecurityGroupAttribute",
        SecurityGroupId=group,
        MaxResults=1,
        NextToken=first["NextToken"],
    )
    assert rest["Permissions"]["Permission"] == rules[1:]
