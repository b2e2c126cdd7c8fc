"""Alibaba Cloud OpenAPI response bodies of the demo world, by the file they are stored in.

Each body is the answer of one unfiltered list call or one per-id call, exactly as the API
sends it (RPC plural/singular wrappers, ROA snake_case for CS). The world source filters
and pages these; tests round-trip every body through the SDK's response models.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import cloud_nlb
from tools.demo_world import facts as f
from tools.demo_world.cloud_ecs import instances, network_interfaces
from tools.demo_world.cloud_lb import (
    acl_attribute,
    domain_records,
    health_status,
    listeners,
    load_balancers,
    vserver_group_attribute,
    vserver_groups,
)
from tools.demo_world.cloud_vpc import (
    cluster_detail,
    eip_addresses,
    nat_gateways,
    route_entries,
    snat_entries,
    vswitch_attributes,
)

Obj = dict[str, Any]


def responses() -> dict[str, Obj]:
    """Relative path under cloud/ → response body."""
    out = {
        f"alidns/DescribeDomainRecords/{f.DNS_ZONE}.json": domain_records(),
        "slb/DescribeLoadBalancers.json": load_balancers(),
        "slb/DescribeLoadBalancerListeners.json": listeners(),
        f"slb/DescribeAccessControlListAttribute/{f.ACL_ID}.json": acl_attribute(),
        "ecs/DescribeNetworkInterfaces.json": network_interfaces(),
        "ecs/DescribeInstances.json": instances(),
        f"vpc/DescribeVSwitchAttributes/{f.VSWITCH_ID}.json": vswitch_attributes(),
        f"vpc/DescribeRouteEntryList/{f.ROUTE_TABLE_ID}.json": route_entries(),
        "vpc/DescribeNatGateways.json": nat_gateways(),
        f"vpc/DescribeSnatTableEntries/{f.SNAT_TABLE_ID}.json": snat_entries(),
        "vpc/DescribeEipAddresses.json": eip_addresses(),
        f"cs/DescribeClusterDetail/{f.CLUSTER_ID}.json": cluster_detail(),
    }
    for lb in (f.PUBLIC_LB, f.PRIVATE_LB):
        out[f"slb/DescribeVServerGroups/{lb.id}.json"] = vserver_groups(lb)
        out[f"slb/DescribeHealthStatus/{lb.id}.json"] = health_status(lb)
        for port in (80, 443):
            out[f"slb/DescribeVServerGroupAttribute/{lb.vserver_group_id(port)}.json"] = (
                vserver_group_attribute(lb, port)
            )
    return {**out, **cloud_nlb.responses()}
