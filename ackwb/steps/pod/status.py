"""Why a Pod is not ready, from its own status: the state of its containers (CrashLoopBackOff,
the last exit code), its Ready condition, its node; and the findings that say so.
"""

from __future__ import annotations

from typing import Any

from ackwb.model import Evidence, Finding, Severity
from ackwb.sources import Sources
from ackwb.steps.common import condition, dig, is_ready, kube_evidence, sh
from ackwb.steps.pod.result import PodInfo, PodResult

RESTARTS_WORTH_NOTING = 3


def pod_object(sources: Sources, namespace: str, name: str | None, ip: str) -> dict[str, Any] | None:
    if name:
        return sources.kube.get("pods", name, namespace)
    found = sources.kube.list("pods", namespace, field_selector=f"status.podIP={ip}")
    return found[0] if found else None


def _trouble(obj: dict[str, Any]) -> str:
    """What the container statuses say about a container that is not ready, in one phrase."""
    for status in dig(obj, "status", "containerStatuses") or []:
        if status.get("ready"):
            continue
        name, state = status.get("name", "?"), status.get("state") or {}
        last = dig(status, "lastState", "terminated") or {}
        exited = (
            f"; it last exited with code {last.get('exitCode')} ({last.get('reason', '?')})" if last else ""
        )
        if "waiting" in state:
            return f"container {name} is waiting in {state['waiting'].get('reason', '?')}{exited}"
        if "terminated" in state:
            done = state["terminated"]
            return f"container {name} terminated with code {done.get('exitCode')} ({done.get('reason', '?')})"
        return f"container {name} is running but not ready (its readiness probe fails){exited}"
    return ""


def pod_info(obj: dict[str, Any], port: int) -> PodInfo:
    statuses = dig(obj, "status", "containerStatuses") or []
    return PodInfo(
        namespace=obj["metadata"]["namespace"],
        name=obj["metadata"]["name"],
        ip=dig(obj, "status", "podIP") or "",
        port=port,
        node=dig(obj, "spec", "nodeName") or "",
        phase=dig(obj, "status", "phase") or "",
        ready=is_ready(obj),
        restarts=sum(int(s.get("restartCount", 0)) for s in statuses),
        deleting_since=dig(obj, "metadata", "deletionTimestamp") or "",
        trouble=_trouble(obj),
        host_network=bool(dig(obj, "spec", "hostNetwork")),
    )


def pod_findings(
    result: PodResult, info: PodInfo, obj: dict[str, Any], node: dict[str, Any] | None, ready_line: Evidence
) -> None:
    describe = f"kubectl -n {sh(info.namespace)} describe pod {sh(info.name)}"
    statuses = kube_evidence(
        "pods", info.namespace, info.name, "status.containerStatuses[].state",
        [{"name": s.get("name"), "state": s.get("state"), "lastState": s.get("lastState")}
         for s in dig(obj, "status", "containerStatuses") or []],
    )  # fmt: skip
    if result.node_ready.get(info.node) is False:
        node_line = condition(node) or {}
        result.findings.append(
            Finding(
                "POD_NODE_NOT_READY",
                Severity.ERROR,
                info.hop_id,
                f"Pod {info.name} runs on node {info.node}, which is NotReady "
                f"(Ready={node_line.get('status')}: "
                f"{node_line.get('message') or node_line.get('reason') or 'no reason given'}); "
                "the Pod is not ready until the node comes back or the Pod is evicted.",
                (
                    kube_evidence("nodes", None, info.node, "status.conditions[type=Ready]", node_line),
                    ready_line,
                ),
                check=f"kubectl describe node {sh(info.node)}",
            )
        )
    if not info.ready:
        why = info.trouble or dig(condition(obj) or {}, "message") or "its Ready condition is not True"
        if result.node_ready.get(info.node) is False:
            why = f"its node {info.node} is NotReady"
        result.findings.append(
            Finding(
                "POD_NOT_READY",
                Severity.ERROR,
                info.hop_id,
                f"Pod {info.name} is not ready (phase {info.phase}): {why}. Its endpoint gets no traffic.",
                (ready_line, statuses),
                check=describe,
            )
        )
    if info.restarts > RESTARTS_WORTH_NOTING:
        result.findings.append(
            Finding(
                "POD_RESTARTING",
                Severity.WARNING,
                info.hop_id,
                f"Pod {info.name} has restarted {info.restarts} times; the logs of the previous run say why.",
                (statuses,),
                check=f"kubectl -n {sh(info.namespace)} logs {sh(info.name)} --previous",
            )
        )
    if info.deleting_since:
        grace = dig(obj, "metadata", "deletionGracePeriodSeconds")
        result.findings.append(
            Finding(
                "POD_TERMINATING",
                Severity.WARNING,
                info.hop_id,
                f"Pod {info.name} is being deleted since {info.deleting_since} (grace period {grace} s): its "
                "endpoint is terminating and gets no new connections while it drains.",
                (
                    kube_evidence(
                        "pods", info.namespace, info.name, "metadata.deletionTimestamp", info.deleting_since
                    ),
                ),
                check=describe,
            )
        )
