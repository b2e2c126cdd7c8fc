"""What the CLB API says about one load balancer: its listeners, ACL entries, the backends
of a vServer group and their health, read into small records the SLB step judges.

The records (``Listener``, ``Backend``) are common to CLB and NLB (``slb_nlb`` reads an
NLB into the same ones), and ``LbApi`` names, per product, the actions a finding quotes
and the ``aliyun`` command that checks it by hand, so the judgements in ``slb_checks``
work on either. Each record keeps the raw JSON item it came from, so a finding can quote
the exact field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ackwb.sources import Sources
from ackwb.steps.common import MAX_PAGES, cloud_items, dig, sh

ACL_PAGE_SIZE = 50  # the largest page DescribeAccessControlListAttribute serves
LISTENER_FIELDS = (
    "ListenerId",  # NLB
    "ListenerPort",
    "StartPort",  # NLB port ranges
    "EndPort",
    "ListenerProtocol",
    "Status",
    "ListenerStatus",  # NLB
    "VServerGroupId",
    "ServerGroupId",  # NLB
    "AclStatus",
    "AclType",
    "AclId",
    "HTTPSListenerConfig",  # CLB HTTPS: ServerCertificateId
    "CertificateIds",  # NLB TCPSSL
)


@dataclass(frozen=True)
class LbApi:
    """One load balancer product as findings quote it: actions, locators, commands to check by hand.

    The templates take ``region``, ``lb`` (the load balancer ID), ``group`` (a server group
    ID), ``port`` and ``listener`` (an NLB listener ID).
    """

    kind: str  # CLB or NLB, as the hop details say
    product: str  # the OpenAPI product: slb or nlb
    listeners: str  # the action that lists the listeners
    group: str  # the action that lists a server group's backends
    group_locator: str
    health: str  # the action that reports backend health
    health_locator: str
    listeners_command: str
    group_command: str
    health_command: str

    @staticmethod
    def check(template: str, **values: object) -> str:
        """A command template filled with shell-quoted values (IDs come from the cloud's answers)."""
        return template.format(**{key: sh(value) for key, value in values.items()})


CLB = LbApi(
    kind="CLB",
    product="slb",
    listeners="DescribeLoadBalancerListeners",
    group="DescribeVServerGroupAttribute",
    group_locator="VServerGroupId={group} BackendServers.BackendServer",
    health="DescribeHealthStatus",
    health_locator="ListenerPort={port} BackendServers.BackendServer",
    listeners_command="aliyun slb DescribeLoadBalancerListeners --RegionId {region} --LoadBalancerId.1 {lb}",
    group_command="aliyun slb DescribeVServerGroupAttribute --RegionId {region} --VServerGroupId {group}",
    health_command="aliyun slb DescribeHealthStatus --RegionId {region} --LoadBalancerId {lb}",
)
NLB = LbApi(
    kind="NLB",
    product="nlb",
    listeners="ListListeners",
    group="ListServerGroupServers",
    group_locator="ServerGroupId={group} Servers",
    health="GetListenerHealthStatus",
    health_locator="ListenerId={listener} ListenerHealthStatus[].ServerGroupInfos",
    listeners_command="aliyun nlb ListListeners --RegionId {region} --LoadBalancerIds.1 {lb}",
    group_command="aliyun nlb ListServerGroupServers --RegionId {region} --ServerGroupId {group}",
    health_command="aliyun nlb GetListenerHealthStatus --RegionId {region} --ListenerId {listener}",
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
    listener_id: str = ""  # NLB listeners have an ID; CLB listeners are known by their port
    end_port: int = 0  # the last port of an NLB port-range listener (``port`` is the first); 0: one port

    @property
    def acl_on(self) -> bool:
        return self.acl_status == "on"

    def serves(self, port: int) -> bool:
        """Whether a client connecting to ``port`` reaches this listener."""
        return self.port <= port <= self.end_port if self.end_port else port == self.port

    @property
    def ports(self) -> str:
        """``80``, or ``6000-6010`` for a port range."""
        return f"{self.port}-{self.end_port}" if self.end_port else str(self.port)

    @property
    def summary(self) -> dict[str, Any]:
        """The fields of the raw listener item a reader needs, as the API spells them."""
        return {key: self.raw[key] for key in LISTENER_FIELDS if key in self.raw}

    @property
    def layer7(self) -> bool:
        """An HTTP or HTTPS listener: the load balancer opens its own connection to the backend."""
        return self.protocol in ("HTTP", "HTTPS")

    @property
    def terminates_tls(self) -> bool:
        return self.protocol in ("HTTPS", "TCPSSL")

    @property
    def certificate(self) -> str:
        """The certificate the listener presents: a CLB HTTPS listener's ServerCertificateId, an NLB
        TCPSSL listener's CertificateIds; "" when it terminates no TLS."""
        https = self.raw.get("HTTPSListenerConfig") or {}
        ids = self.raw.get("CertificateIds") or []
        found = https.get("ServerCertificateId") if isinstance(https, dict) else None
        return str(found or (ids[0] if isinstance(ids, list) and ids else ""))


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


def health_key(row: dict[str, Any], by_ip: bool = True) -> tuple[str, str, int]:
    """Which backend a health row is about: (ServerIp, Port) when the API names the IP (several Pods
    share one ENI with Terway's shared ENIs, so the ENI ID and port alone would merge them), else
    (ServerId, Port)."""
    port = int(row.get("Port") or 0)
    if by_ip and row.get("ServerIp"):
        return ("ip", str(row["ServerIp"]), port)
    return ("id", str(row.get("ServerId")), port)


def health_by_backend(
    rows: list[dict[str, Any]], status: Callable[[dict[str, Any]], str]
) -> Callable[[dict[str, Any], str], str]:
    """A lookup ``(backend row, default) → health`` over health rows: by (ServerIp, Port) when both
    the backend and the rows of its (ServerId, Port) name an IP, else by (ServerId, Port). So a Pod
    on a shared ENI never gets another Pod's health."""
    found = {health_key(row): status(row) for row in rows}
    by_id_with_ip = {health_key(row, by_ip=False) for row in rows if row.get("ServerIp")}
    for row in rows:
        found.setdefault(health_key(row, by_ip=False), status(row))

    def lookup(backend: dict[str, Any], default: str) -> str:
        by_ip, by_id = health_key(backend), health_key(backend, by_ip=False)
        if by_ip[0] == "ip" and (by_ip in found or by_id in by_id_with_ip):
            return found.get(by_ip, default)
        return found.get(by_id, default)

    return lookup


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
    """The backends of the listener's vServer group with their health, the raw backend rows,
    and the health fields a finding quotes."""
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
    health = health_by_backend(health_rows, lambda h: h.get("ServerHealthStatus", "unknown"))
    raw = dig(group, "BackendServers", "BackendServer") or []
    backends = [
        Backend(
            server_id=b["ServerId"],
            server_ip=b.get("ServerIp", ""),
            port=int(b["Port"]),
            type=b.get("Type", "ecs"),
            weight=int(b.get("Weight", 100)),
            health=health(b, "unknown"),
        )
        for b in raw
    ]
    quoted = [{k: h.get(k) for k in ("ServerId", "ServerIp", "Port", "ServerHealthStatus") if k in h}
              for h in health_rows]  # fmt: skip
    return backends, raw, quoted
