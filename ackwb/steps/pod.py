"""Step 7, Pod: the Pods behind the Service's endpoints, whether they are ready, and
which way the request reaches them — straight from nginx's Lua balancer to the Pod IP
(the default), or through the ClusterIP and kube-proxy (``service-upstream``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Path, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import details, dig, source_finding
from ackwb.steps.ingress import IngressResult
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

    @property
    def hop_id(self) -> str:
        return f"pod:{self.namespace}/{self.name}"


@dataclass(kw_only=True)
class PodResult(StepResult):
    pods: list[PodInfo] = field(default_factory=list)


def pod(sources: Sources, kp: KubeProxyResult) -> PodResult:
    result = PodResult(step="pod", title=TITLE, domain=kp.domain, prev=kp)
    svc = kp.earlier("service")
    ing = kp.earlier("ingress")
    if not isinstance(svc, ServiceResult) or not isinstance(ing, IngressResult) or not svc.endpoints:
        result.dead_end = kp.dead_end or "the Service has no endpoint to follow"
        return result
    for endpoint in svc.endpoints:
        try:
            obj = _pod_object(sources, svc.namespace, endpoint.pod, endpoint.address)
        except SourceError as error:
            result.findings.append(source_finding(error, svc.hop_id, f"the Pod behind {endpoint.address}"))
            continue
        if obj is None:
            continue
        info = _info(obj, endpoint.port)
        result.pods.append(info)
        _add_pod(sources, result, info, ing, svc, kp)
    _compare_dynamic_backends(result, ing, svc)
    if not any(p.ready for p in result.pods):
        result.dead_end = "no ready Pod serves the Service"
    return result


def _pod_object(sources: Sources, namespace: str, name: str, ip: str) -> dict[str, Any] | None:
    if name:
        return sources.kube.get("pods", name, namespace)
    found = sources.kube.list("pods", namespace, field_selector=f"status.podIP={ip}")
    return found[0] if found else None


def _info(obj: dict[str, Any], port: int) -> PodInfo:
    statuses = dig(obj, "status", "containerStatuses") or []
    return PodInfo(
        namespace=obj["metadata"]["namespace"],
        name=obj["metadata"]["name"],
        ip=dig(obj, "status", "podIP") or "",
        port=port,
        node=dig(obj, "spec", "nodeName") or "",
        phase=dig(obj, "status", "phase") or "",
        ready=any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in dig(obj, "status", "conditions") or []
        ),
        restarts=sum(int(s.get("restartCount", 0)) for s in statuses),
    )


def _add_pod(
    sources: Sources,
    result: PodResult,
    info: PodInfo,
    ing: IngressResult,
    svc: ServiceResult,
    kp: KubeProxyResult,
) -> None:
    node_ready = _node_ready(sources, info.node)
    ok = info.ready and node_ready is not False
    result.hops.append(
        Hop(
            info.hop_id,
            "pod",
            f"Pod {info.name}\n{info.ip}:{info.port}",
            Path.REQUEST,
            Verdict.OK if ok else Verdict.BLOCKED,
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
    if not info.ready:
        result.findings.append(
            Finding(
                "POD_NOT_READY",
                Severity.ERROR,
                info.hop_id,
                f"Pod {info.name} is not ready (phase {info.phase}).",
                check=f"kubectl -n {info.namespace} describe pod {info.name}",
            )
        )
    if info.restarts > RESTARTS_WORTH_NOTING:
        result.findings.append(
            Finding(
                "POD_RESTARTING",
                Severity.WARNING,
                info.hop_id,
                f"Pod {info.name} has restarted {info.restarts} times.",
                check=f"kubectl -n {info.namespace} logs {info.name} --previous",
            )
        )
    if node_ready is False:
        result.findings.append(
            Finding(
                "POD_NODE_NOT_READY",
                Severity.ERROR,
                info.hop_id,
                f"Pod {info.name} runs on node {info.node}, which is NotReady.",
            )
        )


def _node_ready(sources: Sources, name: str) -> bool | None:
    try:
        node = sources.kube.get("nodes", name) if name else None
    except SourceError:
        return None
    if node is None:
        return None
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in dig(node, "status", "conditions") or []
    )


def _compare_dynamic_backends(result: PodResult, ing: IngressResult, svc: ServiceResult) -> None:
    """nginx balances over its own copy of the endpoints; say when it differs from the slices."""
    if ing.service_upstream or ing.backend is None:
        return
    ready = {f"{e.address}:{e.port}" for e in svc.ready_endpoints}
    balanced = set(ing.backend_endpoints)
    if balanced != ready:
        result.findings.append(
            Finding(
                "INGRESS_BACKENDS_STALE",
                Severity.ERROR,
                ing.hop_id,
                f"nginx balances {ing.backend.name} over {', '.join(sorted(balanced)) or 'nothing'}, but the "
                f"ready endpoints of {svc.name} are {', '.join(sorted(ready)) or 'none'}.",
            )
        )
