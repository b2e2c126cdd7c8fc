"""Step 7, Pod: the Pods behind the Service's endpoints, whether they are ready, and
which way the request reaches them — straight from nginx's Lua balancer to the Pod IP
(the default), or through the ClusterIP and kube-proxy (``service-upstream``).

A Pod that is not ready is explained from its own status: the node it runs on, the
state of its containers (``CrashLoopBackOff``, the last exit code) or its Ready condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Path, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import (
    condition,
    details,
    dig,
    is_ready,
    kube_evidence,
    settle_verdicts,
    source_finding,
)
from ackwb.steps.ingress import IngressResult
from ackwb.steps.ingress.checks import compare_dynamic_backends
from ackwb.steps.kube_proxy import KubeProxyResult
from ackwb.steps.service import ServiceResult

TITLE = "7. Pod"
RESTARTS_WORTH_NOTING = 3


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    ip: str
    port: int
    node: str
    phase: str
    ready: bool
    restarts: int
    deleting_since: str = ""  # metadata.deletionTimestamp
    trouble: str = ""  # why a container is not running well, e.g. "app is waiting in CrashLoopBackOff"

    @property
    def hop_id(self) -> str:
        return f"pod:{self.namespace}/{self.name}"


@dataclass(kw_only=True)
class PodResult(StepResult):
    pods: list[PodInfo] = field(default_factory=list)
    node_ready: dict[str, bool | None] = field(default_factory=dict)  # node name → Ready (None: unseen)


def pod(sources: Sources, kp: KubeProxyResult) -> PodResult:
    result = PodResult(step="pod", title=TITLE, domain=kp.domain, prev=kp)
    svc = kp.earlier("service")
    ing = kp.earlier("ingress")
    targets = (
        _targets(svc, ing, kp) if isinstance(svc, ServiceResult) and isinstance(ing, IngressResult) else []
    )
    if not isinstance(svc, ServiceResult) or not isinstance(ing, IngressResult) or not targets:
        result.dead_end = kp.dead_end or "the Service has no endpoint to follow"
        return result
    for name, address, port in targets:
        try:
            obj = _pod_object(sources, svc.namespace, name, address)
        except SourceError as error:
            unseen = f"pod:{svc.namespace}/{name or address}"
            result.hops.append(Hop(unseen, "pod", f"Pod ?\n{address}", verdict=Verdict.UNKNOWN))
            result.findings.append(source_finding(error, unseen, f"the Pod behind {address}"))
            continue
        if obj is None:
            continue
        info = _info(obj, port)
        result.pods.append(info)
        _add_pod(sources, result, info, obj, ing, svc, kp)
    compare_dynamic_backends(result, ing, svc)
    if result.pods and not any(p.ready for p in result.pods):
        result.dead_end = result.dead_end or next(
            (f.message for f in result.findings if f.code in ("POD_NODE_NOT_READY", "POD_NOT_READY")),
            "no ready Pod serves the Service",
        )
    settle_verdicts(result)
    return result


def _targets(
    svc: ServiceResult, ing: IngressResult, kp: KubeProxyResult
) -> list[tuple[str | None, str, int]]:
    """(Pod name, IP, port) to follow: the Service's endpoints, or, when its EndpointSlices could
    not be read, the Pod IPs nginx or IPVS send to (the Pods are then found by IP)."""
    if svc.endpoints_seen:
        return [(e.pod, e.address, e.port or 0) for e in svc.endpoints]
    seen = list(ing.backend_endpoints) if not ing.service_upstream else []
    if kp.virtual_service is not None:
        seen += [f"{rs.address}:{rs.port}" for rs in kp.virtual_service.real_servers]
    found = dict.fromkeys(seen)
    return [(None, address, int(port)) for address, _, port in (e.rpartition(":") for e in found)]


def _pod_object(sources: Sources, namespace: str, name: str | None, ip: str) -> dict[str, Any] | None:
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


def _info(obj: dict[str, Any], port: int) -> PodInfo:
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
    )


def _add_pod(
    sources: Sources,
    result: PodResult,
    info: PodInfo,
    obj: dict[str, Any],
    ing: IngressResult,
    svc: ServiceResult,
    kp: KubeProxyResult,
) -> None:
    node = _node(sources, result, info.node)
    node_ready = result.node_ready.get(info.node)
    ready_line = kube_evidence(
        "pods", info.namespace, info.name, "status.conditions[type=Ready]", condition(obj)
    )
    result.evidence += [ready_line, kube_evidence("pods", info.namespace, info.name, "status.podIP", info.ip)]
    result.hops.append(
        Hop(
            info.hop_id,
            "pod",
            f"Pod {info.name}\n{info.ip}:{info.port}",
            Path.REQUEST,
            Verdict.OK if info.ready and node_ready is not False else Verdict.BLOCKED,
            details(node=info.node, phase=info.phase, ready=info.ready, restarts=info.restarts),
        )
    )
    result.rows.append(
        {
            "pod": f"{info.namespace}/{info.name}",
            "ip": info.ip,
            "port": info.port,
            "node": info.node,
            "phase": info.phase,
            "ready": info.ready,
            "restarts": info.restarts,
            "problem": info.trouble,
        }
    )
    address = f"{info.ip}:{info.port}"
    if not ing.service_upstream and address in ing.backend_endpoints:
        result.edges.append(Edge(ing.hop_id, info.hop_id, f"Lua balancer → {address}", Path.REQUEST))
    if kp.virtual_service and any(
        f"{rs.address}:{rs.port}" == address for rs in kp.virtual_service.real_servers
    ):
        result.edges.append(
            Edge(kp.hop_id, info.hop_id, f"{kp.virtual_service.scheduler} Masq → {address}", svc.path_kind)
        )
    if kp.rules and any(t.hostport == address and t.forwarding for t in kp.rules.targets):
        result.edges.append(Edge(kp.hop_id, info.hop_id, f"DNAT → {address}", svc.path_kind))
    _pod_findings(result, info, obj, node, ready_line)


def _pod_findings(
    result: PodResult, info: PodInfo, obj: dict[str, Any], node: dict[str, Any] | None, ready_line: Evidence
) -> None:
    describe = f"kubectl -n {info.namespace} describe pod {info.name}"
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
                check=f"kubectl describe node {info.node}",
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
                check=f"kubectl -n {info.namespace} logs {info.name} --previous",
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


def _node(sources: Sources, result: PodResult, name: str) -> dict[str, Any] | None:
    """The Node object (read once per node); records whether it is Ready."""
    if not name:
        return None
    try:
        node = sources.kube.get("nodes", name)
    except SourceError:
        result.node_ready[name] = None
        return None
    result.node_ready[name] = None if node is None else is_ready(node)
    return node
