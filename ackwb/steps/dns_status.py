"""Does the host resolve to the address its Ingress publishes?

An ingress controller writes the address it is reached at into each Ingress it serves
(``status.loadBalancer.ingress[].ip`` or ``.hostname``: the published Service's load balancer,
or the ALB's DNS name). When the host resolves elsewhere (a DNS record left behind after the load
balancer changed, a PrivateZone record that VPC clients see and the internet does not, a second
load balancer the controller does not publish) the client goes somewhere the controller does not
say it listens. The check runs in the DNS step, in the view the trace used, so it holds even when
the path stops at the load balancer because of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Evidence, Finding, Severity
from ackwb.sources import DnsRecord, Sources
from ackwb.steps.common import dig, kube_evidence, sh
from ackwb.steps.dns_private import Vpc, resolve_for

Obj = dict[str, Any]
CODE = "INGRESS_STATUS_ADDRESS_DIFFERS"


@dataclass(frozen=True)
class Answer:
    """What the DNS step found for the host, in the view it used (``vpc`` None: public DNS)."""

    domain: str
    records: list[DnsRecord]
    addresses: list[str]
    view: str
    vpc: Vpc | None
    evidence: list[Evidence]


def _bare(value: Any) -> str:
    return str(value or "").strip().lower().rstrip(".")


def _serves(ingress: Obj, host: str) -> bool:
    return any(_bare(r.get("host")) == host for r in dig(ingress, "spec", "rules") or [])


def status_findings(sources: Sources, result: Answer, hop_id: str) -> list[Finding]:
    """A warning per Ingress of the host whose status names an address the host does not resolve to."""
    if not result.addresses:
        return []
    try:
        ingresses = [i for i in sources.kube.list("ingresses") if _serves(i, result.domain)]
    except SourceError:  # the Ingress step reads them again and says what it could not see
        return []
    findings = []
    names = {result.domain, *(_bare(r.value) for r in result.records if r.type == "CNAME")}
    resolved: dict[str, list[str]] = {}
    for ingress in ingresses:
        entries = dig(ingress, "status", "loadBalancer", "ingress") or []
        differing = []
        for index, entry in enumerate(entries):
            field, value = ("ip", entry.get("ip")) if entry.get("ip") else ("hostname", entry.get("hostname"))
            if not value or _reached(sources, result, str(value), names, resolved):
                continue
            differing.append((index, field, str(value)))
        if differing:
            findings.append(_finding(result, hop_id, ingress, differing, resolved))
    return findings


def _reached(
    sources: Sources, result: Answer, value: str, names: set[str], resolved: dict[str, list[str]]
) -> bool:
    """Whether the status address is where the host leads: one of its addresses, a name of its CNAME
    chain, or a name whose own addresses (in the same view) are among the host's."""
    if value in result.addresses or _bare(value) in names:
        return True
    if value.replace(".", "").isdigit():
        return False
    if value not in resolved:
        records = resolve_for(sources, result.vpc, _bare(value))
        resolved[value] = [r.value for r in records if r.type == "A"]
    return bool(set(resolved[value]) & set(result.addresses))


def _finding(
    result: Answer,
    hop_id: str,
    ingress: Obj,
    differing: list[tuple[int, str, str]],
    resolved: dict[str, list[str]],
) -> Finding:
    namespace = str(dig(ingress, "metadata", "namespace") or "")
    name = str(dig(ingress, "metadata", "name") or "")
    said = ", ".join(
        value + (f" ({', '.join(resolved[value]) or 'no address'})" if value in resolved else "")
        for _, _, value in differing
    )
    message = (
        f"Ingress {namespace}/{name} publishes {said} in status.loadBalancer, but {result.domain} "
        f"resolves to {', '.join(result.addresses)} ({result.view}): clients reach an address the "
        "ingress controller does not publish for this host (a record left behind, or a load balancer "
        "it does not report)."
    )
    evidence = [
        kube_evidence("ingresses", namespace, name, f"status.loadBalancer.ingress[{i}].{field}", value)
        for i, field, value in differing
    ]
    evidence += [e for e in result.evidence if e.source in ("dns resolver", "pvtz:DescribeZoneRecords")]
    if not any(e.source != "kube:ingresses" for e in evidence):
        evidence.append(Evidence("dns answer", f"{result.domain} A", ", ".join(result.addresses)))
    check = (
        f"kubectl -n {sh(namespace)} get ingress {sh(name)} -o jsonpath='{{.status.loadBalancer.ingress}}'; "
        f"dig +short {sh(result.domain)}"
    )
    return Finding(CODE, Severity.WARNING, hop_id, message, tuple(evidence), check)
