"""Step 1, 查看域名的 IP (domain → IP): what the name resolves to, and what the cloud
DNS record says.

The resolver's answer is what clients use; the Alidns record is what the team
configured. Both are shown, and a disagreement is a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import InputError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, StepResult, Verdict
from ackwb.sources import DnsRecord, Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, source_finding

TITLE = "1. Domain → IP (查看域名的 IP)"
LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^(?:{LABEL}\.)+{LABEL}\.?$")


@dataclass(kw_only=True)
class DnsResult(StepResult):
    records: list[DnsRecord] = field(default_factory=list)  # the resolver's answer, CNAMEs included
    addresses: list[str] = field(default_factory=list)  # the A record values
    cloud_records: list[dict[str, Any]] = field(default_factory=list)  # Alidns records of the name


def client_hop() -> Hop:
    return Hop("client", "client", "client (internet)")


def dns(sources: Sources, domain: str) -> DnsResult:
    domain = domain.strip().lower().rstrip(".")
    hop_id = f"dns:{domain}"
    result = DnsResult(step="dns", title=TITLE, domain=domain)
    if not DOMAIN_RE.match(domain):
        return _dead_end(result, hop_id, "DNS_INVALID_NAME", f"'{domain}' is not a valid domain name.")
    try:
        result.records = sources.dns.resolve(domain, "A")
    except InputError as error:
        message = f"{domain} does not resolve: the resolver of the {sources.description} has no record of it."
        result.evidence.append(Evidence("dns resolver", f"{domain} A", str(error)))
        return _dead_end(result, hop_id, "DNS_NAME_NOT_FOUND", message, check=f"dig +short {domain}")
    except SourceError as error:
        result.findings.append(source_finding(error, hop_id, f"the A record of {domain}"))
        result.hops.append(Hop(hop_id, "dns", domain, verdict=Verdict.UNKNOWN))
        result.dead_end = f"the resolver could not be asked about {domain}"
        return result
    result.addresses = [r.value for r in result.records if r.type == "A"]
    chain = [r for r in result.records if r.type == "CNAME"]
    for r in result.records:
        result.evidence.append(
            Evidence("dns resolver", f"{r.name} {r.type}", f"{r.name} {r.ttl} IN {r.type} {r.value}")
        )
        result.rows.append(
            {"name": r.name, "type": r.type, "ttl": r.ttl, "value": r.value, "source": "resolver"}
        )
    _compare_with_cloud_record(sources, result, hop_id)
    label = (
        domain + "".join(f"\nCNAME {r.value}" for r in chain) + "".join(f"\nA {a}" for a in result.addresses)
    )
    verdict = Verdict.OK if result.addresses else Verdict.BLOCKED
    result.hops += [
        client_hop(),
        Hop(hop_id, "dns", label, verdict=verdict, details=details(records=len(result.records))),
    ]
    result.edges.append(Edge("client", hop_id, "resolve"))
    if not result.addresses:
        result.dead_end = f"{domain} has no A record"
        result.findings.append(
            Finding("DNS_NO_ADDRESS", Severity.ERROR, hop_id, f"{domain} resolves, but to no IPv4 address.")
        )
    elif len(result.addresses) > 1:
        result.findings.append(
            Finding(
                "DNS_SEVERAL_ADDRESSES",
                Severity.INFO,
                hop_id,
                f"{domain} resolves to {len(result.addresses)} addresses; following {result.addresses[0]}.",
            )
        )
    return result


def _compare_with_cloud_record(sources: Sources, result: DnsResult, hop_id: str) -> None:
    """Read the Alidns record and say when the resolver disagrees with it."""
    try:
        records = cloud_items(
            sources,
            "alidns",
            "DescribeSubDomainRecords",
            {"SubDomain": result.domain},
            "DomainRecords",
            "Record",
        )
    except SourceError as error:
        result.findings.append(source_finding(error, hop_id, f"the Alidns record of {result.domain}"))
        return
    result.cloud_records = records
    for record in records:
        result.rows.append(
            {
                "name": f"{record.get('RR')}.{record.get('DomainName')}.",
                "type": record.get("Type"),
                "ttl": record.get("TTL"),
                "value": record.get("Value"),
                "source": f"Alidns ({record.get('Status', '')})",
            }
        )
    enabled = {r.get("Value") for r in records if str(r.get("Status", "ENABLE")).upper() == "ENABLE"}
    answered = {r.value for r in result.records}
    if records and not enabled & answered:
        result.findings.append(
            Finding(
                "DNS_RECORD_MISMATCH",
                Severity.WARNING,
                hop_id,
                f"The Alidns record of {result.domain} says {', '.join(sorted(enabled))} but the resolver "
                f"answers {', '.join(sorted(answered))}: a cache, another DNS provider, "
                "or an unsaved change.",
                (
                    cloud_evidence(
                        "alidns", "DescribeSubDomainRecords", "DomainRecords.Record[].Value", sorted(enabled)
                    ),
                ),
                check=f"aliyun alidns DescribeSubDomainRecords --SubDomain {result.domain}",
            )
        )


def _dead_end(result: DnsResult, hop_id: str, code: str, message: str, check: str = "") -> DnsResult:
    result.hops += [client_hop(), Hop(hop_id, "dns", result.domain, verdict=Verdict.BLOCKED)]
    result.edges.append(Edge("client", hop_id, "resolve"))
    result.findings.append(Finding(code, Severity.ERROR, hop_id, message, check=check))
    result.dead_end = message
    return result
