"""Step 2, 查看公网 IP 对应的 SLB (IP → load balancer): which CLB or NLB owns the address,
its listeners, the ACL or security groups in front of them, the server group behind the
client's port, and the health of each backend.

A CLB is looked up by address; when none owns it, ``slb_nlb`` finds the NLB (since
2025-08-28 the default for an NGINX Ingress installed from the ACK console) and reads it
into the same records, so both products give the same hops and the same result shape.
The CLB reads live in ``slb_records``, the judgements in ``slb_checks`` (ACL, health,
NodePort) and ``slb_security_groups`` (an NLB's security groups); this module chains them
and draws the hops.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Client, Edge, Finding, Hop, Packet, Severity, Verdict, worst_verdict
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, settle_verdicts, sh, source_finding
from ackwb.steps.dns import DnsResult
from ackwb.steps.slb import alb
from ackwb.steps.slb.checks import (
    acl_decision,
    acl_finding,
    add_backends,
    check_node_ports,
    listener_hop,
    listener_stopped,
)
from ackwb.steps.slb.nlb import (
    find_nlb,
    group_ids,
    read_nlb_backends,
    read_nlb_listeners,
    read_preserve_client_ip,
)
from ackwb.steps.slb.records import (
    CLB,
    NLB,
    AclEntry,
    Backend,
    LbApi,
    Listener,
    read_backends,
    read_listeners,
)
from ackwb.steps.slb.result import LoadBalancerResult
from ackwb.steps.slb.security_groups import SecurityRule, read_groups, security_group_finding

TITLE = "2. IP → load balancer (查看公网 IP 对应的 SLB)"

__all__ = ["AclEntry", "Backend", "Listener", "LoadBalancerResult", "SecurityRule", "acl_decision", "slb"]
READERS = {CLB.kind: (read_listeners, read_backends), NLB.kind: (read_nlb_listeners, read_nlb_backends)}
RUNNING = ("running", "configuring", "provisioning")  # NLB listeners being reconciled still serve


def slb(sources: Sources, dns: DnsResult, client: Client | None = None) -> LoadBalancerResult:
    client = client or Client()
    result = LoadBalancerResult(step="slb", title=TITLE, domain=dns.domain, prev=dns, client=client)
    if dns.dead_end:
        result.dead_end = dns.dead_end
        return result
    result.address = dns.addresses[0]
    _follow(sources, result, dns)
    settle_verdicts(result)
    return result


def _find(sources: Sources, address: str) -> list[dict]:
    return cloud_items(
        sources,
        "slb",
        "DescribeLoadBalancers",
        {"RegionId": sources.settings.region, "Address": address},
        "LoadBalancers",
        "LoadBalancer",
    )


def _cname_targets(dns: DnsResult) -> list[str]:
    """The last name of the CNAME chain first: an NLB's DNSName is what an alias points at."""
    return [r.value for r in reversed(dns.records) if r.type == "CNAME"]


def _follow(sources: Sources, result: LoadBalancerResult, dns: DnsResult) -> None:
    try:
        found = _find(sources, result.address)
    except SourceError as error:
        _unknown(result, f"ip:{result.address}", error, f"the load balancer that owns {result.address}")
        return
    if found:
        lb = found[0]
        locator = f"Address={result.address} LoadBalancers.LoadBalancer[0]"
        result.evidence.append(cloud_evidence("slb", "DescribeLoadBalancers", locator, lb))
        _draw_lb(result, dns, lb, CLB, details(id=lb["LoadBalancerId"], type=lb.get("AddressType")))
        _follow_listeners(sources, result)
        return
    try:
        nlb = find_nlb(sources, result.address, _cname_targets(dns))
    except SourceError as error:
        _unknown(result, f"ip:{result.address}", error, f"the NLB that owns {result.address}")
        return
    if nlb is None:
        _alb_or_none(sources, result, dns)
        return
    item, evidence = nlb
    result.evidence.extend(evidence)
    result.security_group_ids = group_ids(item)
    hop_details = details(
        id=item["LoadBalancerId"],
        product="NLB",
        type=item.get("AddressType"),
        dns_name=item.get("DNSName"),
        security_groups=", ".join(result.security_group_ids) or "none (every client may connect)",
    )
    _draw_lb(result, dns, item, NLB, hop_details)
    _follow_listeners(sources, result, read_groups(sources, result))
    if result.preserves_client_ip is False:  # backends see the NLB's own addresses: say which
        result.nlb_local_ranges = tuple(sorted(_vswitch_cidrs(sources, item)))


def _alb_or_none(sources: Sources, result: LoadBalancerResult, dns: DnsResult) -> None:
    """No CLB or NLB owns the address: an ALB whose DNSName the CNAME names (or that holds the
    address in a zone) is the front door (``slb.alb``); else no load balancer owns it."""
    try:
        found = alb.find_alb(sources, result.address, _cname_targets(dns))
        if found is not None:
            alb.follow(sources, result, *found)
            return
    except SourceError as error:
        _unknown(result, result.hop_id if result.alb else f"ip:{result.address}", error,
                 f"the ALB that owns {result.address}")  # fmt: skip
        return
    _not_found(result, sources, dns)


def _draw_lb(
    result: LoadBalancerResult, dns: DnsResult, lb: dict[str, Any], api: LbApi, hop_details: Any
) -> None:
    result.api = api
    result.load_balancer_id, result.load_balancer_name = lb["LoadBalancerId"], lb.get("LoadBalancerName", "")
    label = f"{result.load_balancer_name or result.load_balancer_id}\n{result.address}"
    arrives = Packet(f"{result.client_text}:*", f"{result.address}:{result.client.port}")
    result.hops.append(Hop(result.hop_id, "lb", label, details=hop_details, arrives=arrives))
    result.edges.append(Edge(f"dns:{dns.domain}", result.hop_id, f"A {result.address}"))


def _follow_listeners(sources: Sources, result: LoadBalancerResult, groups: Any = ()) -> None:
    """Each listener with its decision for the client; the client's listener's backends.
    ``groups`` are an NLB's security groups (None: they could not be read)."""
    region, client = sources.settings.region, result.client
    read_listeners_of, read_backends_of = READERS[result.api.kind]
    try:
        result.listeners = read_listeners_of(sources, result.load_balancer_id)
    except SourceError as error:
        _unknown(result, result.hop_id, error, f"the listeners of {result.load_balancer_id}")
        return
    result.listener = next((li for li in result.listeners if li.serves(client.port)), None)
    for listener in result.listeners:
        _add_listener(result, listener, region, groups)
    if result.listener is None:
        _no_listener(result, region)
        return
    if result.api is CLB:
        result.preserves_client_ip = not result.listener.layer7
    try:
        result.backends, raw, health = read_backends_of(sources, result.load_balancer_id, result.listener)
        if result.api is NLB:
            result.preserves_client_ip = read_preserve_client_ip(sources, result.listener)
    except SourceError as error:
        _unknown(result, result.hop_id, error, f"the server group {result.listener.server_group_id}")
        return
    check_node_ports(sources, result, raw)
    add_backends(result, region, raw, health)


def _access(result: LoadBalancerResult, li: Listener) -> str:
    """Who may connect, as the listener hop and the table say it: the ACL, or the NLB's security groups."""
    if result.api is NLB:
        return (
            f"security groups {', '.join(result.security_group_ids)}" if result.security_group_ids else "none"
        )
    entries = "; ".join(str(e) for e in li.acl_entries)
    return f"{li.acl_type}list {li.acl_id}: {entries}" if li.acl_on else "off"


def _add_listener(result: LoadBalancerResult, li: Listener, region: str, groups: Any) -> None:
    """A listener hop with its decision for the client: every listener shows it, the client's
    listener also quotes its evidence."""
    hop_id, api = listener_hop(result, li), result.api
    chosen = li is result.listener
    before = len(result.findings)
    verdicts = [Verdict.OK]
    if chosen:
        locator = f"Listeners[ListenerPort={li.port}]"
        result.evidence.append(cloud_evidence(api.product, api.listeners, locator, li.summary))
    if li.acl_on:
        verdicts.append(acl_finding(result, li, hop_id, region))
    if api is NLB:
        verdicts.append(security_group_finding(result, li, hop_id, region, groups))
    if not chosen:  # the other listeners show their decision, not their findings
        del result.findings[before:]
    if li.status not in RUNNING:
        verdicts.append(Verdict.BLOCKED)
        if chosen:
            listener_stopped(result, li, hop_id, region)
    access = "security groups" if api is NLB else "acl"
    tls = f"terminates TLS (certificate {li.certificate})" if li.terminates_tls else ""
    result.hops.append(
        Hop(
            hop_id,
            "listener",
            f"listener {li.protocol} {li.ports}",
            verdict=worst_verdict(verdicts),
            details=details(
                status=li.status,
                server_group=li.server_group_id,
                tls=tls,
                **{access: _access(result, li)},
            ),
            arrives=Packet(f"{result.client_text}:*", f"{result.address}:{li.port}") if chosen else None,
            rewrite=result.rewrite() if chosen else "",
        )
    )
    result.edges.append(Edge(result.hop_id, hop_id, f"port {li.ports}"))
    for entry in li.acl_entries or (None,):
        result.rows.append(
            {
                "load balancer": result.load_balancer_name,
                "address": result.address,
                "listener": f"{li.protocol} {li.ports}",
                "status": li.status,
                "server group": li.server_group_id,
                "acl": f"{li.acl_type}list {li.acl_id}" if li.acl_on else _access(result, li),
                "acl entry": f"{entry.cidr} {entry.comment}".strip() if entry else "",
                "tls": li.certificate,
            }
        )


def _vswitch_cidrs(sources: Sources, item: dict[str, Any]) -> list[str]:
    """The CIDRs of an NLB's zone vSwitches: the addresses it connects to backends from when it does
    not keep the client's. Read only for the packet view; unreadable ones are left out."""
    cidrs = []
    for zone in item.get("ZoneMappings") or []:
        vswitch = zone.get("VSwitchId")
        if not vswitch:
            continue
        query = {"RegionId": sources.settings.region, "VSwitchId": vswitch}
        try:
            body = sources.cloud.call("vpc", "DescribeVSwitchAttributes", query)
        except SourceError:
            continue
        if body.get("CidrBlock"):
            cidrs.append(str(body["CidrBlock"]))
    return cidrs


def _no_listener(result: LoadBalancerResult, region: str) -> None:
    api = result.api
    ports = ", ".join(li.ports for li in result.listeners) or "none"
    message = (
        f"{result.load_balancer_name} has no listener on port {result.client.port} (it listens on {ports})."
    )
    evidence = (
        cloud_evidence(
            api.product, api.listeners, "Listeners[].ListenerPort", [li.ports for li in result.listeners]
        ),
    )
    check = api.check(api.listeners_command, region=region, lb=result.load_balancer_id)
    result.findings.append(
        Finding("LB_NO_LISTENER_FOR_PORT", Severity.ERROR, result.hop_id, message, evidence, check)
    )
    result.dead_end = message


def _not_found(result: LoadBalancerResult, sources: Sources, dns: DnsResult) -> None:
    """No CLB or NLB owns the address. When the Alidns record names another address that one
    does own, the resolvers' answer is the culprit, and the DNS hop is drawn blocked."""
    region = sources.settings.region
    hop_id = f"ip:{result.address}"
    message = (
        f"No load balancer in region {region} owns {result.address} "
        f"(looked up with slb:DescribeLoadBalancers Address={result.address} and among the NLBs' zone "
        f"addresses in the {sources.description})."
    )
    result.hops.append(Hop(hop_id, "lb", f"{result.address}\n(no load balancer)", verdict=Verdict.BLOCKED))
    result.edges.append(Edge(f"dns:{result.domain}", hop_id, f"A {result.address}"))
    check = f"aliyun slb DescribeLoadBalancers --RegionId {sh(region)} --Address {sh(result.address)}"
    evidence = (
        cloud_evidence(
            "slb", "DescribeLoadBalancers", f"Address={result.address} LoadBalancers.LoadBalancer", []
        ),
        *(e for e in dns.evidence if e.source == "dns resolver"),
    )
    result.findings.append(Finding("LB_NOT_FOUND_FOR_IP", Severity.ERROR, hop_id, message, evidence, check))
    result.dead_end = message
    configured = [
        r.get("Value", "")
        for r in dns.cloud_records
        if r.get("Type") == "A"
        and r.get("Value") not in dns.addresses
        and str(r.get("Status", "ENABLE")).upper() == "ENABLE"
    ]
    for address in configured:
        name = _owner(sources, address)
        if name:
            result.dead_end = (
                f"resolvers answer {result.address} for {result.domain}, which no load balancer owns, "
                f"while the Alidns record says {address} ({name}): resolvers serve an outdated answer"
            )
            stale = next((h for h in dns.hops if h.id == f"dns:{dns.domain}"), None)
            if stale is not None:
                result.hops.insert(0, replace(stale, verdict=Verdict.BLOCKED))
            return


def _owner(sources: Sources, address: str) -> str:
    """The name of the CLB or NLB that owns ``address``, or "" when none does (or none can be read)."""
    try:
        owners = _find(sources, address)
        if not owners:
            found = find_nlb(sources, address, [])
            owners = [found[0]] if found else []
    except SourceError:
        return ""
    return str(owners[0].get("LoadBalancerName") or owners[0]["LoadBalancerId"]) if owners else ""


def _unknown(result: LoadBalancerResult, hop_id: str, error: SourceError, what: str) -> None:
    """Mark ``hop_id`` unknown (adding it when no earlier read drew it) and say what could not be read."""
    seen = next((h for h in result.hops if h.id == hop_id), None)
    if seen is None:
        result.edges.append(Edge(f"dns:{result.domain}", hop_id, f"A {result.address}"))
    result.hops = [h for h in result.hops if h.id != hop_id]
    label = seen.label if seen else result.address
    result.hops.append(Hop(hop_id, "lb", label, verdict=Verdict.UNKNOWN))
    result.findings.append(source_finding(error, hop_id, what))
    result.dead_end = f"could not read {what}"
