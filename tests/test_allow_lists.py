"""Read-only by exact allow-lists: cloud actions by name (not prefix), ipvsadm's ``-t`` argument as IP:port.

A prefix check lets ``GetOrDeleteThing`` through; the cloud source must refuse any action that is
not on ``cloud_actions.ALLOWED_ACTIONS`` before a byte is sent (checked against the OpenAPI test
server, which records every request). Every action a step names must be on the list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from peers.openapi import OpenApiPeer

from ackwb.errors import Forbidden
from ackwb.sources import commands
from ackwb.sources.cloud_actions import ALLOWED_ACTIONS, FORM_BODY, is_allowed, split_parameters
from ackwb.sources.live_cloud import LiveCloud
from ackwb.sources.live_cloud_api import PRODUCTS
from ackwb.sources.world import load_demo_world

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "product, action",
    [("slb", "DescribeOrDeleteLoadBalancers"), ("ecs", "GetOrDeleteThing"), ("nlb", "ListAndDeleteListeners"),
     ("vpc", "DescribeRouteEntryListX"), ("slb", "describeLoadBalancers"), ("alb", "ListLoadBalancer")],
)  # fmt: skip
def test_an_action_named_like_a_read_but_not_listed_is_refused_before_sending(
    product: str, action: str
) -> None:
    with OpenApiPeer(load_demo_world().sources().cloud) as peer:
        cloud = LiveCloud("cn-hangzhou", endpoint=peer.endpoint, protocol="http", connect_timeout=0.5)
        with pytest.raises(Forbidden, match="allow-list"):
            cloud.call(product, action, {})
        assert peer.requests == []


def test_every_cloud_action_a_step_names_is_allowed() -> None:
    named = set()
    for path in (ROOT / "ackwb" / "steps").rglob("*.py"):
        products = "|".join(PRODUCTS)
        named |= set(re.findall(rf'"({products})",\s*"([A-Z]\w+)"', path.read_text(encoding="utf-8")))
    assert named, "no cloud call found in ackwb/steps; the pattern above needs updating"
    assert named <= ALLOWED_ACTIONS, named - ALLOWED_ACTIONS


def test_the_actions_the_step_rewrite_adds_are_already_allowed() -> None:
    for product, action in [("nlb", "ListServerGroups"), ("ecs", "DescribeSecurityGroupAttribute"),
                            ("vpc", "DescribeRouteEntryList"), ("alb", "ListListeners"),
                            ("alb", "GetListenerAttribute"), ("pvtz", "DescribeZones"),
                            ("pvtz", "DescribeZoneRecords")]:  # fmt: skip
        assert is_allowed(product, action), (product, action)
    assert all(product in PRODUCTS for product, _ in ALLOWED_ACTIONS)


def test_form_body_actions_keep_only_their_query_parameters_in_the_query() -> None:
    assert set(FORM_BODY) <= ALLOWED_ACTIONS
    query, body = split_parameters(
        "nlb", "ListServerGroups", {"RegionId": "r", "Tag.1.Key": "k", "ServerGroupIds.1": "sgp-1"}
    )
    assert query == {"Tag.1.Key": "k"} and body == {"RegionId": "r", "ServerGroupIds.1": "sgp-1"}
    assert split_parameters("slb", "DescribeLoadBalancers", {"Address": "a"}) == ({"Address": "a"}, {})


@pytest.mark.parametrize(
    "address, port", [("x; reboot", 80), ("10.0.0.1 -C", 80), ("10.0.0.1", 0), ("10.0.0.1", 70000),
                      ("10.0.0.1", -1), ("", 80), ("::1]:80 -t [::2", 80)],
)  # fmt: skip
def test_ipvsadm_t_argument_must_be_ip_and_port(address: str, port: int) -> None:
    built = commands.ipvsadm_service(address, port)  # the builder does not check: the allow-list does
    assert not commands.is_allowed(built)
    world = load_demo_world().sources()
    with pytest.raises(Forbidden):
        world.node.run("10.17.10.11", built)


@pytest.mark.parametrize("address", ["192.168.195.85", "fd00::a", "0.0.0.0"])
def test_ipvsadm_t_with_a_real_address_is_allowed(address: str) -> None:
    assert commands.is_allowed(commands.ipvsadm_service(address, 8080))
    assert commands.is_allowed(commands.ipvsadm_service(address, 65535, "UDP"))
