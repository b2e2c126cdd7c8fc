"""Step 2, 查看公网 IP 对应的 SLB (IP → load balancer): which CLB owns the address,
its listeners, the ACL in front of them, the server group behind the client's port,
and the health of each backend.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ackwb.errors import SourceError
from ackwb.model import Client, Edge, Finding, Hop, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import MAX_PAGES, cloud_evidence, cloud_items, details, dig, source_finding
from ackwb.steps.dns import DnsResult

TITLE = "2. IP → load balancer (查看公网 IP 对应的 SLB)"
ACL_PAGE_SIZE = 50  # the largest page DescribeAccessControlListAttribute serves


@dataclass(frozen=True)
class AclEntry:
    cidr: str
    comment: str


@dataclass(frozen=True)
class Listener:
    port: int
    protocol: str
    status: str
    server_group_id: str
    acl_status: str = "off"
    acl_type: str = ""
    acl_id: str = ""
    acl_entries: tuple[AclEntry, ...] = ()

    @property
    def acl_on(self) -> bool:
        return self.acl_status == "on"


@dataclass(frozen=True)
class Backend:
    server_id: str
    server_ip: str
    port: int
    type: str
    weight: int
    health: str = "unknown"


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
    region = sources.settings.region
    try:
        found = cloud_items(
            sources,
            "slb",
            "DescribeLoadBalancers",
            {"RegionId": region, "Address": result.address},
            "LoadBalancers",
            "LoadBalancer",
        )
    except SourceError as error:
        return _unknown(
            result, f"ip:{result.address}", error, f"the load balancer that owns {result.address}"
        )
    if not found:
        return _not_found(result, sources)
    lb = found[0]
    result.load_balancer_id, result.load_balancer_name = lb["LoadBalancerId"], lb.get("LoadBalancerName", "")
    result.evidence.append(
        cloud_evidence("slb", "DescribeLoadBalancers", "LoadBalancers.LoadBalancer[0]", lb)
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
        result.listeners = _listeners(sources, result.load_balancer_id)
    except SourceError as error:
        return _unknown(result, result.hop_id, error, f"the listeners of {result.load_balancer_id}")
    result.listener = next((li for li in result.listeners if li.port == client.port), None)
    for listener in result.listeners:
        _add_listener(result, listener, region)
    if result.listener is None:
        return _no_listener(result)
    if result.listener.status != "running" or any(f.code == "LB_ACL_DENIES_CLIENT" for f in result.findings):
        result.dead_end = f"listener {client.port} of {result.load_balancer_name} does not let the request in"
    try:
        result.backends = _backends(sources, result.load_balancer_id, result.listener)
    except SourceError as error:
        return _unknown(result, result.hop_id, error, f"the server group {result.listener.server_group_id}")
    _add_backends(result)
    return result


def _listeners(sources: Sources, lb_id: str) -> list[Listener]:
    region = sources.settings.region
    raw = cloud_items(
        sources,
        "slb",
        "DescribeLoadBalancerListeners",
        {"RegionId": region, "LoadBalancerId.1": lb_id},
        "Listeners",
    )
    listeners = []
    for item in sorted(raw, key=lambda li: int(li["ListenerPort"])):
        entries: tuple[AclEntry, ...] = ()
        if item.get("AclStatus") == "on" and item.get("AclId"):
            entries = _acl_entries(sources, item["AclId"])
        listeners.append(
            Listener(
                port=int(item["ListenerPort"]),
                protocol=str(item.get("ListenerProtocol", "")).upper(),
                status=item.get("Status", ""),
                server_group_id=item.get("VServerGroupId", ""),
                acl_status=item.get("AclStatus", "off"),
                acl_type=item.get("AclType", ""),
                acl_id=item.get("AclId", ""),
                acl_entries=entries,
            )
        )
    return listeners


def _acl_entries(sources: Sources, acl_id: str) -> tuple[AclEntry, ...]:
    """Every entry of an ACL; this action pages with ``Page`` and returns no page number."""
    entries: list[AclEntry] = []
    for page in range(1, MAX_PAGES + 1):
        params = {
            "RegionId": sources.settings.region,
            "AclId": acl_id,
            "Page": page,
            "PageSize": ACL_PAGE_SIZE,
        }
        body = sources.cloud.call("slb", "DescribeAccessControlListAttribute", params)
        batch = dig(body, "AclEntrys", "AclEntry") or []
        entries += [AclEntry(e["AclEntryIP"], e.get("AclEntryComment", "")) for e in batch]
        if len(batch) < ACL_PAGE_SIZE:
            break
    return tuple(entries)


def _backends(sources: Sources, lb_id: str, listener: Listener) -> list[Backend]:
    region = sources.settings.region
    group = sources.cloud.call(
        "slb",
        "DescribeVServerGroupAttribute",
        {"RegionId": region, "VServerGroupId": listener.server_group_id},
    )
    health_items = cloud_items(
        sources,
        "slb",
        "DescribeHealthStatus",
        {"RegionId": region, "LoadBalancerId": lb_id, "ListenerPort": listener.port},
        "BackendServers",
        "BackendServer",
    )
    health = {
        (h.get("ServerId"), int(h.get("Port", 0))): h.get("ServerHealthStatus", "unknown")
        for h in health_items
    }
    return [
        Backend(
            server_id=b["ServerId"],
            server_ip=b.get("ServerIp", ""),
            port=int(b["Port"]),
            type=b.get("Type", "ecs"),
            weight=int(b.get("Weight", 100)),
            health=health.get((b["ServerId"], int(b["Port"])), "unknown"),
        )
        for b in dig(group, "BackendServers", "BackendServer") or []
    ]


def acl_decision(listener: Listener, client_ip: str) -> tuple[bool, AclEntry | None]:
    """Whether the listener's ACL lets ``client_ip`` in, and the entry that decides."""
    address = ipaddress.ip_address(client_ip)
    match = next(
        (e for e in listener.acl_entries if address in ipaddress.ip_network(e.cidr, strict=False)), None
    )
    if not listener.acl_on or not listener.acl_entries:
        return True, None  # an empty white or black list lets everything through
    if listener.acl_type == "white":
        return match is not None, match
    return match is None, match


def _add_listener(result: LoadBalancerResult, li: Listener, region: str) -> None:
    hop_id = f"listener:{result.load_balancer_id}:{li.port}"
    entries = "; ".join(f"{e.cidr} ({e.comment})" if e.comment else e.cidr for e in li.acl_entries)
    acl = f"{li.acl_type}list {li.acl_id}: {entries}" if li.acl_on else "off"
    verdict = Verdict.OK if li.status == "running" else Verdict.BLOCKED
    if li is result.listener and li.acl_on:
        allowed = _acl_finding(result, li, hop_id, region)
        verdict = verdict if allowed else Verdict.BLOCKED
    if li is result.listener and li.status != "running":
        result.findings.append(
            Finding(
                "LB_LISTENER_STOPPED",
                Severity.ERROR,
                hop_id,
                f"Listener {li.port} of {result.load_balancer_name} is {li.status}, not running.",
                (
                    cloud_evidence(
                        "slb", "DescribeLoadBalancerListeners", f"Listeners[port={li.port}].Status", li.status
                    ),
                ),
            )
        )
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


def _acl_finding(result: LoadBalancerResult, li: Listener, hop_id: str, region: str) -> bool:
    """Add the ACL finding for the client's listener; returns whether the client gets in."""
    entries = "; ".join(f"{e.cidr} ({e.comment})" if e.comment else e.cidr for e in li.acl_entries)
    evidence = (
        cloud_evidence(
            "slb",
            "DescribeAccessControlListAttribute",
            f"AclId={li.acl_id} AclEntrys.AclEntry",
            [e.cidr for e in li.acl_entries],
        ),
    )
    check = f"aliyun slb DescribeAccessControlListAttribute --RegionId {region} --AclId {li.acl_id}"
    client_ip = result.client.ip
    if client_ip is None:
        kind = "only these sources get in" if li.acl_type == "white" else "these sources are refused"
        result.findings.append(
            Finding(
                "LB_ACL_LIMITS_SOURCES",
                Severity.INFO,
                hop_id,
                f"Listener {li.port} has a {li.acl_type}list ACL {li.acl_id}; {kind}: {entries}. "
                "Give a client IP to get a verdict.",
                evidence,
                check,
            )
        )
        return True
    allowed, entry = acl_decision(li, client_ip)
    decided_by = f"entry {entry.cidr} ({entry.comment})" if entry else f"it matches none of {entries}"
    if allowed:
        result.findings.append(
            Finding(
                "LB_ACL_ALLOWS_CLIENT",
                Severity.INFO,
                hop_id,
                f"Client {client_ip} may use listener {li.port}: {decided_by}.",
                evidence,
                check,
            )
        )
    else:
        result.findings.append(
            Finding(
                "LB_ACL_DENIES_CLIENT",
                Severity.ERROR,
                hop_id,
                f"The {li.acl_type}list ACL {li.acl_id} on listener {li.port} refuses client {client_ip}: "
                f"{decided_by}.",
                evidence,
                check,
            )
        )
    return allowed


def _add_backends(result: LoadBalancerResult) -> None:
    listener = result.listener
    assert listener is not None
    listener_hop = f"listener:{result.load_balancer_id}:{listener.port}"
    for b in result.backends:
        hop_id = f"backend:{b.server_ip}:{b.port}"
        verdict = Verdict.BLOCKED if b.health == "abnormal" else Verdict.OK
        result.hops.append(
            Hop(
                hop_id,
                "backend",
                f"backend {b.server_ip}:{b.port}\n{b.type} {b.server_id}",
                verdict=verdict,
                details=details(type=b.type, id=b.server_id, weight=b.weight, health=b.health),
            )
        )
        result.edges.append(Edge(listener_hop, hop_id, listener.server_group_id))
    group = listener.server_group_id
    if not result.backends:
        result.dead_end = f"server group {group} has no backend"
        result.findings.append(
            Finding(
                "LB_SERVER_GROUP_EMPTY",
                Severity.ERROR,
                listener_hop,
                f"Server group {group} of listener {listener.port} has no backend: the load balancer has "
                "nowhere to send the request.",
            )
        )
    elif all(b.health == "abnormal" for b in result.backends):
        result.dead_end = f"every backend of {group} is unhealthy"
        result.findings.append(
            Finding(
                "LB_BACKENDS_UNHEALTHY",
                Severity.ERROR,
                listener_hop,
                f"Every backend of {group} fails its health check, "
                f"so listener {listener.port} drops requests.",
            )
        )


def _no_listener(result: LoadBalancerResult) -> LoadBalancerResult:
    ports = ", ".join(str(li.port) for li in result.listeners) or "none"
    message = (
        f"{result.load_balancer_name} has no listener on port {result.client.port} (it listens on {ports})."
    )
    result.findings.append(Finding("LB_NO_LISTENER_FOR_PORT", Severity.ERROR, result.hop_id, message))
    result.dead_end = message
    return result


def _not_found(result: LoadBalancerResult, sources: Sources) -> LoadBalancerResult:
    region = sources.settings.region
    hop_id = f"ip:{result.address}"
    message = (
        f"No load balancer in region {region} owns {result.address} "
        "(looked up with slb:DescribeLoadBalancers "
        f"Address={result.address} in the {sources.description})."
    )
    result.hops.append(Hop(hop_id, "lb", f"{result.address}\n(no load balancer)", verdict=Verdict.BLOCKED))
    result.edges.append(Edge(f"dns:{result.domain}", hop_id, f"A {result.address}"))
    result.findings.append(
        Finding(
            "LB_NOT_FOUND_FOR_IP",
            Severity.ERROR,
            hop_id,
            message,
            check=f"aliyun slb DescribeLoadBalancers --RegionId {region} --Address {result.address}",
        )
    )
    result.dead_end = message
    return result


def _unknown(result: LoadBalancerResult, hop_id: str, error: SourceError, what: str) -> LoadBalancerResult:
    """Mark ``hop_id`` unknown (adding it when no earlier read drew it) and say what could not be read."""
    seen = next((h for h in result.hops if h.id == hop_id), None)
    if seen is None:
        result.edges.append(Edge(f"dns:{result.domain}", hop_id, f"A {result.address}"))
    result.hops = [h for h in result.hops if h.id != hop_id]
    label = seen.label if seen else result.address
    result.hops.append(Hop(hop_id, "lb", label, verdict=Verdict.UNKNOWN))
    result.findings.append(source_finding(error, hop_id, what))
    result.dead_end = f"could not read {what}"
    return result
