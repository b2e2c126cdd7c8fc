"""Applications of the design world "terway-nlb": what its teams run and how ingress-nginx serves it.

Namespace shop holds shop (two Pods, one per zone), pay (``sessionAffinity: ClientIP``, which
ingress-nginx bypasses: it balances to the Pod IPs itself), api, grpc (a gRPC server on 50051 and
metrics on 9090: the Ingress names the port ``grpc``, whose targetPort is the container port name),
search (a headless Service: nginx balances to its Pod IPs, kube-proxy has no rule for it) and
partner (an ExternalName Service for a partner's API on the internet). Namespace ops holds admin.
NetworkPolicies in shop deny ingress by default and let the controllers in on the apps' ports.

The Ingresses use what teams use: pay has a ``tls`` section (nginx answers plain HTTP with 308 to
https), shop has a second Ingress for ``/admin`` allowed to 192.0.2.0/24 only, old redirects
permanently to shop, api rewrites ``/v1/...`` with a regex (which turns the host's other
Ingress, an ``Exact`` ``/healthz``, into a case-insensitive regex prefix), grpc is proxied with
``grpc_pass``, ext goes to the partner with its own Host header. Every public host is a CNAME to
the NLB's DNS name.
"""

from __future__ import annotations

from tools.demo_world.design import INGRESS_LABELS, INGRESS_NAMESPACE, Namespace, NetworkPolicy, PolicyPeer
from tools.demo_world.designs.terway_nlb_net import (
    APPS,
    CREATED,
    HTTP,
    INTRANET,
    N1,
    N2,
    N3,
    N4,
    NLB,
    REGISTRY,
)
from tools.demo_world.ids import later
from tools.demo_world.model import DnsRecord, IngressRule, OutsideRecord, Service, ServicePort, Workload

GRPC = ServicePort("grpc", "TCP", 50051, 50051, target_name="grpc")  # targetPort by name
METRICS = ServicePort("metrics", "TCP", 9090, 9090)  # grpc's second port: multi-port, chosen by name
SEARCH = ServicePort("http", "TCP", 9200, 9200)
PARTNER = ServicePort("http", "TCP", 80, 80)
PARTNER_HOST = "api.partner.example.net"
LATER = later(APPS, 86400 * 14)  # when the second wave of apps and Ingresses was applied
SHOP = "shop"


def _app(
    namespace: str,
    name: str,
    image: str,
    replicas: tuple[tuple[str, str], ...],
    port: ServicePort | tuple[ServicePort, ...] = HTTP,
    created: str = APPS,
) -> Workload:
    labels = {"app": name}
    ports = port if isinstance(port, tuple) else (port,)
    return Workload(
        namespace, name, "Deployment", labels, f"{REGISTRY}/{image}", ports, replicas, created=created
    )


WORKLOADS = (
    _app("shop", "shop", "shop:5.1.0", (("10.30.64.21", N2), ("10.30.80.21", N4))),
    _app("shop", "pay", "pay:2.3.1", (("10.30.64.22", N2),)),
    _app("ops", "admin", "admin:1.0.9", (("10.30.64.23", N2),)),
    _app("shop", "api", "api:3.8.2", (("10.30.80.22", N4),), created=LATER),
    _app("shop", "grpc", "grpc:1.4.0", (("10.30.80.13", N3),), (GRPC, METRICS), LATER),
    _app("shop", "search", "search:2.11.1", (("10.30.64.13", N1), ("10.30.80.23", N4)), SEARCH, LATER),
)


def _service(
    name: str, cluster_ip: str, port: ServicePort | tuple[ServicePort, ...] = HTTP, **more: str
) -> Service:
    namespace = "ops" if name == "admin" else "shop"
    selector = {} if "external_name" in more else {"app": name}
    created = APPS if name in ("shop", "pay", "admin") else LATER
    ports = port if isinstance(port, tuple) else (port,)
    return Service(namespace, name, cluster_ip, ports, selector, created=created, **more)


SERVICES = (
    _service("shop", "192.168.140.21"),
    _service("pay", "192.168.140.97", session_affinity="ClientIP"),
    _service("admin", "192.168.201.16"),
    _service("api", "192.168.152.40"),
    _service("grpc", "192.168.163.7", (GRPC, METRICS)),
    _service("search", "None", SEARCH),
    _service("partner", "", PARTNER, external_name=PARTNER_HOST),
)


INGRESSES = (
    IngressRule("shop-ingress", "shop.tnl.abc.com", "shop", namespace=SHOP),
    IngressRule("pay-ingress", "pay.tnl.abc.com", "pay", namespace=SHOP, tls_secret="pay-tls"),
    IngressRule("admin-ingress", "admin.tnl.abc.com", "admin", namespace="ops"),
    IngressRule(
        "shop-admin",
        "shop.tnl.abc.com",
        "shop",
        namespace=SHOP,
        path="/admin",
        annotations=(("whitelist-source-range", "192.0.2.0/24"),),
        created=later(LATER, 300),
    ),
    IngressRule(
        "old-ingress",
        "old.tnl.abc.com",
        "shop",
        namespace=SHOP,
        annotations=(("permanent-redirect", "https://shop.tnl.abc.com/"),),
        created=later(LATER, 360),
    ),
    IngressRule(
        "api-ingress",
        "api.tnl.abc.com",
        "api",
        namespace=SHOP,
        path="/v1(/|$)(.*)",
        path_type="ImplementationSpecific",
        annotations=(("use-regex", "true"), ("rewrite-target", "/$2")),
        created=later(LATER, 420),
    ),
    IngressRule(
        "api-healthz",
        "api.tnl.abc.com",
        "api",
        namespace=SHOP,
        path="/healthz",
        path_type="Exact",
        created=later(LATER, 480),
    ),
    IngressRule(
        "grpc-ingress",
        "grpc.tnl.abc.com",
        "grpc",
        namespace=SHOP,
        port="grpc",  # service.port.name
        annotations=(("backend-protocol", "GRPC"),),
        created=later(LATER, 540),
    ),
    IngressRule(
        "ext-ingress",
        "ext.tnl.abc.com",
        "partner",
        namespace=SHOP,
        port=80,
        annotations=(("upstream-vhost", PARTNER_HOST),),
        created=later(LATER, 600),
    ),
    IngressRule(
        "search-ingress", "search.tnl.abc.com", "search", namespace=SHOP, port=9200, created=later(LATER, 660)
    ),
)
VIA_NLB = "tnl ingress via tnl-public-nlb"
DNS_RECORDS = (
    DnsRecord("shop.tnl", "CNAME", NLB.dns_name, VIA_NLB),
    DnsRecord("pay.tnl", "CNAME", NLB.dns_name, VIA_NLB),
    DnsRecord("admin.tnl", "A", INTRANET.address, "tnl admin, intranet only (tnl-intranet-lb)"),
    *(
        DnsRecord(f"{name}.tnl", "CNAME", NLB.dns_name, VIA_NLB)
        for name in ("old", "api", "grpc", "ext", "search")
    ),
)
OUTSIDE_DNS = (OutsideRecord(PARTNER_HOST, "A", "198.51.100.24"),)
POLICIES = (
    NetworkPolicy("shop", "default-deny-ingress", {}, created=later(APPS, 30)),
    NetworkPolicy(
        "shop",
        "allow-ingress-nginx",
        {},
        (PolicyPeer({"kubernetes.io/metadata.name": INGRESS_NAMESPACE}, dict(INGRESS_LABELS)),),
        (("TCP", 8080), ("TCP", 9090), ("TCP", 9200), ("TCP", 50051)),
        created=later(APPS, 31),
    ),
)
NAMESPACES = (
    *(Namespace(name, CREATED) for name in ("default", "kube-node-lease", "kube-public", "kube-system")),
    Namespace("shop", APPS, {"team": "shop"}, applied=True),
    Namespace("ops", APPS),
)
