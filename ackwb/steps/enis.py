"""Which ENI holds an address: how a Pod IP or a load balancer backend is tied to the VPC.

With Terway a Pod's IP is an ENI address: a secondary address of a shared ENI (ENIIP mode)
or the primary address of the Pod's own ENI (exclusive ENI mode). ECS
``DescribeNetworkInterfaces`` finds secondary addresses with ``PrivateIpAddress.N`` (up to 100
per call) and a primary address only with ``PrimaryIpAddress`` (one per call), so both are
asked, the second only for what the first did not find. With Flannel no ENI holds a Pod IP:
the answer is then empty, which the caller reads in the light of the network plugin.
"""

from __future__ import annotations

from typing import Any

from ackwb.sources import Sources
from ackwb.steps.common import cloud_items, dig

BATCH = 100  # PrivateIpAddress.N takes at most 100 addresses
ENIS = ("NetworkInterfaceSets", "NetworkInterfaceSet")


def enis_holding(sources: Sources, ips: list[str]) -> dict[str, dict[str, Any]]:
    """IP → the ENI that holds it, for the IPs some ENI holds; raises ``SourceError``."""
    wanted = sorted(set(ips))
    region = {"RegionId": sources.settings.region}
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        params = {
            **region,
            "MaxResults": 100,
            **{f"PrivateIpAddress.{i}": ip for i, ip in enumerate(batch, 1)},
        }
        for eni in cloud_items(sources, "ecs", "DescribeNetworkInterfaces", params, *ENIS):
            for ip in addresses(eni):
                if ip in batch:
                    found[ip] = eni
    rest = [ip for ip in wanted if ip not in found]
    reads = [
        lambda ip=ip: cloud_items(
            sources, "ecs", "DescribeNetworkInterfaces", {**region, "PrimaryIpAddress": ip}, *ENIS
        )
        for ip in rest
    ]
    for ip, enis in zip(rest, sources.gather(reads), strict=True):
        match = next((e for e in enis if e.get("PrivateIpAddress") == ip), None)
        if match is not None:
            found[ip] = match
    return found


def addresses(eni: dict[str, Any]) -> list[str]:
    """Every private address of an ENI, its primary one first."""
    listed = [str(s.get("PrivateIpAddress", "")) for s in dig(eni, "PrivateIpSets", "PrivateIpSet") or []]
    primary = str(eni.get("PrivateIpAddress") or "")
    return [primary, *(ip for ip in listed if ip != primary)] if primary else listed


def is_primary(eni: dict[str, Any], ip: str) -> bool:
    return eni.get("PrivateIpAddress") == ip


def security_groups(item: dict[str, Any]) -> list[str]:
    """The security groups an ENI or an ECS instance is in."""
    return [str(g) for g in dig(item, "SecurityGroupIds", "SecurityGroupId") or []]
