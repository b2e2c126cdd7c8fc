"""What the NLB API says about the load balancer behind an address, read into the records the
SLB step already judges for a CLB (``Listener``, ``Backend``).

Since 2025-08-28 an NGINX Ingress installed from the ACK console sits behind an NLB, not a
CLB. NLB ``ListLoadBalancers`` has no address filter, so the NLB that owns an address is
found by the cheapest read that can name it, most targeted first:

1. the name's CNAME target, when DNS aliases the domain to the NLB's ``DNSName``
   (``ListLoadBalancers`` filters on ``DNSName``);
2. the EIP: VPC ``DescribeEipAddresses(EipAddress=…)`` says which instance the address is
   bound to. The ``InstanceType`` an NLB's EIP reports is UNCONFIRMED (the reference lists
   EcsInstance, SlbInstance, Nat, HaVip, NetworkInterface, IpAddress), so an ``InstanceId``
   that is an NLB ID (``nlb-…``) is what counts, and the NLB must list the address;
3. every NLB of the region, paged, matching the address against each zone mapping's
   ``PublicIPv4Address`` and ``PrivateIPv4Address`` on the client side.

Health comes from ``GetListenerHealthStatus``, which lists only the servers that are not
healthy (``NonNormalServers``, Status Initial | Unhealthy | Unavailable); the others are
healthy. Statuses are spelled as the CLB spells them so the checks read both alike.
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Evidence
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, dig
from ackwb.steps.slb.records import Backend, Listener, health_by_backend

PAGE = 100  # the largest page of the NLB list actions
HEALTH = {  # → the CLB's words; Unused: the server's weight is 0 (it takes no traffic, it is not unhealthy)
    "unhealthy": "abnormal", "unavailable": "unavailable", "initial": "unavailable", "unused": "unused",
}  # fmt: skip
RUNNING = {"running", "configuring", "provisioning"}  # the last two while CCM reconciles: not stopped


def _name(value: str) -> str:
    return value.strip().lower().rstrip(".")


def nlb_addresses(item: dict[str, Any]) -> list[str]:
    """The IPv4 addresses (public and private) of every zone mapping of an NLB."""
    found = []
    for zone in item.get("ZoneMappings") or []:
        for address in zone.get("LoadBalancerAddresses") or []:
            found += [address.get(k) for k in ("PublicIPv4Address", "PrivateIPv4Address") if address.get(k)]
    return found


def _list(sources: Sources, **filters: Any) -> list[dict[str, Any]]:
    params = {"RegionId": sources.settings.region, "MaxResults": PAGE, **filters}
    return cloud_items(sources, "nlb", "ListLoadBalancers", params, "LoadBalancers")


def _by_eip(sources: Sources, address: str) -> tuple[dict[str, Any], Evidence] | None:
    """The NLB the address is bound to as an EIP; None when it is no NLB's EIP or the read fails."""
    query = {"RegionId": sources.settings.region, "EipAddress": address}
    try:
        eips = cloud_items(sources, "vpc", "DescribeEipAddresses", query, "EipAddresses", "EipAddress")
    except SourceError:  # vpc:DescribeEipAddresses not granted: the scan below still finds it
        return None
    for eip in eips:
        instance = str(eip.get("InstanceId") or "")
        if not instance.startswith("nlb-"):
            continue
        for item in _list(sources, LoadBalancerIds=[instance]):
            allocations = {a.get("AllocationId") for z in item.get("ZoneMappings") or []
                           for a in z.get("LoadBalancerAddresses") or []}  # fmt: skip
            if address in nlb_addresses(item) or eip.get("AllocationId") in allocations:
                fields = {k: eip.get(k) for k in ("IpAddress", "AllocationId", "InstanceType", "InstanceId")}
                return item, cloud_evidence("vpc", "DescribeEipAddresses", f"EipAddress={address}", fields)
    return None


def find_nlb(
    sources: Sources, address: str, cname_targets: list[str]
) -> tuple[dict[str, Any], list[Evidence]] | None:
    """The NLB that owns ``address`` (or whose DNSName a CNAME names), with how it was found.

    Raises ``SourceError`` when the NLBs cannot be listed.
    """
    for target in cname_targets:
        for item in _list(sources, DNSName=_name(target)):
            if _name(str(item.get("DNSName", ""))) == _name(target):
                return item, [cloud_evidence("nlb", "ListLoadBalancers", f"DNSName={_name(target)}", target)]
    bound = _by_eip(sources, address)
    if bound is not None:
        item, eip_evidence = bound
        return item, [eip_evidence, _address_evidence(item, address)]
    for item in _list(sources):
        if address in nlb_addresses(item):
            return item, [_address_evidence(item, address)]
    return None


def _address_evidence(item: dict[str, Any], address: str) -> Evidence:
    zone = next(
        (z for z in item.get("ZoneMappings") or [] if address in nlb_addresses({"ZoneMappings": [z]})), {}
    )
    return cloud_evidence(
        "nlb",
        "ListLoadBalancers",
        f"LoadBalancerId={item.get('LoadBalancerId')} ZoneMappings[ZoneId={zone.get('ZoneId')}]",
        zone.get("LoadBalancerAddresses") or [],
    )


def read_nlb_listeners(sources: Sources, lb_id: str) -> list[Listener]:
    params = {"RegionId": sources.settings.region, "LoadBalancerIds": [lb_id], "MaxResults": PAGE}
    raw = cloud_items(sources, "nlb", "ListListeners", params, "Listeners")
    listeners = []
    for item in raw:
        port = int(item.get("ListenerPort") or 0)
        start, end = int(item.get("StartPort") or 0), int(item.get("EndPort") or 0)
        listeners.append(
            Listener(
                port=port or start,
                protocol=str(item.get("ListenerProtocol", "")).upper(),
                status=_status(item),
                server_group_id=item.get("ServerGroupId", ""),
                raw=item,
                listener_id=item.get("ListenerId", ""),
                end_port=0 if port else end,
            )
        )
    return sorted(listeners, key=lambda li: (li.port, li.end_port))


def _status(item: dict[str, Any]) -> str:
    status = str(item.get("ListenerStatus", "")).lower()
    return "running" if status in RUNNING else status


def read_nlb_backends(
    sources: Sources, lb_id: str, listener: Listener
) -> tuple[list[Backend], list[dict[str, Any]], list[dict[str, Any]]]:
    """The servers of the listener's server group with their health, the raw server rows, and the
    health report of that group a finding quotes."""
    region = sources.settings.region
    group_query = {"RegionId": region, "ServerGroupId": listener.server_group_id, "MaxResults": PAGE}
    health_query = {"RegionId": region, "ListenerId": listener.listener_id}  # its SDK sends no MaxResults
    raw, reports = sources.gather(
        [
            lambda: cloud_items(sources, "nlb", "ListServerGroupServers", group_query, "Servers"),
            lambda: cloud_items(
                sources, "nlb", "GetListenerHealthStatus", health_query, "ListenerHealthStatus"
            ),
        ]
    )
    groups = [
        info
        for report in reports
        for info in report.get("ServerGroupInfos") or []
        if info.get("ServerGroupId") == listener.server_group_id
    ]
    checked = any(info.get("HeathCheckEnabled", True) for info in groups)  # sic: the API's spelling
    unwell = health_by_backend(
        [s for info in groups for s in info.get("NonNormalServers") or []],
        lambda s: HEALTH.get(str(s.get("Status", "")).lower(), "unknown"),
    )

    def health(server: dict[str, Any]) -> str:
        if not groups:
            return "unknown"
        if not checked:
            return "unavailable"
        return unwell(server, "normal")

    backends = [
        Backend(
            server_id=s["ServerId"],
            server_ip=s.get("ServerIp", ""),
            port=int(s.get("Port") or 0),
            type=str(s.get("ServerType", "Ecs")).lower(),
            weight=int(s.get("Weight", 100)),
            health=health(s),
        )
        for s in raw
    ]
    return backends, raw, groups


def group_ids(item: dict[str, Any]) -> list[str]:
    """The security groups the NLB is in (none: every client may connect)."""
    return [str(g) for g in dig(item, "SecurityGroupIds") or []]


def read_preserve_client_ip(sources: Sources, listener: Listener) -> bool | None:
    """Whether the listener's server group keeps the client's address (``PreserveClientIpEnabled``);
    None when the group's settings cannot be read."""
    params = {"RegionId": sources.settings.region, "ServerGroupIds": [listener.server_group_id]}
    try:
        groups = cloud_items(sources, "nlb", "ListServerGroups", params, "ServerGroups")
    except SourceError:
        return None
    found = next((g for g in groups if g.get("ServerGroupId") == listener.server_group_id), None)
    value = found.get("PreserveClientIpEnabled") if found else None
    return value if isinstance(value, bool) else None
