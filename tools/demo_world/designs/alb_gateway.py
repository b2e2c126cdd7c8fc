"""The design world "alb-gateway": the terway-nlb cluster's applications behind an ALB Ingress.

Same network as terway-nlb (Terway ENIIP with pod vSwitches in zones h and i, IPVS), with an
AlbConfig ``alb`` whose ALB k8s-alb-tab listens on HTTP 80 and HTTPS 443 (a certificate from
Certificate Management Service). Three Ingresses of class ``alb`` in namespace shop: www → shop,
api → api, pay → pay with a ``tls`` section and ``ssl-redirect`` (HTTP answers 301 to HTTPS).
With Terway the server groups are of type Ip and hold the Pod IPs: the ALB sends to the Pods
directly, no NodePort, no kube-proxy, no controller Pod on the data path. The listeners' default
action forwards to the AlbConfig's default server group, which holds no server (503). The hosts
are CNAMEs to the ALB's DNS name. The ingress-nginx NLB of terway-nlb stays, so one world holds
both front doors (shop.tnl and www.alb are decided apart by what the cloud says owns their names).
Gateway API on ALB (Gateway shop/alb-gw, HTTPRoute shop/store, host store.gw.alb) is in
``alb_gateway_api``: a third front door, on an ALB instance of its own.
"""

from __future__ import annotations

from dataclasses import replace

from tools.demo_world.cloud_alb import AlbGroup, AlbRuleSpec, AlbSpec
from tools.demo_world.design import NetworkPolicy, PolicyPeer
from tools.demo_world.designs import alb_gateway_api as gw
from tools.demo_world.designs import terway_nlb as tnl
from tools.demo_world.designs.terway_nlb_net import APPS, NODE_H, NODE_I
from tools.demo_world.ids import later
from tools.demo_world.model import DnsRecord, IngressRule

SHOP_GROUP = AlbGroup("shop", "shop", 8080, (("10.30.64.21", 8080), ("10.30.80.21", 8080)))
API_GROUP = AlbGroup("shop", "api", 8080, (("10.30.80.22", 8080),))
PAY_GROUP = AlbGroup("shop", "pay", 8080, (("10.30.64.22", 8080),))
ALB_CREATED = later(APPS, 86400 * 30)
# as the controller writes them: Ingresses in namespace/name order, one rule per path; on 80 the
# tls host pay (ssl-redirect) gets a redirect, on 443 every Ingress without tls and pay's host
RULES = (
    AlbRuleSpec(80, 1, "api.alb.abc.com", ("/*",), ((API_GROUP, 100),)),
    AlbRuleSpec(80, 2, "pay.alb.abc.com", ("/*",), redirect_to_port=443),
    AlbRuleSpec(80, 3, "www.alb.abc.com", ("/*",), ((SHOP_GROUP, 100),)),
    AlbRuleSpec(443, 1, "api.alb.abc.com", ("/*",), ((API_GROUP, 100),)),
    AlbRuleSpec(443, 2, "pay.alb.abc.com", ("/*",), ((PAY_GROUP, 100),)),
    AlbRuleSpec(443, 3, "www.alb.abc.com", ("/*",), ((SHOP_GROUP, 100),)),
)
ALB = AlbSpec(
    "k8s-alb-tab",
    "alb",
    ((NODE_H, "203.0.113.40", "10.30.1.60"), (NODE_I, "203.0.113.41", "10.30.2.60")),
    "12345678-cn-hangzhou",
    RULES,
    ALB_CREATED,
)
ALB_INGRESSES = (
    IngressRule(
        "www-alb",
        "www.alb.abc.com",
        "shop",
        namespace="shop",
        ingress_class="alb",
        created=later(ALB_CREATED, 120),
    ),
    IngressRule(
        "api-alb",
        "api.alb.abc.com",
        "api",
        namespace="shop",
        ingress_class="alb",
        created=later(ALB_CREATED, 130),
    ),
    IngressRule(
        "pay-alb",
        "pay.alb.abc.com",
        "pay",
        namespace="shop",
        ingress_class="alb",
        tls_secret="pay-tls",
        annotations=(("ssl-redirect", "true"),),
        created=later(ALB_CREATED, 140),
    ),
)
# the ALB connects to the Pods from addresses of its zones' vSwitches: namespace shop's default
# deny would refuse it, so the ALB's vSwitches are let in on the apps' port, as ACK's docs advise
ALLOW_ALB = NetworkPolicy(
    "shop",
    "allow-alb",
    {},
    tuple(PolicyPeer(None, None, vsw.cidr) for vsw in (NODE_H, NODE_I)),
    (("TCP", 8080),),
    created=later(ALB_CREATED, 110),
)
VIA_ALB = "tab shop, through the ALB Ingress (k8s-alb-tab)"
ALB_RECORDS = tuple(DnsRecord(f"{h}.alb", "CNAME", ALB.dns_name, VIA_ALB) for h in ("www", "api", "pay"))

DESIGN = replace(
    tnl.DESIGN,
    name="alb-gateway",
    summary="terway-nlb's cluster behind an ALB Ingress: AlbConfig alb, ALB k8s-alb-tab with HTTP 80 and "
    "HTTPS 443 (certificate), server groups of type Ip holding Pod IPs; www, api, and pay (tls, "
    "ssl-redirect: 301 to HTTPS); Gateway API on a second ALB: Gateway alb-gw, HTTPRoute store (/api 80/20 "
    "across api and api-v2, / to shop); the ingress-nginx NLB stays beside it",
    description=tnl.DESIGN.description
    + " Beside it an ALB Ingress front door: AlbConfig alb made ALB k8s-alb-tab (listeners HTTP 80 and "
    "HTTPS 443 with certificate 12345678-cn-hangzhou, default action to an empty default server group), "
    "one forwarding rule per Ingress path and server groups of type Ip holding the Pod IPs of shop, api "
    "and pay. Hosts www.alb, api.alb and pay.alb (tls, ssl-redirect) are CNAMEs to the ALB's DNS name; "
    "NetworkPolicy allow-alb lets the ALBs' vSwitches (10.30.1.0/24, 10.30.2.0/24) reach the apps' port. "
    "Gateway API on ALB: GatewayClass alb, Gateway shop/alb-gw (listener http, HTTP 80) programmed on ALB "
    "gw-shop-alb-gw, HTTPRoute shop/store for store.gw.alb.abc.com: /api to api (80) and api-v2 (20), / to "
    "shop, as two forwarding rules and server groups of type Ip.",
    ingresses=tnl.DESIGN.ingresses + ALB_INGRESSES,
    dns_records=tnl.DESIGN.dns_records + ALB_RECORDS + gw.RECORDS,
    albs=(ALB, gw.GW_ALB),
    alb_gateways=(gw.GATEWAY,),
    workloads=(*tnl.DESIGN.workloads, gw.API_V2),
    services=(*tnl.DESIGN.services, gw.API_V2_SERVICE),
    policies=tnl.DESIGN.policies + (ALLOW_ALB,),
)
