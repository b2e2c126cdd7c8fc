"""Gateway API on ALB in the design world "alb-gateway": Gateway shop/alb-gw and HTTPRoute shop/store.

The ALB Ingress controller serves Gateway API too (v2.17+). Gateway ``alb-gw`` (class ``alb``,
one listener ``http``: HTTP 80 for ``*.gw.alb.abc.com``) is programmed on an ALB instance of its
own, as ACK documents it (a Gateway provisions an instance; an AlbConfig's instance is not
shared): gw-shop-alb-gw, in the same two zones as the AlbConfig's. HTTPRoute ``store`` attaches
to listener ``http`` for store.gw.alb.abc.com with two rules: PathPrefix /api sends 80 % to
Service api and 20 % to api-v2 (a canary with one Pod in zone h), PathPrefix / sends everything to
shop. The controller turned them into two forwarding rules on listener 80, in Gateway API's
precedence (the longer prefix first), and one server group of type Ip per Service port holding
the Pod IPs. store.gw.alb.abc.com is a CNAME to the Gateway ALB's DNS name.
"""

from __future__ import annotations

from tools.demo_world.alb_model import AlbGroup, AlbRuleSpec, AlbSpec
from tools.demo_world.designs.terway_nlb_net import APPS, HTTP, N2, NODE_H, NODE_I, REGISTRY
from tools.demo_world.ids import later
from tools.demo_world.kube_alb_gateway import AlbGatewaySpec, RouteRuleSpec, RouteSpec
from tools.demo_world.model import DnsRecord, Service, Workload

GW_CREATED = later(APPS, 86400 * 45)  # when the platform team added the Gateway
API_V2_POD = ("10.30.64.25", N2)
API_V2 = Workload(
    "shop",
    "api-v2",
    "Deployment",
    {"app": "api-v2"},
    f"{REGISTRY}/api:3.9.0-rc.1",
    (HTTP,),
    (API_V2_POD,),
    created=later(GW_CREATED, 60),
)
API_V2_SERVICE = Service(
    "shop", "api-v2", "192.168.152.41", (HTTP,), {"app": "api-v2"}, created=later(GW_CREATED, 60)
)
GW_API = AlbGroup("shop", "api", 8080, (("10.30.80.22", 8080),), prefix="gw")
GW_API_V2 = AlbGroup("shop", "api-v2", 8080, ((API_V2_POD[0], 8080),), prefix="gw")
GW_SHOP = AlbGroup("shop", "shop", 8080, (("10.30.64.21", 8080), ("10.30.80.21", 8080)), prefix="gw")
HOST = "store.gw.alb.abc.com"
ROUTE = RouteSpec(
    "shop",
    "store",
    (HOST,),
    "http",
    (
        RouteRuleSpec("/api", (("api", 8080, 80), ("api-v2", 8080, 20))),
        RouteRuleSpec("/", (("shop", 8080, 1),)),
    ),
    later(GW_CREATED, 120),
)
GW_ALB = AlbSpec(
    "gw-shop-alb-gw",
    "",
    ((NODE_H, "203.0.113.42", "10.30.1.61"), (NODE_I, "203.0.113.43", "10.30.2.61")),
    "",
    (
        AlbRuleSpec(80, 1, HOST, ("/api", "/api/*"), ((GW_API, 80), (GW_API_V2, 20)), route="shop/store"),
        AlbRuleSpec(80, 2, HOST, ("/*",), ((GW_SHOP, 100),), route="shop/store", route_rule=1),
    ),
    later(GW_CREATED, 30),
    gateway="shop/alb-gw",
    gateway_listener="http",
)
GATEWAY = AlbGatewaySpec("shop", "alb-gw", "http", 80, "*.gw.alb.abc.com", GW_ALB, (ROUTE,), GW_CREATED,
                         later(GW_CREATED, -600))  # fmt: skip
RECORDS = (
    DnsRecord("store.gw.alb", "CNAME", GW_ALB.dns_name, "tab store, through Gateway shop/alb-gw (ALB)"),
)
