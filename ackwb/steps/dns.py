"""Step 1, 查看域名的 IP (domain → IP): what the name resolves to, and what the cloud
DNS record says.

The resolver's answer is what clients use; the Alidns record is what the team
configured. Both are shown, a CNAME chain is spelled out, and a disagreement is a
finding. When the name does not resolve, the Alidns record says whether it was ever
configured. Who resolves the name depends on the client (``dns_private``): a client inside
the cluster's VPC gets the answer of the PrivateZone zones bound to it, an internet client
that of public DNS; the DNS hop says which view the trace used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import InputError, NotCaptured, SourceError
from ackwb.model import Client, Edge, Evidence, Finding, Hop, Severity, StepResult, Verdict
from ackwb.parse.common import is_ip_address
from ackwb.sources import DnsRecord, Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, settle_verdicts, sh, source_finding
from ackwb.steps.dns_private import PUBLIC, PrivateAnswer, Vpc, cluster_vpc, private_answer
from ackwb.steps.dns_status import Answer, status_findings

TITLE = "1. Domain → IP (查看域名的 IP)"
LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^(?:{LABEL}\.)+{LABEL}\.?$")


@dataclass(kw_only=True)
class DnsResult(StepResult):
    records: list[DnsRecord] = field(default_factory=list)  # the resolver's answer, CNAMEs included
    addresses: list[str] = field(default_factory=list)  # the A record values
    cloud_records: list[dict[str, Any]] = field(default_factory=list)  # Alidns records of the name
    view: str = PUBLIC  # which resolver answered, as the DNS hop says it
    vpc: Vpc | None = None  # the cluster's VPC, when the client is inside it
    private: PrivateAnswer | None = None  # PrivateZone's answer, when a bound zone answered


def client_hop(vpc: Vpc | None = None) -> Hop:
    return Hop("client", "client", f"client (inside {vpc.id})" if vpc else "client (internet)")


def _name(value: str) -> str:
    return value.strip().lower().rstrip(".")


def dns(sources: Sources, domain: str, client: Client | None = None) -> DnsResult:
    """The name's answer in the view of ``client`` (None: an internet client)."""
    domain = _name(domain)
    hop_id = f"dns:{domain}"
    result = DnsResult(step="dns", title=TITLE, domain=domain)
    if is_ip_address(domain):  # a load balancer's address (an L4 Service): nothing to resolve
        result.addresses = [domain]
        result.hops += [client_hop(), Hop(hop_id, "dns", f"{domain}\n(an address)", verdict=Verdict.OK)]
        result.edges.append(Edge("client", hop_id, "connect"))
        return result
    if not DOMAIN_RE.match(domain):
        return _dead_end(result, hop_id, "DNS_INVALID_NAME", f"'{domain}' is not a valid domain name.")
    if _in_private_view(sources, result, hop_id, client):
        return _answered(sources, result, hop_id)
    try:
        result.records = sources.dns.resolve(domain, "A")
    except InputError as error:
        result.evidence.append(Evidence("dns resolver", f"{domain} A", str(error)))
        return _not_found(sources, result, hop_id)
    except SourceError as error:
        result.findings.append(source_finding(error, hop_id, f"the A record of {domain}"))
        result.hops.append(Hop(hop_id, "dns", domain, verdict=Verdict.UNKNOWN))
        result.dead_end = f"the resolver could not be asked about {domain}" + (
            f" ({error.reason})" if isinstance(error, NotCaptured) else ""
        )
        return result
    for r in result.records:
        result.evidence.append(
            Evidence("dns resolver", f"{r.name} {r.type}", f"{r.name} {r.ttl} IN {r.type} {r.value}")
        )
        result.rows.append(
            {"name": r.name, "type": r.type, "ttl": r.ttl, "value": r.value, "source": "resolver"}
        )
    _read_cloud_records(sources, result, hop_id)
    _compare_with_cloud_record(result, hop_id)
    return _answered(sources, result, hop_id)


def _in_private_view(sources: Sources, result: DnsResult, hop_id: str, client: Client | None) -> bool:
    """Whether a PrivateZone zone bound to the client's VPC answers the name (then in
    ``result.private``); says in ``result.view`` why public DNS answers otherwise."""
    if client is None or not client.ip:
        return False
    try:
        vpc = cluster_vpc(sources)
    except SourceError as error:
        result.findings.append(source_finding(error, hop_id, "the cluster's VPC (is the client inside it?)"))
        result.view = f"{PUBLIC}: whether {client.ip} is inside the cluster's VPC could not be read"
        return False
    if not vpc.holds(client.ip) and vpc.partial is not None:
        result.findings.append(source_finding(vpc.partial, hop_id, f"the CIDR blocks of {vpc.id}"))
        result.view = (
            f"{PUBLIC}: {client.ip} is outside the cluster's vSwitches in {vpc.id} ({', '.join(vpc.cidrs)}); "
            "whether it is elsewhere in the VPC could not be read"
        )
        return False
    if not vpc.holds(client.ip):
        result.view = f"{PUBLIC}: {client.ip} is outside {vpc.id} ({', '.join(vpc.cidrs)})"
        return False
    result.vpc = vpc
    try:
        result.private = private_answer(sources, vpc, result.domain)
    except SourceError as error:
        result.findings.append(source_finding(error, hop_id, f"the PrivateZone zones bound to {vpc.id}"))
        result.view = f"{PUBLIC}: the PrivateZone zones bound to {vpc.id} could not be read"
        return False
    if result.private is None:
        result.view = f"{PUBLIC}: no PrivateZone zone bound to {vpc.id} answers {result.domain}"
        return False
    private = result.private
    result.view, result.records = private.view(vpc), private.records
    result.evidence += [*vpc.evidence, *private.evidence]
    source = f"PrivateZone {private.zone_name} ({vpc.id})"
    for r in private.records:
        result.rows.append({"name": r.name, "type": r.type, "ttl": r.ttl, "value": r.value, "source": source})
    return True


def _answered(sources: Sources, result: DnsResult, hop_id: str) -> DnsResult:
    """The DNS hop for the records the view gave, and what they say (an alias, no address)."""
    domain = result.domain
    private = result.private
    if private is not None and private.nxdomain:
        return _shadowed(result, hop_id, private)
    result.addresses = [r.value for r in result.records if r.type == "A"]
    chain = [r for r in result.records if r.type == "CNAME"]
    label = (
        domain + "".join(f"\nCNAME {r.value}" for r in chain) + "".join(f"\nA {a}" for a in result.addresses)
    )
    result.hops += [
        client_hop(result.vpc),
        Hop(hop_id, "dns", label, verdict=Verdict.OK,
            details=details(records=len(result.records), view=result.view)),
    ]  # fmt: skip
    result.edges.append(Edge("client", hop_id, "resolve"))
    if chain:
        steps = " → ".join([domain, *(_name(r.value) for r in chain)])
        result.findings.append(
            Finding(
                "DNS_CNAME_CHAIN",
                Severity.INFO,
                hop_id,
                f"{domain} is an alias: {steps}; the A record{'s' if len(result.addresses) > 1 else ''} "
                f"of the last name ({', '.join(result.addresses) or 'none'}) is what clients use.",
                tuple(e for e in result.evidence if " CNAME" in e.locator),
                check=f"dig {sh(domain)} A",
            )
        )
    if not result.addresses:
        result.dead_end = f"{domain} has no A record"
        result.findings.append(
            Finding(
                "DNS_NO_ADDRESS",
                Severity.ERROR,
                hop_id,
                f"{domain} resolves, but to no IPv4 address.",
                check=f"dig {sh(domain)} A",
            )
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
    answer = Answer(domain, result.records, result.addresses, result.view, result.vpc, result.evidence)
    result.findings += status_findings(sources, answer, hop_id)
    settle_verdicts(result)
    return result


def _shadowed(result: DnsResult, hop_id: str, private: PrivateAnswer) -> DnsResult:
    """NXDOMAIN inside the VPC: the bound zone owns the name's apex and holds no record of it."""
    vpc = result.vpc.id if result.vpc else "the VPC"
    message = (
        f"{result.domain} does not resolve (NXDOMAIN) for clients inside {vpc}: PrivateZone zone "
        f"{private.zone_name} ({private.zone_id}) is bound to it and holds no record '{private.rr}'; "
        "with its recursive resolution proxy off (ProxyPattern ZONE) it answers every name under it, so the "
        "public record is never asked for."
    )
    result.evidence += private.evidence
    check = (
        f"aliyun pvtz DescribeZoneRecords --ZoneId {sh(private.zone_id)} --Keyword {sh(private.rr)}; "
        f"aliyun pvtz DescribeZoneInfo --ZoneId {sh(private.zone_id)}"
    )
    blocked = Hop(hop_id, "dns", result.domain, verdict=Verdict.BLOCKED, details=details(view=result.view))
    result.hops += [client_hop(result.vpc), blocked]
    result.edges.append(Edge("client", hop_id, "resolve"))
    result.findings.append(
        Finding("DNS_PRIVATE_ZONE_SHADOWS", Severity.ERROR, hop_id, message, tuple(result.evidence), check)
    )
    result.dead_end = message
    return result


def _read_cloud_records(sources: Sources, result: DnsResult, hop_id: str) -> None:
    """The Alidns records of the name, shown beside the resolver's answer."""
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


def _enabled_values(result: DnsResult) -> list[str]:
    return sorted(
        {
            str(r.get("Value", ""))
            for r in result.cloud_records
            if str(r.get("Status", "ENABLE")).upper() == "ENABLE"
        }
    )


def _compare_with_cloud_record(result: DnsResult, hop_id: str) -> None:
    """Say when the resolver's answer shares no value with the enabled Alidns records."""
    enabled = _enabled_values(result)
    answered = sorted({r.value for r in result.records})
    if not result.cloud_records or {_name(v) for v in enabled} & {_name(v) for v in answered}:
        return
    result.findings.append(
        Finding(
            "DNS_RECORD_MISMATCH",
            Severity.WARNING,
            hop_id,
            f"The Alidns record of {result.domain} says {', '.join(enabled) or 'nothing enabled'} but the "
            f"resolver answers {', '.join(answered)}: a cache, another DNS provider, or an unsaved change.",
            (
                cloud_evidence("alidns", "DescribeSubDomainRecords", "DomainRecords.Record[].Value", enabled),
                *(e for e in result.evidence if e.source == "dns resolver"),
            ),
            check=f"dig +short {sh(result.domain)}; "
            f"aliyun alidns DescribeSubDomainRecords --SubDomain {sh(result.domain)}",
        )
    )


def _not_found(sources: Sources, result: DnsResult, hop_id: str) -> DnsResult:
    domain = result.domain
    _read_cloud_records(sources, result, hop_id)
    enabled = _enabled_values(result)
    if enabled:
        why = (
            f"yet Alidns holds a record for it ({', '.join(enabled)}): resolvers do not see the zone "
            "Alidns serves (check the domain's NS delegation)"
        )
        result.evidence.append(
            cloud_evidence("alidns", "DescribeSubDomainRecords", "DomainRecords.Record[].Value", enabled)
        )
    else:
        why = (
            "and Alidns has no enabled record of it either: it was never created, or was deleted or disabled"
        )
        result.evidence.append(
            cloud_evidence(
                "alidns", "DescribeSubDomainRecords", f"SubDomain={domain} DomainRecords.Record", []
            )
        )
    message = f"{domain} does not resolve (NXDOMAIN) in the {sources.description}, {why}."
    check = f"dig +short {sh(domain)}; aliyun alidns DescribeSubDomainRecords --SubDomain {sh(domain)}"
    return _dead_end(result, hop_id, "DNS_NAME_NOT_FOUND", message, check=check)


def _dead_end(result: DnsResult, hop_id: str, code: str, message: str, check: str = "") -> DnsResult:
    result.hops += [client_hop(), Hop(hop_id, "dns", result.domain, verdict=Verdict.BLOCKED)]
    result.edges.append(Edge("client", hop_id, "resolve"))
    result.findings.append(Finding(code, Severity.ERROR, hop_id, message, tuple(result.evidence), check))
    result.dead_end = message
    return result
