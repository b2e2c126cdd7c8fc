"""Services that are not a plain ClusterIP, and what a Service adds to the path by its fields.

An ExternalName Service has no ClusterIP, no EndpointSlices and no kube-proxy rule: its
dynamic backend in ingress-nginx holds the external DNS name, which nginx resolves itself and
connects to, out of the cluster (the egress step follows the controller Pods out and draws the
outside host). A headless Service (``clusterIP: None``) has no virtual IP either: cluster DNS
answers the ready Pod IPs, and nginx balances to the endpoints as it always does. Neither is a
fault, so neither may raise "no endpoints" or "virtual IP missing".

Also here: the port the Ingress chose, by number or by name, and its targetPort as the
EndpointSlices resolved it (a name is looked up in the Pods' container ports); and
``sessionAffinity: ClientIP``, which ingress-nginx bypasses unless it proxies to the ClusterIP.
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import InputError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Path, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import details, dig, kube_evidence, sh, source_finding
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.ingress_objects import affinity_bypassed
from ackwb.steps.service.result import ServicePort, ServiceResult


def is_external_name(obj: dict[str, Any]) -> bool:
    return dig(obj, "spec", "type") == "ExternalName"


def affinity_text(obj: dict[str, Any]) -> str:
    """``ClientIP, timeout 10800 s`` for a Service with ClientIP affinity, else ""."""
    if dig(obj, "spec", "sessionAffinity") != "ClientIP":
        return ""
    seconds = dig(obj, "spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds") or 10800
    return f"ClientIP, timeout {seconds} s"


def external_name(sources: Sources, result: ServiceResult, ing: IngressResult, obj: dict[str, Any]) -> None:
    """The Service hop of an ExternalName Service: the name nginx resolves and where it points."""
    name = str(dig(obj, "spec", "externalName") or "").rstrip(".")
    result.external_name = name
    result.path_kind = Path.IN_CLUSTER if ing.answered else Path.REQUEST  # nginx connects out itself
    result.cluster_ip = ""
    result.port = _external_port(obj, ing.service_port)
    result.evidence.append(
        kube_evidence(
            "services", result.namespace, result.name, "spec.type, spec.externalName",
            {"type": "ExternalName", "externalName": name},
        )
    )  # fmt: skip
    verdict = Verdict.OK
    try:
        records = sources.dns.resolve(name, "A")
        result.external_ips = [r.value for r in records if r.type == "A"]
        result.evidence += [
            Evidence("DNS", r.name, f"{r.name} {r.ttl} IN {r.type} {r.value}") for r in records
        ]
    except InputError as error:
        records = []
        result.findings.append(_unresolved(result, name, str(error)))
    except SourceError as error:
        verdict = Verdict.UNKNOWN
        result.findings.append(source_finding(error, result.hop_id, f"the external name {name}"))
        result.dead_end = f"could not resolve the external name {name}"
    if verdict is Verdict.OK and not result.external_ips:
        if records:  # NOERROR without an A record (a CNAME to nothing, an AAAA only)
            result.findings.append(_unresolved(result, name, "no A record in the answer"))
        verdict = Verdict.BLOCKED
        unresolved = f"the external name {name} of Service {result.name} does not resolve"
        result.dead_end = result.dead_end or unresolved
    port = result.port.port if result.port else ""
    answer = ", ".join(result.external_ips) or "nothing"
    result.hops.append(
        Hop(
            result.hop_id,
            "service",
            f"Service {result.name}\nExternalName {name}",
            result.path_kind,
            verdict,
            details(
                external_name=name,
                resolves_to=answer,
                port=port,
                by_design="no ClusterIP, no EndpointSlices, no kube-proxy rule: nginx resolves the name "
                "and connects to it itself",
            ),
        )
    )
    label = f"nginx resolves {name} → {answer}"
    if result.path_kind is Path.REQUEST:
        result.edges.append(Edge(ing.hop_id, result.hop_id, label, Path.REQUEST))
        return
    for view in ing.views:  # nginx answered this request itself: a client in the cluster would go this way
        result.edges.append(Edge(view.controller.hop_id, result.hop_id, label, Path.IN_CLUSTER))


def _external_port(obj: dict[str, Any], wanted: str) -> ServicePort | None:
    """The port nginx connects to: the Service port the Ingress names, or the Ingress's number."""
    for p in dig(obj, "spec", "ports") or []:
        if str(p.get("port")) == wanted or p.get("name") == wanted:
            port = int(p["port"])
            target = str(p.get("targetPort", port))
            return ServicePort(p.get("name", ""), p.get("protocol", "TCP"), port, target)
    return ServicePort("", "TCP", int(wanted), wanted) if wanted.isdigit() else None


def _unresolved(result: ServiceResult, name: str, why: str) -> Finding:
    message = (
        f"Service {result.namespace}/{result.name} is an ExternalName for {name}, which does not resolve "
        f"({why}): nginx cannot connect and answers 502."
    )
    return Finding(
        "SERVICE_EXTERNAL_NAME_UNRESOLVED",
        Severity.ERROR,
        result.hop_id,
        message,
        (Evidence("DNS", f"{name} A", why),),
        check=f"nslookup {sh(name)}  (from the controller Pod: kubectl exec … -- nslookup {sh(name)})",
    )


def headless_dns(result: ServiceResult) -> str:
    """What cluster DNS answers for a headless Service, compared with its ready endpoints; a
    finding when they differ. The text for the Service hop."""
    ready = sorted({e.address for e in result.ready_endpoints})
    answer = sorted(set(result.resolved_ips))
    if answer and answer != ready:
        message = (
            f"{result.cluster_dns_name} is headless: cluster DNS should answer the ready Pod IPs "
            f"({', '.join(ready) or 'none'}), but answers {', '.join(answer)}."
        )
        result.findings.append(
            Finding(
                "SERVICE_DNS_MISMATCH",
                Severity.WARNING,
                result.hop_id,
                message,
                tuple(e for e in result.evidence if e.source == "cluster DNS"),
                check=f"nslookup {sh(result.cluster_dns_name)}  (from a Pod)",
            )
        )
    return f"cluster DNS answers the Pod IPs: {', '.join(answer) or 'none'}"


def port_chosen(result: ServiceResult, ing: IngressResult) -> str:
    """The Service port the Ingress chose and where it leads: ``http 80/TCP → 8080``, or by name
    ``http 80/TCP (by name) → targetPort web = 8080 (EndpointSlice port http)``."""
    port = result.port
    if port is None:
        return ""
    named = f"{port.name} {port.port}/{port.protocol}" if port.name else f"{port.port}/{port.protocol}"
    by = " (by name)" if not ing.service_port.isdigit() else ""
    numbers = sorted({e.port for e in result.endpoints if e.port})
    target = port.target_port
    if target.isdigit():
        return f"{named}{by} → {target}"  # short: the whole-path diagram shows it in a box
    if numbers:
        target += f" = {', '.join(map(str, numbers))} (EndpointSlice port {port.name or '(unnamed)'})"
    return f"{named}{by} → targetPort {target}"


def check_affinity(result: ServiceResult, ing: IngressResult, obj: dict[str, Any]) -> None:
    """SERVICE_AFFINITY_BYPASSED when nginx balances the Ingress's requests to Pod IPs itself."""
    if ing.ingress_object is None:
        return
    for found in affinity_bypassed([ing.ingress_object], [obj]):
        check = (
            f"kubectl -n {sh(result.namespace)} get service {sh(result.name)} "
            "-o jsonpath='{.spec.sessionAffinity}'; "
            f"kubectl -n {sh(ing.namespace)} get ingress {sh(ing.ingress_name)} "
            "-o jsonpath='{.metadata.annotations}'"
        )
        result.findings.append(
            Finding(found.code, found.severity, result.hop_id, found.message, found.evidence, check)
        )
