"""PrivateZone answers of a design world: the zones bound to its VPC and their records.

``DescribeZones.json`` lists every zone of the account (the world source filters by VPC and
keyword), ``DescribeZoneInfo/<ZoneId>.json`` holds a zone with the VPCs bound to it (where the
binding lives) and ``DescribeZoneRecords/<ZoneId>.json`` its records, with PrivateZone's casing
(``Rr``, ``Ttl``) and paging totals (``TotalItems``, ``TotalPages``; reference section 2.2). A
design without zones keeps the empty zone list of ``cloud_absent``.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.ids import REGION, epoch_ms, resource_group
from tools.demo_world.model import PrivateZone

Obj = dict[str, Any]
RECORD_ID_BASE = 70_000_000_000  # PrivateZone record IDs are integers


def _printed(timestamp: str) -> str:
    """PrivateZone prints times to the minute, in UTC: 2024-04-08T03:10Z."""
    return timestamp[:16] + "Z"


def _zone(d: Design, z: PrivateZone) -> Obj:
    stamp = epoch_ms(z.created)
    return {
        "ZoneId": z.id,
        "ZoneName": z.name,
        "ZoneType": "AUTH_ZONE",
        "RecordCount": len(z.records),
        "IsPtr": False,
        "ProxyPattern": z.proxy_pattern,
        "Remark": z.remark,
        "ResourceGroupId": resource_group(),
        "CreateTime": _printed(z.created),
        "CreateTimestamp": stamp,
        "UpdateTime": _printed(z.created),
        "UpdateTimestamp": stamp,
        "DnsGroup": "NORMAL_ZONE",
        "DnsGroupChanging": False,
    }


def _info(d: Design, z: PrivateZone) -> Obj:
    vpc = {
        "VpcId": d.vpc_id,
        "RegionId": REGION,
        "RegionName": "China (Hangzhou)",
        "VpcName": f"{d.cluster_name}-vpc",
        "VpcType": "STANDARD",
    }
    bound = {"BindVpcs": {"Vpc": [vpc]}, "SlaveDns": False}
    return {**_zone(d, z), **bound, "RequestId": d.rid(f"pvtz {z.name}")}


def _records(d: Design, z: PrivateZone) -> Obj:
    stamp = epoch_ms(z.created)
    records = [
        {
            "RecordId": RECORD_ID_BASE + stamp // 1000 % 1_000_000 * 100 + index,
            "ZoneId": z.id,
            "Rr": r.rr,
            "Type": r.type,
            "Value": r.value,
            "Ttl": 60,
            "Status": "ENABLE",
            "Line": "default",
            "Priority": 0,
            "Weight": 1,
            "Remark": r.remark,
            "CreateTime": _printed(z.created),
            "CreateTimestamp": stamp,
            "UpdateTime": _printed(z.created),
            "UpdateTimestamp": stamp,
        }
        for index, r in enumerate(z.records)
    ]
    return _page(d, f"pvtz records {z.name}", {"Records": {"Record": records}}, len(records))


def _page(d: Design, seed: str, body: Obj, total: int) -> Obj:
    return {
        **body,
        "PageNumber": 1,
        "PageSize": 100,
        "TotalItems": total,
        "TotalPages": 1 if total else 0,
        "RequestId": d.rid(seed),
    }


def responses(d: Design) -> dict[str, Obj]:
    """Relative path under cloud/ → response body (nothing when the design has no zone)."""
    if not d.private_zones:
        return {}
    zones = [_zone(d, z) for z in d.private_zones]
    out = {"pvtz/DescribeZones.json": _page(d, "pvtz zones", {"Zones": {"Zone": zones}}, len(zones))}
    for z in d.private_zones:
        out[f"pvtz/DescribeZoneInfo/{z.id}.json"] = _info(d, z)
        out[f"pvtz/DescribeZoneRecords/{z.id}.json"] = _records(d, z)
    return out
