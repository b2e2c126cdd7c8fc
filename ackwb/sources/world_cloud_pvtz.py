"""PrivateZone's read actions answered from a stored world (``cloud/pvtz/…``).

Stored as the real answers: ``DescribeZones.json`` (every zone, unfiltered),
``DescribeZoneInfo/<ZoneId>.json`` (a zone with the VPCs bound to it) and
``DescribeZoneRecords/<ZoneId>.json`` (a zone's records). Parameters as alibabacloud_pvtz20180101
1.5.0 sends them, all in the query string. DescribeZones: ``Keyword`` on the zone name,
case-insensitive, ``SearchMode`` LIKE (the default) or EXACT; ``QueryVpcId`` and
``QueryRegionId`` keep the zones bound to that VPC or region (read from the zone's
DescribeZoneInfo, which is where the binding lives); ``ZoneType`` AUTH_ZONE by default.
DescribeZoneRecords: ``ZoneId`` (required), ``Keyword`` on the host record ``Rr``,
case-insensitive, ``SearchMode`` EXACT (the default) or LIKE. Both page with ``PageNumber``
(from 1) and ``PageSize`` (at most 100, default 20) and answer ``PageNumber``, ``PageSize``,
``TotalItems`` and ``TotalPages``. Records use PrivateZone's casing, ``Rr`` and ``Ttl``. The
"not found" code is UNCONFIRMED (reference section 7.7).
"""

from __future__ import annotations

from ackwb.sources.world_cloud_kit import (
    Answer,
    Filter,
    Handler,
    Obj,
    Request,
    by_id,
    dig,
    eq,
    listing,
    pages,
)

ZONE_PAGES = pages(20, 100, emit=("PageNumber", "PageSize", "TotalItems", "TotalPages"))
NO_ZONE = "Zone.Invalid.Id"  # UNCONFIRMED


def _keyword(field_name: str, default_mode: str) -> Filter:
    """``Keyword`` with ``SearchMode``: LIKE is a substring, EXACT the whole value; case-insensitive."""

    def check(item: Obj, request: Request) -> bool:
        wanted = request.get("Keyword")
        if wanted is None:
            return True
        have = str(item.get(field_name, "")).lower()
        mode = (request.get("SearchMode") or default_mode).upper()
        return have == wanted.lower() if mode == "EXACT" else wanted.lower() in have

    return check


def _bound(param: str, field_name: str) -> Filter:
    """Zones bound to the VPC (or region) asked for, from the zone's DescribeZoneInfo answer."""

    def check(item: Obj, request: Request) -> bool:
        wanted = request.get(param)
        if wanted is None:
            return True
        info = request.files.json(f"cloud/pvtz/DescribeZoneInfo/{item.get('ZoneId', '')}.json") or {}
        vpcs = dig(info, ("BindVpcs", "Vpc")) or []
        return any(isinstance(v, dict) and v.get(field_name) == wanted for v in vpcs)

    return check


def _zone_type(item: Obj, request: Request) -> bool:
    return str(item.get("ZoneType") or "AUTH_ZONE") == (request.get("ZoneType") or "AUTH_ZONE")


PVTZ_ACTIONS: dict[tuple[str, str], Handler] = {
    ("pvtz", "DescribeZones"): listing(
        "pvtz/DescribeZones.json",
        Answer(
            ("Zones", "Zone"),
            (_keyword("ZoneName", "LIKE"), _bound("QueryVpcId", "VpcId"), _bound("QueryRegionId", "RegionId"),
             _zone_type, eq("ResourceGroupId")),
            ZONE_PAGES,
        ),
    ),  # fmt: skip
    ("pvtz", "DescribeZoneInfo"): by_id("ZoneId", "pvtz/DescribeZoneInfo", NO_ZONE, "zone"),
    ("pvtz", "DescribeZoneRecords"): by_id(
        "ZoneId", "pvtz/DescribeZoneRecords", NO_ZONE, "zone",
        Answer(("Records", "Record"), (_keyword("Rr", "EXACT"),), ZONE_PAGES),
    ),  # fmt: skip
}
