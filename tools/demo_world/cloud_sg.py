"""Security group bodies of a design world, as ECS ``DescribeSecurityGroupAttribute`` answers.

A group lists its ingress rules (``Permissions.Permission[]``) with Policy, Priority (a string
there; 1 is the highest, 100 the lowest), IpProtocol, PortRange, SourceCidrIp, Direction,
NicType and its SecurityGroupRuleId. The nodes' group and, under Terway exclusive ENI, the
Pods' own group are stored per design; the NLB's group is built by ``cloud_nlb``.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design, SecurityGroup, SgRule
from tools.demo_world.ids import REGION, ali_id

Obj = dict[str, Any]


def rule_body(rule: SgRule, created: str, rule_id: str) -> Obj:
    """One ingress rule as DescribeSecurityGroupAttribute lists it."""
    return {
        "CreateTime": created,
        "Description": rule.description,
        "DestCidrIp": "",
        "DestGroupId": "",
        "DestGroupName": "",
        "DestGroupOwnerAccount": "",
        "DestPrefixListId": "",
        "DestPrefixListName": "",
        "Direction": "ingress",
        "IpProtocol": rule.protocol,
        "Ipv6DestCidrIp": "",
        "Ipv6SourceCidrIp": "",
        "NicType": "intranet",
        "Policy": rule.policy,
        "PortRange": rule.ports,
        "PortRangeListId": "",
        "PortRangeListName": "",
        "Priority": str(rule.priority),
        "SecurityGroupRuleId": rule_id,
        "SourceCidrIp": rule.source,
        "SourceGroupId": "",
        "SourceGroupName": "",
        "SourceGroupOwnerAccount": "",
        "SourcePortRange": "",
        "SourcePrefixListId": "",
        "SourcePrefixListName": "",
    }


def rule_id(group: SecurityGroup, rule: SgRule) -> str:
    return ali_id(
        "sgr", f"{group.seed} {rule.policy} {rule.protocol} {rule.ports} {rule.priority} {rule.source}", 18
    )


def group_body(d: Design, group: SecurityGroup, request: str) -> Obj:
    return {
        "Description": group.description,
        "InnerAccessPolicy": "Accept",
        "NextToken": "",
        "Permissions": {
            "Permission": [rule_body(rule, group.created, rule_id(group, rule)) for rule in group.rules]
        },
        "RegionId": REGION,
        "RequestId": d.rid(request),
        "SecurityGroupId": group.id,
        "SecurityGroupName": group.name,
        "VpcId": d.vpc_id,
    }


def responses(d: Design) -> dict[str, Obj]:
    """Relative path under cloud/ → body, for the nodes' group and the Pods' own group."""
    groups = [(d.node_sg, "sg nodes")] + ([(d.pod_sg, "sg pods")] if d.pod_sg else [])
    return {
        f"ecs/DescribeSecurityGroupAttribute/{group.id}.json": group_body(d, group, seed)
        for group, seed in groups
    }
