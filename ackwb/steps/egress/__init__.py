"""Step 8, Pod 访问外网 (Pod → internet): the way out, for every ready Pod of the Service.

Which vSwitch a Pod leaves from depends on the network plugin (``source``): Terway Pods keep
their VPC address on their ENI's vSwitch, Flannel and host-network Pods are masqueraded to
their node's address on the node's vSwitch. Pods are grouped by that vSwitch, and each group
follows its route table's default route to a NAT gateway, the SNAT entry that covers it and
the EIP the internet sees (``gateway``) — which is not the load balancer's IP that clients
use to come in. A vSwitch some Pods use without a route or an SNAT entry is a finding even
when the others get out: each Pod makes its own way out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Path, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, read_cluster
from ackwb.steps.common import cloud_evidence, details, settle_verdicts, sh, source_finding
from ackwb.steps.egress.gateway import DEFAULT_ROUTE, covering_entry, default_route, eips, snat_entries
from ackwb.steps.egress.outside import controllers_going_out, external_service, outside_host
from ackwb.steps.egress.source import Leaving, leaving
from ackwb.steps.pod.result import PodResult

TITLE = "8. Pod → internet (Pod 访问外网)"
SNAT_FIELDS = ("SnatEntryId", "SourceVSwitchId", "SourceCIDR", "SnatIp")


@dataclass(frozen=True)
class EgressGroup:
    """Pods that leave through the same vSwitch and SNAT entry."""

    vswitch_id: str
    pods: tuple[str, ...]  # Pod names
    route_table_id: str = ""
    nat_gateway_id: str = ""
    snat_entry: dict[str, Any] = field(default_factory=dict)
    egress_ips: tuple[str, ...] = ()
    verdict: Verdict = Verdict.OK


@dataclass(kw_only=True)
class EgressResult(StepResult):
    groups: list[EgressGroup] = field(default_factory=list)
    ingress_ip: str = ""  # the load balancer address clients use, for comparison

    @property
    def egress_ips(self) -> list[str]:
        return sorted({ip for g in self.groups for ip in g.egress_ips})


def egress(sources: Sources, pods: PodResult, cluster: Cluster | None = None) -> EgressResult:
    result = EgressResult(step="egress", title=TITLE, domain=pods.domain, prev=pods)
    result.ingress_ip = getattr(pods.earlier("slb"), "address", "")
    external = external_service(pods)
    going = controllers_going_out(pods) if external else pods.pods
    chosen = [p for p in going if p.ready] or going
    if not chosen:
        result.dead_end = "no Pod to follow out"
        return result
    cluster = cluster or read_cluster(sources)
    try:
        ways = leaving(sources, cluster, chosen)
    except SourceError as error:
        for pod in chosen:
            _unknown_source(result, pod.hop_id, pod.ip, "")
        result.findings.append(source_finding(error, chosen[0].hop_id, "the ENIs of the Pods' addresses"))
        result.dead_end = "could not read how the Pods leave"
        return result
    by_vswitch: dict[str, list[Leaving]] = {}
    for way in ways:
        if way.vswitch_id:
            by_vswitch.setdefault(way.vswitch_id, []).append(way)
        else:
            _unknown_source(result, way.pod.hop_id, way.pod.ip, way.problem)
    for vswitch_id, group in sorted(by_vswitch.items()):
        _follow(sources, cluster, result, vswitch_id, group)
    _egress_ip_finding(result, sources.settings.region)
    if external is not None:
        outside_host(external, result.hops, result.edges, result.findings, result.egress_ips)
    settle_verdicts(result)
    return result


def _follow(
    sources: Sources, cluster: Cluster, result: EgressResult, vswitch_id: str, group: list[Leaving]
) -> None:
    hop_id = f"vswitch:{vswitch_id}"
    region = sources.settings.region
    for way in group:
        result.evidence.extend(way.evidence)
        label = f"from {way.address}" if way.address == way.pod.ip else f"masquerade to {way.address}"
        result.edges.append(Edge(way.pod.hop_id, hop_id, label, Path.EGRESS))
    try:
        attributes, table, entries, nat = default_route(sources, cluster, vswitch_id)
        nat_id = str(nat.get("NextHopId")) if nat else ""
        tables, snat = snat_entries(sources, cluster, nat_id) if nat_id else ([], [])
    except SourceError as error:
        result.hops.append(Hop(hop_id, "vswitch", f"vSwitch {vswitch_id}", Path.EGRESS, Verdict.UNKNOWN))
        result.findings.append(source_finding(error, hop_id, f"the routes and NAT gateway of {vswitch_id}"))
        return
    route_evidence = cloud_evidence(
        "vpc",
        "DescribeRouteEntryList",
        f"RouteTableId={table} DestinationCidrBlock={DEFAULT_ROUTE} RouteEntrys.RouteEntry",
        [
            {k: r.get(k) for k in ("RouteEntryId", "DestinationCidrBlock", "Type", "NextHops")}
            for r in entries
        ],
    )
    result.hops.append(
        Hop(
            hop_id,
            "vswitch",
            f"vSwitch {vswitch_id}\n{attributes.get('CidrBlock', '')}",
            Path.EGRESS,
            Verdict.OK if nat_id else Verdict.BLOCKED,
            details(
                route_table=table,
                default_route=f"{DEFAULT_ROUTE} → {nat_id}" if nat_id else "none to a NAT gateway",
                pods=len(group),
            ),
            arrives=Packet(f"{group[0].address}:*", "internet"),
            rewrite=""
            if group[0].address == group[0].pod.ip
            else f"masqueraded to {group[0].address} on the node",
        )
    )
    names = tuple(w.pod.name for w in group)
    if not nat_id:
        message = (
            f"Route table {table} of {vswitch_id} has no {DEFAULT_ROUTE} route to a NAT gateway: "
            f"Pods that leave from it ({', '.join(names)}) cannot reach the internet."
        )
        check = (
            f"aliyun vpc DescribeRouteEntryList --RegionId {sh(region)} --RouteTableId {sh(table)} "
            f"--DestinationCidrBlock {DEFAULT_ROUTE}"
        )
        result.findings.append(
            Finding("EGRESS_NO_ROUTE_TO_NAT", Severity.ERROR, hop_id, message, (route_evidence,), check)
        )
        result.groups.append(EgressGroup(vswitch_id, names, table, verdict=Verdict.BLOCKED))
        return
    result.evidence.append(route_evidence)
    by_entry: dict[str, list[Leaving]] = {}
    for way in group:
        entry = covering_entry(snat, way.address, vswitch_id)
        by_entry.setdefault(str(entry.get("SnatEntryId")) if entry else "", []).append(way)
    for entry_id, ways in sorted(by_entry.items()):
        entry = next((e for e in snat if str(e.get("SnatEntryId")) == entry_id), {})
        _snat(sources, cluster, result, hop_id, vswitch_id, table, nat_id, tables, snat, entry, ways)


def _snat(
    sources: Sources,
    cluster: Cluster,
    result: EgressResult,
    vswitch_hop: str,
    vswitch_id: str,
    table: str,
    nat_id: str,
    tables: list[str],
    snat: list[dict[str, Any]],
    entry: dict[str, Any],
    ways: list[Leaving],
) -> None:
    names = tuple(w.pod.name for w in ways)
    nat_hop = f"nat:{nat_id}"
    if not entry:
        hop_id = f"snat:none@{vswitch_id}"
        result.hops.append(
            Hop(
                hop_id,
                "snat",
                f"no SNAT entry\nfor {vswitch_id}",
                Path.EGRESS,
                Verdict.BLOCKED,
                details(pods=len(ways)),
            )
        )
        result.edges.append(Edge(vswitch_hop, hop_id, f"{DEFAULT_ROUTE} → {nat_id}", Path.EGRESS))
        sources_text = ", ".join(sorted({w.address for w in ways}))
        message = (
            f"No SNAT entry of {nat_id} covers vSwitch {vswitch_id} or {sources_text}: the NAT gateway does "
            f"not translate the traffic of {', '.join(names)}, so it cannot reach the internet."
        )
        listed = [{k: e.get(k) for k in SNAT_FIELDS} for e in snat]
        evidence = cloud_evidence(
            "vpc",
            "DescribeSnatTableEntries",
            f"SnatTableId={','.join(tables)} SnatTableEntries.SnatTableEntry",
            listed,
        )
        region = sources.settings.region
        first = (tables or ["?"])[0]
        check = f"aliyun vpc DescribeSnatTableEntries --RegionId {sh(region)} --SnatTableId {sh(first)}"
        result.findings.append(
            Finding("EGRESS_NO_SNAT_ENTRY", Severity.ERROR, hop_id, message, (evidence,), check)
        )
        result.groups.append(EgressGroup(vswitch_id, names, table, nat_id, verdict=Verdict.BLOCKED))
        return
    entry_id = str(entry.get("SnatEntryId"))
    hop_id = f"snat:{entry_id}"
    ips = tuple(ip.strip() for ip in str(entry.get("SnatIp", "")).split(",") if ip.strip())
    source = entry.get("SourceVSwitchId") or entry.get("SourceCIDR")
    result.hops.append(
        Hop(
            hop_id,
            "snat",
            f"SNAT entry {entry_id}\n{source}",
            Path.EGRESS,
            details=details(snat_ip=", ".join(ips), pods=len(ways)),
            arrives=Packet(f"{ways[0].address}:*", "internet"),
            leaves=Packet(f"{ips[0] if ips else '?'}:*", "internet"),
            rewrite=f"source NAT to {', '.join(ips)}",
        )
    )
    result.edges.append(Edge(vswitch_hop, hop_id, f"{DEFAULT_ROUTE} → {nat_id}", Path.EGRESS))
    result.edges.append(Edge(hop_id, nat_hop, "", Path.EGRESS))
    if all(h.id != nat_hop for h in result.hops):
        result.hops.append(Hop(nat_hop, "nat", f"NAT gateway\n{nat_id}", Path.EGRESS))
    result.evidence.append(
        cloud_evidence("vpc", "DescribeSnatTableEntries", f"SnatEntryId={entry_id}", entry)
    )
    allocations = eips(sources, cluster, list(ips))
    for ip in ips:
        if all(h.id != f"eip:{ip}" for h in result.hops):
            result.hops.append(
                Hop(
                    f"eip:{ip}",
                    "eip",
                    f"EIP {ip}\n(egress IP)",
                    Path.EGRESS,
                    details=details(id=allocations[ip]),
                )
            )
        result.edges.append(Edge(nat_hop, f"eip:{ip}", f"SNAT {entry_id}", Path.EGRESS))
        result.edges.append(Edge(f"eip:{ip}", "internet", "", Path.EGRESS))
        for way in ways:
            result.rows.append(
                {
                    "pod": way.pod.name,
                    "leaves as": way.address,
                    "how": way.how,
                    "vswitch": vswitch_id,
                    "route table": table,
                    "nat gateway": nat_id,
                    "snat entry": entry_id,
                    "egress ip": ip,
                    "eip": allocations[ip],
                    "ingress ip": result.ingress_ip,
                }
            )
    if all(h.id != "internet" for h in result.hops):
        result.hops.append(Hop("internet", "internet", "internet", Path.EGRESS))
    result.groups.append(EgressGroup(vswitch_id, names, table, nat_id, dict(entry), ips))


def _unknown_source(result: EgressResult, pod_hop: str, ip: str, problem: str) -> None:
    hop_id = f"vswitch:?@{ip}"
    result.hops.append(Hop(hop_id, "vswitch", "vSwitch ?", Path.EGRESS, Verdict.UNKNOWN))
    result.edges.append(Edge(pod_hop, hop_id, "egress", Path.EGRESS))
    if problem:
        message = f"Could not tell which vSwitch Pod IP {ip} leaves from: {problem}."
        result.findings.append(Finding("EGRESS_SOURCE_UNKNOWN", Severity.WARNING, hop_id, message))


def _egress_ip_finding(result: EgressResult, region: str) -> None:
    ips = result.egress_ips
    if not ips:
        return
    entries = [g.snat_entry for g in result.groups if g.snat_entry]
    evidence = tuple(
        cloud_evidence(
            "vpc", "DescribeSnatTableEntries", f"SnatEntryId={e.get('SnatEntryId')} SnatIp", e.get("SnatIp")
        )
        for e in entries
    )
    tables = sorted({str(e.get("SnatTableId")) for e in entries if e.get("SnatTableId")})
    check = (
        "; ".join(
            f"aliyun vpc DescribeSnatTableEntries --RegionId {sh(region)} --SnatTableId {sh(t)}"
            for t in tables
        )
        or f"aliyun vpc DescribeEipAddresses --RegionId {sh(region)} --EipAddress {sh(ips[0])}"
    )
    hop = next((h.id for h in result.hops if h.kind == "snat" and h.verdict is Verdict.OK), result.hops[0].id)
    result.findings.append(
        Finding(
            "EGRESS_IP",
            Severity.INFO,
            hop,
            f"Pods leave through {', '.join(ips)}; clients come in through {result.ingress_ip}. "
            f"A partner who whitelists calls from this cluster needs {', '.join(ips)}.",
            evidence or (Evidence("vpc:DescribeSnatTableEntries", "SnatIp", ", ".join(ips)),),
            check,
        )
    )
