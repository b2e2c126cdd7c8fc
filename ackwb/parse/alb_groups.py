"""Read ALB server groups, their servers and their health (``ListServerGroups``,
``ListServerGroupServers``, ``GetListenerHealthStatus``) into records.

Wire names from ``alibabacloud_alb20200616`` 1.3.3. A server group has ``ServerGroupId``,
``ServerGroupName``, ``ServerGroupType`` (Instance, Ip, Fc), ``Protocol``, ``VpcId`` and
``Tags[]``; the ALB Ingress controller tags the groups it makes with
``ingress.k8s.alibaba/service_ns``, ``/service_name``, ``/service_port`` and ``/ingress_name``
and names them ``<namespace>-<service>-<port>`` (alibaba/alibaba-load-balancer-controller,
``model_build_server_group.go``). A server has ``ServerId``, ``ServerIp``, ``ServerType``,
``Port``, ``Weight`` (0–100) and ``Status`` (Adding, Available, Configuring, Removing).
``GetListenerHealthStatus`` lists, per listener and (with ``IncludeRule``) per rule, each
server group's ``HealthCheckEnabled`` ("on" when checks run) and only its ``NonNormalServers``
with ``Status``: Initial (no result yet), Unhealthy, Unused (weight 0, or out of zone without
cross-zone balancing), Unavailable (health checks are off). A server that is not listed is normal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.parse.json_fields import Fields

GROUPS = Fields("alb:ListServerGroups")
SERVERS = Fields("alb:ListServerGroupServers")
HEALTH = Fields("alb:GetListenerHealthStatus")
TAG_PREFIX = "ingress.k8s.alibaba/"
NO_TRAFFIC = frozenset({"Unhealthy", "Unused"})  # health states that carry no requests


@dataclass(frozen=True)
class AlbServerGroup:
    server_group_id: str
    name: str
    type: str
    protocol: str
    vpc_id: str
    tags: dict[str, str] = field(compare=False, default_factory=dict)
    locator: str = ""

    def service(self) -> tuple[str, str, str] | None:
        """(namespace, service, port) the ALB Ingress controller made this group for, from its tags."""
        ns, name = self.tags.get(TAG_PREFIX + "service_ns"), self.tags.get(TAG_PREFIX + "service_name")
        port = self.tags.get(TAG_PREFIX + "service_port")
        return (ns, name, port) if ns and name and port else None


@dataclass(frozen=True)
class AlbServer:
    server_group_id: str
    server_id: str
    ip: str
    type: str
    port: int
    weight: int
    status: str
    locator: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.server_id or self.ip, self.port)


@dataclass(frozen=True)
class AbnormalServer:
    server_id: str
    ip: str
    port: int
    status: str
    reason: str  # Reason.ReasonCode, "" when absent
    locator: str = ""


@dataclass(frozen=True)
class GroupHealth:
    server_group_id: str
    checks_enabled: bool
    abnormal: tuple[AbnormalServer, ...]
    locator: str = ""

    def state_of(self, server: AlbServer) -> str:
        """Normal, or the state the listener's health status lists the server in."""
        for item in self.abnormal:
            if (item.server_id == server.server_id or (item.ip and item.ip == server.ip)) and \
                    item.port in (0, server.port):  # fmt: skip
                return item.status or "Unknown"
        return "Normal"


def _tags(fields: Fields, value: Any, where: str) -> dict[str, str]:
    return {fields.text(t.get("Key"), f"{at}.Key"): fields.text(t.get("Value"), f"{at}.Value")
            for at, t in fields.objs(value, where)}  # fmt: skip


def read_server_groups(body: Any) -> list[AlbServerGroup]:
    f = GROUPS
    items = body.get("ServerGroups") if isinstance(body, dict) else body
    return [
        AlbServerGroup(
            server_group_id=f.text(g.get("ServerGroupId"), f"{at}.ServerGroupId"),
            name=f.text(g.get("ServerGroupName"), f"{at}.ServerGroupName"),
            type=f.text(g.get("ServerGroupType"), f"{at}.ServerGroupType"),
            protocol=f.text(g.get("Protocol"), f"{at}.Protocol"),
            vpc_id=f.text(g.get("VpcId"), f"{at}.VpcId"),
            tags=_tags(f, g.get("Tags"), f"{at}.Tags"),
            locator=at,
        )
        for at, g in f.objs(items, "ServerGroups")
    ]


def read_servers(body: Any, server_group_id: str = "") -> list[AlbServer]:
    f = SERVERS
    items = body.get("Servers") if isinstance(body, dict) else body
    return [
        AlbServer(
            server_group_id=f.text(s.get("ServerGroupId"), f"{at}.ServerGroupId") or server_group_id,
            server_id=f.text(s.get("ServerId"), f"{at}.ServerId"),
            ip=f.text(s.get("ServerIp"), f"{at}.ServerIp"),
            type=f.text(s.get("ServerType"), f"{at}.ServerType"),
            port=f.number(s.get("Port"), f"{at}.Port", 0) or 0,
            weight=f.number(s.get("Weight"), f"{at}.Weight", 100) or 0,
            status=f.text(s.get("Status"), f"{at}.Status"),
            locator=at,
        )
        for at, s in f.objs(items, "Servers")
    ]


def _group_health(f: Fields, info: dict[str, Any], at: str) -> GroupHealth:
    abnormal = []
    for where, s in f.objs(info.get("NonNormalServers"), f"{at}.NonNormalServers"):
        reason = f.obj(s.get("Reason"), f"{where}.Reason")
        abnormal.append(AbnormalServer(
            server_id=f.text(s.get("ServerId"), f"{where}.ServerId"),
            ip=f.text(s.get("ServerIp"), f"{where}.ServerIp"),
            port=f.number(s.get("Port"), f"{where}.Port", 0) or 0,
            status=f.text(s.get("Status"), f"{where}.Status"),
            reason=f.text(reason.get("ReasonCode"), f"{where}.Reason.ReasonCode"),
            locator=where,
        ))  # fmt: skip
    enabled = f.text(info.get("HealthCheckEnabled"), f"{at}.HealthCheckEnabled").lower() == "on"
    group = f.text(info.get("ServerGroupId"), f"{at}.ServerGroupId")
    return GroupHealth(group, enabled, tuple(abnormal), at)


def read_health(body: Any) -> dict[str, GroupHealth]:
    """Server group ID → its health, from the listener part and then the per-rule part."""
    f = HEALTH
    body = f.obj(body, "answer")
    found: dict[str, GroupHealth] = {}
    for part in ("ListenerHealthStatus", "RuleHealthStatus"):
        for at, entry in f.objs(body.get(part), part):
            for where, info in f.objs(entry.get("ServerGroupInfos"), f"{at}.ServerGroupInfos"):
                health = _group_health(f, info, where)
                found.setdefault(health.server_group_id, health)
    return found
