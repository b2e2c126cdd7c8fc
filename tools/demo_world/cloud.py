"""Alibaba Cloud OpenAPI response bodies of a design world, by the file they are stored in.

Each body is the answer of one unfiltered list call or one per-id call, exactly as the API
sends it (RPC plural/singular wrappers, plain arrays for NLB, ROA snake_case for CS). The
world source filters and pages these; tests round-trip every body through the SDK's
response models.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import (
    cloud_absent,
    cloud_alb,
    cloud_lb_groups,
    cloud_nlb,
    cloud_pvtz,
    cloud_sg,
    cloud_vpc,
)
from tools.demo_world.cloud_cs import cluster_detail
from tools.demo_world.cloud_dns import domain_records
from tools.demo_world.cloud_ecs import instances, network_interfaces
from tools.demo_world.cloud_lb import acl_attribute, listeners, load_balancers
from tools.demo_world.design import Design

Obj = dict[str, Any]


def responses(d: Design) -> dict[str, Obj]:
    """Relative path under cloud/ → response body."""
    out: dict[str, Obj] = cloud_absent.responses(d)
    out[f"alidns/DescribeDomainRecords/{d.dns_zone}.json"] = domain_records(d)
    if d.clbs:
        out["slb/DescribeLoadBalancers.json"] = load_balancers(d)
        out["slb/DescribeLoadBalancerListeners.json"] = listeners(d)
    if d.acl is not None:
        out[f"slb/DescribeAccessControlListAttribute/{d.acl.id}.json"] = acl_attribute(d)
    out["ecs/DescribeNetworkInterfaces.json"] = network_interfaces(d)
    out["ecs/DescribeInstances.json"] = instances(d)
    out.update(cloud_sg.responses(d))
    out.update(cloud_vpc.responses(d))
    out[f"cs/DescribeClusterDetail/{d.cluster_id}.json"] = cluster_detail(d)
    out.update(cloud_lb_groups.responses(d))
    return {**out, **cloud_nlb.responses(d), **cloud_alb.responses(d), **cloud_pvtz.responses(d)}
