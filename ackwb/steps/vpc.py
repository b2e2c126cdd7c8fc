"""VPC reads more than one step makes, each made once per trace: a node's ECS instance, a
vSwitch and its route table, the route entries for a destination.

The Pod step asks how a packet crosses from one node to another (with Flannel, through the
VPC route entry for the destination node's Pod CIDR); the egress step asks how a Pod leaves
(its vSwitch's route table, default route, NAT gateway). Both start from a node's instance
or a vSwitch, so the answers are kept in the trace's memo (``Cluster.remember``).
"""

from __future__ import annotations

import json
from typing import Any

from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import cloud_items, dig

Obj = dict[str, Any]


def instance(sources: Sources, cluster: Cluster, instance_id: str) -> Obj | None:
    """One ECS instance, or None when the account has no such instance."""

    def read() -> Obj | None:
        params = {
            "RegionId": sources.settings.region,
            "InstanceIds": json.dumps([instance_id]),
            "MaxResults": 10,
        }
        found = cloud_items(sources, "ecs", "DescribeInstances", params, "Instances", "Instance")
        return found[0] if found else None

    return cluster.remember(("instance", instance_id), read)


def vswitch(sources: Sources, cluster: Cluster, vswitch_id: str) -> Obj:
    """A vSwitch's attributes: CidrBlock, RouteTable.RouteTableId."""
    query = {"RegionId": sources.settings.region, "VSwitchId": vswitch_id}
    return cluster.remember(
        ("vswitch", vswitch_id), lambda: sources.cloud.call("vpc", "DescribeVSwitchAttributes", query)
    )


def routes(sources: Sources, cluster: Cluster, table_id: str, destination: str) -> list[Obj]:
    """The entries of a route table for one destination CIDR."""
    query = {
        "RegionId": sources.settings.region,
        "RouteTableId": table_id,
        "DestinationCidrBlock": destination,
    }
    return cluster.remember(
        ("routes", table_id, destination),
        lambda: cloud_items(sources, "vpc", "DescribeRouteEntryList", query, "RouteEntrys", "RouteEntry"),
    )


def next_hops(entries: list[Obj]) -> list[Obj]:
    return [h for entry in entries for h in dig(entry, "NextHops", "NextHop") or []]


def instance_id_of(node: Obj) -> str:
    """The ECS instance of a Node: the end of its ``spec.providerID`` (``cn-hangzhou.i-…``)."""
    provider = str(dig(node, "spec", "providerID") or "")
    return provider.rsplit(".", 1)[-1] if provider else ""
