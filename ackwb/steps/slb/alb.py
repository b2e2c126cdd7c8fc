"""Branch of step 2 for an ALB: the instance a domain's CNAME (or an address of one of its zones)
leads to, its listeners, and the ACL of the listener the client's port reaches.

An ALB is reached through a CNAME to its ``DNSName`` (reference 3.3); ``ListLoadBalancers`` has
no address filter, so an A record is matched against the zone addresses that
``GetLoadBalancerAttribute`` lists. Which product answers is decided by what the cloud says
owns the name or the address, never by a flag: the load-balancer step tries CLB, then NLB, then
this branch. The forwarding rules behind the listener are the next hop (``ackwb.steps.alb_path``):
an ALB has no single server group per listener, and no controller Pod on the data path.
ALB listeners (HTTP, HTTPS, QUIC) are layer 7: the ALB ends the client's connection and opens
its own to the backends from addresses in its zones' vSwitches, the client in X-Forwarded-For.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Severity, Verdict
from ackwb.parse.alb_rules import AlbListener, read_listener
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, sh
from ackwb.steps.slb.records import AclEntry, LbApi
from ackwb.steps.slb.result import LoadBalancerResult

PAGE = 100
ALB = LbApi(
    kind="ALB",
    product="alb",
    listeners="ListListeners",
    group="ListServerGroupServers",
    group_locator="ServerGroupId={group} Servers",
    health="GetListenerHealthStatus",
    health_locator="ListenerId={listener} ListenerHealthStatus[].ServerGroupInfos",
    listeners_command="aliyun alb ListListeners --region {region} --LoadBalancerIds.1 {lb}",
    group_command="aliyun alb ListServerGroupServers --region {region} --ServerGroupId {group}",
    health_command="aliyun alb GetListenerHealthStatus --region {region} --ListenerId {listener}",
)


@dataclass
class AlbFront:
    """What the ALB branch read: the instance, its zone addresses and the client's listener."""

    item: dict[str, Any]
    zones: tuple[tuple[str, str], ...] = ()  # (zone, address)
    listeners: list[AlbListener] = field(default_factory=list)
    listener: AlbListener | None = None
    certificates: tuple[str, ...] = ()
    acl: tuple[str, str, tuple[AclEntry, ...]] | None = None  # (type, ACL ID, entries)
    region: str = ""

    @property
    def dns_name(self) -> str:
        return str(self.item.get("DNSName", ""))

    @property
    def name(self) -> str:
        return str(self.item.get("LoadBalancerName") or self.item.get("LoadBalancerId", ""))

    @property
    def vswitches(self) -> tuple[str, ...]:
        """The vSwitch of each zone: the ALB connects to its backends from addresses in them."""
        return tuple(str(z["VSwitchId"]) for z in self.item.get("ZoneMappings") or [] if z.get("VSwitchId"))

    @property
    def albconfig(self) -> str:
        """The AlbConfig the ALB Ingress controller made this instance for (its tag), "" when none."""
        tags = {t.get("Key"): t.get("Value") for t in self.item.get("Tags") or [] if isinstance(t, dict)}
        return str(tags.get("ingress.k8s.alibaba/albconfig") or "")


def _name(text: str) -> str:
    return text.strip().lower().rstrip(".")


def _attribute(sources: Sources, lb_id: str) -> dict[str, Any]:
    query = {"LoadBalancerId": lb_id}
    return sources.cloud.call("alb", "GetLoadBalancerAttribute", query)


def zone_addresses(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(zone, address) of every public and intranet address of an ALB's zones."""
    found = []
    for zone in body.get("ZoneMappings") or []:
        for entry in zone.get("LoadBalancerAddresses") or []:
            for key in ("Address", "IntranetAddress"):
                if entry.get(key):
                    found.append((str(zone.get("ZoneId", "")), str(entry[key])))
    return found


def find_alb(sources: Sources, address: str, cname_targets: list[str]) -> tuple[AlbFront, Evidence] | None:
    """The ALB whose DNSName a CNAME names, or that holds ``address`` in a zone; None when none does.
    Raises ``SourceError`` when the ALBs cannot be listed."""
    for target in cname_targets:
        query = {"DNSName": _name(target), "MaxResults": PAGE}
        for item in cloud_items(sources, "alb", "ListLoadBalancers", query, "LoadBalancers"):
            if _name(str(item.get("DNSName", ""))) == _name(target):
                body = {**item, **_attribute(sources, str(item["LoadBalancerId"]))}
                evidence = cloud_evidence("alb", "ListLoadBalancers", f"DNSName={_name(target)}", target)
                return AlbFront(body, tuple(zone_addresses(body))), evidence
    listed = cloud_items(sources, "alb", "ListLoadBalancers", {"MaxResults": PAGE},
                         "LoadBalancers")  # fmt: skip
    for item in listed:
        body = {**item, **_attribute(sources, str(item["LoadBalancerId"]))}
        zones = zone_addresses(body)
        if any(a == address for _, a in zones):
            locator = f"LoadBalancerId={item['LoadBalancerId']} ZoneMappings[].LoadBalancerAddresses"
            return AlbFront(body, tuple(zones)), cloud_evidence(
                "alb", "GetLoadBalancerAttribute", locator, address
            )
    return None


def follow(sources: Sources, result: LoadBalancerResult, front: AlbFront, evidence: Evidence) -> None:
    """Draw the ALB and its listeners; read the client's listener's certificates and ACL."""
    item, region = front.item, sources.settings.region
    result.api, result.alb, front.region = ALB, front, region
    result.load_balancer_id = str(item["LoadBalancerId"])
    result.load_balancer_name = str(item.get("LoadBalancerName", ""))
    result.security_group_ids = [str(g) for g in item.get("SecurityGroupIds") or []]
    result.preserves_client_ip = False  # layer 7: the ALB opens its own connection
    result.evidence.append(evidence)
    zones = ", ".join(f"{z} {a}" for z, a in front.zones)
    result.hops.append(Hop(
        result.hop_id, "lb", f"{result.load_balancer_name or result.load_balancer_id}\n{result.address}",
        details=details(id=result.load_balancer_id, product="ALB", type=item.get("AddressType"),
                        dns_name=front.dns_name, zones=zones, albconfig=front.albconfig,
                        security_groups=", ".join(result.security_group_ids) or "none"),
        arrives=Packet(f"{result.client_text}:*", f"{result.address}:{result.client.port}"),
    ))  # fmt: skip
    result.edges.append(Edge(f"dns:{result.domain}", result.hop_id, f"CNAME {front.dns_name}"))
    query = {"LoadBalancerIds": [result.load_balancer_id], "MaxResults": PAGE}
    raw = cloud_items(sources, "alb", "ListListeners", query, "Listeners")
    front.listeners = [read_listener(li, f"Listeners[{i}]") for i, li in enumerate(raw)]
    front.listener = next((li for li in front.listeners if li.port == result.client.port), None)
    if front.listener is not None:
        _read_attribute(sources, front)
    for listener in front.listeners:
        _draw_listener(result, front, listener)
    if front.listener is None:
        ports = ", ".join(str(li.port) for li in front.listeners) or "none"
        message = (
            f"{result.load_balancer_name} has no listener on port {result.client.port} "
            f"(it listens on {ports})."
        )
        check = ALB.check(ALB.listeners_command, region=region, lb=result.load_balancer_id)
        found = cloud_evidence(
            "alb", "ListListeners", "Listeners[].ListenerPort", [li.port for li in front.listeners]
        )
        result.findings.append(Finding("LB_NO_LISTENER_FOR_PORT", Severity.ERROR, result.hop_id, message,
                                       (found,), check))  # fmt: skip
        result.dead_end = message


def _read_attribute(sources: Sources, front: AlbFront) -> None:
    """The chosen listener's certificates and ACL (``GetListenerAttribute``, ``ListAclEntries``)."""
    listener = front.listener
    assert listener is not None
    query = {"ListenerId": listener.listener_id}
    body = sources.cloud.call("alb", "GetListenerAttribute", query)
    front.certificates = tuple(str(c.get("CertificateId")) for c in body.get("Certificates") or [])
    acl = body.get("AclConfig") or {}
    relation = next((r for r in acl.get("AclRelations") or [] if r.get("Status") == "Associated"), None)
    if relation:
        acl_id = str(relation["AclId"])
        entries = cloud_items(sources, "alb", "ListAclEntries",
                              {"AclId": acl_id, "MaxResults": PAGE},
                              "AclEntries")  # fmt: skip
        read = tuple(AclEntry(str(e.get("Entry")), str(e.get("Description") or "")) for e in entries)
        front.acl = (str(acl.get("AclType", "White")), acl_id, read)


def _draw_listener(result: LoadBalancerResult, front: AlbFront, listener: AlbListener) -> None:
    chosen = listener is front.listener
    hop_id = f"listener:{result.load_balancer_id}:{listener.port}"
    verdict = Verdict.OK if listener.status in ("Running", "Configuring") else Verdict.BLOCKED
    acl = ""
    if chosen and front.acl is not None:
        kind, acl_id, entries = front.acl
        acl = f"{kind.lower()}list {acl_id}: {'; '.join(str(e) for e in entries)}"
        verdict = _acl_verdict(result, front, hop_id) if verdict is Verdict.OK else verdict
    tls = (
        f"terminates TLS (certificates {', '.join(front.certificates)})"
        if chosen and front.certificates
        else ""
    )
    rewrite = ("TLS ends here; " if tls else "") + (
        "a new connection from the ALB's addresses in its vSwitches; the client's address travels in "
        "X-Forwarded-For"
    )
    result.hops.append(Hop(
        hop_id, "listener", f"listener {listener.protocol} {listener.port}", verdict=verdict,
        details=details(id=listener.listener_id, status=listener.status, tls=tls, acl=acl),
        arrives=Packet(f"{result.client_text}:*", f"{result.address}:{listener.port}") if chosen else None,
        rewrite=rewrite if chosen else "",
    ))  # fmt: skip
    result.edges.append(Edge(result.hop_id, hop_id, f"port {listener.port}"))
    result.rows.append({
        "load balancer": result.load_balancer_name, "address": result.address,
        "listener": f"{listener.protocol} {listener.port}", "status": listener.status,
        "listener id": listener.listener_id, "acl": acl,
        "tls": ", ".join(front.certificates) if chosen else "",
    })  # fmt: skip


def _acl_verdict(result: LoadBalancerResult, front: AlbFront, hop_id: str) -> Verdict:
    """A whitelist or blacklist on the listener, decided for the client (depends without one)."""
    assert front.acl is not None
    kind, acl_id, entries = front.acl
    client = result.client.ip
    if client is None:
        return Verdict.DEPENDS
    address = ipaddress.ip_address(client)
    hit = next((e for e in entries if address in ipaddress.ip_network(e.cidr, strict=False)), None)
    allowed = (hit is not None) if kind.lower() == "white" else hit is None
    if allowed:
        return Verdict.OK
    message = f"The {kind.lower()}list {acl_id} of ALB listener {hop_id.rsplit(':', 1)[-1]} refuses {client}."
    check = f"aliyun alb ListAclEntries --region {sh(front.region)} --AclId {sh(acl_id)}"
    entries_text = [f"{e.cidr} {e.comment}".strip() for e in entries]
    evidence = (cloud_evidence("alb", "ListAclEntries", f"AclId={acl_id}", entries_text),)
    result.findings.append(Finding("LB_ACL_DENIES_CLIENT", Severity.ERROR, hop_id, message, evidence, check))
    result.dead_end = message
    return Verdict.BLOCKED
