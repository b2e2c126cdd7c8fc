"""What the CLB API says about one load balancer: its listeners, ACL entries, the backends
of a vServer group and their health, read into small records the SLB step judges.

Each record keeps the raw JSON item it came from, so a finding can quote the exact field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.sources import Sources
from ackwb.steps.common import MAX_PAGES, cloud_items, dig

ACL_PAGE_SIZE = 50  # the largest page DescribeAccessControlListAttribute serves
LISTENER_FIELDS = (
    "ListenerPort",
    "ListenerProtocol",
    "Status",
    "VServerGroupId",
    "AclStatus",
    "AclType",
    "AclId",
)


@dataclass(frozen=True)
class AclEntry:
    cidr: str
    comment: str

    def __str__(self) -> str:
        return f"{self.cidr} ({self.comment})" if self.comment else self.cidr


@dataclass(frozen=True)
class Listener:
    port: int
    protocol: str
    status: str
    server_group_id: str
    acl_status: str = "off"
    acl_type: str = ""
    acl_id: str = ""
    acl_entries: tuple[AclEntry, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def acl_on(self) -> bool:
        return self.acl_status == "on"

    @property
    def summary(self) -> dict[str, Any]:
        """The fields of the raw listener item a reader needs, as the API spells them."""
        return {key: self.raw[key] for key in LISTENER_FIELDS if key in self.raw}


@dataclass(frozen=True)
class Backend:
    server_id: str
    server_ip: str
    port: int
    type: str
    weight: int
    health: str = "unknown"

    @property
    def hop_id(self) -> str:
        return f"backend:{self.server_ip}:{self.port}"


def read_listeners(sources: Sources, lb_id: str) -> list[Listener]:
    region = sources.settings.region
    raw = cloud_items(
        sources,
        "slb",
        "DescribeLoadBalancerListeners",
        {"RegionId": region, "LoadBalancerId.1": lb_id},
        "Listeners",
    )
    acl_ids = sorted({li["AclId"] for li in raw if li.get("AclStatus") == "on" and li.get("AclId")})
    reads = [lambda acl_id=acl_id: read_acl_entries(sources, acl_id) for acl_id in acl_ids]
    acls = dict(zip(acl_ids, sources.gather(reads), strict=True))  # listeners often share one ACL
    listeners = []
    for item in sorted(raw, key=lambda li: int(li["ListenerPort"])):
        on = item.get("AclStatus") == "on" and item.get("AclId")
        entries: tuple[AclEntry, ...] = acls[item["AclId"]] if on else ()
        listeners.append(
            Listener(
                port=int(item["ListenerPort"]),
                protocol=str(item.get("ListenerProtocol", "")).upper(),
                status=item.get("Status", ""),
                server_group_id=item.get("VServerGroupId", ""),
                acl_status=item.get("AclStatus", "off"),
                acl_type=item.get("AclType", ""),
                acl_id=item.get("AclId", ""),
                acl_entries=entries,
                raw=item,
            )
        )
    return listeners


def read_acl_entries(sources: Sources, acl_id: str) -> tuple[AclEntry, ...]:
    """Every entry of an ACL; this action pages with ``Page`` and returns no page number."""
    entries: list[AclEntry] = []
    for page in range(1, MAX_PAGES + 1):
        params = {
            "RegionId": sources.settings.region,
            "AclId": acl_id,
            "Page": page,
            "PageSize": ACL_PAGE_SIZE,
        }
        body = sources.cloud.call("slb", "DescribeAccessControlListAttribute", params)
        batch = dig(body, "AclEntrys", "AclEntry") or []
        entries += [AclEntry(e["AclEntryIP"], e.get("AclEntryComment", "")) for e in batch]
        if len(batch) < ACL_PAGE_SIZE:
            break
    return tuple(entries)


def read_backends(
    sources: Sources, lb_id: str, listener: Listener
) -> tuple[list[Backend], list[dict[str, Any]], list[dict[str, Any]]]:
    """The backends of the listener's vServer group with their health, and the raw rows of both."""
    region = sources.settings.region
    group_query = {"RegionId": region, "VServerGroupId": listener.server_group_id}
    health_query = {"RegionId": region, "LoadBalancerId": lb_id, "ListenerPort": listener.port}
    group, health_rows = sources.gather(
        [
            lambda: sources.cloud.call("slb", "DescribeVServerGroupAttribute", group_query),
            lambda: cloud_items(
                sources, "slb", "DescribeHealthStatus", health_query, "BackendServers", "BackendServer"
            ),
        ]
    )
    health = {
        (h.get("ServerId"), int(h.get("Port", 0))): h.get("ServerHealthStatus", "unknown")
        for h in health_rows
    }
    raw = dig(group, "BackendServers", "BackendServer") or []
    backends = [
        Backend(
            server_id=b["ServerId"],
            server_ip=b.get("ServerIp", ""),
            port=int(b["Port"]),
            type=b.get("Type", "ecs"),
            weight=int(b.get("Weight", 100)),
            health=health.get((b["ServerId"], int(b["Port"])), "unknown"),
        )
        for b in raw
    ]
    return backends, raw, health_rows
