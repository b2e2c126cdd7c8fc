"""ALB OpenAPI answers of a design world with an ALB Ingress front door (alibabacloud_alb20200616).

The ALB Ingress controller made the instance for an AlbConfig (tag ``ingress.k8s.alibaba/albconfig``),
one listener per port of the AlbConfig (HTTP 80, HTTPS 443 with a certificate). A listener's
default action can only forward (the SDK model's ``DefaultActions[]`` has ``Type`` ForwardGroup and
``ForwardGroupConfig`` alone): here it forwards to the AlbConfig's default server group, which holds
no server, so a request no rule takes is answered 503 by the ALB (ACK's ALB Ingress FAQ: "503 … No
matching routing rule"). One forwarding
rule per Ingress path in the controller's order (priorities 1, 2, … per listener, named
``rule-<port>-<priority>``), and one server group per Service port, tagged with the Service and
named ``<namespace>-<service>-<port>``. With Terway the groups are of type Ip and hold the Pod IPs.
The rules are written out in the design (``AlbSpec``) as the controller writes them, not derived
from the Ingresses here, so a test that compares the two compares two independent statements.
Shapes as in the frontdoor test world: plain arrays, ``MaxResults``/``NextToken``/``TotalCount``.
A Gateway's instance (``AlbSpec.gateway``) is made the same way, with listeners only on its rules'
ports, the Gateway's tags instead of the AlbConfig's, and its rules and groups tagged with the
HTTPRoute they were made for (the tag scheme is UNCONFIRMED: see ``alb_model``).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.alb_model import GATEWAY_TAG, TAG, AlbGroup, AlbRuleSpec, AlbSpec
from tools.demo_world.design import Design
from tools.demo_world.ids import ali_id, hexid

__all__ = ["AlbGroup", "AlbRuleSpec", "AlbSpec", "responses"]

Obj = dict[str, Any]


def _owner(a: AlbSpec, listener: bool = False) -> list[Obj]:
    """Who made the instance (or listener): an AlbConfig, or a Gateway (UNCONFIRMED tag scheme)."""
    if not a.gateway:
        return [{"Key": TAG + "albconfig", "Value": a.albconfig}]
    tags = [{"Key": GATEWAY_TAG + "gateway", "Value": a.gateway}]
    return tags + ([{"Key": GATEWAY_TAG + "listener", "Value": a.gateway_listener}] if listener else [])


def _route_tags(a: AlbSpec, r: AlbRuleSpec) -> list[Obj]:
    if not r.route:
        return []
    return [
        {"Key": GATEWAY_TAG + "gateway", "Value": a.gateway},
        {"Key": GATEWAY_TAG + "httproute", "Value": r.route},
        {"Key": GATEWAY_TAG + "httproute-rule", "Value": str(r.route_rule)},
    ]


def _group_route_tags(a: AlbSpec, g: AlbGroup) -> list[Obj]:
    routes = sorted({r.route for r in a.rules if r.route and any(f == g for f, _ in r.forward)})
    return [{"Key": GATEWAY_TAG + "httproute", "Value": route} for route in routes]


def _page(d: Design, seed: str, field: str, items: list[Obj]) -> Obj:
    return {
        field: items,
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": d.rid(seed),
        "TotalCount": len(items),
    }


def _lb(d: Design, a: AlbSpec) -> Obj:
    return {
        "LoadBalancerId": a.id,
        "LoadBalancerName": a.name,
        "DNSName": a.dns_name,
        "AddressType": "Internet",
        "AddressAllocatedMode": "Dynamic",
        "AddressIpVersion": "IPv4",
        "VpcId": d.vpc_id,
        "LoadBalancerStatus": "Active",
        "LoadBalancerBussinessStatus": "Normal",
        "LoadBalancerEdition": "Standard",
        "LoadBalancerBillingConfig": {"PayType": "PostPay"},
        "ResourceGroupId": "rg-" + hexid(f"rg {d.cluster_name}", 15),
        "CreateTime": a.created,
        "SecurityGroupIds": [],
        "Tags": [{"Key": "ack.aliyun.com", "Value": d.cluster_id}, *_owner(a)],
        "LoadBalancerOperationLocks": [],
    }


def _listener(a: AlbSpec, port: int) -> Obj:
    protocol = "HTTPS" if port == 443 else "HTTP"
    return {
        "ListenerId": a.listener_id(port),
        "LoadBalancerId": a.id,
        "ListenerPort": port,
        "ListenerProtocol": protocol,
        "ListenerStatus": "Running",
        "ListenerDescription": f"{port}/{protocol}",
        "IdleTimeout": 15,
        "RequestTimeout": 60,
        "GzipEnabled": True,
        "Http2Enabled": port == 443,
        "DefaultActions": [
            {
                "Type": "ForwardGroup",
                "ForwardGroupConfig": {"ServerGroupTuples": [{"ServerGroupId": a.default_group.id}]},
            }
        ],
        "Tags": _owner(a, listener=True),
    }


def _rule(a: AlbSpec, r: AlbRuleSpec) -> Obj:
    conditions: list[Obj] = [{"Type": "Host", "HostConfig": {"Values": [r.host]}}]
    conditions.append({"Type": "Path", "PathConfig": {"Values": list(r.paths)}})
    if r.redirect_to_port:
        action: Obj = {
            "Type": "Redirect",
            "Order": 1,
            "RedirectConfig": {"HttpCode": "301", "Protocol": "HTTPS", "Port": str(r.redirect_to_port)},
        }
    else:
        tuples = [{"ServerGroupId": g.id, "Weight": w} for g, w in r.forward]
        action = {"Type": "ForwardGroup", "Order": 1, "ForwardGroupConfig": {"ServerGroupTuples": tuples}}
    return {
        "RuleId": "rule-" + hexid(f"alb rule {a.name} {r.port} {r.priority}", 20),
        "RuleName": f"rule-{r.port}-{r.priority}",
        "Priority": r.priority,
        "RuleStatus": "Available",
        "Direction": "Request",
        "ListenerId": a.listener_id(r.port),
        "LoadBalancerId": a.id,
        "RuleConditions": conditions,
        "RuleActions": [action],
        "Tags": _route_tags(a, r),
    }


def _group(d: Design, a: AlbSpec, g: AlbGroup) -> Obj:
    tags = {"service_ns": g.namespace, "service_name": g.service, "service_port": str(g.port)}
    if g == a.default_group:
        tags = {"albconfig": a.albconfig}
    return {
        "ServerGroupId": g.id,
        "ServerGroupName": g.service if g == a.default_group else g.name,
        "ServerGroupType": g.type,
        "ServerGroupStatus": "Available",
        "Protocol": "HTTP",
        "Scheduler": "Wrr",
        "VpcId": d.vpc_id,
        "ServerCount": len(g.servers),
        "ConfigManagedEnabled": True,
        "HealthCheckConfig": {
            "HealthCheckEnabled": g.health_checks,
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPath": "/",
            "HealthCheckCodes": ["http_2xx", "http_3xx"],
            "HealthCheckInterval": 2,
            "HealthCheckTimeout": 5,
            "HealthyThreshold": 3,
            "UnhealthyThreshold": 3,
        },
        "StickySessionConfig": {"StickySessionEnabled": False},
        "RelatedLoadBalancerIds": [a.id],
        "Tags": [{"Key": TAG + k, "Value": v} for k, v in tags.items()] + _group_route_tags(a, g),
    }


def _server_id(g: AlbGroup, ip: str) -> str:
    """An Ip server is named by its address; an Ecs server by its node's instance ID (as ``Node``)."""
    return ali_id("i", "node " + ip, 18) if g.type == "Instance" else ip


def _servers(d: Design, g: AlbGroup) -> Obj:
    servers = [
        {
            "ServerGroupId": g.id,
            "ServerId": _server_id(g, ip),
            "ServerIp": ip,
            "ServerType": "Ecs" if g.type == "Instance" else "Ip",
            "Port": port,
            "Weight": 100,
            "Status": "Available",
            "Description": "",
        }
        for ip, port in g.servers
    ]
    return _page(d, f"alb servers {g.name}", "Servers", servers)


def _health(d: Design, a: AlbSpec, port: int) -> Obj:
    def info(g: AlbGroup) -> Obj:
        unchecked = [  # health checks off: every server is Unavailable, and still gets requests
            {"ServerId": _server_id(g, ip), "ServerIp": ip, "Port": port, "Status": "Unavailable"}
            for ip, port in g.servers
            if not g.health_checks
        ]
        return {
            "ServerGroupId": g.id,
            "ActionType": "ForwardGroup",
            "HealthCheckEnabled": "on" if g.health_checks else "off",
            "ServerCount": len(g.servers),
            "NonNormalServers": unchecked,
        }

    rules = [r for r in a.rules if r.port == port and r.forward]
    return {
        "ListenerHealthStatus": [
            {
                "ListenerId": a.listener_id(port),
                "ListenerPort": port,
                "ListenerProtocol": "HTTPS" if port == 443 else "HTTP",
                "ServerGroupInfos": [info(a.default_group)],
            }
        ],
        "RuleHealthStatus": [
            {"RuleId": _rule(a, r)["RuleId"], "ServerGroupInfos": [info(g) for g, _ in r.forward]}
            for r in rules
        ],
        "NextToken": "",
        "RequestId": d.rid(f"alb health {port}" + (f" {a.name}" if a.gateway else "")),
    }


def responses(d: Design) -> dict[str, Obj]:
    """Relative path under cloud/ → the ALB answers (none when the design has no ALB)."""
    out: dict[str, Obj] = {}
    albs: tuple[AlbSpec, ...] = d.albs  # type: ignore[assignment]
    if not albs:
        return out
    out["alb/ListLoadBalancers.json"] = _page(d, "alb lbs", "LoadBalancers", [_lb(d, a) for a in albs])
    out["alb/ListListeners.json"] = _page(
        d, "alb listeners", "Listeners", [_listener(a, p) for a in albs for p in a.ports]
    )
    out["alb/ListRules.json"] = _page(d, "alb rules", "Rules", [_rule(a, r) for a in albs for r in a.rules])
    groups = [(a, g) for a in albs for g in [*a.groups, a.default_group]]
    out["alb/ListServerGroups.json"] = _page(
        d, "alb groups", "ServerGroups", [_group(d, a, g) for a, g in groups]
    )
    for a in albs:
        zones = [
            {
                "ZoneId": v.zone,
                "VSwitchId": v.id,
                "Status": "Active",
                "LoadBalancerAddresses": [
                    {
                        "Address": public,
                        "IntranetAddress": private,
                        "AllocationId": ali_id("eip", f"alb {public}"),
                        "EipType": "Common",
                    }
                ],
            }
            for v, public, private in a.zones
        ]
        out[f"alb/GetLoadBalancerAttribute/{a.id}.json"] = {
            **_lb(d, a),
            "RegionId": "cn-hangzhou",
            "ZoneMappings": zones,
            "RequestId": d.rid(f"alb {a.id}"),
        }
        for port in a.ports:
            attribute = {
                **_listener(a, port),
                "CaEnabled": False,
                "CaCertificates": [],
                "Certificates": [],
                "RequestId": d.rid(f"alb lsn {port}" + (f" {a.name}" if a.gateway else "")),
            }
            if port == 443:
                attribute["Certificates"] = [{"CertificateId": a.certificate}]
                attribute["SecurityPolicyId"] = "tls_cipher_policy_1_2"
            out[f"alb/GetListenerAttribute/{a.listener_id(port)}.json"] = attribute
            out[f"alb/GetListenerHealthStatus/{a.listener_id(port)}.json"] = _health(d, a, port)
        for g in [*a.groups, a.default_group]:
            out[f"alb/ListServerGroupServers/{g.id}.json"] = _servers(d, g)
    return out
