"""From a vSwitch to the internet: its route table's default route to a NAT gateway, the SNAT
entry that covers the source address, and the EIPs that entry translates to.

Each read is made once per trace (vSwitches, route entries, NAT gateways and SNAT tables are
shared by many Pods). A SNAT entry covers a whole vSwitch (``SourceVSwitchId``) or a CIDR
(``SourceCIDR``; a /32 is one address); the vSwitch's entry wins, else the most specific CIDR.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import cloud_items, dig
from ackwb.steps.vpc import next_hops, routes, vswitch

DEFAULT_ROUTE = "0.0.0.0/0"
Obj = dict[str, Any]


def default_route(
    sources: Sources, cluster: Cluster, vswitch_id: str
) -> tuple[Obj, str, list[Obj], Obj | None]:
    """(the vSwitch, its route table id, the 0.0.0.0/0 entries, the NAT gateway next hop or None)."""
    attributes = vswitch(sources, cluster, vswitch_id)
    table = str(dig(attributes, "RouteTable", "RouteTableId") or "")
    entries = routes(sources, cluster, table, DEFAULT_ROUTE)
    nat = next((h for h in next_hops(entries) if h.get("NextHopType") == "NatGateway"), None)
    return attributes, table, entries, nat


def snat_entries(sources: Sources, cluster: Cluster, nat_id: str) -> tuple[list[str], list[Obj]]:
    """The NAT gateway's SNAT table ids and every entry of them."""

    def read() -> tuple[list[str], list[Obj]]:
        region = {"RegionId": sources.settings.region}
        found = cloud_items(
            sources,
            "vpc",
            "DescribeNatGateways",
            {**region, "NatGatewayId": nat_id},
            "NatGateways",
            "NatGateway",
        )
        tables = [str(t) for t in (dig(found[0], "SnatTableIds", "SnatTableId") if found else None) or []]
        entries: list[Obj] = []
        for table in tables:
            entries += cloud_items(
                sources,
                "vpc",
                "DescribeSnatTableEntries",
                {**region, "SnatTableId": table},
                "SnatTableEntries",
                "SnatTableEntry",
            )
        return tables, entries

    return cluster.remember(("snat", nat_id), read)


def covering_entry(entries: list[Obj], address: str, vswitch_id: str) -> Obj | None:
    """The SNAT entry for a source: its vSwitch's entry, else the most specific CIDR entry."""
    by_vswitch = [e for e in entries if e.get("SourceVSwitchId") == vswitch_id]
    if by_vswitch:
        return by_vswitch[0]
    try:
        source = ipaddress.ip_address(address)
    except ValueError:
        return None
    by_cidr = [
        e
        for e in entries
        if e.get("SourceCIDR") and source in ipaddress.ip_network(e["SourceCIDR"], strict=False)
    ]
    return max(
        by_cidr, key=lambda e: ipaddress.ip_network(e["SourceCIDR"], strict=False).prefixlen, default=None
    )


def eips(sources: Sources, cluster: Cluster, ips: list[str]) -> dict[str, str]:
    """EIP address → its allocation id ("" when the account does not list it)."""
    found = {}
    for ip in ips:
        query = {"RegionId": sources.settings.region, "EipAddress": ip}
        items = cluster.remember(
            ("eip", ip),
            lambda query=query: cloud_items(
                sources, "vpc", "DescribeEipAddresses", query, "EipAddresses", "EipAddress"
            ),
        )
        found[ip] = str(items[0].get("AllocationId", "")) if items else ""
    return found
