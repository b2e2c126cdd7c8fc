"""Broken scenarios of the design world "alb-gateway": what an ALB Ingress front door can break.

The www Ingress moved to path /shop (the controller followed: the request for / matches no rule
and the listener's default action forwards to the empty default server group, 503); every Pod of
shop fails the ALB's health check (the server group carries nothing); the api rule was deleted
from the listener by hand while its Ingress still asks for it (drift: the request falls to the
default action). flannel-nodeport: Service app/store was deleted and applied again and got a new
NodePort, while the ALB's Instance server group still sends to the old one on every node.
"""

from __future__ import annotations

from tools.demo_world.designs import alb_gateway as ag
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
