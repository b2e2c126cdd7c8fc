"""The Alibaba Cloud OpenAPI of a stored world: the read actions ackwb makes, answered from JSON.

``ACTIONS`` maps (product, action) to a handler. Most are declarations: which stored body,
where its items are, which request parameters filter them and how the action pages. The
few actions whose answer combines stored bodies have a short function of their own. An
action the world cannot answer, or an ID it does not hold, raises a ``SourceError``;
unknown IDs raise ``CloudApiError`` with the API's 404-style code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ackwb.errors import SourceError
from ackwb.sources.queries import wire_params
from ackwb.sources.world_cloud_alb import ALB_ACTIONS
from ackwb.sources.world_cloud_kit import (
    Answer,
    CloudApiError,
    Filter,
    Handler,
    Obj,
    Request,
    any_of,
    by_id,
    dig,
    eq,
    eqs,
    json_list,
    listing,
    load_by_id,
    one_of_csv,
    one_of_indexed,
    one_of_json,
    pages,
    required_body,
    tokens,
)
from ackwb.sources.world_cloud_pvtz import PVTZ_ACTIONS
from ackwb.sources.world_files import WorldFiles

DOMAIN_RECORDS = "alidns/DescribeDomainRecords"
RECORD_FILTERS = (eq("Type", fold=True), eq("Line"), eq("Status", fold=True))
SNAT_TABLES = "vpc/DescribeSnatTableEntries"
SUB_DOMAIN_OMITS = ("CreateTimestamp", "UpdateTimestamp", "LbaStatus")  # not in this action's answer


def _contains(param: str, field_name: str) -> Filter:
    """Case-insensitive substring match, as Alidns' keyword parameters do."""

    def check(item: Obj, request: Request) -> bool:
        wanted = request.get(param)
        return wanted is None or wanted.lower() in str(item.get(field_name, "")).lower()

    return check


def _secondary_ips(eni: Obj) -> list[str]:
    """The addresses ``PrivateIpAddress.N`` matches: an ENI's secondary private IPs only, as the real
    API documents them (a Pod on a Terway exclusive ENI holds the primary one: ``PrimaryIpAddress``)."""
    sets = dig(eni, ("PrivateIpSets", "PrivateIpSet")) or []
    return [s.get("PrivateIpAddress", "") for s in sets if not s.get("Primary")]


def _instance_ips(instance: Obj) -> list[str]:
    return list(dig(instance, ("VpcAttributes", "PrivateIpAddress", "IpAddress")) or [])


def _has_private_ip(instance: Obj, request: Request) -> bool:
    wanted = json_list(request, "PrivateIpAddresses")
    return wanted is None or bool(set(wanted) & set(_instance_ips(instance)))


def _zone_ids(nlb: Obj) -> list[str]:
    return [str(zone.get("ZoneId", "")) for zone in nlb.get("ZoneMappings") or []]


def _direction(rule: Obj, request: Request) -> bool:
    """DescribeSecurityGroupAttribute's Direction: ingress, egress, or all (the default)."""
    wanted = (request.get("Direction") or "all").lower()
    return wanted == "all" or str(rule.get("Direction", "")).lower() == wanted


def _next_hops(field_name: str) -> Callable[[Obj], list[str]]:
    return lambda entry: [str(h.get(field_name, "")) for h in dig(entry, ("NextHops", "NextHop")) or []]


NLB_PAGES = tokens("MaxResults", 20, 100, emit=("NextToken", "TotalCount", "MaxResults"))
# NLB's "not found" codes are UNCONFIRMED (reference section 7.7: product-specific names).
NLB_ACTIONS: dict[tuple[str, str], Handler] = {
    ("nlb", "ListLoadBalancers"): listing("nlb/ListLoadBalancers.json", Answer(
        ("LoadBalancers",),
        (one_of_indexed("LoadBalancerIds", "LoadBalancerId"),
         one_of_indexed("LoadBalancerNames", "LoadBalancerName"), one_of_indexed("VpcIds", "VpcId"),
         eq("DNSName", fold=True), any_of("ZoneId", _zone_ids),
         *eqs("AddressType", "AddressIpVersion", "LoadBalancerStatus", "LoadBalancerBusinessStatus",
              "ResourceGroupId")),
        NLB_PAGES)),
    ("nlb", "ListListeners"): listing("nlb/ListListeners.json", Answer(
        ("Listeners",),
        (one_of_indexed("LoadBalancerIds", "LoadBalancerId"), one_of_indexed("ListenerIds", "ListenerId"),
         eq("ListenerProtocol", fold=True)),
        NLB_PAGES)),
    ("nlb", "ListServerGroups"): listing("nlb/ListServerGroups.json", Answer(
        ("ServerGroups",),
        (one_of_indexed("ServerGroupIds", "ServerGroupId"),
         one_of_indexed("ServerGroupNames", "ServerGroupName"), eq("ServerGroupType", fold=True),
         *eqs("VpcId", "ResourceGroupId")),
        NLB_PAGES)),
    ("nlb", "ListServerGroupServers"): by_id(
        "ServerGroupId", "nlb/ListServerGroupServers", "ResourceNotFound.serverGroup", "server group",
        Answer(("Servers",),
               (one_of_indexed("ServerIds", "ServerId"), one_of_indexed("ServerIps", "ServerIp")),
               NLB_PAGES)),
    ("nlb", "GetListenerHealthStatus"): by_id(
        "ListenerId", "nlb/GetListenerHealthStatus", "ResourceNotFound.listener", "listener",
        Answer(("ListenerHealthStatus",), (), NLB_PAGES)),
    ("ecs", "DescribeSecurityGroupAttribute"): by_id(
        "SecurityGroupId", "ecs/DescribeSecurityGroupAttribute", "InvalidSecurityGroupId.NotFound",
        "security group",
        Answer(("Permissions", "Permission"), (_direction, eq("NicType", fold=True)),
               tokens("MaxResults", 500, 1000, emit=("NextToken",)))),
}  # fmt: skip

SNAT_ANSWER = Answer(
    ("SnatTableEntries", "SnatTableEntry"),
    (*eqs("SourceVSwitchId", "SourceCIDR", "SnatEntryId", "SnatEntryName", "NatGatewayId"),
     one_of_csv("SnatIp"), one_of_indexed("NetworkInterfaceIds", "NetworkInterfaceId")),
    pages(10, 50),
)  # fmt: skip

_DOMAIN_RECORDS = by_id(
    "DomainName",
    DOMAIN_RECORDS,
    "InvalidDomainName.NoExist",
    "domain",
    Answer(
        ("DomainRecords", "Record"),
        (
            *RECORD_FILTERS,
            _contains("RRKeyWord", "RR"),
            _contains("TypeKeyWord", "Type"),
            _contains("ValueKeyWord", "Value"),
        ),
        pages(20, 500),
    ),
)


def _domain_records(request: Request) -> Obj:
    """DescribeDomainRecords: the records of one zone; zone names are case-insensitive."""
    request.params["DomainName"] = request.params.get("DomainName", "").lower().rstrip(".")
    return _DOMAIN_RECORDS(request)


def _sub_domain_records(request: Request) -> Obj:
    """DescribeSubDomainRecords: the records of one FQDN, taken from the zone's stored records."""
    sub_domain = request.require("SubDomain").lower().rstrip(".")
    zones = [name.removesuffix(".json") for name in request.files.names(f"cloud/{DOMAIN_RECORDS}")]
    inside = [z for z in zones if sub_domain == z or sub_domain.endswith("." + z)]
    zone = (request.get("DomainName") or "").lower().rstrip(".") or max(inside, key=len, default="")
    if zone not in inside:
        message = f"no zone of this account contains {sub_domain}"
        raise CloudApiError(request, "InvalidDomainName.NoExist", message, 404)
    rr = "@" if sub_domain == zone else sub_domain.removesuffix("." + zone)
    stored = load_by_id(request, zone, DOMAIN_RECORDS, "InvalidDomainName.NoExist", "domain")
    records = [
        {key: value for key, value in record.items() if key not in SUB_DOMAIN_OMITS}
        for record in dig(stored, ("DomainRecords", "Record")) or []
        if str(record.get("RR", "")).lower() == rr
    ]
    answer = Answer(("DomainRecords", "Record"), RECORD_FILTERS, pages(20, 100))
    return answer.build(request, {"DomainRecords": {"Record": []}}, records)


def _snat_tables(request: Request) -> list[str]:
    """The SNAT tables to read: the one asked for, or those of the NAT gateway asked for."""
    table = request.get("SnatTableId")
    if table is not None:
        return [table]
    gateway = request.get("NatGatewayId")
    if gateway is None:
        raise CloudApiError(request, "MissingParameter", "SnatTableId or NatGatewayId is mandatory", 400)
    stored = required_body(request, "cloud/vpc/DescribeNatGateways.json", ("vpc", "DescribeNatGateways"))
    for found in dig(stored, ("NatGateways", "NatGateway")) or []:
        if found.get("NatGatewayId") == gateway and not request.wrong_region:
            return list(dig(found, ("SnatTableIds", "SnatTableId")) or [])
    raise CloudApiError(request, "InvalidNatGatewayId.NotFound", f"NAT gateway {gateway} does not exist", 404)


def _snat_entries(request: Request) -> Obj:
    """DescribeSnatTableEntries: by SnatTableId, or every SNAT table of a NatGatewayId."""
    entries: list[Obj] = []
    stored: Obj | None = None
    for table in _snat_tables(request):
        body = load_by_id(request, table, SNAT_TABLES, "InvalidSnatTableId.NotFound", "SNAT table")
        stored = stored or body
        entries.extend(dig(body, ("SnatTableEntries", "SnatTableEntry")) or [])
    return SNAT_ANSWER.build(request, stored, entries)


# fmt: off
ACTIONS: dict[tuple[str, str], Handler] = {
    ("alidns", "DescribeDomainRecords"): _domain_records,
    ("alidns", "DescribeSubDomainRecords"): _sub_domain_records,
    ("slb", "DescribeLoadBalancers"): listing("slb/DescribeLoadBalancers.json", Answer(
        ("LoadBalancers", "LoadBalancer"),
        (one_of_csv("LoadBalancerId"),
         *eqs("Address", "LoadBalancerName", "AddressType", "NetworkType", "VpcId", "VSwitchId",
              "LoadBalancerStatus", "MasterZoneId", "AddressIPVersion")),
        pages(10, 100))),
    ("slb", "DescribeLoadBalancerListeners"): listing("slb/DescribeLoadBalancerListeners.json", Answer(
        ("Listeners",),
        (one_of_indexed("LoadBalancerId"), eq("ListenerProtocol", fold=True),
         *eqs("ListenerPort", "Description")),
        tokens("MaxResults", 20, 100, emit=("NextToken", "TotalCount", "MaxResults")))),
    ("slb", "DescribeAccessControlListAttribute"): by_id(
        "AclId", "slb/DescribeAccessControlListAttribute", "AclNotExist", "access control list",
        Answer(("AclEntrys", "AclEntry"), eqs("AclEntryComment"),
               pages(10, 50, number_param="Page", emit=()))),
    ("slb", "DescribeVServerGroups"): by_id(
        "LoadBalancerId", "slb/DescribeVServerGroups", "InvalidLoadBalancerId.NotFound", "load balancer"),
    ("slb", "DescribeVServerGroupAttribute"): by_id(
        "VServerGroupId", "slb/DescribeVServerGroupAttribute", "InvalidVServerGroupId.NotFound",
        "vServer group"),
    ("slb", "DescribeHealthStatus"): by_id(
        "LoadBalancerId", "slb/DescribeHealthStatus", "InvalidLoadBalancerId.NotFound", "load balancer",
        Answer(("BackendServers", "BackendServer"),
               (eq("ListenerPort"), eq("ListenerProtocol", "Protocol", fold=True)))),
    ("ecs", "DescribeNetworkInterfaces"): listing("ecs/DescribeNetworkInterfaces.json", Answer(
        ("NetworkInterfaceSets", "NetworkInterfaceSet"),
        (one_of_indexed("NetworkInterfaceId"), any_of("PrivateIpAddress", _secondary_ips, indexed=True),
         eq("PrimaryIpAddress", "PrivateIpAddress"),
         *eqs("InstanceId", "VSwitchId", "VpcId", "Type", "Status", "ZoneId")),
        tokens("MaxResults", 10, 500))),
    ("ecs", "DescribeInstances"): listing("ecs/DescribeInstances.json", Answer(
        ("Instances", "Instance"),
        (one_of_json("InstanceIds", "InstanceId"), _has_private_ip,
         eq("VpcId", "VpcAttributes.VpcId"), eq("VSwitchId", "VpcAttributes.VSwitchId"),
         *eqs("ZoneId", "InstanceName", "Status", "InstanceType")),
        tokens("MaxResults", 10, 100))),
    ("vpc", "DescribeVpcs"): listing("vpc/DescribeVpcs.json", Answer(
        ("Vpcs", "Vpc"), (one_of_csv("VpcId"), *eqs("VpcName", "IsDefault", "ResourceGroupId")),
        pages(10, 50))),
    ("vpc", "DescribeVSwitchAttributes"): by_id(
        "VSwitchId", "vpc/DescribeVSwitchAttributes", "InvalidVSwitchId.NotFound", "vSwitch"),
    ("vpc", "DescribeRouteEntryList"): by_id(
        "RouteTableId", "vpc/DescribeRouteEntryList", "InvalidRouteTableId.NotFound", "route table",
        Answer(("RouteEntrys", "RouteEntry"),
               (one_of_indexed("DestCidrBlockList", "DestinationCidrBlock"), eq("RouteEntryType", "Type"),
                eq("IpVersion", fold=True), *eqs("DestinationCidrBlock", "RouteEntryId", "RouteEntryName"),
                any_of("NextHopType", _next_hops("NextHopType")),
                any_of("NextHopId", _next_hops("NextHopId"))),
               tokens("MaxResult", 10, 100))),
    ("vpc", "DescribeNatGateways"): listing("vpc/DescribeNatGateways.json", Answer(
        ("NatGateways", "NatGateway"),
        eqs("NatGatewayId", "VpcId", "Name", "Status", "NetworkType", "NatType", "Spec"),
        pages(10, 50))),
    ("vpc", "DescribeSnatTableEntries"): _snat_entries,
    ("vpc", "DescribeEipAddresses"): listing("vpc/DescribeEipAddresses.json", Answer(
        ("EipAddresses", "EipAddress"),
        (one_of_csv("EipAddress", "IpAddress"), one_of_csv("AllocationId"),
         eq("AssociatedInstanceType", "InstanceType"), eq("AssociatedInstanceId", "InstanceId"),
         *eqs("Status", "Name", "ISP")),
        pages(10, 100))),
    ("cs", "DescribeClusterDetail"): by_id(
        "ClusterId", "cs/DescribeClusterDetail", "ErrorClusterNotFound", "cluster", Answer(request_id=False)),
    **NLB_ACTIONS,
    **ALB_ACTIONS,
    **PVTZ_ACTIONS,
}
# fmt: on


class WorldCloud:
    """``CloudSource`` over ``cloud/<product>/…``."""

    def __init__(self, files: WorldFiles, region: str) -> None:
        self._files = files
        self.region = region

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = ACTIONS.get((product, action))
        if handler is None:
            known = ", ".join(f"{p}:{a}" for p, a in sorted(ACTIONS))
            raise SourceError(
                f"{product}:{action}", f"a stored world cannot answer this action; it answers {known}"
            )
        try:
            return handler(Request(product, action, wire_params(params), self._files, self.region))
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as error:  # no rule names it
            reason = f"this world's stored answer could not be read ({type(error).__name__}: {error})"
            raise SourceError(f"{product}:{action}", reason) from None
