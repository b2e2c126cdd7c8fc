"""The Envoy Gateway front door of the design world "terway-eni-https".

Envoy Gateway made one Envoy Deployment and one LoadBalancer Service for Gateway store/eg (class
eg) in namespace envoy-gateway-system, named ``envoy-<namespace>-<name>-<first 8 hex of
sha256("store/eg")>`` and labelled with the owning Gateway, as envoyproxy/gateway's
infrastructure code does. The proxy Service's CLB tee-eg-lb has a TCP listener on 80; with
Terway exclusive ENI its backends are the two proxy Pods' own ENIs (CCM backend-type eni) on
the container port 10080 (Envoy binds a privileged listener port 10000 higher). The Pod
security group lets clients in on 10080 (a TCP listener keeps their address).
The Gateway's HTTP listener takes ``*.gw.tee.abc.com``; HTTPRoute store/shop sends /api to
Service api and / to web and web-next by weight 90/10, and redirects /blog to docs (301);
HTTPRoute store/docs sends docs.gw.tee.abc.com to Service docs in namespace web, which a
ReferenceGrant in web allows.
"""

from __future__ import annotations

import hashlib

from tools.demo_world.design import Namespace, SgRule
from tools.demo_world.ids import later
from tools.demo_world.kube_gateway import Backend, EnvoyGateway, Grant, Route, Rule
from tools.demo_world.model import DnsRecord, LoadBalancer, Service, ServicePort, Workload

APPS = "2024-05-21T05:58:36Z"  # as terway_eni_https.APPS
EG_CREATED = later(APPS, 86400 * 40)
ROUTES_CREATED = later(EG_CREATED, 600)
EG_NAMESPACE = "envoy-gateway-system"
PROXY = "envoy-store-eg-" + hashlib.sha256(b"store/eg").hexdigest()[:8]
OWNER = {
    "gateway.envoyproxy.io/owning-gateway-name": "eg",
    "gateway.envoyproxy.io/owning-gateway-namespace": "store",
}
PROXY_LABELS = {
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
    "app.kubernetes.io/name": "envoy",
    **OWNER,
}
EG_LB = LoadBalancer("tee-eg-lb", "203.0.113.81", protocols=((80, "tcp"),))
HTTP = ServicePort("http", "TCP", 8080, 8080)
REGISTRY = "registry.cn-hangzhou.aliyuncs.com/tee"


def workloads(n1: str, n2: str, n3: str) -> tuple[Workload, ...]:
    def app(name: str, image: str, replicas: tuple[tuple[str, str], ...]) -> Workload:
        return Workload("store", name, "Deployment", {"app": name}, f"{REGISTRY}/{image}", (HTTP,), replicas,
                        created=EG_CREATED)  # fmt: skip

    proxy = Workload(
        EG_NAMESPACE,
        PROXY,
        "Deployment",
        PROXY_LABELS,
        "docker.io/envoyproxy/envoy:distroless-v1.35.3",
        (ServicePort("http-80", "TCP", 10080, 10080),),
        (("10.40.16.61", n1), ("10.40.16.62", n3)),
        container="envoy",
        created=EG_CREATED,
    )
    return (
        proxy,
        app("api", "shop-api:1.8.0", (("10.40.16.71", n1),)),
        app("web", "shop-web:3.2.1", (("10.40.16.72", n2), ("10.40.16.73", n3))),
        app("web-next", "shop-web:3.3.0-rc.2", (("10.40.16.74", n1),)),
    )


SERVICES = (
    Service(
        EG_NAMESPACE,
        PROXY,
        "172.22.60.20",
        (ServicePort("http-80", "TCP", 80, 10080, 30780),),
        PROXY_LABELS,
        labels=dict(PROXY_LABELS),
        load_balancer=EG_LB,
        health_check_node_port=31781,
        created=EG_CREATED,
        traffic_policy="Local",
        backend_type="eni",
    ),
    Service("store", "api", "172.22.50.11", (HTTP,), {"app": "api"}, created=EG_CREATED),
    Service("store", "web", "172.22.50.12", (HTTP,), {"app": "web"}, created=EG_CREATED),
    Service("store", "web-next", "172.22.50.13", (HTTP,), {"app": "web-next"}, created=EG_CREATED),
)
SHOP = Route(
    "store",
    "shop",
    "shop.gw.tee.abc.com",
    (
        Rule("/api", (Backend("api", 8080),)),
        Rule("/blog", redirect=(("hostname", "docs.gw.tee.abc.com"), ("statusCode", 301))),
        Rule("/", (Backend("web", 8080, 90), Backend("web-next", 8080, 10))),
    ),
    ROUTES_CREATED,
)
DOCS = Route("store", "docs", "docs.gw.tee.abc.com", (Rule("/", (Backend("docs", 8080, 1, "web"),)),),
             later(ROUTES_CREATED, 60))  # fmt: skip
GRANT = Grant("web", "store-to-docs", "store", "docs", later(ROUTES_CREATED, 30))


def gateway(grants: tuple[Grant, ...] = (GRANT,)) -> EnvoyGateway:
    """Gateway store/eg (a scenario takes the ReferenceGrant away)."""
    return EnvoyGateway("store", "eg", "eg", 80, "*.gw.tee.abc.com", EG_LB.address, 2, (SHOP, DOCS), grants,
                        EG_CREATED)  # fmt: skip


NAMESPACES = (Namespace(EG_NAMESPACE, EG_CREATED), Namespace("store", EG_CREATED))
VIA = "tee via tee-eg-lb (Envoy Gateway store/eg)"
DNS_RECORDS = tuple(DnsRecord(f"{h}.gw.tee", "A", EG_LB.address, VIA) for h in ("shop", "docs"))
POD_RULE = SgRule(
    "Accept", "TCP", "10080/10080", "0.0.0.0/0", 1, "Envoy Gateway proxies: listener 80 (bound on 10080), "
    "from tee-eg-lb with the client's address",
)  # fmt: skip
