"""The guard on a Pod: the NetworkPolicies that select it, weighed for the hop that sends to it.

The sender is the controller Pod that serves the request (with its labels and its
namespace's labels), or its node's address when it runs on the host network. Policies are
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
    controller = ing.controller
    if controller is None:
        return Verdict.OK, ""
    try:
        policies = cluster.remember(
            ("networkpolicies", info.namespace), lambda: sources.kube.list("networkpolicies", info.namespace)
        )
        source = _source(
            sources,
            cluster,
            controller.namespace,
            controller.name,
            controller.pod_ip,
            controller.host_network,
        )
    except SourceError as error:
        result.findings.append(source_finding(error, info.hop_id, f"the NetworkPolicies of {info.namespace}"))
        return Verdict.UNKNOWN, "could not be read"
    decision = decide(policies, obj, source, info.port, _port_name(obj, info.port))
    if decision.allowed:
        return Verdict.OK, decision.reason
    result.findings.append(_denied(info, decision, controller.name, enforced))
    return (Verdict.BLOCKED if enforced == "enforced" else Verdict.UNKNOWN), decision.reason


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


def _denied(info: PodInfo, decision: PolicyDecision, sender: str, enforced: str) -> Finding:
    maybe = (
        "" if enforced == "enforced" else " (if the network plugin enforces NetworkPolicy: it is not known)"
    )
    message = (
        f"NetworkPolicy refuses the request to Pod {info.name}{maybe}: {decision.reason}. The sender is "
        f"controller {sender}."
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
