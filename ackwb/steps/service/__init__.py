"""Step 5, Service (name → virtual IP): the Service the Ingress names, its cluster DNS
name and ClusterIP, the port, and the endpoints its EndpointSlices list.

The ClusterIP is on the request path only with ``service-upstream``; otherwise it is
the path a client inside the cluster takes (``curl app1-service.app:8080`` from the
controller Pod), drawn as the in-cluster path. Behind an L4 Service (``l4_door``) the Service
is the front door itself: its hop adds externalTrafficPolicy and session affinity. The checks
against the Pods (selector, targetPort, readiness) live in ``service_checks``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ackwb.errors import AckwbError, InputError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Path, Severity, Verdict
from ackwb.parse.endpointslices import endpoints_for_port
from ackwb.sources import DnsRecord, Sources
from ackwb.steps.common import (
    attempt,
    details,
    dig,
    kube_evidence,
    settle_verdicts,
    sh,
    source_finding,
    unwrap,
)
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress import IngressResult
from ackwb.steps.l4_door import door_finding, service_details
from ackwb.steps.service.checks import check_readiness, check_target_port, read_selected_pods, selected_pods
from ackwb.steps.service.kinds import (
    affinity_text,
    check_affinity,
    external_name,
    headless_dns,
    is_external_name,
    port_chosen,
)
from ackwb.steps.service.result import ServicePort, ServiceResult

TITLE = "5. Name → virtual IP (Service)"


def service(sources: Sources, ing: IngressResult) -> ServiceResult:
    result = ServiceResult(
        step="service",
        title=TITLE,
        domain=ing.domain,
        prev=ing,
        namespace=ing.namespace,
        name=ing.service_name,
    )
    if not ing.service_name:
        result.dead_end = ing.dead_end or "the Ingress names no Service"
        return result
    result.path_kind = Path.REQUEST if ing.service_upstream and not ing.answered else Path.IN_CLUSTER
    try:
        obj = sources.kube.get("services", ing.service_name, ing.namespace)
    except SourceError as error:
        result.hops.append(
            Hop(result.hop_id, "service", f"Service {result.name}", result.path_kind, Verdict.UNKNOWN)
        )
        result.findings.append(
            source_finding(error, result.hop_id, f"Service {ing.namespace}/{ing.service_name}")
        )
        result.dead_end = f"could not read Service {ing.service_name}"
        return result
    if obj is None:
        message = (
            f"Ingress {ing.ingress_name} sends {ing.domain} to Service {ing.namespace}/{ing.service_name}, "
            "which does not exist: nginx answers 503."
        )
        result.hops.append(
            Hop(
                result.hop_id,
                "service",
                f"Service {result.name}\n(missing)",
                result.path_kind,
                Verdict.BLOCKED,
            )
        )
        result.findings.append(
            Finding(
                "SERVICE_NOT_FOUND",
                Severity.ERROR,
                result.hop_id,
                message,
                check=f"kubectl -n {sh(ing.namespace)} get service {sh(ing.service_name)}",
            )
        )
        result.dead_end = message
        return result
    result.affinity = affinity_text(obj)
    if is_external_name(obj):
        external_name(sources, result, ing, obj)
        settle_verdicts(result)
        return result
    result.cluster_ip = dig(obj, "spec", "clusterIP") or ""
    result.port = _port(obj, ing.service_port)
    result.cluster_dns_name = f"{result.name}.{result.namespace}.svc.{sources.settings.cluster_domain}"
    result.evidence.append(
        kube_evidence(
            "services", result.namespace, result.name, "spec.clusterIP, spec.ports",
            {"clusterIP": result.cluster_ip, "ports": dig(obj, "spec", "ports") or []},
        )
    )  # fmt: skip
    selector = f"kubernetes.io/service-name={result.name}"
    dns_answer, slices_answer, pods_answer = sources.gather(
        [
            attempt(lambda: sources.dns.resolve_in_cluster(result.cluster_dns_name, "A")),
            attempt(lambda: sources.kube.list("endpointslices", result.namespace, label_selector=selector)),
            attempt(lambda: read_selected_pods(sources, result.namespace, obj)),
        ]
    )
    _resolve_in_cluster(result, dns_answer)
    _read_endpoints(result, slices_answer)
    pods = selected_pods(result, obj, pods_answer)
    check_target_port(result, obj, pods)
    check_readiness(result)
    check_affinity(result, ing, obj)
    _add_hop(result, ing, selects_nothing=pods == [])
    if ing.door is Door.L4_SERVICE:  # the Service answers behind the listener itself
        _l4(result, ing, obj)
    _shares(result, ing)
    settle_verdicts(result)
    return result


def _l4(result: ServiceResult, ing: IngressResult, obj: dict[str, Any]) -> None:
    nodes = ing.earlier("ecs")
    hop = result.hops[-1]
    result.hops[-1] = replace(hop, details=hop.details + details(**service_details(obj)))
    if isinstance(nodes, NodeResult):
        result.findings.append(door_finding(result.hop_id, nodes, obj))


def _shares(result: ServiceResult, ing: IngressResult) -> None:
    """When the front door splits the request between Services (an ALB rule forwarding to several
    server groups by weight), the Service hop says so: this one gets its share, the others theirs."""
    shares: list[tuple[str, float]] = getattr(ing, "shares", [])
    if len(shares) < 2 or not result.hops:
        return
    mine = f"{result.namespace}/{result.name}"
    other = " (its Pods are drawn, not its Service)"
    text = ", ".join(
        f"{name} {share:.0%}" + (" (this Service)" if name == mine else other) for name, share in shares
    )
    result.hops[-1] = replace(result.hops[-1], details=result.hops[-1].details + details(shares_traffic=text))


def _port(obj: dict[str, Any], wanted: str) -> ServicePort | None:
    for p in dig(obj, "spec", "ports") or []:
        if str(p.get("port")) == wanted or p.get("name") == wanted:
            return ServicePort(
                p.get("name", ""),
                p.get("protocol", "TCP"),
                int(p["port"]),
                str(p.get("targetPort", p["port"])),
                p.get("nodePort"),
            )
    return None


def _resolve_in_cluster(result: ServiceResult, answer: list[DnsRecord] | AckwbError) -> None:
    try:
        records = unwrap(answer)
    except InputError as error:
        result.findings.append(
            Finding(
                "SERVICE_DNS_NOT_FOUND",
                Severity.WARNING,
                result.hop_id,
                f"Cluster DNS does not know {result.cluster_dns_name}: {error}",
                (Evidence("cluster DNS", f"{result.cluster_dns_name} A", str(error)),),
                check=f"nslookup {sh(result.cluster_dns_name)}  (from a Pod)",
            )
        )
        return
    except SourceError as error:
        result.findings.append(
            source_finding(error, result.hop_id, f"the cluster DNS name {result.cluster_dns_name}")
        )
        return
    result.resolved_ips = [r.value for r in records if r.type == "A"]
    result.evidence += [
        Evidence("cluster DNS", r.name, f"{r.name} {r.ttl} IN {r.type} {r.value}") for r in records
    ]
    if result.cluster_ip and not result.headless and result.cluster_ip not in result.resolved_ips:
        result.findings.append(
            Finding(
                "SERVICE_DNS_MISMATCH",
                Severity.WARNING,
                result.hop_id,
                f"{result.cluster_dns_name} resolves to {', '.join(result.resolved_ips) or 'nothing'}, "
                f"not to the ClusterIP {result.cluster_ip}.",
                tuple(e for e in result.evidence if e.source == "cluster DNS"),
                check=f"nslookup {sh(result.cluster_dns_name)}  (from a Pod)",
            )
        )


def _read_endpoints(result: ServiceResult, answer: list[dict[str, Any]] | AckwbError) -> None:
    if result.port is None:
        return
    try:
        slices = unwrap(answer)
        result.endpoints = list(endpoints_for_port(slices, result.port.name))
    except SourceError as error:
        result.findings.append(source_finding(error, result.hop_id, f"the EndpointSlices of {result.name}"))
        return
    except AckwbError as error:
        result.findings.append(
            Finding("SERVICE_SLICES_UNREADABLE", Severity.WARNING, result.hop_id, str(error))
        )
        return
    result.endpoints_seen = True
    for e in result.endpoints:
        result.rows.append(
            {
                "service": f"{result.namespace}/{result.name}",
                "cluster DNS name": result.cluster_dns_name,
                "ClusterIP": result.cluster_ip,
                "port": f"{result.port.port}/{result.port.protocol} → {result.port.target_port}",
                "endpoint": f"{e.address}:{e.port}",
                "ready": e.ready,
                "node": e.node,
                "pod": e.pod,
                "slice": e.slice_name,
            }
        )


def _add_hop(result: ServiceResult, ing: IngressResult, selects_nothing: bool = False) -> None:
    port = result.port
    verdict = Verdict.OK
    if port is None:
        verdict = Verdict.BLOCKED
        result.findings.append(
            Finding(
                "SERVICE_PORT_NOT_FOUND",
                Severity.ERROR,
                result.hop_id,
                f"Service {result.name} has no port {ing.service_port}, which the controller's "
                "location names: nginx answers 503.",
                tuple(e for e in result.evidence if e.source == "kube:services"),
                check=f"kubectl -n {sh(result.namespace)} get service {sh(result.name)} "
                "-o jsonpath='{.spec.ports}'",
            )
        )
        result.dead_end = result.dead_end or f"Service {result.name} has no port {ing.service_port}"
    elif not result.endpoints_seen:
        verdict = Verdict.UNKNOWN
        result.dead_end = result.dead_end or f"could not read the EndpointSlices of {result.name}"
    elif not result.ready_endpoints and not selects_nothing:
        # No dead end: the Pod step names the Pods that are not ready, and why.
        verdict = Verdict.BLOCKED
        result.findings.append(
            Finding(
                "SERVICE_NO_READY_ENDPOINTS",
                Severity.ERROR,
                result.hop_id,
                f"Service {result.name} has no ready endpoint on port {port.port}.",
                tuple(e for e in result.evidence if e.source == "kube:endpointslices")
                or (
                    Evidence(
                        "kube:endpointslices",
                        f"{result.namespace} -l kubernetes.io/service-name={result.name} endpoints",
                        "(none)",
                    ),
                ),
                check=f"kubectl -n {sh(result.namespace)} get endpointslices "
                f"-l kubernetes.io/service-name={result.name}",
            )
        )
    vip = f"{result.cluster_ip}:{port.port}" if port else result.cluster_ip
    if result.headless:
        vip = f"headless :{port.port}" if port else "headless"
    result.hops.append(
        Hop(
            result.hop_id,
            "service",
            f"Service {result.name}\n{vip}",
            result.path_kind,
            verdict,
            details(
                dns=result.cluster_dns_name,
                headless=headless_dns(result) if result.headless else "",
                port=port_chosen(result, ing),
                ready_endpoints=len(result.ready_endpoints),
                session_affinity=result.affinity,
            ),
        )
    )
    if result.path_kind is Path.REQUEST:
        result.edges.append(
            Edge(ing.hop_id, result.hop_id, "proxy to ClusterIP (service-upstream)", Path.REQUEST)
        )
        return
    label = f"in-cluster: curl {result.name}.{result.namespace}:{port.port if port else ''}"
    for view in ing.views or []:  # a client on any serving controller's node
        result.edges.append(Edge(view.controller.hop_id, result.hop_id, label, Path.IN_CLUSTER))
