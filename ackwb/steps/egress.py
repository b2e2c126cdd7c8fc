"""Step 8, Pod 访问外网 (Pod → internet): the way out. The Pod's vSwitch, the route
table's default route to a NAT gateway, the SNAT entry that covers the Pod, and the
EIP the internet sees — which is not the load balancer's IP that clients use to come in.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Path, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, dig, settle_verdicts, source_finding
from ackwb.steps.pod import PodResult

TITLE = "8. Pod → internet (Pod 访问外网)"
DEFAULT_ROUTE = "0.0.0.0/0"


@dataclass(kw_only=True)
class EgressResult(StepResult):
    pod_ip: str = ""
    vswitch_id: str = ""
    vswitch_cidr: str = ""
    route_table_id: str = ""
    nat_gateway_id: str = ""
    snat_entry: dict[str, Any] = field(default_factory=dict)
    egress_ips: list[str] = field(default_factory=list)
    ingress_ip: str = ""  # the load balancer address clients use, for comparison


def egress(sources: Sources, pods: PodResult) -> EgressResult:
    result = _egress(sources, pods)
    settle_verdicts(result)
    return result


def _egress(sources: Sources, pods: PodResult) -> EgressResult:
    result = EgressResult(step="egress", title=TITLE, domain=pods.domain, prev=pods)
    lb = pods.earlier("slb")
    result.ingress_ip = getattr(lb, "address", "")
    if not pods.pods:
        result.dead_end = "no Pod to follow out"
        return result
    pod = next((p for p in pods.pods if p.ready), pods.pods[0])
    result.pod_ip = pod.ip
    region = {"RegionId": sources.settings.region}
    try:
        enis = cloud_items(
            sources,
            "ecs",
            "DescribeNetworkInterfaces",
            {**region, "PrivateIpAddress.1": pod.ip},
            "NetworkInterfaceSets",
            "NetworkInterfaceSet",
        )
        if not enis:
            return _stop(
                result,
                pod.hop_id,
                "EGRESS_POD_IP_NOT_IN_VPC",
                Severity.WARNING,
                f"No ENI holds Pod IP {pod.ip}: the Pod leaves through its node's address (Flannel).",
                (cloud_evidence("ecs", "DescribeNetworkInterfaces", f"PrivateIpAddress.1={pod.ip}", []),),
                f"aliyun ecs DescribeNetworkInterfaces --RegionId {region['RegionId']} "
                f"--PrivateIpAddress.1 {pod.ip}",
            )
        result.vswitch_id = enis[0]["VSwitchId"]
        vswitch = sources.cloud.call(
            "vpc", "DescribeVSwitchAttributes", {**region, "VSwitchId": result.vswitch_id}
        )
        result.vswitch_cidr = vswitch.get("CidrBlock", "")
        result.route_table_id = dig(vswitch, "RouteTable", "RouteTableId") or ""
        routes = cloud_items(
            sources,
            "vpc",
            "DescribeRouteEntryList",
            {**region, "RouteTableId": result.route_table_id, "DestinationCidrBlock": DEFAULT_ROUTE},
            "RouteEntrys",
            "RouteEntry",
        )
    except SourceError as error:
        result.findings.append(
            source_finding(error, pod.hop_id, f"the vSwitch and routes of Pod IP {pod.ip}")
        )
        result.hops.append(Hop(f"vswitch:{pod.ip}", "vswitch", "vSwitch ?", Path.EGRESS, Verdict.UNKNOWN))
        result.edges.append(Edge(pod.hop_id, f"vswitch:{pod.ip}", "egress", Path.EGRESS))
        result.dead_end = "could not read the egress route"
        return result
    hops = [h for r in routes for h in dig(r, "NextHops", "NextHop") or []]
    nat_hop = next((h for h in hops if h.get("NextHopType") == "NatGateway"), None)
    vswitch_hop = f"vswitch:{result.vswitch_id}"
    result.hops.append(
        Hop(
            vswitch_hop,
            "vswitch",
            f"vSwitch {result.vswitch_id}\n{result.vswitch_cidr}",
            Path.EGRESS,
            Verdict.OK if nat_hop else Verdict.BLOCKED,
            details(
                route_table=result.route_table_id,
                default_route=f"{DEFAULT_ROUTE} → {nat_hop['NextHopId']}"
                if nat_hop
                else "none to a NAT gateway",
            ),
        )
    )
    result.edges.append(Edge(pod.hop_id, vswitch_hop, f"from {pod.ip}", Path.EGRESS))
    route_evidence = cloud_evidence(
        "vpc",
        "DescribeRouteEntryList",
        f"RouteTableId={result.route_table_id} DestinationCidrBlock={DEFAULT_ROUTE} RouteEntrys.RouteEntry",
        [{k: r.get(k) for k in ("RouteEntryId", "DestinationCidrBlock", "Type", "NextHops")} for r in routes],
    )
    if nat_hop is None:
        return _stop(
            result,
            vswitch_hop,
            "EGRESS_NO_ROUTE_TO_NAT",
            Severity.ERROR,
            f"Route table {result.route_table_id} of {result.vswitch_id} has no {DEFAULT_ROUTE} route to a "
            "NAT gateway: Pods on it cannot reach the internet.",
            (route_evidence,),
            f"aliyun vpc DescribeRouteEntryList --RegionId {region['RegionId']} "
            f"--RouteTableId {result.route_table_id} --DestinationCidrBlock {DEFAULT_ROUTE}",
        )
    result.nat_gateway_id = nat_hop["NextHopId"]
    result.evidence.append(route_evidence)
    try:
        _snat(sources, result, pod.ip, region)
    except SourceError as error:
        unseen = f"nat:{result.nat_gateway_id}"
        result.hops = [h for h in result.hops if h.id != unseen]  # drawn before a later read failed
        result.hops.append(
            Hop(unseen, "nat", f"NAT gateway\n{result.nat_gateway_id}", Path.EGRESS, Verdict.UNKNOWN)
        )
        result.edges.append(Edge(vswitch_hop, unseen, DEFAULT_ROUTE, Path.EGRESS))
        result.findings.append(source_finding(error, unseen, f"the SNAT entries of {result.nat_gateway_id}"))
        result.dead_end = "could not read the SNAT entries"
    return result


def _snat(sources: Sources, result: EgressResult, pod_ip: str, region: dict[str, str]) -> None:
    nat = cloud_items(
        sources,
        "vpc",
        "DescribeNatGateways",
        {**region, "NatGatewayId": result.nat_gateway_id},
        "NatGateways",
        "NatGateway",
    )
    table_ids = dig(nat[0], "SnatTableIds", "SnatTableId") if nat else []
    entries: list[dict[str, Any]] = []
    for table_id in table_ids or []:
        entries += cloud_items(
            sources,
            "vpc",
            "DescribeSnatTableEntries",
            {**region, "SnatTableId": table_id},
            "SnatTableEntries",
            "SnatTableEntry",
        )
    entry = _covering_entry(entries, pod_ip, result.vswitch_id)
    nat_hop = f"nat:{result.nat_gateway_id}"
    result.hops.append(
        Hop(
            nat_hop,
            "nat",
            f"NAT gateway\n{result.nat_gateway_id}",
            Path.EGRESS,
            Verdict.OK if entry else Verdict.BLOCKED,
            details(
                snat_entry=entry.get("SnatEntryId") if entry else "none covers the Pod",
                source=(entry.get("SourceVSwitchId") or entry.get("SourceCIDR")) if entry else "",
            ),
        )
    )
    result.edges.append(Edge(f"vswitch:{result.vswitch_id}", nat_hop, DEFAULT_ROUTE, Path.EGRESS))
    if entry is None:
        listed = [
            {k: e.get(k) for k in ("SnatEntryId", "SourceVSwitchId", "SourceCIDR", "SnatIp")} for e in entries
        ]
        _stop(
            result,
            nat_hop,
            "EGRESS_NO_SNAT_ENTRY",
            Severity.ERROR,
            f"No SNAT entry of {result.nat_gateway_id} covers vSwitch {result.vswitch_id} "
            f"or Pod IP {pod_ip}: the NAT gateway does not translate the Pod's traffic, so it cannot reach "
            "the internet.",
            (
                cloud_evidence(
                    "vpc",
                    "DescribeSnatTableEntries",
                    f"SnatTableId={','.join(table_ids or [])} SnatTableEntries.SnatTableEntry",
                    listed,
                ),
            ),
            f"aliyun vpc DescribeSnatTableEntries --RegionId {region['RegionId']} "
            f"--SnatTableId {(table_ids or ['?'])[0]}",
        )
        return
    result.snat_entry = entry
    result.egress_ips = [ip.strip() for ip in str(entry.get("SnatIp", "")).split(",") if ip.strip()]
    result.evidence.append(
        cloud_evidence("vpc", "DescribeSnatTableEntries", f"SnatEntryId={entry['SnatEntryId']}", entry)
    )
    for ip in result.egress_ips:
        eips = cloud_items(
            sources, "vpc", "DescribeEipAddresses", {**region, "EipAddress": ip}, "EipAddresses", "EipAddress"
        )
        eip_id = eips[0].get("AllocationId", "") if eips else ""
        result.hops.append(
            Hop(f"eip:{ip}", "eip", f"EIP {ip}\n(egress IP)", Path.EGRESS, details=details(id=eip_id))
        )
        result.edges.append(Edge(nat_hop, f"eip:{ip}", f"SNAT {entry['SnatEntryId']}", Path.EGRESS))
        result.edges.append(Edge(f"eip:{ip}", "internet", "", Path.EGRESS))
        result.rows.append(
            {
                "pod ip": pod_ip,
                "vswitch": result.vswitch_id,
                "route table": result.route_table_id,
                "nat gateway": result.nat_gateway_id,
                "snat entry": entry["SnatEntryId"],
                "egress ip": ip,
                "eip": eip_id,
                "ingress ip": result.ingress_ip,
            }
        )
    result.hops.append(Hop("internet", "internet", "internet", Path.EGRESS))
    result.findings.append(
        Finding(
            "EGRESS_IP",
            Severity.INFO,
            nat_hop,
            f"Pods leave through {', '.join(result.egress_ips)}; "
            f"clients come in through {result.ingress_ip}. "
            f"A partner who whitelists calls from this cluster needs {', '.join(result.egress_ips)}.",
            (
                cloud_evidence(
                    "vpc",
                    "DescribeSnatTableEntries",
                    f"SnatEntryId={entry['SnatEntryId']} SnatIp",
                    entry.get("SnatIp"),
                ),
            ),
        )
    )


def _covering_entry(entries: list[dict[str, Any]], pod_ip: str, vswitch_id: str) -> dict[str, Any] | None:
    """The SNAT entry for a source: its vSwitch's entry, else the most specific CIDR entry."""
    by_vswitch = [e for e in entries if e.get("SourceVSwitchId") == vswitch_id]
    if by_vswitch:
        return by_vswitch[0]
    address = ipaddress.ip_address(pod_ip)
    by_cidr = [
        e
        for e in entries
        if e.get("SourceCIDR") and address in ipaddress.ip_network(e["SourceCIDR"], strict=False)
    ]
    return max(
        by_cidr, key=lambda e: ipaddress.ip_network(e["SourceCIDR"], strict=False).prefixlen, default=None
    )


def _stop(
    result: EgressResult,
    hop_id: str,
    code: str,
    severity: Severity,
    message: str,
    evidence: tuple[Evidence, ...] = (),
    check: str = "",
) -> EgressResult:
    result.findings.append(Finding(code, severity, hop_id, message, evidence, check))
    result.dead_end = message
    return result
