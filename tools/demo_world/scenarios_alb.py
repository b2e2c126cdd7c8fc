"""Broken scenarios of the design world "alb-gateway": what an ALB Ingress front door can break.

The www Ingress moved to path /shop (the controller followed: the request for / matches no rule
and the listener's default action forwards to the empty default server group, 503); every Pod of
shop fails the ALB's health check (the server group carries nothing); the api rule was deleted
from the listener by hand while its Ingress still asks for it (drift: the request falls to the
default action); HTTPRoute shop/store names a listener section the Gateway does not have, so the
controller does not accept it and programs no rule for it (the Gateway ALB's default action answers);
NetworkPolicy allow-alb was deleted, so namespace shop's default deny refuses the ALB's connections
from its vSwitches. flannel-nodeport: Service app/store was deleted and applied again and got a new
NodePort, while the ALB's Instance server group still sends to the old one on every node.
"""

from __future__ import annotations

from tools.demo_world.designs import alb_gateway as ag
from tools.demo_world.designs import alb_gateway_api as gw
from tools.demo_world.designs import flannel_nodeport as fln
from tools.demo_world.designs import flannel_nodeport_alb as fln_alb
from tools.demo_world.draft import Draft
from tools.demo_world.ids import later
from tools.demo_world.scenario import Scenario

AG = "alb-gateway"


def _rule(d: Draft, host: str, port: int) -> dict:
    listener = ag.ALB.listener_id(port)
    rules = d.cloud("alb/ListRules.json")["Rules"]
    return next(
        r
        for r in rules
        if r["ListenerId"] == listener and r["RuleConditions"][0]["HostConfig"]["Values"] == [host]
    )


def no_rule_matches(d: Draft) -> None:
    """Ingress www-alb now serves path /shop only (Prefix); the controller rewrote its rules to
    /shop and /shop/*, so a request for www.alb.abc.com/ matches no rule."""
    ingress = d.get("ingresses", "www-alb", "shop")
    ingress["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/shop"
    d.touched(ingress, "path /shop", spec_changed=True)
    for port in (80, 443):
        _rule(d, "www.alb.abc.com", port)["RuleConditions"][1]["PathConfig"]["Values"] = ["/shop", "/shop/*"]


def group_unhealthy(d: Draft) -> None:
    """shop's new image answers its health check path / with 500: every server of server group
    shop-shop-8080 is Unhealthy in the ALB's health status."""
    for port in (80, 443):
        body = d.cloud(f"alb/GetListenerHealthStatus/{ag.ALB.listener_id(port)}.json")
        for rule in body["RuleHealthStatus"]:
            for info in rule["ServerGroupInfos"]:
                if info["ServerGroupId"] == ag.SHOP_GROUP.id:
                    info["NonNormalServers"] = [
                        {
                            "ServerId": ip,
                            "ServerIp": ip,
                            "Port": p,
                            "Status": "Unhealthy",
                            "Reason": {
                                "ReasonCode": "RESPONSE_MISMATCH",
                                "ExpectedResponse": "HTTP_2xx,HTTP_3xx",
                                "ActualResponse": "500",
                            },
                        }
                        for ip, p in ag.SHOP_GROUP.servers
                    ]


def rule_drift(d: Draft) -> None:
    """The forwarding rule of api.alb.abc.com on listener 80 was deleted in the ALB console; Ingress
    api-alb still asks for it and the controller has not reconciled yet."""
    body = d.cloud("alb/ListRules.json")
    gone = _rule(d, "api.alb.abc.com", 80)
    body["Rules"] = [r for r in body["Rules"] if r["RuleId"] != gone["RuleId"]]
    body["TotalCount"] = len(body["Rules"])


def route_not_accepted(d: Draft) -> None:
    """HTTPRoute shop/store was re-applied with parentRef sectionName https (the Gateway has only
    listener http): the controller sets Accepted=False, NoMatchingParent, and removes the route's
    forwarding rules from the Gateway's ALB, whose listener's default action now answers."""
    route = d.get("httproutes", "store", "shop")
    route["spec"]["parentRefs"][0]["sectionName"] = "https"
    d.touched(route, "section https", spec_changed=True)
    parent = route["status"]["parents"][0]
    parent["parentRef"]["sectionName"] = "https"
    for condition in parent["conditions"]:
        condition["observedGeneration"] = route["metadata"]["generation"]
        if condition["type"] == "Accepted":
            condition.update(
                status="False",
                reason="NoMatchingParent",
                message="Gateway shop/alb-gw has no listener named https",
            )
    gateway = d.get("gateways", "alb-gw", "shop")
    gateway["status"]["listeners"][0]["attachedRoutes"] = 0
    body = d.cloud("alb/ListRules.json")
    listener = gw.GW_ALB.listener_id(80)
    gone = {r["RuleId"] for r in body["Rules"] if r["ListenerId"] == listener}
    body["Rules"] = [r for r in body["Rules"] if r["RuleId"] not in gone]
    body["TotalCount"] = len(body["Rules"])
    health = d.cloud(f"alb/GetListenerHealthStatus/{listener}.json")
    health["RuleHealthStatus"] = [r for r in health["RuleHealthStatus"] if r["RuleId"] not in gone]


def netpol_denies(d: Draft) -> None:
    """allow-alb was deleted in a clean-up ("the apps only take traffic from ingress-nginx"): the
    ALB connects from its vSwitches' addresses, which namespace shop's default deny refuses."""
    policies = d.items("networkpolicies")
    policies[:] = [p for p in policies if p["metadata"]["name"] != ag.ALLOW_ALB.name]


def instance_nodeport_stale(d: Draft) -> None:
    """Service app/store was deleted and applied again (a new ClusterIP 172.21.10.97 and nodePort 31574);
    the ALB Ingress controller did not reconcile the Ingress since, so server group app-store-80 still
    holds the four nodes on the old NodePort 30910, where kube-proxy has no rule any more."""
    store = fln_alb.service(later(fln.ALB_CREATED, 86400 * 3), fln_alb.RECREATED_NODE_PORT, "172.21.10.97")
    d.rebuild(fln.design(store=store))


SCENARIOS = [
    Scenario(
        name="alb-no-rule-matches",
        family="load balancer",
        summary="Ingress www-alb serves /shop only: a request for www.alb.abc.com/ matches no ALB rule "
        "and the listener's default action forwards to the empty default server group (503)",
        expect="ALB_NO_RULE_MATCHES on listener 80 of k8s-alb-tab: the default action forwards to server "
        "group alb-default, which holds no server (ALB_GROUP_EMPTY)",
        domain="www.alb.abc.com",
        edit=no_rule_matches,
        base=AG,
    ),
    Scenario(
        name="alb-group-unhealthy",
        family="load balancer",
        summary="every Pod of shop fails the ALB health check: server group shop-shop-8080 carries nothing",
        expect="ALB_GROUP_UNHEALTHY for server group shop-shop-8080 (10.30.64.21:8080 and 10.30.80.21:8080 "
        "Unhealthy)",
        domain="www.alb.abc.com",
        edit=group_unhealthy,
        base=AG,
    ),
    Scenario(
        name="alb-rule-drift",
        family="load balancer",
        summary="the ALB rule for api.alb.abc.com on listener 80 was deleted by hand: Ingress api-alb still "
        "asks for it",
        expect="ALB_INGRESS_RULE_MISSING for shop/api-alb (api.alb.abc.com /*); the default action "
        "forwards to the empty default server group",
        domain="api.alb.abc.com",
        edit=rule_drift,
        base=AG,
    ),
    Scenario(
        name="gateway-route-not-accepted",
        family="load balancer",
        summary="HTTPRoute shop/store names listener section https, which Gateway alb-gw does not have: not "
        "accepted, no ALB rule for store.gw.alb.abc.com",
        expect="GATEWAY_ROUTE_NOT_ACCEPTED for shop/store (Accepted=False, NoMatchingParent); the Gateway "
        "ALB's default action forwards to its empty default server group",
        domain=gw.HOST,
        edit=route_not_accepted,
        base=AG,
    ),
    Scenario(
        name="alb-netpol-denies",
        family="pod",
        summary="NetworkPolicy allow-alb was deleted: namespace shop's default deny refuses the ALB, which "
        "connects to the Pods from addresses of its vSwitches",
        expect="NETWORK_POLICY_DENIES on shop's Pods: shop/allow-ingress-nginx and shop/default-deny-ingress "
        "allow no source in 10.30.1.0/24 or 10.30.2.0/24 on TCP 8080",
        domain="www.alb.abc.com",
        edit=netpol_denies,
        base=AG,
    ),
    Scenario(
        name="alb-instance-nodeport-stale",
        family="load balancer",
        summary="Service app/store was recreated with NodePort 31574: the ALB's Instance server group "
        "app-store-80 still sends to NodePort 30910",
        expect="ALB_GROUP_NODEPORT_STALE for server group app-store-80 (NodePort 30910; Service app/store "
        "port 80 has nodePort 31574): kube-proxy has no rule for 30910 on the nodes",
        domain="store.fln.abc.com",
        edit=instance_nodeport_stale,
        base="flannel-nodeport",
    ),
]
