"""The guard on a Pod: the NetworkPolicies that select it, weighed for the hop that sends to it.

The sender is the controller Pod that serves the request (with its labels and its
namespace's labels), or its node's address when it runs on the host network; behind an ALB it
is the ALB, which connects from addresses of its zones' vSwitches (a range, not one address). Policies are
weighed only where the network plugin enforces them (Terway with policy support; plain
Flannel does not); where enforcement is unknown, a policy that would refuse the request
leaves the Pod unknown rather than blocked.
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Evidence, Finding, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import dig, kube_evidence, sh, source_finding
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.pod.policy import PolicyDecision, Source, decide
from ackwb.steps.pod.result import PodInfo, PodResult
from ackwb.steps.slb.alb import AlbFront
from ackwb.steps.slb.result import LoadBalancerResult
from ackwb.steps.vpc import vswitch


def policy_verdict(
    sources: Sources,
    cluster: Cluster,
    result: PodResult,
    info: PodInfo,
    obj: dict[str, Any],
    ing: IngressResult,
) -> tuple[Verdict, str]:
    """The Pod's verdict under NetworkPolicy, and one phrase for its details."""
    enforced = cluster.plugin.policy
    if enforced == "not enforced":
        return Verdict.OK, f"not enforced ({cluster.plugin.label})"
    alb = ing.prev.alb if isinstance(ing.prev, LoadBalancerResult) else None
    if ing.controller is None and alb is None:
        return Verdict.OK, ""
    try:
        policies = cluster.remember(
            ("networkpolicies", info.namespace), lambda: sources.kube.list("networkpolicies", info.namespace)
        )
        sender, senders = _senders(sources, cluster, ing, alb)
    except SourceError as error:
        result.findings.append(source_finding(error, info.hop_id, f"the NetworkPolicies of {info.namespace}"))
        return Verdict.UNKNOWN, "could not be read"
    decisions = [decide(policies, obj, s, info.port, _port_name(obj, info.port)) for s in senders]
    if decisions and all(d.allowed for d in decisions):
        return Verdict.OK, decisions[0].reason
    refused = next((d for d in decisions if d.allowed is False), None)
    if refused is not None and all(d.allowed is False for d in decisions):
        result.findings.append(_denied(info, refused, sender, enforced))
        return (Verdict.BLOCKED if enforced == "enforced" else Verdict.UNKNOWN), refused.reason
    unsure = next((d for d in decisions if d.allowed is None), refused)
    assert unsure is not None
    result.findings.append(_depends(info, unsure, sender, decisions))
    return Verdict.UNKNOWN, unsure.reason


def _senders(
    sources: Sources, cluster: Cluster, ing: IngressResult, alb: AlbFront | None
) -> tuple[str, list[Source]]:
    """Who sends to the Pod, in words, and as the policy sees it: the controller Pod (its labels,
    or its node's address on the host network), or an ALB's vSwitch ranges (it connects to Pods
    from local addresses of the vSwitches of its zones)."""
    controller = ing.controller
    if controller is not None:
        source = _source(sources, cluster, controller.namespace, controller.name, controller.pod_ip,
                         controller.host_network)  # fmt: skip
        return f"controller {controller.name}", [source]
    assert alb is not None
    ranges = [(v, str(vswitch(sources, cluster, v).get("CidrBlock") or "")) for v in alb.vswitches]
    known = [(v, cidr) for v, cidr in ranges if cidr]
    if not known:
        raise SourceError(
            "vpc:DescribeVSwitchAttributes", f"the vSwitches of ALB {alb.name} have no CIDR block"
        )
    words = ", ".join(f"{v} {cidr}" for v, cidr in known)
    return f"ALB {alb.name}, from addresses of its vSwitches ({words})", [Source(cidr) for _, cidr in known]


def _source(
    sources: Sources, cluster: Cluster, namespace: str, name: str, address: str, host_network: bool
) -> Source:
    pod = cluster.remember(("pod", namespace, name), lambda: sources.kube.get("pods", name, namespace)) or {}
    ns = cluster.remember(("namespace", namespace), lambda: sources.kube.get("namespaces", namespace)) or {}
    labels = tuple(sorted((dig(pod, "metadata", "labels") or {}).items()))
    ns_labels = dict(dig(ns, "metadata", "labels") or {})
    ns_labels.setdefault("kubernetes.io/metadata.name", namespace)  # set by the API server on every namespace
    return Source(address, namespace, labels, tuple(sorted(ns_labels.items())), host_network)


def _port_name(obj: dict[str, Any], port: int) -> str:
    for container in dig(obj, "spec", "containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("containerPort") == port:
                return str(declared.get("name") or "")
    return ""


def _depends(
    info: PodInfo, decision: PolicyDecision, sender: str, decisions: list[PolicyDecision]
) -> Finding:
    """Some addresses of the sender's range are allowed and others are not: unknown, not blocked."""
    reasons = "; ".join(dict.fromkeys(d.reason for d in decisions))
    message = (
        f"NetworkPolicy allows the request to Pod {info.name} from some addresses of the sender and not "
        f"from others ({reasons}). The sender is {sender}: which address it uses decides."
    )
    evidence = tuple(
        kube_evidence("networkpolicies", *name.split("/", 1), "spec", "(selects the Pod)")
        for name in decision.selecting
    )
    check = f"kubectl -n {sh(info.namespace)} get networkpolicy -o yaml"
    return Finding("NETWORK_POLICY_PARTLY", Severity.WARNING, info.hop_id, message, evidence, check)


def _denied(info: PodInfo, decision: PolicyDecision, sender: str, enforced: str) -> Finding:
    maybe = (
        "" if enforced == "enforced" else " (if the network plugin enforces NetworkPolicy: it is not known)"
    )
    message = (
        f"NetworkPolicy refuses the request to Pod {info.name}{maybe}: {decision.reason}. The sender is "
        f"{sender}."
    )
    evidence = tuple(
        kube_evidence("networkpolicies", *name.split("/", 1), "spec", "(selects the Pod)")
        for name in decision.selecting
    )
    check = f"kubectl -n {sh(info.namespace)} get networkpolicy -o yaml"
    severity = Severity.ERROR if enforced == "enforced" else Severity.WARNING
    return Finding(
        "NETWORK_POLICY_DENIES",
        severity,
        info.hop_id,
        message,
        evidence or (Evidence("kube", "", ""),),
        check,
    )
