"""An NLB's access control: the ingress rules of its security groups, and which rule lets the
client in or keeps it out.

NLB listeners have no ACL; the security groups the NLB is added to (``SecurityGroupIds``)
decide instead, weighed as ``ackwb.steps.guards`` weighs every group, with NLB's own default:
traffic that no rule matches is let in (a whitelist needs a Drop rule below its Accept rules).
An NLB in no security group lets every client in. Groups that cannot be read leave the
decision unknown, never open.
"""

from __future__ import annotations

from ackwb.errors import SourceError
from ackwb.model import Finding, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, source_finding
from ackwb.steps.guards import Decision, Group, SecurityRule, decide, read_group
from ackwb.steps.slb.records import Listener
from ackwb.steps.slb.result import LoadBalancerResult

LISTENER_IP_PROTOCOL = {"TCP": "TCP", "TCPSSL": "TCP", "UDP": "UDP"}  # NLB listener → IP protocol
SEE_RULES = "aliyun ecs DescribeSecurityGroupAttribute --RegionId {} --SecurityGroupId {} --Direction ingress"

__all__ = ["SecurityRule", "read_groups", "security_decision", "security_group_finding"]


def read_groups(sources: Sources, result: LoadBalancerResult) -> list[Group] | None:
    """The NLB's security groups with their rules; None (and a finding) when they cannot be read."""
    if not result.security_group_ids:
        return []
    try:
        groups = sources.gather([lambda g=g: read_group(sources, g) for g in result.security_group_ids])
    except SourceError as error:
        groups_text = ", ".join(result.security_group_ids)
        what = f"the security groups of {result.load_balancer_id} ({groups_text})"
        result.findings.append(source_finding(error, result.hop_id, what))
        return None
    result.security_rules = [rule for group in groups for rule in group.rules]
    return groups


def security_decision(
    rules: list[SecurityRule], listener: Listener, port: int, client_ip: str | None
) -> tuple[bool | None, SecurityRule | None]:
    """Whether the client gets in, and the rule that decides (None: no rule matches, so it gets in).

    Without a client IP the answer is for every internet client: True or False when all of
    them fare alike, None when it depends on the source address.
    """
    found = _decide(rules, listener, port, client_ip)
    return found.allowed, found.rule


def _decide(rules: list[SecurityRule], listener: Listener, port: int, client_ip: str | None) -> Decision:
    protocol = LISTENER_IP_PROTOCOL.get(listener.protocol.upper(), "TCP")
    group = Group("", tuple(rules), False, "")
    return decide([group], protocol, port, client_ip, open_by_default=True)


def security_group_finding(
    result: LoadBalancerResult, li: Listener, hop_id: str, region: str, groups: list[Group] | None
) -> Verdict:
    """Add the security-group finding for the client's listener; returns the listener's verdict."""
    if groups is None:
        return Verdict.UNKNOWN  # the groups could not be read: the finding says so
    if not groups:
        return Verdict.OK  # an NLB in no security group lets every client in
    client_ip, port = result.client.ip, result.client.port
    found = _decide(result.security_rules, li, port, client_ip)
    rule, names = found.rule, ", ".join(g.group_id for g in groups)
    evidence = (
        cloud_evidence(
            "ecs",
            "DescribeSecurityGroupAttribute",
            f"SecurityGroupId={rule.group_id if rule else names} Permissions.Permission"
            + (f"[SecurityGroupRuleId={rule.raw.get('SecurityGroupRuleId')}]" if rule else ""),
            rule.raw if rule else [r.raw for r in found.considered],
        ),
        cloud_evidence(
            result.api.product, "ListLoadBalancers", "SecurityGroupIds", [g.group_id for g in groups]
        ),
    )
    check = "; ".join(SEE_RULES.format(region, g) for g in ([rule.group_id] if rule else names.split(", ")))
    who = f"client {client_ip}" if client_ip else "every client"
    decided_by = f"rule {rule} decides" if rule else f"no rule of {names} matches {li.protocol} {port}"
    if found.allowed is None:
        allowed = "; ".join(str(r) for r in found.considered)
        message = (
            f"The security groups of {result.load_balancer_name} ({names}) let only some sources reach "
            f"listener {li.ports}: {allowed}. Give a client IP to get a verdict."
        )
        code, severity, verdict = "LB_SECURITY_GROUP_LIMITS_SOURCES", Severity.INFO, Verdict.DEPENDS
    elif found.allowed:
        message = f"The security groups of {result.load_balancer_name} let {who} reach listener {li.ports}: "
        message += f"{decided_by}."
        code, severity, verdict = "LB_SECURITY_GROUP_ALLOWS_CLIENT", Severity.INFO, Verdict.OK
    else:
        message = (
            f"Security group {rule.group_id if rule else names} of {result.load_balancer_name} refuses "
            f"{who} on listener {li.protocol} {li.ports}: {decided_by}."
        )
        code, severity, verdict = "LB_SECURITY_GROUP_DENIES", Severity.ERROR, Verdict.BLOCKED
        result.dead_end = result.dead_end or message
    result.findings.append(Finding(code, severity, hop_id, message, evidence, check))
    return verdict
