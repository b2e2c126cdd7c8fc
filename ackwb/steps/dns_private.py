"""Who resolves the name: the resolver view a client has, and PrivateZone's answer inside a VPC.

A client inside the cluster's VPC asks the VPC's resolver, which answers from the PrivateZone
zones bound to that VPC before it asks the internet; an internet client (or a trace with no
client IP) gets what public DNS says. The same name can therefore lead two clients to two
different load balancers, or lead one of them nowhere. This module decides the view from the
client IP and the cluster's VPC (read from the cloud: the cluster's VPC and its CIDR blocks), and
answers a name the way a bound zone does (``DescribeZones`` with ``QueryVpcId``, then
``DescribeZoneRecords``). The DNS step (``ackwb.steps.dns``) shows the answer and says which
view it used.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import InputError, SourceError
from ackwb.model import Evidence
from ackwb.sources import DnsRecord, Sources
from ackwb.steps.common import cloud_evidence, cloud_items, dig

Obj = dict[str, Any]
MAX_CHAIN = 8  # CNAMEs followed before giving up, as a resolver does
PUBLIC = "public DNS"


@dataclass(frozen=True)
class Vpc:
    """The cluster's VPC and its address ranges: its CIDR blocks (``DescribeVpcs``), or, when those
    could not be read, only its vSwitches' (nodes' and Pods'), with the reason in ``partial``."""

    id: str
    cidrs: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    partial: SourceError | None = None  # why only the vSwitches' ranges are known

    def holds(self, ip: str) -> bool:
        address = ipaddress.ip_address(ip)
        return any(address in ipaddress.ip_network(c, strict=False) for c in self.cidrs)


@dataclass
class PrivateAnswer:
    """A PrivateZone zone's answer for one name: its records (the chain a client gets, CNAME
    targets followed in the same view), or NXDOMAIN when the zone holds no record of the name."""

    zone: Obj
    rr: str
    records: list[DnsRecord] = field(default_factory=list)
    raw: list[Obj] = field(default_factory=list)  # the PrivateZone records of the name, as listed
    nxdomain: bool = False
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def zone_name(self) -> str:
        return str(self.zone.get("ZoneName", ""))

    @property
    def zone_id(self) -> str:
        return str(self.zone.get("ZoneId", ""))

    def view(self, vpc: Vpc) -> str:
        """One line for the DNS hop: which resolver answered, from which zone and record."""
        said = ", ".join(f"{r.get('Type')} {r.get('Value')}" for r in self.raw) or "no record (NXDOMAIN)"
        return (
            f"resolved as a client inside {vpc.id} sees it: PrivateZone zone {self.zone_name} "
            f"({self.zone_id}) record {self.rr}: {said}"
        )


def cluster_vpc(sources: Sources) -> Vpc:
    """The cluster's VPC (CS ``DescribeClusterDetail``) and its CIDR blocks (VPC ``DescribeVpcs``),
    or its vSwitches' (``DescribeVSwitchAttributes``) when those cannot be read; raises
    ``SourceError`` when the cluster cannot be read."""
    cluster_id = sources.settings.cluster_id
    if not cluster_id:
        raise SourceError("cs:DescribeClusterDetail", "no cluster id is configured, so its VPC is unknown")
    detail = sources.cloud.call("cs", "DescribeClusterDetail", {"ClusterId": cluster_id})
    vpc_id = str(detail.get("vpc_id") or "")
    evidence = [cloud_evidence("cs", "DescribeClusterDetail", "vpc_id", vpc_id)]
    try:
        body = sources.cloud.call(
            "vpc", "DescribeVpcs", {"RegionId": sources.settings.region, "VpcId": vpc_id}
        )
    except SourceError as error:
        return _vswitch_ranges(sources, detail, vpc_id, evidence, error)
    found = next((v for v in dig(body, "Vpcs", "Vpc") or [] if v.get("VpcId") == vpc_id), None)
    if found is None or not found.get("CidrBlock"):
        missing = SourceError("vpc:DescribeVpcs", f"DescribeVpcs does not list {vpc_id}")
        return _vswitch_ranges(sources, detail, vpc_id, evidence, missing)
    cidrs = [str(found["CidrBlock"]), *(dig(found, "SecondaryCidrBlocks", "SecondaryCidrBlock") or [])]
    evidence.append(cloud_evidence("vpc", "DescribeVpcs", f"{vpc_id} CidrBlock", ", ".join(cidrs)))
    return Vpc(vpc_id, tuple(cidrs), tuple(evidence))


def _vswitch_ranges(
    sources: Sources, detail: Obj, vpc_id: str, evidence: list[Evidence], why: SourceError
) -> Vpc:
    """The VPC known only by the cluster's node and Pod vSwitches (a part of its address space)."""
    pod_vswitches = str(dig(detail, "parameters", "PodVswitchIds") or "")
    ids = [*(detail.get("vswitch_ids") or []), *(v for v in pod_vswitches.split(",") if v.strip())]
    cidrs = []
    for vswitch_id in dict.fromkeys(v.strip() for v in ids):
        query = {"RegionId": sources.settings.region, "VSwitchId": vswitch_id}
        body = sources.cloud.call("vpc", "DescribeVSwitchAttributes", query)
        if body.get("VpcId") == vpc_id and body.get("CidrBlock"):
            cidrs.append(str(body["CidrBlock"]))
            evidence.append(cloud_evidence("vpc", "DescribeVSwitchAttributes", f"{vswitch_id} CidrBlock",
                                           body["CidrBlock"]))  # fmt: skip
    return Vpc(vpc_id, tuple(cidrs), tuple(evidence), partial=why)


def bound_zones(sources: Sources, vpc_id: str) -> list[Obj]:
    """The authoritative PrivateZone zones bound to the VPC."""
    query = {"QueryVpcId": vpc_id, "QueryRegionId": sources.settings.region, "PageSize": 100}
    return cloud_items(sources, "pvtz", "DescribeZones", query, "Zones", "Zone")


def _zone_for(zones: list[Obj], name: str) -> Obj | None:
    """The zone a resolver answers the name from: the longest zone name the name ends with."""
    holding = [
        z for z in zones
        if name == _bare(z.get("ZoneName")) or name.endswith("." + _bare(z.get("ZoneName")))
    ]  # fmt: skip
    return max(holding, key=lambda z: len(_bare(z.get("ZoneName"))), default=None)


def _bare(value: Any) -> str:
    return str(value or "").strip().lower().rstrip(".")


def private_answer(sources: Sources, vpc: Vpc, name: str, depth: int = 0) -> PrivateAnswer | None:
    """What the VPC's resolver answers for ``name`` from PrivateZone, or None when no bound zone
    answers it (no zone is named for it, or the zone lets names it does not hold go on to public
    DNS) and public DNS decides."""
    zone = _zone_for(bound_zones(sources, vpc.id), name)
    if zone is None:
        return None
    apex, zone_id = _bare(zone.get("ZoneName")), str(zone.get("ZoneId", ""))
    rr = "@" if name == apex else name[: -len(apex) - 1]
    held = _records(sources, zone_id, rr)
    raw = [r for r in held if r.get("Type") in ("A", "CNAME")]
    matched = rr  # the record name that answers: the name's own, or a wildcard
    if not held and rr != "@":  # the zone holds nothing at the name: a wildcard may answer it
        wildcard, raw = _wildcard(sources, zone_id, rr)
        matched = wildcard or rr
    answer = PrivateAnswer(zone, matched, raw=raw)
    answer.evidence.append(cloud_evidence(
        "pvtz", "DescribeZoneRecords", f"ZoneId={answer.zone_id} Keyword={matched} Records.Record[]",
        [{k: r.get(k) for k in ("Rr", "Type", "Value", "Ttl", "Status")} for r in raw],
    ))  # fmt: skip
    if not raw:
        # ProxyPattern ZONE (recursive resolution proxy off, the default) answers NXDOMAIN for a name
        # under the zone that it does not hold; RECORD sends such a name on to forwarding and public
        # recursion. (PrivateZone API, SetProxyPattern:
        # https://help.aliyun.com/zh/dns/api-pvtz-2018-01-01-setproxypattern)
        if str(zone.get("ProxyPattern") or "ZONE").upper() == "RECORD":
            return None
        answer.nxdomain = True
        answer.evidence.append(cloud_evidence("pvtz", "DescribeZones", f"{answer.zone_id} ProxyPattern",
                                              zone.get("ProxyPattern") or "ZONE"))  # fmt: skip
        return answer
    owner = name + "."
    answer.records = [DnsRecord(owner, str(r["Type"]), int(r.get("Ttl") or 0), _value(r)) for r in raw]
    target = next((_bare(r.get("Value")) for r in raw if r.get("Type") == "CNAME"), "")
    if target and depth < MAX_CHAIN:
        answer.records = [r for r in answer.records if r.type == "CNAME"][:1]
        answer.records += resolve_in_vpc(sources, vpc, target, depth + 1)
    return answer


def _records(sources: Sources, zone_id: str, rr: str, mode: str = "EXACT") -> list[Obj]:
    """The zone's enabled records at ``rr`` (EXACT), or at ``rr`` and every name under it (LIKE)."""
    query = {"ZoneId": zone_id, "Keyword": rr, "SearchMode": mode, "PageSize": 100}
    listed = cloud_items(sources, "pvtz", "DescribeZoneRecords", query, "Records", "Record")
    enabled = [r for r in listed if str(r.get("Status", "ENABLE")).upper() == "ENABLE"]
    at = [r for r in enabled if str(r.get("Rr", "")).lower() == rr]
    return at + [r for r in enabled if mode == "LIKE" and str(r.get("Rr", "")).lower().endswith("." + rr)]


def _wildcard(sources: Sources, zone_id: str, rr: str) -> tuple[str, list[Obj]]:
    """The wildcard record that answers ``rr`` when the zone holds nothing at it, as DNS wildcards
    work: only the ``*`` child of the closest name the zone holds something at or under (for
    a.b: ``*.b``; ``*`` at the apex only when nothing is at or under b). ("", []) when none does."""
    labels = rr.split(".")
    for i in range(1, len(labels) + 1):
        parent = ".".join(labels[i:])
        owner = f"*.{parent}" if parent else "*"
        found = [r for r in _records(sources, zone_id, owner) if r.get("Type") in ("A", "CNAME")]
        if found:
            return owner, found
        if parent and _records(sources, zone_id, parent, "LIKE"):
            return "", []  # the closest encloser has no wildcard child: the name does not exist
    return "", []


def _value(record: Obj) -> str:
    value = str(record.get("Value", ""))
    return value + "." if record.get("Type") == "CNAME" and not value.endswith(".") else value


def resolve_in_vpc(sources: Sources, vpc: Vpc, name: str, depth: int = 0) -> list[DnsRecord]:
    """The records a client inside the VPC gets for ``name``: PrivateZone's, else public DNS's
    (empty when the name does not exist)."""
    found = private_answer(sources, vpc, name, depth)
    if found is not None:
        return found.records
    try:
        return sources.dns.resolve(name, "A")
    except InputError:  # NXDOMAIN
        return []


def resolve_for(sources: Sources, vpc: Vpc | None, name: str) -> list[DnsRecord]:
    """The records for ``name`` in the view the trace used (``vpc`` None: public DNS)."""
    if vpc is not None:
        return resolve_in_vpc(sources, vpc, name)
    try:
        return sources.dns.resolve(name, "A")
    except InputError:
        return []
