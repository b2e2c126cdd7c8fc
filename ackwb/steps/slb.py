"""Step 2, 查看公网 IP 对应的 SLB (IP → load balancer): which CLB owns the address,
its listeners, the ACL in front of them, the server group behind the client's port,
and the health of each backend.

The API reads live in ``slb_records``, the judgements (ACL, health, NodePort) in
``slb_checks``; this module chains them and draws the hops.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ackwb.errors import SourceError
from ackwb.model import Client, Edge, Finding, Hop, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, settle_verdicts, source_finding
from ackwb.steps.dns import DnsResult
from ackwb.steps.slb_checks import acl_decision, acl_finding, add_backends, check_node_ports, listener_stopped
from ackwb.steps.slb_records import AclEntry, Backend, Listener, read_backends, read_listeners

TITLE = "2. IP → load balancer (查看公网 IP 对应的 SLB)"

__all__ = ["AclEntry", "Backend", "Listener", "LoadBalancerResult", "acl_decision", "slb"]


@dataclass(kw_only=True)
class LoadBalancerResult(StepResult):
    client: Client = field(default_factory=Client)
    address: str = ""
    load_balancer_id: str = ""
    load_balancer_name: str = ""
    listeners: list[Listener] = field(default_factory=list)
    listener: Listener | None = None  # the one the client's port reaches
    backends: list[Backend] = field(default_factory=list)

    @property
    def hop_id(self) -> str:
        return f"lb:{self.load_balancer_id}"


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


def _follow(sources: Sources, result: LoadBalancerResult, dns: DnsResult) -> None:
    region, client = sources.settings.region, result.client
    try:
        found = _find(sources, result.address)
    except SourceError as error:
        _unknown(result, f"ip:{result.address}", error, f"the load balancer that owns {result.address}")
        return
    if not found:
        _not_found(result, sources, dns)
        return
    lb = found[0]
    result.load_balancer_id, result.load_balancer_name = lb["LoadBalancerId"], lb.get("LoadBalancerName", "")
    result.evidence.append(
        cloud_evidence(
            "slb", "DescribeLoadBalancers", f"Address={result.address} LoadBalancers.LoadBalancer[0]", lb
        )
    )
    result.hops.append(
        Hop(
            result.hop_id,
            "lb",
            f"{result.load_balancer_name or result.load_balancer_id}\n{result.address}",
            details=details(id=result.load_balancer_id, type=lb.get("AddressType")),
        )
    )
    result.edges.append(Edge(f"dns:{dns.domain}", result.hop_id, f"A {result.address}"))
    try:
        result.listeners = read_listeners(sources, result.load_balancer_id)
    except SourceError as error:
        _unknown(result, result.hop_id, error, f"the listeners of {result.load_balancer_id}")
        return
    result.listener = next((li for li in result.listeners if li.port == client.port), None)
    for listener in result.listeners:
        _add_listener(result, listener, region)
    if result.listener is None:
        _no_listener(result, region)
        return
    try:
        result.backends, raw, health = read_backends(sources, result.load_balancer_id, result.listener)
    except SourceError as error:
        _unknown(result, result.hop_id, error, f"the server group {result.listener.server_group_id}")
        return
    check_node_ports(sources, result, raw)
    add_backends(result, region, raw, health)


def _add_listener(result: LoadBalancerResult, li: Listener, region: str) -> None:
    hop_id = f"listener:{result.load_balancer_id}:{li.port}"
    entries = "; ".join(str(e) for e in li.acl_entries)
    acl = f"{li.acl_type}list {li.acl_id}: {entries}" if li.acl_on else "off"
    verdict = Verdict.OK if li.status == "running" else Verdict.BLOCKED
    if li is result.listener:
        result.evidence.append(
            cloud_evidence(
                "slb", "DescribeLoadBalancerListeners", f"Listeners[ListenerPort={li.port}]", li.summary
            )
        )
        if li.acl_on and not acl_finding(result, li, hop_id, region):
            verdict = Verdict.BLOCKED
        if li.status != "running":
            listener_stopped(result, li, hop_id, region)
    result.hops.append(
        Hop(
            hop_id,
            "listener",
            f"listener {li.protocol} {li.port}",
            verdict=verdict,
            details=details(status=li.status, server_group=li.server_group_id, acl=acl),
        )
    )
    result.edges.append(Edge(result.hop_id, hop_id, f"port {li.port}"))
    for entry in li.acl_entries or (None,):
        result.rows.append(
            {
                "load balancer": result.load_balancer_name,
                "address": result.address,
                "listener": f"{li.protocol} {li.port}",
                "status": li.status,
                "server group": li.server_group_id,
                "acl": f"{li.acl_type}list {li.acl_id}" if li.acl_on else "off",
                "acl entry": f"{entry.cidr} {entry.comment}".strip() if entry else "",
            }
        )


def _no_listener(result: LoadBalancerResult, region: str) -> None:
    ports = ", ".join(str(li.port) for li in result.listeners) or "none"
    message = (
        f"{result.load_balancer_name} has no listener on port {result.client.port} (it listens on {ports})."
    )
    evidence = (
        cloud_evidence(
            "slb",
            "DescribeLoadBalancerListeners",
            "Listeners[].ListenerPort",
            [li.port for li in result.listeners],
        ),
    )
    check = f"aliyun slb DescribeLoadBalancerListeners --RegionId {region} --LoadBalancerId.1 "
    check += result.load_balancer_id
    result.findings.append(
        Finding("LB_NO_LISTENER_FOR_PORT", Severity.ERROR, result.hop_id, message, evidence, check)
    )
    result.dead_end = message


def _not_found(result: LoadBalancerResult, sources: Sources, dns: DnsResult) -> None:
    """No CLB owns the address. When the Alidns record names another address that one does
    own, the resolvers' answer is the culprit, and the DNS hop is drawn blocked."""
    region = sources.settings.region
    hop_id = f"ip:{result.address}"
    message = (
        f"No load balancer in region {region} owns {result.address} "
        f"(looked up with slb:DescribeLoadBalancers Address={result.address} in the {sources.description})."
    )
    result.hops.append(Hop(hop_id, "lb", f"{result.address}\n(no load balancer)", verdict=Verdict.BLOCKED))
    result.edges.append(Edge(f"dns:{result.domain}", hop_id, f"A {result.address}"))
    check = f"aliyun slb DescribeLoadBalancers --RegionId {region} --Address {result.address}"
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
        try:
            owner = _find(sources, address)
        except SourceError:
            owner = []
        if owner:
            name = owner[0].get("LoadBalancerName") or owner[0]["LoadBalancerId"]
            result.dead_end = (
                f"resolvers answer {result.address} for {result.domain}, which no load balancer owns, "
                f"while the Alidns record says {address} ({name}): resolvers serve an outdated answer"
            )
            stale = next((h for h in dns.hops if h.id == f"dns:{dns.domain}"), None)
            if stale is not None:
                result.hops.insert(0, replace(stale, verdict=Verdict.BLOCKED))
            return


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
