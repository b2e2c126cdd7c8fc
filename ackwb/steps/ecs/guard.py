"""The guard on a backend: the security groups of the ENI the load balancer sends to (a node's,
or a Pod's own with Terway), weighed for the source address the load balancer presents, and
those of a controller Pod's ENI for what kube-proxy forwards to it from another node.

The source is the client's address when the load balancer keeps it (any internet client when
no client IP was given: the answer may then depend on the client), else the load balancer's
own range (a CLB's 100.64.0.0/10, an NLB's vSwitches). An ENI refuses what no rule accepts.
Groups that cannot be read leave the hop unknown. A backend the load balancer reports
unhealthy is also checked against its health checks' source range: a group that refuses
them is the reason the world shows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Finding, Severity, Verdict, worst_verdict
from ackwb.steps.common import cloud_evidence, source_finding
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.result import Branch, ControllerPod
from ackwb.steps.enis import enis_holding, security_groups
from ackwb.steps.guards import Decision, Group, decide, read_group
from ackwb.steps.slb.records import NLB
from ackwb.steps.slb.result import CLB_LOCAL_RANGE

SEE_RULES = "aliyun ecs DescribeSecurityGroupAttribute --RegionId {} --SecurityGroupId {} --Direction ingress"
DECISION_VERDICT = {True: Verdict.OK, None: Verdict.DEPENDS, False: Verdict.BLOCKED}


def groups_of(context: Context, sg_ids: list[str]) -> list[Group]:
    """The groups, each read once per trace; raises ``SourceError``."""
    sources, remember = context.sources, context.cluster.remember
    reads = [lambda g=g: remember(("security-group", g), lambda: read_group(sources, g)) for g in sg_ids]
    return sources.gather(reads)


def backend_groups(context: Context, branch: Branch) -> list[str]:
    """The security groups of the ENI or instance a backend is."""
    backend, seen = branch.backend, context.seen
    if branch.kind == "nodeport":
        return security_groups(seen.instances.get(backend.server_id, {}))
    eni = seen.enis.get(backend.server_id) or seen.enis_by_ip.get(backend.server_ip) or {}
    return security_groups(eni)


def lb_source(context: Context) -> str | None:
    """The address (or range) the backend sees, None for "any internet client"."""
    lb = context.lb
    if lb.preserves_client_ip is False:
        ranges = lb.nlb_local_ranges if lb.api is NLB else (CLB_LOCAL_RANGE,)
        return ranges[0] if ranges else None
    return lb.client.ip


def guard_backend(context: Context, branch: Branch) -> Branch:
    """Weigh the backend's security groups; redraw its hop with the decision."""
    backend, result = branch.backend, context.result
    hop = next((h for h in context.lb.hops if h.id == backend.hop_id), None)
    sg_ids = backend_groups(context, branch)
    region = context.sources.settings.region
    if not sg_ids:
        verdict, text = Verdict.UNKNOWN, "unknown: the ENI or instance lists no security group"
        decision = None
    else:
        try:
            groups = groups_of(context, sg_ids)
        except SourceError as error:
            what = f"the security groups {', '.join(sg_ids)} of backend {backend.server_ip}"
            result.findings.append(source_finding(error, backend.hop_id, what))
            verdict, text, decision = Verdict.UNKNOWN, "could not be read", None
        else:
            source = lb_source(context)
            decision = decide(groups, "TCP", backend.port, source, open_by_default=False)
            verdict, text = DECISION_VERDICT[decision.allowed], decision.reason
            _finding(context, branch, decision, source, region)
            if not context.carries(backend):
                _health_check_reason(context, branch, groups, region)
    if hop is not None:
        merged = worst_verdict([hop.verdict, verdict])
        result.hops.append(replace(hop, verdict=merged, details=(*hop.details, ("security group", text))))
    if decision is not None and decision.allowed is False:
        return replace(branch, carries=False, why="its security group refuses the traffic")
    return branch


def _finding(context: Context, branch: Branch, decision: Decision, source: str | None, region: str) -> None:
    if decision.allowed is True:
        return
    backend = branch.backend
    who = f"{source}" if source else "internet clients"
    rule = decision.rule
    evidence = (
        cloud_evidence(
            "ecs",
            "DescribeSecurityGroupAttribute",
            f"SecurityGroupId={rule.group_id} Permissions.Permission" if rule else "Permissions.Permission",
            rule.raw if rule else [r.raw for r in decision.considered],
        ),
    )
    check = SEE_RULES.format(region, rule.group_id if rule else "…")
    if decision.allowed is None:
        message = (
            f"The security groups of backend {backend.server_ip} let only some sources reach TCP "
            f"{backend.port}: {decision.reason}. Give a client IP to get a verdict."
        )
        code, severity = "BACKEND_SECURITY_GROUP_LIMITS_SOURCES", Severity.INFO
    else:
        message = (
            f"The security groups of backend {backend.server_ip} refuse {who} on TCP {backend.port} "
            f"({decision.reason}): the load balancer's requests are dropped at the ENI."
        )
        code, severity = "BACKEND_SECURITY_GROUP_DENIES", Severity.ERROR
    context.result.findings.append(Finding(code, severity, backend.hop_id, message, evidence, check))


def _health_check_reason(context: Context, branch: Branch, groups: list[Group], region: str) -> None:
    """A CLB checks health from 100.64.0.0/10: a group that refuses that range fails every check."""
    if context.lb.api is NLB:
        return
    backend = branch.backend
    decision = decide(groups, "TCP", backend.port, CLB_LOCAL_RANGE, open_by_default=False)
    if decision.allowed is not False:
        return
    context.result.findings.append(
        Finding(
            "LB_HEALTH_CHECK_REFUSED",
            Severity.WARNING,
            backend.hop_id,
            f"Backend {backend.server_ip} fails its health check because its security groups refuse the "
            f"CLB's health checks from {CLB_LOCAL_RANGE} on TCP {backend.port} ({decision.reason}).",
            tuple(
                cloud_evidence("ecs", "DescribeSecurityGroupAttribute", f"SecurityGroupId={g.group_id}", [])
                for g in groups
            ),
            SEE_RULES.format(region, groups[0].group_id) if groups else "",
        )
    )


def guard_controllers(context: Context) -> None:
    """The security groups of controller Pods that own an ENI address (Terway), for what kube-proxy
    forwards to them from a NodePort: the node's address after a masquerade (Cluster), the load
    balancer's source otherwise (Local). A group that refuses it blocks the controller; it is also
    why the backends that lead only there fail their health checks."""
    result = context.result
    if context.cluster.plugin.name == "flannel" or not any(b.kind == "nodeport" for b in result.branches):
        return
    pods = [
        c
        for c in (context.controller(p) for p in context.seen.controllers)
        if not c.host_network and c.pod_ip
    ]
    senders = sorted(
        {b.node.internal_ip for b in result.branches if b.kind == "nodeport" and b.node and not context.local}
    )
    if context.local:
        senders = [lb_source(context) or ""]
    if not pods or not senders:
        return
    ips = sorted(c.pod_ip for c in pods)
    try:
        enis = context.cluster.remember(("enis", tuple(ips)), lambda: enis_holding(context.sources, ips))
    except SourceError as error:
        result.findings.append(source_finding(error, pods[0].hop_id, "the ENIs of the controller Pods"))
        return
    for pod in pods:
        eni = enis.get(pod.pod_ip)
        if eni is not None:
            _guard_controller(context, pod, eni, senders)


def _guard_controller(context: Context, pod: ControllerPod, eni: dict[str, Any], senders: list[str]) -> None:
    result, region = context.result, context.sources.settings.region
    port = next((b.controller_port for b in result.branches if b.controller_port), 0) or 80
    groups_ids = security_groups(eni)
    try:
        groups = groups_of(context, groups_ids)
    except SourceError as error:
        result.findings.append(source_finding(error, pod.hop_id, f"the security groups of {pod.name}'s ENI"))
        return
    refused = [
        s for s in senders if s and decide(groups, "TCP", port, s, open_by_default=False).allowed is False
    ]
    if not refused:
        return
    decision = decide(groups, "TCP", port, refused[0], open_by_default=False)
    rule = decision.rule
    message = (
        f"The security groups of controller Pod {pod.name}'s own ENI {eni.get('NetworkInterfaceId')} refuse "
        f"TCP {port} from {', '.join(refused)} ({decision.reason}): kube-proxy forwards the NodePort's "
        "requests (and the load balancer's health checks) to the Pod, and its ENI drops them."
    )
    evidence = (
        cloud_evidence(
            "ecs",
            "DescribeSecurityGroupAttribute",
            f"SecurityGroupId={rule.group_id if rule else ','.join(groups_ids)} Permissions.Permission",
            rule.raw if rule else [r.raw for r in decision.considered],
        ),
        cloud_evidence("ecs", "DescribeNetworkInterfaces", f"PrimaryIpAddress={pod.pod_ip} SecurityGroupIds",
                       groups_ids),
    )  # fmt: skip
    check = SEE_RULES.format(region, rule.group_id if rule else groups_ids[0])
    result.findings.append(
        Finding("POD_SECURITY_GROUP_DENIES", Severity.ERROR, pod.hop_id, message, evidence, check)
    )
    explained = {f.hop for f in result.findings if f.code == "LB_BACKEND_UNHEALTHY"}
    for branch in result.branches:
        if (
            branch.kind == "nodeport"
            and not context.carries(branch.backend)
            and branch.backend.hop_id not in explained
        ):
            reason = (
                f"Backend {branch.backend.server_ip}:{branch.backend.port} fails its health check: the check "
                f"follows the NodePort to the controller Pods, whose ENI security group refuses it "
                f"({pod.name}: {decision.reason})."
            )
            result.findings.append(
                Finding(
                    "LB_BACKEND_UNHEALTHY", Severity.WARNING, branch.backend.hop_id, reason, evidence, check
                )
            )
