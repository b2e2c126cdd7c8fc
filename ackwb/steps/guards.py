"""Security groups: who may send what to an address, read once and weighed as ECS weighs them.

Three hops of a path are guarded by security groups: an NLB's own groups (in front of its
listeners), the groups of the ENI a load balancer sends to (a node's, or a Pod's with
Terway), and the groups of a Pod's ENI that other nodes send to. The rules are read with ECS
``DescribeSecurityGroupAttribute`` (``Direction=ingress``) once per trace and weighed alike:
priority 1 is the strongest, at equal priority Drop beats Accept, and what no rule matches
is refused on an ENI but let through on an NLB (whose documentation says a group without
Drop rules leaves the listener open). Traffic between ENIs of one group passes when the
group's ``InnerAccessPolicy`` is Accept.

A source is an address, a CIDR (the range a load balancer connects from), or None for "any
internet client"; when the answer differs between the addresses a source stands for, it is
None: "depends on the client".
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ackwb.sources import Sources
from ackwb.steps.common import MAX_PAGES, dig

RULES_PAGE = 1000  # the largest page DescribeSecurityGroupAttribute serves
EVERYONE = ipaddress.ip_network("0.0.0.0/0")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SecurityRule:
    """One ingress rule of one security group."""

    group_id: str
    policy: str  # accept or drop
    priority: int
    protocol: str  # TCP, UDP, ICMP, GRE or ALL
    port_range: str  # "80/80"; "-1/-1" is every port
    source: str  # an IPv4 CIDR; "" when the source is a security group or a prefix list
    source_group: str = ""  # SourceGroupId, when the rule names a group instead of addresses
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def applies_to(self, protocol: str, port: int) -> bool:
        if not (self.source or self.source_group) or self.protocol not in ("ALL", protocol):
            return False
        first, _, last = self.port_range.partition("/")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            return False
        return low == -1 or low <= port <= high

    @property
    def network(self) -> Network | None:
        try:
            return ipaddress.ip_network(self.source, strict=False) if self.source else None
        except ValueError:
            return None

    def covers(self, address: str) -> bool:
        net = self.network
        return net is not None and ipaddress.ip_address(address) in net

    @property
    def covers_everyone(self) -> bool:
        return self.network == EVERYONE

    def __str__(self) -> str:
        policy = "Accept" if self.policy == "accept" else "Drop"
        where = f"{self.protocol} {self.port_range} from {self.source or self.source_group}"
        return f"{self.group_id} {policy} {where} priority {self.priority}"


@dataclass(frozen=True)
class Group:
    """One security group's ingress rules and whether its members may talk to each other."""

    group_id: str
    rules: tuple[SecurityRule, ...]
    inner_accept: bool
    raw_policy: str  # InnerAccessPolicy as the API spells it ("" when absent)


@dataclass(frozen=True)
class Decision:
    """Whether traffic gets in (None: it depends on the source address) and the rule that says so."""

    allowed: bool | None
    rule: SecurityRule | None  # None: no rule matched (or the groups' inner access decided)
    considered: tuple[SecurityRule, ...]  # the rules for the protocol and port, strongest first
    reason: str  # one phrase: "rule … decides", "no rule matches TCP 80", "same security group"


def read_group(sources: Sources, group_id: str) -> Group:
    """One group's ingress rules; raises ``SourceError`` when it cannot be read."""
    params: dict[str, Any] = {
        "RegionId": sources.settings.region,
        "SecurityGroupId": group_id,
        "Direction": "ingress",
        "MaxResults": RULES_PAGE,
    }
    permissions: list[dict[str, Any]] = []
    policy = ""
    for _ in range(MAX_PAGES):
        body = sources.cloud.call("ecs", "DescribeSecurityGroupAttribute", params)
        policy = policy or str(body.get("InnerAccessPolicy") or "")
        permissions += dig(body, "Permissions", "Permission") or []
        if not body.get("NextToken"):
            break
        params["NextToken"] = body["NextToken"]
    rules = tuple(
        SecurityRule(
            group_id=group_id,
            policy=str(item.get("Policy", "Accept")).lower(),
            priority=int(item.get("Priority") or 1),
            protocol=str(item.get("IpProtocol", "")).upper(),
            port_range=str(item.get("PortRange", "")),
            source=str(item.get("SourceCidrIp") or ""),
            source_group=str(item.get("SourceGroupId") or ""),
            raw=item,
        )
        for item in permissions
        if str(item.get("Direction", "ingress")).lower() == "ingress"
    )
    return Group(group_id, rules, policy.lower() == "accept", policy)


def decide(
    groups: list[Group],
    protocol: str,
    port: int,
    source: str | None,
    *,
    open_by_default: bool,
    source_groups: tuple[str, ...] = (),
) -> Decision:
    """Whether ``source`` may send ``protocol``/``port`` through ``groups`` (an ENI is in all of
    them: traffic passes when one group lets it in). ``source_groups`` are the groups the
    source's own ENI is in, for rules naming a group and for a group's inner access."""
    rules = [r for g in groups for r in g.rules if r.applies_to(protocol, port)]
    ordered = tuple(sorted(rules, key=lambda r: (r.priority, r.policy != "drop")))
    shared = [g for g in groups if g.group_id in source_groups and g.inner_accept]
    if shared:
        reason = f"same security group {shared[0].group_id} (InnerAccessPolicy Accept)"
        return Decision(True, None, ordered, reason)
    by_group = [r for r in ordered if r.source_group and r.source_group in source_groups]
    if by_group:
        rule = by_group[0]
        return Decision(rule.policy == "accept", rule, ordered, f"rule {rule} decides")
    if source is None or "/" in source:
        wanted = EVERYONE if source is None else ipaddress.ip_network(source, strict=False)
        return _for_range(ordered, wanted, open_by_default, protocol, port)
    rule = next((r for r in ordered if r.covers(source)), None)
    if rule is None:
        return Decision(open_by_default, None, ordered, f"no rule matches {protocol} {port} from {source}")
    return Decision(rule.policy == "accept", rule, ordered, f"rule {rule} decides")


def _for_range(
    ordered: tuple[SecurityRule, ...], wanted: Network, open_by_default: bool, protocol: str, port: int
) -> Decision:
    """The answer for every address of ``wanted`` when they all fare alike, else None."""
    outcomes: set[bool] = set()
    first: SecurityRule | None = None
    last: SecurityRule | None = None  # the rule every remaining address of the source stops at
    for rule in ordered:
        net = rule.network
        if net is None or net.version != wanted.version or not net.overlaps(wanted):
            continue
        outcomes.add(rule.policy == "accept")
        first = first or rule
        if wanted.subnet_of(net):
            last = rule
            break
    else:
        outcomes.add(open_by_default)
    if len(outcomes) == 1:
        allowed = outcomes.pop()
        reason = f"rule {first} decides" if first else f"no rule matches {protocol} {port}"
        return Decision(allowed, first, ordered, reason)
    return Decision(None, last or first, ordered, "; ".join(str(r) for r in ordered) or "no rule")
