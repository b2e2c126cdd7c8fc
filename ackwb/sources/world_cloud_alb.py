"""ALB's read actions answered from a stored world (``cloud/alb/…``), with the real paging and filters.

Stored as the real answers: ``ListLoadBalancers.json``, ``ListListeners.json``, ``ListRules.json``,
``ListServerGroups.json`` and ``ListAcls.json`` hold the unfiltered list bodies;
``GetLoadBalancerAttribute/<LoadBalancerId>.json``, ``GetListenerAttribute/<ListenerId>.json``,
``GetListenerHealthStatus/<ListenerId>.json``, ``ListServerGroupServers/<ServerGroupId>.json`` and
``ListAclEntries/<AclId>.json`` one resource each. Request parameters are those of
alibabacloud_alb20200616 1.3.3, all in the query string: list filters ``LoadBalancerIds.N``,
``ListenerIds.N``, ``RuleIds.N``, ``ServerGroupIds.N``… (each up to 20 values), ``DNSName``,
``VpcIds.N``, ``Tag.N.Key``/``Tag.N.Value``; paging ``MaxResults`` (1–100, default 20; 1–30 for
GetListenerHealthStatus) and ``NextToken``, answered with ``MaxResults``, ``NextToken`` and
``TotalCount`` (GetListenerHealthStatus: ``NextToken`` only). ``IncludeRule`` (default false)
adds the per-rule health. The "not found" codes are UNCONFIRMED (reference section 7.7).
"""

from __future__ import annotations

from typing import Any

from ackwb.sources.world_cloud_kit import (
    Answer,
    Handler,
    Obj,
    Request,
    by_id,
    dig,
    eq,
    eqs,
    listing,
    load_by_id,
    one_of_indexed,
    stored_body,
    tokens,
)

PAGES = tokens("MaxResults", 20, 100, emit=("MaxResults", "NextToken", "TotalCount"))
SERVERS = "alb/ListServerGroupServers"


def _tags(item: Obj, request: Request) -> bool:
    """``Tag.N.Key`` / ``Tag.N.Value``: every tag asked for is on the resource."""
    wanted: dict[str, dict[str, str]] = {}
    for key, value in request.params.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "Tag" and parts[1].isdigit() and parts[2] in ("Key", "Value"):
            wanted.setdefault(parts[1], {})[parts[2]] = value
    have = {str(t.get("Key")): str(t.get("Value")) for t in item.get("Tags") or [] if isinstance(t, dict)}
    return all(
        w.get("Key") in have and ("Value" not in w or have[w["Key"]] == w["Value"]) for w in wanted.values()
    )


def _zones(item: Obj, request: Request) -> bool:
    """``ZoneId``: ListLoadBalancers' items carry no zones; the instance's attribute answer does."""
    wanted = request.get("ZoneId")
    if wanted is None:
        return True
    identifier = str(item.get("LoadBalancerId", ""))
    body = request.files.json(f"cloud/alb/GetLoadBalancerAttribute/{identifier}.json") if identifier else None
    zones = [str(z.get("ZoneId")) for z in (body or {}).get("ZoneMappings") or [] if isinstance(z, dict)]
    return wanted in zones


def _health(request: Request) -> Obj:
    """GetListenerHealthStatus: per-rule health only with ``IncludeRule=true``; paged by ``MaxResults``."""
    identifier = request.require("ListenerId")
    folder, code = "alb/GetListenerHealthStatus", "ResourceNotFound.Listener"
    stored = load_by_id(request, identifier, folder, code, "listener")
    if (request.get("IncludeRule") or "false").lower() != "true":
        stored = {k: v for k, v in stored.items() if k != "RuleHealthStatus"}
    paging = tokens("MaxResults", 20, 30, emit=("NextToken",))
    return Answer(("ListenerHealthStatus",), (), paging).build(request, stored)


SERVER_ANSWER = Answer(("Servers",), (one_of_indexed("ServerIds", "ServerId"), _tags), PAGES)


def _servers(request: Request) -> Obj:
    """ListServerGroupServers: one group's servers, or every group's when ``ServerGroupId`` is not given."""
    group = request.get("ServerGroupId")
    if group is not None:
        stored = load_by_id(request, group, SERVERS, "ResourceNotFound.ServerGroup", "server group")
        return SERVER_ANSWER.build(request, stored)
    servers: list[Any] = []
    for name in sorted(request.files.names(f"cloud/{SERVERS}")):
        body = stored_body(request, f"cloud/{SERVERS}/{name}")
        servers.extend(dig(body, ("Servers",)) or [])
    return SERVER_ANSWER.build(request, {"Servers": []}, servers)


# fmt: off
ALB_ACTIONS: dict[tuple[str, str], Handler] = {
    ("alb", "ListLoadBalancers"): listing("alb/ListLoadBalancers.json", Answer(
        ("LoadBalancers",),
        (one_of_indexed("LoadBalancerIds", "LoadBalancerId"),
         one_of_indexed("LoadBalancerNames", "LoadBalancerName"), one_of_indexed("VpcIds", "VpcId"),
         eq("DNSName", fold=True), eq("LoadBalancerBussinessStatus"),
         eq("PayType", "LoadBalancerBillingConfig.PayType"),
         *eqs("AddressType", "AddressIpVersion", "Ipv6AddressType", "LoadBalancerStatus", "ResourceGroupId"),
         _zones, _tags),
        PAGES)),
    ("alb", "GetLoadBalancerAttribute"): by_id(
        "LoadBalancerId", "alb/GetLoadBalancerAttribute", "ResourceNotFound.LoadBalancer", "load balancer"),
    ("alb", "ListListeners"): listing("alb/ListListeners.json", Answer(
        ("Listeners",),
        (one_of_indexed("ListenerIds", "ListenerId"), one_of_indexed("LoadBalancerIds", "LoadBalancerId"),
         eq("ListenerProtocol", fold=True), _tags),
        PAGES)),
    ("alb", "GetListenerAttribute"): by_id(
        "ListenerId", "alb/GetListenerAttribute", "ResourceNotFound.Listener", "listener"),
    ("alb", "ListRules"): listing("alb/ListRules.json", Answer(
        ("Rules",),
        (one_of_indexed("ListenerIds", "ListenerId"), one_of_indexed("LoadBalancerIds", "LoadBalancerId"),
         one_of_indexed("RuleIds", "RuleId"), eq("Direction", fold=True), _tags),
        PAGES)),
    ("alb", "ListServerGroups"): listing("alb/ListServerGroups.json", Answer(
        ("ServerGroups",),
        (one_of_indexed("ServerGroupIds", "ServerGroupId"),
         one_of_indexed("ServerGroupNames", "ServerGroupName"),
         eq("ServerGroupType", fold=True), *eqs("VpcId", "ResourceGroupId"), _tags),
        PAGES)),
    ("alb", "ListServerGroupServers"): _servers,
    ("alb", "GetListenerHealthStatus"): _health,
    ("alb", "ListAcls"): listing("alb/ListAcls.json", Answer(
        ("Acls",),
        (one_of_indexed("AclIds", "AclId"), one_of_indexed("AclNames", "AclName"), eq("ResourceGroupId"),
         _tags),
        PAGES)),
    ("alb", "ListAclEntries"): by_id(
        "AclId", "alb/ListAclEntries", "ResourceNotFound.Acl", "access control list",
        Answer(("AclEntries",), (), PAGES)),
}
# fmt: on
