"""Paged cloud reads follow every page, whichever way the product counts them.

SLB, ECS, VPC and Alidns count with ``TotalCount``; PrivateZone answers ``TotalItems`` and
``TotalPages`` instead (reference section 2.2). A zone with more records than one page, served
by the OpenAPI test server through the real SDK, must come back whole from ``cloud_items``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from peers.openapi import OpenApiPeer
from test_live_frontdoor import live

from ackwb.sources.world import load_world
from ackwb.steps.common import cloud_items

FRONTDOOR = Path(__file__).resolve().parent / "fixtures" / "worlds" / "frontdoor"
ZONE = "pz-fdqas"


def _record(index: int) -> dict[str, object]:
    return {
        "RecordId": 90000 + index, "ZoneId": ZONE, "Rr": f"host{index:03d}", "Type": "A",
        "Value": f"10.40.2.{index}", "Ttl": 60, "Status": "ENABLE", "Line": "default", "Priority": 0,
        "Weight": 1, "Remark": "", "CreateTime": "2025-02-01T08:00Z", "CreateTimestamp": 1738396800000,
        "UpdateTime": "2025-02-01T08:00Z", "UpdateTimestamp": 1738396800000,
    }  # fmt: skip


@pytest.mark.parametrize("count", [101, 250])
def test_a_zone_with_more_records_than_one_page_is_read_whole(tmp_path: Path, count: int) -> None:
    root = tmp_path / "world"
    shutil.copytree(FRONTDOOR, root)
    stored = root / "cloud/pvtz/DescribeZoneRecords" / f"{ZONE}.json"
    body = json.loads(stored.read_text())
    body["Records"]["Record"] = [_record(i) for i in range(count)]
    stored.write_text(json.dumps(body))
    world = load_world(root)
    with OpenApiPeer(world.sources().cloud) as peer:
        sources = replace(world.sources(), cloud=live(peer))
        records = cloud_items(
            sources, "pvtz", "DescribeZoneRecords", {"ZoneId": ZONE, "PageSize": 100}, "Records", "Record"
        )
        pages = [r.params.get("PageNumber", "1") for r in peer.requests]
    assert [r["Rr"] for r in records] == [f"host{i:03d}" for i in range(count)]
    assert pages == [str(n) for n in range(1, (count + 99) // 100 + 1)]  # one request per page, in order

