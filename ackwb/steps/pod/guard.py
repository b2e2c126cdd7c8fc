"""The guard on a Pod: the NetworkPolicies that select it, weighed for the hop that sends to it.

The sender is the controller Pod that serves the request (with its labels and its
namespace's labels), or its node's address when it runs on the host network; behind an ALB it
is the ALB, which connects from addresses of its zones' vSwitches (a range, not one address);
behind an L4 Service it is whatever source the load balancer leaves (the client, or its own
addresses). Where it is not known (NodePort traffic masqueraded by kube-proxy), a policy that does
not admit every source leaves the Pod unknown. Policies are
weighed only where the network plugin enforces them (Terway with policy support; plain
Flannel does not); where enforcement is unknown, a policy that would refuse the request
leaves the Pod unknown rather than blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Evidence, Finding, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import dig, kube_evidence, sh, source_finding
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.pod.policy import PolicyDecision, Source, decide
from ackwb.steps.pod.result import PodInfo, PodResult
from ackwb.steps.slb.alb import AlbFront
from ackwb.steps.slb.result import CLB_LOCAL_RANGE, LoadBalancerResult
from ackwb.steps.vpc import vswitch


@dataclass(frozen=True)
class Sender:
    """Who connects to the Pod, in words, and as NetworkPolicy sees it (one Source per address or
    range); ``client``: the sender is the client itself, so a partial answer depends on the client."""

    words: str
    sources: tuple[Source, ...]
    client: bool = False


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
    try:
        policies = cluster.remember(
            ("networkpolicies", info.namespace), lambda: sources.kube.list("networkpolicies", info.namespace)
        )
        sender = _sender(sources, cluster, ing)
    except SourceError as error:
        result.findings.append(source_finding(error, info.hop_id, f"the NetworkPolicies of {info.namespace}"))
        return Verdict.UNKNOWN, "could not be read"
    port_name = _port_name(obj, info.port)
    if sender is None:  # who connects is not known: only a Pod no policy selects is sure to accept
        anyone = decide(policies, obj, Source("0.0.0.0/0"), info.port, port_name)
        if anyone.allowed or not anyone.selecting:
            return Verdict.OK, anyone.reason
        result.findings.append(_unweighed(info, anyone, ing))
        return Verdict.UNKNOWN, "not weighed: the source address the Pod sees is not known"
    decisions = [decide(policies, obj, s, info.port, port_name) for s in sender.sources]
    if decisions and all(d.allowed for d in decisions):
        return Verdict.OK, decisions[0].reason
    refused = next((d for d in decisions if d.allowed is False), None)
    if refused is not None and all(d.allowed is False for d in decisions):
        result.findings.append(_denied(info, refused, sender.words, enforced))
        return (Verdict.BLOCKED if enforced == "enforced" else Verdict.UNKNOWN), refused.reason
    unsure = next((d for d in decisions if d.allowed is None), refused)
    assert unsure is not None
    result.findings.append(_depends(info, unsure, sender, decisions))
    return (Verdict.DEPENDS if sender.client else Verdict.UNKNOWN), unsure.reason


def _sender(sources: Sources, cluster: Cluster, ing: IngressResult) -> Sender | None:
    """Who connects to the Pod: the controller Pod (its labels, or its node's address on the host
    network); an ALB (local addresses of its zones' vSwitches); behind an L4 Service, what its load
    balancer leaves as the source (the client's address, or its own) when nothing rewrites it on
    the way. None when it is not known (kube-proxy masquerades NodePort traffic with
    externalTrafficPolicy Cluster to an address of the node it chose)."""
    controller = ing.controller
    if controller is not None:
        source = _source(sources, cluster, controller.namespace, controller.name, controller.pod_ip,
                         controller.host_network)  # fmt: skip
        return Sender(f"controller {controller.name}", (source,))
    lb = ing.earlier("slb")
    if not isinstance(lb, LoadBalancerResult):
        return None
    if lb.alb is not None:
        return _alb_sender(sources, cluster, lb.alb)
    nodes = ing.prev
    if ing.door is not Door.L4_SERVICE or not isinstance(nodes, NodeResult):
        return None
    kinds = {b.kind for b in nodes.branches if b.carries}
    if kinds != {"pod"} and not (kinds == {"nodeport"} and nodes.traffic_policy == "Local"):
        return None
    if lb.preserves_client_ip is False:
        ranges = lb.nlb_local_ranges if lb.api.kind == "NLB" else (CLB_LOCAL_RANGE,)
        words = f"{lb.api.kind} {lb.load_balancer_name or lb.load_balancer_id}, from its own addresses"
        return Sender(f"{words} ({', '.join(ranges)})", tuple(Source(r) for r in ranges)) if ranges else None
    if lb.preserves_client_ip is None:
        return None
    client = lb.client.ip
    words = f"the client {client}" if client else "any internet client"
    return Sender(words, (Source(client or "0.0.0.0/0"),), client=True)


def _alb_sender(sources: Sources, cluster: Cluster, alb: AlbFront) -> Sender:
    ranges = [(v, str(vswitch(sources, cluster, v).get("CidrBlock") or "")) for v in alb.vswitches]
    known = [(v, cidr) for v, cidr in ranges if cidr]
    if not known:
        raise SourceError(
            "vpc:DescribeVSwitchAttributes", f"the vSwitches of ALB {alb.name} have no CIDR block"
        )
    words = ", ".join(f"{v} {cidr}" for v, cidr in known)
    return Sender(
        f"ALB {alb.name}, from addresses of its vSwitches ({words})", tuple(Source(c) for _, c in known)
    )


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
    info: PodInfo, decision: PolicyDecision, sender: Sender, decisions: list[PolicyDecision]
) -> Finding:
    """Some addresses the sender stands for are allowed and others are not: the client decides (a
    client range), or which address the sender uses (unknown); never blocked by guess."""
    reasons = "; ".join(dict.fromkeys(d.reason for d in decisions))
    who = "which client sends it" if sender.client else "which address it uses"
    message = (
        f"NetworkPolicy allows the request to Pod {info.name} from some addresses and not from others "
        f"({reasons}). The sender is {sender.words}: {who} decides."
    )
    severity = Severity.INFO if sender.client else Severity.WARNING
    return Finding(
        "NETWORK_POLICY_PARTLY", severity, info.hop_id, message, _selecting(decision), _check(info)
    )


def _unweighed(info: PodInfo, decision: PolicyDecision, ing: IngressResult) -> Finding:
    message = (
        f"NetworkPolicy selects Pod {info.name} ({', '.join(decision.selecting)}) and does not admit every "
        f"source, but the address it sees behind {ing.door.value} is not known here (kube-proxy "
        "masquerades NodePort traffic to an address of the node it chose): whether it is allowed is unknown."
    )
    return Finding("NETWORK_POLICY_NOT_WEIGHED", Severity.WARNING, info.hop_id, message, _selecting(decision),
                   _check(info))  # fmt: skip


def _selecting(decision: PolicyDecision) -> tuple[Evidence, ...]:
    found = tuple(
        kube_evidence("networkpolicies", *name.split("/", 1), "spec", "(selects the Pod)")
        for name in decision.selecting
    )
    return found or (Evidence("kube", "", ""),)


def _check(info: PodInfo) -> str:
    return f"kubectl -n {sh(info.namespace)} get networkpolicy -o yaml"


def _denied(info: PodInfo, decision: PolicyDecision, sender: str, enforced: str) -> Finding:
    maybe = (
        "" if enforced == "enforced" else " (if the network plugin enforces NetworkPolicy: it is not known)"
    )
    message = (
        f"NetworkPolicy refuses the request to Pod {info.name}{maybe}: {decision.reason}. The sender is "
        f"{sender}."
    )
    severity = Severity.ERROR if enforced == "enforced" else Severity.WARNING
    return Finding(
        "NETWORK_POLICY_DENIES", severity, info.hop_id, message, _selecting(decision), _check(info)
    )
