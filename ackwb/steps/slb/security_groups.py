"""An NLB's access control: the ingress rules of its security groups, and which rule lets the
client in or keeps it out.

NLB listeners have no ACL; the security groups the NLB is added to (``SecurityGroupIds``)
decide instead. The rules of every group are read with ECS ``DescribeSecurityGroupAttribute``
(``Direction=ingress``) and weighed the way ECS documents it: Priority 1 is the highest,
and at equal priority a Drop rule wins over an Accept rule. NLB differs from an ECS
instance in one point: traffic that no rule matches is let in (the NLB documentation: a
security group without Drop rules leaves the listener ports open to everyone; a whitelist
needs a Drop rule below the Accept rules). An NLB in no security group lets every client in.

Rules whose source is another security group or a prefix list cannot match an internet
client's address and are left out of the decision.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ackwb.errors import SourceError
from ackwb.model import Finding, Severity
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, source_finding
from ackwb.steps.slb.records import Listener

if TYPE_CHECKING:
    from ackwb.steps.slb import LoadBalancerResult

RULES_PAGE = 1000  # the largest page DescribeSecurityGroupAttribute serves
EVERYONE = ipaddress.ip_network("0.0.0.0/0")
LISTENER_IP_PROTOCOL = {"TCP": "TCP", "TCPSSL": "TCP", "UDP": "UDP"}  # NLB listener → IP protocol


@dataclass(frozen=True)
class SecurityRule:
    """One ingress rule of one security group."""

    group_id: str
    policy: str  # accept or drop
    priority: int
    protocol: str  # TCP, UDP, ICMP, GRE or ALL
    port_range: str  # "80/80"; "-1/-1" is every port
    source: str  # an IPv4 CIDR; "" when the source is a security group or a prefix list
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def applies_to(self, protocol: str, port: int) -> bool:
        if not self.source or self.protocol not in ("ALL", protocol):
            return False
        first, _, last = self.port_range.partition("/")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            return False
        return low == -1 or low <= port <= high

    def covers(self, address: str) -> bool:
        return ipaddress.ip_address(address) in ipaddress.ip_network(self.source, strict=False)

    @property
    def covers_everyone(self) -> bool:
        return ipaddress.ip_network(self.source, strict=False) == EVERYONE

    def __str__(self) -> str:
        policy = "Accept" if self.policy == "accept" else "Drop"
        where = f"{self.protocol} {self.port_range} from {self.source}"
        return f"{self.group_id} {policy} {where} priority {self.priority}"


def read_security_rules(sources: Sources, group_ids: list[str]) -> list[SecurityRule]:
    """The ingress rules of every group, in the groups' order (each group's rules as listed)."""
    region = sources.settings.region

    def read(group_id: str) -> list[dict[str, Any]]:
        params = {
            "RegionId": region,
            "SecurityGroupId": group_id,
            "Direction": "ingress",
            "MaxResults": RULES_PAGE,
        }
        return cloud_items(
            sources, "ecs", "DescribeSecurityGroupAttribute", params, "Permissions", "Permission"
        )

    answers = sources.gather([lambda group_id=group_id: read(group_id) for group_id in group_ids])
    rules = []
    for group_id, permissions in zip(group_ids, answers, strict=True):
        for item in permissions:
            if str(item.get("Direction", "ingress")).lower() != "ingress":
                continue
            rules.append(
                SecurityRule(
                    group_id=group_id,
                    policy=str(item.get("Policy", "Accept")).lower(),
                    priority=int(item.get("Priority") or 1),
                    protocol=str(item.get("IpProtocol", "")).upper(),
                    port_range=str(item.get("PortRange", "")),
                    source=str(item.get("SourceCidrIp") or ""),
                    raw=item,
                )
            )
    return rules


def read_groups(sources: Sources, result: LoadBalancerResult) -> None:
    """Read the rules of the NLB's security groups into ``result``. When they cannot be read, a
    finding says so and no verdict is drawn from them (the groups count as unseen)."""
    if not result.security_group_ids:
        return
    try:
        result.security_rules = read_security_rules(sources, result.security_group_ids)
    except SourceError as error:
        groups = ", ".join(result.security_group_ids)
        what = f"the security groups of {result.load_balancer_id} ({groups})"
        result.findings.append(source_finding(error, result.hop_id, what))
        result.security_group_ids = []


def _in_force(rules: list[SecurityRule], listener: Listener, port: int) -> list[SecurityRule]:
    """The rules for the listener's protocol and the client's port, strongest first."""
    protocol = LISTENER_IP_PROTOCOL.get(listener.protocol.upper(), "TCP")
    matching = [r for r in rules if r.applies_to(protocol, port)]
    return sorted(matching, key=lambda r: (r.priority, r.policy != "drop"))


def security_decision(
    rules: list[SecurityRule], listener: Listener, port: int, client_ip: str | None
) -> tuple[bool | None, SecurityRule | None]:
    """Whether the client gets in, and the rule that decides (None: no rule matches, so it gets in).

    Without a client IP the answer is for every internet client: True or False when all of
    them fare alike, None when it depends on the source address.
    """
    ordered = _in_force(rules, listener, port)
    if client_ip is not None:
        rule = next((r for r in ordered if r.covers(client_ip)), None)
        return (rule is None or rule.policy == "accept"), rule
    for index, rule in enumerate(ordered):
        if rule.covers_everyone:
            earlier = {r.policy for r in ordered[:index]}
            return (rule.policy == "accept" if earlier <= {rule.policy} else None), rule
    drops = [r for r in ordered if r.policy == "drop"]
    return (True, None) if not drops else (None, drops[0])


def security_group_finding(
    result: LoadBalancerResult, li: Listener, hop_id: str, region: str, group_ids: list[str]
) -> bool:
    """Add the security-group finding for the client's listener; returns whether the client gets in."""
    if not group_ids:
        return True  # an NLB in no security group lets every client in
    client_ip, port = result.client.ip, result.client.port
    ordered = _in_force(result.security_rules, li, port)
    allowed, rule = security_decision(result.security_rules, li, port, client_ip)
    groups = ", ".join(group_ids)
    evidence = (
        cloud_evidence(
            "ecs",
            "DescribeSecurityGroupAttribute",
            f"SecurityGroupId={rule.group_id if rule else groups} Permissions.Permission"
            + (f"[SecurityGroupRuleId={rule.raw.get('SecurityGroupRuleId')}]" if rule else ""),
            rule.raw if rule else [r.raw for r in ordered],
        ),
        cloud_evidence(result.api.product, "ListLoadBalancers", "SecurityGroupIds", group_ids),
    )
    command = (
        "aliyun ecs DescribeSecurityGroupAttribute --RegionId {} --SecurityGroupId {} --Direction ingress"
    )
    check = "; ".join(command.format(region, g) for g in ([rule.group_id] if rule else group_ids))
    who = f"client {client_ip}" if client_ip else "every client"
    decided_by = f"rule {rule} decides" if rule else f"no rule of {groups} matches {li.protocol} {port}"
    if allowed is None:
        message = (
            f"The security groups of {result.load_balancer_name} ({groups}) let only some sources reach "
            f"listener {li.ports}: {'; '.join(str(r) for r in ordered)}. Give a client IP to get a verdict."
        )
        result.findings.append(
            Finding("LB_SECURITY_GROUP_LIMITS_SOURCES", Severity.INFO, hop_id, message, evidence, check)
        )
        return True
    if allowed:
        message = f"The security groups of {result.load_balancer_name} let {who} reach listener {li.ports}: "
        message += f"{decided_by}."
        result.findings.append(
            Finding("LB_SECURITY_GROUP_ALLOWS_CLIENT", Severity.INFO, hop_id, message, evidence, check)
        )
        return True
    message = (
        f"Security group {rule.group_id if rule else groups} of {result.load_balancer_name} refuses {who} "
        f"on listener {li.protocol} {li.ports}: {decided_by}."
    )
    result.findings.append(
        Finding("LB_SECURITY_GROUP_DENIES", Severity.ERROR, hop_id, message, evidence, check)
    )
    result.dead_end = result.dead_end or message
    return False
