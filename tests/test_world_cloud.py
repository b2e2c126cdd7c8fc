"""The stored world's OpenAPI: filters, paging, envelopes and API-style errors.

Expected results come from the stored unfiltered bodies (an oracle filtering by hand) or
from the demo world's facts in DESIGN.md section 3.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ackwb.demo import demo_world_root
from ackwb.errors import SourceError
from ackwb.sources.world import load_world
from ackwb.sources.world_cloud import ACTIONS
from ackwb.sources.world_cloud_kit import CloudApiError

REGION = "cn-hangzhou"
UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")


@pytest.fixture(scope="module")
def world():
    return load_world(demo_world_root())


@pytest.fixture(scope="module")
def cloud(world):
    return world.sources().cloud


def stored(world, relative: str) -> Any:
    node = world.root
    for part in f"cloud/{relative}".split("/"):
        node = node.joinpath(part)
    return json.loads(node.read_text())


def call(cloud, product: str, action: str, **params: Any) -> dict[str, Any]:
    return cloud.call(product, action, {"RegionId": REGION, **params})


def collect(cloud, product, action, path, params, page_param="PageNumber"):
    """Follow NextToken / PageNumber paging like a client does; return items and the pages seen."""
    items, pages, query = [], 0, dict(params)
    while True:
        body = call(cloud, product, action, **query)
        page = body
        for key in path:
            page = page[key]
        items.extend(page)
        pages += 1
        if body.get("NextToken"):
            query["NextToken"] = body["NextToken"]
        elif "TotalCount" in body and len(items) < body["TotalCount"] and page:
            query[page_param] = int(query.get(page_param, 1)) + 1
        else:
            return items, pages


# ------------------------------------------------------------------------------------------ dns
@pytest.mark.parametrize(
    ("sub_domain", "address"),
    [("app1.qas.abc.com", "203.0.113.10"), ("app2.qas.abc.com", "203.0.113.10"),
     ("APP3.qas.abc.com.", "198.51.100.20")],
)  # fmt: skip
def test_sub_domain_records(cloud, sub_domain: str, address: str) -> None:
    body = call(cloud, "alidns", "DescribeSubDomainRecords", SubDomain=sub_domain)
    (record,) = body["DomainRecords"]["Record"]
    assert (record["RR"] + "." + record["DomainName"], record["Type"], record["Value"]) == (
        sub_domain.lower().rstrip("."),
        "A",
        address,
    )
    assert "CreateTimestamp" not in record and "LbaStatus" not in record  # not in this action's answer
    assert body["TotalCount"] == 1 and UUID.match(body["RequestId"])


def test_sub_domain_filters_and_misses(cloud) -> None:
    assert (
        call(cloud, "alidns", "DescribeSubDomainRecords", SubDomain="app1.qas.abc.com", Type="CNAME")[
            "DomainRecords"
        ]["Record"]
        == []
    )
    assert call(cloud, "alidns", "DescribeSubDomainRecords", SubDomain="nope.abc.com")["TotalCount"] == 0
    body = call(
        cloud, "alidns", "DescribeSubDomainRecords", SubDomain="app1.qas.abc.com", DomainName="abc.com"
    )
    assert body["TotalCount"] == 1
    with pytest.raises(CloudApiError) as error:
        call(cloud, "alidns", "DescribeSubDomainRecords", SubDomain="app1.example.org")
    assert error.value.code == "InvalidDomainName.NoExist" and error.value.status == 404
    with pytest.raises(CloudApiError, match="MissingSubDomain"):
        call(cloud, "alidns", "DescribeSubDomainRecords")


def test_domain_records_keywords_and_paging(world, cloud) -> None:
    all_records = stored(world, "alidns/DescribeDomainRecords/abc.com.json")["DomainRecords"]["Record"]
    body = call(cloud, "alidns", "DescribeDomainRecords", DomainName="ABC.com", RRKeyWord="app3")
    assert [r["RR"] for r in body["DomainRecords"]["Record"]] == [
        r["RR"] for r in all_records if "app3" in r["RR"]
    ]
    items, pages = collect(
        cloud,
        "alidns",
        "DescribeDomainRecords",
        ("DomainRecords", "Record"),
        {"DomainName": "abc.com", "PageSize": 1},
    )
    assert items == all_records and pages == len(all_records)


# ------------------------------------------------------------------------------------------ slb
@pytest.mark.parametrize(
    ("address", "name"), [("203.0.113.10", "public-lb"), ("198.51.100.20", "private-lb")]
)
def test_load_balancer_by_address(cloud, address: str, name: str) -> None:
    body = call(cloud, "slb", "DescribeLoadBalancers", Address=address)
    (lb,) = body["LoadBalancers"]["LoadBalancer"]
    assert (lb["LoadBalancerName"], lb["AddressType"]) == (name, "internet")
    assert (body["PageNumber"], body["TotalCount"]) == (1, 1)


def test_load_balancer_paging_and_filters(world, cloud) -> None:
    everything = stored(world, "slb/DescribeLoadBalancers.json")["LoadBalancers"]["LoadBalancer"]
    items, pages = collect(
        cloud, "slb", "DescribeLoadBalancers", ("LoadBalancers", "LoadBalancer"), {"PageSize": 1}
    )
    assert items == everything and pages == len(everything) >= 2
    ids = [lb["LoadBalancerId"] for lb in everything]
    by_ids = call(cloud, "slb", "DescribeLoadBalancers", LoadBalancerId=",".join(reversed(ids)))
    assert [lb["LoadBalancerId"] for lb in by_ids["LoadBalancers"]["LoadBalancer"]] == ids
    empty = call(cloud, "slb", "DescribeLoadBalancers", Address="192.0.2.1")
    assert empty["LoadBalancers"] == {"LoadBalancer": []} and empty["TotalCount"] == 0
    for bad in (0, 101, "ten"):
        with pytest.raises(CloudApiError, match="PageSize"):
            call(cloud, "slb", "DescribeLoadBalancers", PageSize=bad)


def test_listeners_by_load_balancer_with_tokens(world, cloud) -> None:
    every = stored(world, "slb/DescribeLoadBalancerListeners.json")["Listeners"]
    lb_id = every[0]["LoadBalancerId"]
    mine = [li for li in every if li["LoadBalancerId"] == lb_id]
    items, pages = collect(
        cloud,
        "slb",
        "DescribeLoadBalancerListeners",
        ("Listeners",),
        {"LoadBalancerId.1": lb_id, "MaxResults": 1},
    )
    assert items == mine and pages == len(mine) == 2
    (one,) = call(
        cloud,
        "slb",
        "DescribeLoadBalancerListeners",
        **{"LoadBalancerId.1": lb_id},
        ListenerPort=443,
        ListenerProtocol="TCP",
    )["Listeners"]
    assert one["ListenerPort"] == 443 and one["VServerGroupId"].startswith("rsp-")
    body = call(
        cloud, "slb", "DescribeLoadBalancerListeners", LoadBalancerId=[lb_id, "lb-other"]
    )  # unflattened
    assert body["Listeners"] == mine and body["NextToken"] == "" and body["TotalCount"] == 2


def test_acl_and_groups(cloud) -> None:
    lb = call(cloud, "slb", "DescribeLoadBalancers", Address="198.51.100.20")["LoadBalancers"][
        "LoadBalancer"
    ][0]
    listeners = call(
        cloud, "slb", "DescribeLoadBalancerListeners", **{"LoadBalancerId.1": lb["LoadBalancerId"]}
    )
    for listener in listeners["Listeners"]:
        assert (listener["AclStatus"], listener["AclType"]) == ("on", "white")
        acl = call(cloud, "slb", "DescribeAccessControlListAttribute", AclId=listener["AclId"])
        entries = {(e["AclEntryIP"], e["AclEntryComment"]) for e in acl["AclEntrys"]["AclEntry"]}
        assert entries == {("192.0.2.0/24", "office-hangzhou"), ("198.51.100.64/26", "vpn")}
        first = call(
            cloud, "slb", "DescribeAccessControlListAttribute", AclId=listener["AclId"], PageSize=1, Page=2
        )
        assert first["AclEntrys"]["AclEntry"] == acl["AclEntrys"]["AclEntry"][1:]
        group = call(cloud, "slb", "DescribeVServerGroupAttribute", VServerGroupId=listener["VServerGroupId"])
        assert {b["Type"] for b in group["BackendServers"]["BackendServer"]} == {"eni"}
        assert {b["Port"] for b in group["BackendServers"]["BackendServer"]} == {listener["ListenerPort"]}
    health = call(cloud, "slb", "DescribeHealthStatus", LoadBalancerId=lb["LoadBalancerId"], ListenerPort=80)
    rows = health["BackendServers"]["BackendServer"]
    assert (
        rows
        and {r["ListenerPort"] for r in rows} == {80}
        and {r["ServerHealthStatus"] for r in rows} == {"normal"}
    )
    groups = call(cloud, "slb", "DescribeVServerGroups", LoadBalancerId=lb["LoadBalancerId"])
    assert len(groups["VServerGroups"]["VServerGroup"]) == 2


@pytest.mark.parametrize(
    ("product", "action", "param", "code"),
    [("slb", "DescribeVServerGroupAttribute", "VServerGroupId", "InvalidVServerGroupId.NotFound"),
     ("slb", "DescribeVServerGroups", "LoadBalancerId", "InvalidLoadBalancerId.NotFound"),
     ("slb", "DescribeHealthStatus", "LoadBalancerId", "InvalidLoadBalancerId.NotFound"),
     ("slb", "DescribeAccessControlListAttribute", "AclId", "AclNotExist"),
     ("vpc", "DescribeVSwitchAttributes", "VSwitchId", "InvalidVSwitchId.NotFound"),
     ("vpc", "DescribeRouteEntryList", "RouteTableId", "InvalidRouteTableId.NotFound"),
     ("vpc", "DescribeSnatTableEntries", "SnatTableId", "InvalidSnatTableId.NotFound"),
     ("cs", "DescribeClusterDetail", "ClusterId", "ErrorClusterNotFound"),
     ("alidns", "DescribeDomainRecords", "DomainName", "InvalidDomainName.NoExist")],
)  # fmt: skip
def test_unknown_ids_are_404s(cloud, product: str, action: str, param: str, code: str) -> None:
    for value in ("x-bp1doesnotexist", "../../world", "a/b", "../cs"):
        with pytest.raises(CloudApiError) as error:
            call(cloud, product, action, **{param: value})
        assert (error.value.code, error.value.status) == (code, 404)
        assert isinstance(error.value, SourceError) and error.value.source == f"{product}:{action}"
        assert code in str(error.value)
    with pytest.raises(CloudApiError) as missing:
        call(cloud, product, action)
    assert missing.value.status == 400


def test_unknown_action_names_what_it_answers(cloud) -> None:
    with pytest.raises(SourceError) as error:
        call(cloud, "slb", "DeleteLoadBalancer", LoadBalancerId="lb-x")
    assert not isinstance(error.value, CloudApiError)
    assert "slb:DescribeLoadBalancers" in str(error.value)


# ------------------------------------------------------------------------------------------ ecs
def test_network_interfaces_by_ip(world, cloud) -> None:
    """``PrivateIpAddress.N`` matches secondary addresses only; the primary one is ``PrimaryIpAddress``."""
    enis = stored(world, "ecs/DescribeNetworkInterfaces.json")["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    for eni in enis:
        for entry in eni["PrivateIpSets"]["PrivateIpSet"]:
            ip = entry["PrivateIpAddress"]
            query = {"PrimaryIpAddress": ip} if entry["Primary"] else {"PrivateIpAddress.1": ip}
            (found,) = call(cloud, "ecs", "DescribeNetworkInterfaces", **query)["NetworkInterfaceSets"][
                "NetworkInterfaceSet"
            ]
            assert found["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    pod = call(cloud, "ecs", "DescribeNetworkInterfaces", **{"PrivateIpAddress.1": "10.17.10.91"})
    (eni,) = pod["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    assert eni["Type"] == "Secondary" and eni["PrivateIpAddress"] != "10.17.10.91"
    by_secondary = call(cloud, "ecs", "DescribeNetworkInterfaces", **{"PrivateIpAddress.1": "10.17.10.13"})
    assert by_secondary["NetworkInterfaceSets"]["NetworkInterfaceSet"] == []  # a node's primary address
    node = call(cloud, "ecs", "DescribeNetworkInterfaces", PrimaryIpAddress="10.17.10.13")
    assert node["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["Type"] == "Primary"
    assert eni["InstanceId"] == node["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["InstanceId"]
    both = call(
        cloud,
        "ecs",
        "DescribeNetworkInterfaces",
        **{"PrivateIpAddress.1": "10.17.10.91", "PrivateIpAddress.2": "10.17.10.92"},
    )
    assert both["TotalCount"] == 2


def test_network_interfaces_paging_and_filters(world, cloud) -> None:
    enis = stored(world, "ecs/DescribeNetworkInterfaces.json")["NetworkInterfaceSets"]["NetworkInterfaceSet"]
    items, pages = collect(
        cloud,
        "ecs",
        "DescribeNetworkInterfaces",
        ("NetworkInterfaceSets", "NetworkInterfaceSet"),
        {"MaxResults": 4},
    )
    assert items == enis and pages == -(-len(enis) // 4)
    instance = enis[0]["InstanceId"]
    mine = call(cloud, "ecs", "DescribeNetworkInterfaces", InstanceId=instance, MaxResults=100)
    assert [e["NetworkInterfaceId"] for e in mine["NetworkInterfaceSets"]["NetworkInterfaceSet"]] == [
        e["NetworkInterfaceId"] for e in enis if e["InstanceId"] == instance
    ]
    ids = call(
        cloud, "ecs", "DescribeNetworkInterfaces", **{"NetworkInterfaceId.1": enis[1]["NetworkInterfaceId"]}
    )
    assert ids["NetworkInterfaceSets"]["NetworkInterfaceSet"] == [enis[1]]
    with pytest.raises(CloudApiError, match="NextToken"):
        call(cloud, "ecs", "DescribeNetworkInterfaces", NextToken="garbage")


def test_instances(world, cloud) -> None:
    instances = stored(world, "ecs/DescribeInstances.json")["Instances"]["Instance"]
    wanted = [instances[2]["InstanceId"], instances[0]["InstanceId"], "i-bp1missing"]
    body = call(cloud, "ecs", "DescribeInstances", InstanceIds=json.dumps(wanted), MaxResults=100)
    assert [i["InstanceId"] for i in body["Instances"]["Instance"]] == [
        instances[0]["InstanceId"],
        instances[2]["InstanceId"],
    ]
    by_ip = call(cloud, "ecs", "DescribeInstances", PrivateIpAddresses='["10.17.10.12"]')
    assert [i["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] for i in by_ip["Instances"]["Instance"]] == [
        ["10.17.10.12"]
    ]
    with pytest.raises(CloudApiError) as error:
        call(cloud, "ecs", "DescribeInstances", InstanceIds="i-not-json")
    assert error.value.code == "InvalidInstanceIds.Malformed" and error.value.status == 400


# ------------------------------------------------------------------------------------------ vpc
def test_egress_chain(cloud) -> None:
    eni = call(cloud, "ecs", "DescribeNetworkInterfaces", **{"PrivateIpAddress.1": "10.17.10.91"})
    vswitch_id = eni["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["VSwitchId"]
    vswitch = call(cloud, "vpc", "DescribeVSwitchAttributes", VSwitchId=vswitch_id)
    assert vswitch["CidrBlock"] == "10.17.10.0/24"
    routes = call(
        cloud,
        "vpc",
        "DescribeRouteEntryList",
        RouteTableId=vswitch["RouteTable"]["RouteTableId"],
        DestinationCidrBlock="0.0.0.0/0",
    )
    (route,) = routes["RouteEntrys"]["RouteEntry"]
    (hop,) = route["NextHops"]["NextHop"]
    assert hop["NextHopType"] == "NatGateway"
    (nat,) = call(cloud, "vpc", "DescribeNatGateways", NatGatewayId=hop["NextHopId"])["NatGateways"][
        "NatGateway"
    ]
    (table,) = nat["SnatTableIds"]["SnatTableId"]
    (entry,) = call(cloud, "vpc", "DescribeSnatTableEntries", SnatTableId=table, SourceVSwitchId=vswitch_id)[
        "SnatTableEntries"
    ]["SnatTableEntry"]
    assert entry["SnatIp"] == "203.0.113.200"
    by_gateway = call(cloud, "vpc", "DescribeSnatTableEntries", NatGatewayId=nat["NatGatewayId"])
    assert by_gateway["SnatTableEntries"]["SnatTableEntry"] == [entry]
    assert (
        call(cloud, "vpc", "DescribeSnatTableEntries", SnatTableId=table, SourceVSwitchId="vsw-other")[
            "TotalCount"
        ]
        == 0
    )
    (eip,) = call(cloud, "vpc", "DescribeEipAddresses", EipAddress=entry["SnatIp"])["EipAddresses"][
        "EipAddress"
    ]
    assert (eip["InstanceType"], eip["InstanceId"]) == ("Nat", nat["NatGatewayId"])
    assert call(cloud, "vpc", "DescribeEipAddresses", EipAddress="203.0.113.10")["TotalCount"] == 0
    by_owner = call(
        cloud,
        "vpc",
        "DescribeEipAddresses",
        AssociatedInstanceType="Nat",
        AssociatedInstanceId=nat["NatGatewayId"],
    )
    assert by_owner["EipAddresses"]["EipAddress"] == [eip]
    assert call(
        cloud,
        "vpc",
        "DescribeRouteEntryList",
        RouteTableId=vswitch["RouteTable"]["RouteTableId"],
        NextHopType="NatGateway",
    )["RouteEntrys"]["RouteEntry"] == [route]


def test_cluster_detail(world, cloud) -> None:
    detail = cloud.call("cs", "DescribeClusterDetail", {"ClusterId": world.meta["cluster_id"]})
    assert detail["proxy_mode"] == "ipvs" and detail["service_cidr"] == "192.168.0.0/16"
    assert json.loads(detail["meta_data"])["Capabilities"]["Network"] == "terway-eniip"


# ------------------------------------------------------------------------------------- generic
def test_other_region_sees_nothing(cloud) -> None:
    assert cloud.call("slb", "DescribeLoadBalancers", {"RegionId": "cn-shanghai"})["TotalCount"] == 0
    with pytest.raises(CloudApiError, match="NotFound"):
        cloud.call("vpc", "DescribeVSwitchAttributes", {"RegionId": "cn-shanghai", "VSwitchId": "vsw-x"})


def test_answers_are_copies_with_stable_request_ids(cloud) -> None:
    first = call(cloud, "slb", "DescribeLoadBalancers", Address="203.0.113.10")
    first["LoadBalancers"]["LoadBalancer"][0]["Address"] = "changed"
    again = call(cloud, "slb", "DescribeLoadBalancers", Address="203.0.113.10")
    assert again["LoadBalancers"]["LoadBalancer"][0]["Address"] == "203.0.113.10"
    assert (
        again["RequestId"] == first["RequestId"] != call(cloud, "slb", "DescribeLoadBalancers")["RequestId"]
    )


def test_every_action_is_declared_for_a_known_product() -> None:
    assert {p for p, _ in ACTIONS} <= {"alidns", "pvtz", "slb", "nlb", "alb", "ecs", "vpc", "cs"}
    assert len(ACTIONS) == 36  # 23, plus ALB's 10 and PrivateZone's 3 (tests/test_world_cloud_frontdoor.py)
