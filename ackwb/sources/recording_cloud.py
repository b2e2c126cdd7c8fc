"""Snapshot capture of cloud answers: where each action's answer is kept in the world it writes.

A list action's items are merged into one body per action (``LISTED``: file, items path, id
field); a per-resource action keeps one body per ID (``BY_ID``: the ID parameter and, for paged
answers, the items path), in the layout the world source reads. Every ID that becomes part of
a file name must be a plain name (``safe_part``); an answer that would need any other file
name is not kept, and the capture says so. Every call is listed in the manifest (``answered``),
with its error when it failed; a call whose answer was not kept whole is not, so a replay says
"not in this snapshot" rather than answer from half of it.
"""

from __future__ import annotations

import json
from typing import Any

from ackwb.errors import AckwbError
from ackwb.sources import queries
from ackwb.sources.replay import error_record
from ackwb.sources.world_archive import safe_relative

Obj = dict[str, Any]

LISTED: dict[tuple[str, str], tuple[str, tuple[str, ...], str]] = {
    ("slb", "DescribeLoadBalancers"): (
        "slb/DescribeLoadBalancers.json", ("LoadBalancers", "LoadBalancer"), "LoadBalancerId"),
    ("slb", "DescribeLoadBalancerListeners"): (
        "slb/DescribeLoadBalancerListeners.json", ("Listeners",), "ListenerPort"),
    ("ecs", "DescribeNetworkInterfaces"): (
        "ecs/DescribeNetworkInterfaces.json",
        ("NetworkInterfaceSets", "NetworkInterfaceSet"),
        "NetworkInterfaceId",
    ),
    ("ecs", "DescribeInstances"): ("ecs/DescribeInstances.json", ("Instances", "Instance"), "InstanceId"),
    ("vpc", "DescribeVpcs"): ("vpc/DescribeVpcs.json", ("Vpcs", "Vpc"), "VpcId"),
    ("vpc", "DescribeNatGateways"): (
        "vpc/DescribeNatGateways.json", ("NatGateways", "NatGateway"), "NatGatewayId"),
    ("vpc", "DescribeEipAddresses"): (
        "vpc/DescribeEipAddresses.json", ("EipAddresses", "EipAddress"), "AllocationId"),
    ("nlb", "ListLoadBalancers"): ("nlb/ListLoadBalancers.json", ("LoadBalancers",), "LoadBalancerId"),
    ("nlb", "ListListeners"): ("nlb/ListListeners.json", ("Listeners",), "ListenerId"),
    ("nlb", "ListServerGroups"): ("nlb/ListServerGroups.json", ("ServerGroups",), "ServerGroupId"),
    ("alb", "ListLoadBalancers"): ("alb/ListLoadBalancers.json", ("LoadBalancers",), "LoadBalancerId"),
    ("alb", "ListListeners"): ("alb/ListListeners.json", ("Listeners",), "ListenerId"),
    ("alb", "ListRules"): ("alb/ListRules.json", ("Rules",), "RuleId"),
    ("alb", "ListServerGroups"): ("alb/ListServerGroups.json", ("ServerGroups",), "ServerGroupId"),
    ("alb", "ListAcls"): ("alb/ListAcls.json", ("Acls",), "AclId"),
    ("pvtz", "DescribeZones"): ("pvtz/DescribeZones.json", ("Zones", "Zone"), "ZoneId"),
}  # fmt: skip
BY_ID: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("slb", "DescribeAccessControlListAttribute"): ("AclId", ("AclEntrys", "AclEntry")),
    ("slb", "DescribeVServerGroups"): ("LoadBalancerId", ()),
    ("slb", "DescribeVServerGroupAttribute"): ("VServerGroupId", ()),
    ("slb", "DescribeHealthStatus"): ("LoadBalancerId", ("BackendServers", "BackendServer")),
    ("vpc", "DescribeVSwitchAttributes"): ("VSwitchId", ()),
    ("vpc", "DescribeRouteEntryList"): ("RouteTableId", ("RouteEntrys", "RouteEntry")),
    ("vpc", "DescribeSnatTableEntries"): ("SnatTableId", ("SnatTableEntries", "SnatTableEntry")),
    ("cs", "DescribeClusterDetail"): ("ClusterId", ()),
    ("nlb", "ListServerGroupServers"): ("ServerGroupId", ("Servers",)),
    ("nlb", "GetListenerHealthStatus"): ("ListenerId", ("ListenerHealthStatus",)),
    ("ecs", "DescribeSecurityGroupAttribute"): ("SecurityGroupId", ("Permissions", "Permission")),
    ("alb", "GetLoadBalancerAttribute"): ("LoadBalancerId", ()),
    ("alb", "GetListenerAttribute"): ("ListenerId", ()),
    ("alb", "ListServerGroupServers"): ("ServerGroupId", ("Servers",)),
    ("alb", "GetListenerHealthStatus"): ("ListenerId", ("ListenerHealthStatus",)),
    ("alb", "ListAclEntries"): ("AclId", ("AclEntries",)),
    ("pvtz", "DescribeZoneInfo"): ("ZoneId", ()),
    ("pvtz", "DescribeZoneRecords"): ("ZoneId", ("Records", "Record")),
}


def safe_part(value: Any) -> str | None:
    """``value`` when it can be one file-name component (an ID, a zone name), else None."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text or len(text) > 253 or text.startswith(".") or "/" in text:
        return None
    plain = text.replace(".", "").replace("-", "").replace("_", "").isalnum()
    return text if plain and safe_relative(text) else None


class RecordingCloud:
    """``CloudSource`` that answers from ``inner`` and keeps each answer in the recording."""

    def __init__(self, inner: Any, rec: Any) -> None:
        self.inner, self.rec, self.region = inner, rec, inner.region

    def call(self, product: str, action: str, params: Obj) -> Obj:
        self.rec.note(f"{product}:{action}")
        key = queries.cloud(product, action, params)
        try:
            body = self.inner.call(product, action, params)
        except AckwbError as error:
            self.rec.answered(key, {"error": error_record(error)})
            raise
        if self.rec.guard(f"{product}:{action}", lambda: self._keep(product, action, params, body)):
            # an empty list is an answer no stored file may be left to say: the manifest keeps it
            self.rec.answered(key, {"answer": body} if _empty(product, action, body) else None)
        return body

    def _keep(self, product: str, action: str, params: Obj, body: Obj) -> None:
        if product == "alidns" and action in ("DescribeSubDomainRecords", "DescribeDomainRecords"):
            records = [r for r in _dig(body, ("DomainRecords", "Record")) or [] if isinstance(r, dict)]
            for zone in sorted({str(r.get("DomainName", "")) for r in records}):
                name = safe_part(zone)
                if name is None:
                    self.rec.refuse(f"alidns zone {zone!r}")
                    continue
                wrapper = {"DomainRecords": {"Record": []}, "RequestId": body.get("RequestId", "")}
                mine = [r for r in records if r.get("DomainName") == zone]
                self.rec.merge_items(
                    f"cloud/alidns/DescribeDomainRecords/{name}.json",
                    wrapper,
                    ("DomainRecords", "Record"),
                    lambda r: str(r.get("RecordId")),
                    mine,
                )
        elif (product, action) in LISTED:
            path, items_path, id_field = LISTED[(product, action)]
            items = [i for i in _dig(body, items_path) or [] if isinstance(i, dict)]
            wrapper = {k: v for k, v in body.items() if k != items_path[0]}
            key = (
                (lambda i: (str(i.get("LoadBalancerId")), str(i.get(id_field))))
                if action.endswith("Listeners")
                else (lambda i: str(i.get(id_field)))
            )
            self.rec.merge_items(f"cloud/{path}", wrapper, items_path, key, items)
        elif (product, action) in BY_ID:
            id_param, items_path = BY_ID[(product, action)]
            identifier = safe_part(params.get(id_param))
            if identifier is None:
                self.rec.refuse(f"{product}:{action} {id_param}={params.get(id_param)!r}")
                return
            path = f"cloud/{product}/{action}/{identifier}.json"
            if items_path and path in self.rec.files:  # a further page, or another filter
                key = lambda i: json.dumps(i, sort_keys=True)  # noqa: E731
                items = _dig(body, items_path)
                self.rec.merge_items(path, body, items_path, key, items if isinstance(items, list) else [])
            else:
                self.rec.files[path] = json.loads(json.dumps(body))


def _empty(product: str, action: str, body: Obj) -> bool:
    """Whether the answer lists no item at all (the items path of its action holds [])."""
    if product == "alidns":
        path: tuple[str, ...] = ("DomainRecords", "Record")
    elif (product, action) in LISTED:
        path = LISTED[(product, action)][1]
    else:
        path = BY_ID.get((product, action), ("", ()))[1]
    return bool(path) and _dig(body, path) == []


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        body = body.get(part) if isinstance(body, dict) else None
    return body
