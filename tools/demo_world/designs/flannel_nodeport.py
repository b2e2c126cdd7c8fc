"""The design world "flannel-nodeport": Flannel, kube-proxy iptables, a CLB with NodePort backends.

Cluster fln: Pods get addresses from a per-node /24 of 172.20.0.0/16 that only the VPC's
custom routes (one per node, written by CCM's route controller) make reachable; kube-proxy
runs in iptables mode; ingress-nginx runs off the host network behind Service
``kube-system/nginx-ingress-lb`` with ``externalTrafficPolicy: Local``, so the CLB's backends
are the four ECS instances on the Service's NodePorts and only nodes with a ready
controller Pod pass the health check (HTTP on the health check NodePort). Node 2's
controller fails its readiness probe, node 3 runs none; web has one Pod not ready;
api goes through its ClusterIP (service-upstream); shop's only Pod is on node 3. An L4
Service, ``app/mqtt`` (TCP 1883), owns a CLB of its own, fln-mqtt-lb: no ingress controller
answers behind it; its TCP listener sends to the NodePort on the two nodes that run an mqtt
Pod (externalTrafficPolicy Local), and kube-proxy DNATs to the Pod on the same node.
Two later hosts use Services kube-proxy programs nothing for: partner goes to ``app/partner``, an
ExternalName Service for a partner's API on the internet (the controller Pods go out masqueraded
to their node, then through the NAT gateway), and logs to ``app/logs``, a headless Service whose
name cluster DNS answers with its two Pod IPs (nginx balances to them itself).
"""

from __future__ import annotations

from dataclasses import replace

from tools.demo_world.design import (
    ACS,
    INGRESS_CONTAINER,
    INGRESS_IMAGE,
    INGRESS_LABELS,
    INGRESS_NAMESPACE,
    K8S_VERSION,
    Design,
    Eip,
    Namespace,
    SecurityGroup,
    SgRule,
    SnatEntry,
)
from tools.demo_world.designs import flannel_nodeport_alb as alb
from tools.demo_world.ids import later
from tools.demo_world.model import (
    DnsRecord,
    IngressRule,
    LoadBalancer,
    Node,
    OutsideRecord,
    PrivateZone,
    Service,
    ServicePort,
    VSwitch,
    Workload,
)

CREATED = "2024-02-19T06:41:07Z"
APPS = "2024-05-06T02:17:44Z"
VSW = VSwitch("cn-hangzhou-j", "10.20.1.0/24", "fln j", "fln-j", later(CREATED, -385), 241)
ALB_VSW = VSwitch("cn-hangzhou-k", "10.20.2.0/24", "fln k alb", "fln-k-alb", later(APPS, 86400 * 27), 250)
N1, N2, N3, N4 = (f"10.20.1.{i}" for i in (11, 12, 13, 14))
NODES = tuple(Node(ip, VSW, pod_cidr=f"172.20.{i}.0/24") for i, ip in enumerate((N1, N2, N3, N4)))
LB = LoadBalancer("fln-public-lb", "203.0.113.60", backend_order=(N1, N3, N4, N2))
MQTT_LB = LoadBalancer("fln-mqtt-lb", "203.0.113.61", protocols=((1883, "tcp"),), backend_order=(N1, N4))
MQTT = ServicePort("mqtt", "TCP", 1883, 1883)
MQTT_REPLICAS = (("172.20.0.6", N1), ("172.20.3.5", N4))
MQTT_HEALTH_CHECK_NODE_PORT = 32211
HTTP = ServicePort("http", "TCP", 8080, 8080)
SHOP_HTTP = ServicePort("http", "TCP", 80, 8080, target_name="http")  # port 80, targetPort by name
DNS_PORTS = (
    ServicePort("dns", "UDP", 53, 53),
    ServicePort("dns-tcp", "TCP", 53, 53),
    ServicePort("metrics", "TCP", 9153, 9153),
)
CONTROLLER_PORTS = (ServicePort("http", "TCP", 80, 80), ServicePort("https", "TCP", 443, 443))
LB_PORTS = (ServicePort("http", "TCP", 80, 80, 30581), ServicePort("https", "TCP", 443, 443, 31862))
HEALTH_CHECK_NODE_PORT = 32147
LOGS = ServicePort("http", "TCP", 3100, 3100)
PARTNER = ServicePort("http", "TCP", 80, 80)
PARTNER_HOST = "orders.partner.example.com"
KINDS = later(APPS, 86400 * 21)  # when partner and logs were applied
ALB_CREATED = alb.alb_created(APPS)  # the AlbConfig, its ALB, app/store and the Ingress store-alb
ALB = alb.alb((VSW, ALB_VSW), (N1, N2, N3, N4), ALB_CREATED)
STORE_SERVICE = alb.service(later(ALB_CREATED, 60))


def health_check(node_port: int) -> dict[str, str]:
    """A TCP listener checks the health check NodePort over HTTP, as GCP's and AWS's do."""
    return {
        f"{LB_PREFIX}health-check-connect-port": str(node_port),
        f"{LB_PREFIX}health-check-flag": "on",
        f"{LB_PREFIX}health-check-httpcode": "http_2xx",
        f"{LB_PREFIX}health-check-type": "http",
        f"{LB_PREFIX}health-check-uri": "/healthz",
    }


CONTROLLERS = (("172.20.0.3", N1), ("172.20.1.3", N2), ("172.20.3.3", N4))
EVERY_NODE = tuple((ip, ip) for ip in (N1, N2, N3, N4))
REGISTRY = "registry.cn-hangzhou.aliyuncs.com/fln"
LB_PREFIX = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"


def _app(
    namespace: str,
    name: str,
    image: str,
    replicas: tuple[tuple[str, str], ...],
    not_ready: tuple[int, ...] = (),
) -> Workload:
    return Workload(
        namespace,
        name,
        "Deployment",
        {"app": name},
        f"{REGISTRY}/{image}",
        (HTTP,),
        replicas,
        created=APPS,
        not_ready=not_ready,
    )


def controller(
    replicas: tuple[tuple[str, str], ...] = CONTROLLERS,
    not_ready: tuple[int, ...] = (1,),
    revision: int = 1,
    node_selector: tuple[tuple[str, str], ...] = (),
) -> Workload:
    """The ingress controller Deployment (scenarios move its Pods)."""
    return Workload(
        INGRESS_NAMESPACE,
        "nginx-ingress-controller",
        "Deployment",
        INGRESS_LABELS,
        INGRESS_IMAGE,
        CONTROLLER_PORTS,
        replicas,
        container=INGRESS_CONTAINER,
        not_ready=not_ready,
        revision=revision,
        node_selector=node_selector,
    )


def mqtt(replicas: tuple[tuple[str, str], ...] = MQTT_REPLICAS, not_ready: tuple[int, ...] = ()) -> Workload:
    """The MQTT broker behind the L4 Service (scenarios take its readiness away)."""
    return Workload(
        "app",
        "mqtt",
        "Deployment",
        {"app": "mqtt"},
        f"{REGISTRY}/mqtt:2.0.18",
        (MQTT,),
        replicas,
        created=APPS,
        not_ready=not_ready,
    )


def workloads(ingress: Workload, broker: Workload | None = None) -> tuple[Workload, ...]:
    return (
        Workload(
            "kube-system",
            "coredns",
            "Deployment",
            {"k8s-app": "kube-dns"},
            f"{ACS}/coredns:v1.11.3.2-f57ea7ed6-aliyun",
            DNS_PORTS,
            (("172.20.0.2", N1), ("172.20.1.2", N2)),
        ),
        ingress,
        Workload(
            "kube-system",
            "kube-proxy-worker",
            "DaemonSet",
            {"k8s-app": "kube-proxy-worker"},
            f"{ACS}/kube-proxy:v{K8S_VERSION}",
            (),
            EVERY_NODE,
            host_network=True,
            container="kube-proxy-worker",
        ),
        Workload(
            "kube-system",
            "kube-flannel-ds",
            "DaemonSet",
            {"app": "flannel", "tier": "node"},
            f"{ACS}/flannel:v0.15.1.22-20a397e6-aliyun",
            (),
            EVERY_NODE,
            host_network=True,
            container="kube-flannel",
        ),
        _app("app", "web", "web:3.2.0", (("172.20.0.5", N1), ("172.20.2.4", N3)), not_ready=(1,)),
        _app("app", "api", "api:1.8.4", (("172.20.1.4", N2), ("172.20.3.4", N4))),
        _app("shop", "shop", "shop:0.7.2", (("172.20.2.5", N3),)),
        broker or mqtt(),
        Workload(
            "app",
            "logs",
            "Deployment",
            {"app": "logs"},
            f"{REGISTRY}/logs:3.0.0",
            (LOGS,),
            (("172.20.0.7", N1), ("172.20.2.6", N3)),
            created=KINDS,
        ),
        alb.store(REGISTRY, (("172.20.0.8", N1), ("172.20.1.5", N2)), later(ALB_CREATED, 60)),
    )


INGRESS_SERVICE = Service(
    INGRESS_NAMESPACE,
    "nginx-ingress-lb",
    "172.21.6.41",
    LB_PORTS,
    INGRESS_LABELS,
    labels={"app": "nginx-ingress-lb"},
    load_balancer=LB,
    health_check_node_port=HEALTH_CHECK_NODE_PORT,
    backend_type="ecs",
    annotations=health_check(HEALTH_CHECK_NODE_PORT),
)
MQTT_SERVICE = Service(
    "app",
    "mqtt",
    "172.21.7.83",
    (replace(MQTT, node_port=31883),),
    {"app": "mqtt"},
    load_balancer=MQTT_LB,
    health_check_node_port=MQTT_HEALTH_CHECK_NODE_PORT,
    created=APPS,
    backend_type="ecs",
    annotations=health_check(MQTT_HEALTH_CHECK_NODE_PORT),
)
SERVICES = (
    Service(
        "default",
        "kubernetes",
        "172.21.0.1",
        (ServicePort("https", "TCP", 443, 6443),),
        {},
        labels={"component": "apiserver", "provider": "kubernetes"},
    ),
    Service(
        "kube-system",
        "kube-dns",
        "172.21.0.10",
        DNS_PORTS,
        {"k8s-app": "kube-dns"},
        labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
    ),
    INGRESS_SERVICE,
    Service("app", "web", "172.21.9.18", (HTTP,), {"app": "web"}, created=APPS),
    Service("app", "api", "172.21.4.77", (HTTP,), {"app": "api"}, created=APPS, session_affinity="ClientIP"),
    Service("shop", "shop", "172.21.12.130", (SHOP_HTTP,), {"app": "shop"}, created=APPS),
    MQTT_SERVICE,
    Service("app", "logs", "None", (LOGS,), {"app": "logs"}, created=KINDS),
    Service("app", "partner", "", (PARTNER,), {}, created=KINDS, external_name=PARTNER_HOST),
    STORE_SERVICE,
)
INGRESSES = (
    IngressRule("web-ingress", "web.fln.abc.com", "web"),
    IngressRule("api-ingress", "api.fln.abc.com", "api", service_upstream=True),
    IngressRule(
        "shop-ingress", "shop.fln.abc.com", "shop", namespace="shop", port="http", tls_secret="shop-tls"
    ),
    IngressRule(
        "partner-ingress",
        "partner.fln.abc.com",
        "partner",
        port=80,
        annotations=(("upstream-vhost", PARTNER_HOST),),
        created=later(KINDS, 60),
    ),
    IngressRule("logs-ingress", "logs.fln.abc.com", "logs", port=3100, created=later(KINDS, 120)),
)
ALB_INGRESS = alb.ingress(later(ALB_CREATED, 120))
OUTSIDE_DNS = (OutsideRecord(PARTNER_HOST, "A", "198.51.100.37"),)
NODE_SG = SecurityGroup(
    "fln nodes",
    "alicloud-cs-auto-created-security-group-fln",
    "security group of the worker nodes of ACK cluster fln",
    (
        SgRule("Accept", "ALL", "-1/-1", "10.20.0.0/16", 1, "ACK: everything from inside the VPC"),
        SgRule("Accept", "ALL", "-1/-1", "172.20.0.0/16", 1, "ACK: the Pod CIDR (Flannel)"),
        SgRule("Accept", "ALL", "-1/-1", "100.64.0.0/10", 1, "ACK: load balancer health checks"),
        SgRule("Accept", "ICMP", "-1/-1", "0.0.0.0/0", 1, "ACK: ping"),
        SgRule(
            "Accept", "TCP", "30000/32767", "0.0.0.0/0", 1, "NodePorts behind the CLB (clients keep their IP)"
        ),
    ),
    later(CREATED, -300),
)
EGRESS = Eip("203.0.113.210", "fln nat", "fln-nat-eip", later(CREATED, -229))
NAMESPACES = (
    *(Namespace(name, CREATED) for name in ("default", "kube-node-lease", "kube-public", "kube-system")),
    Namespace("app", APPS),
    Namespace("shop", APPS),
)


def design(
    ingress: Workload | None = None,
    nodes: tuple[Node, ...] = NODES,
    lb: LoadBalancer = LB,
    broker: Workload | None = None,
    store: Service = STORE_SERVICE,
) -> Design:
    """The world; scenarios that move the controller, change the load balancer or recreate app/store
    build a variant."""
    services = tuple(replace(s, load_balancer=lb) if s.load_balancer == LB else s for s in SERVICES)
    services = tuple(store if s == STORE_SERVICE else s for s in services)
    return Design(
        name="flannel-nodeport",
        summary="Flannel + kube-proxy iptables, CLB → ECS NodePorts with externalTrafficPolicy Local: "
        "two of four backends fail the health check by design; web, api (service-upstream, ClientIP "
        "affinity), shop (its port chosen by name), partner (ExternalName) and logs (headless); an L4 "
        "Service (mqtt, TCP 1883) on a CLB of its own",
        description="ACK cluster fln in cn-hangzhou: Flannel (Pod CIDR 172.20.0.0/16, a /24 per node, one "
        "VPC route entry per node), kube-proxy in iptables mode, ingress-nginx off the host network behind "
        "fln-public-lb (TCP 80/443 to the four nodes' NodePorts, externalTrafficPolicy Local: nodes 2 and 3 "
        "have no ready controller and fail the health check), web with one Pod not ready, api through its "
        "ClusterIP, shop's only Pod on node 3, partner (ExternalName Service app/partner, "
        "orders.partner.example.com), logs (headless Service app/logs, two Pods), the L4 Service "
        "app/mqtt (TCP 1883) on a CLB of its own "
        "(fln-mqtt-lb → the NodePort of the two nodes with an mqtt Pod, externalTrafficPolicy Local), "
        "egress masqueraded to the node and out through a NAT gateway.",
        cluster_name="fln",
        network="flannel",
        proxy_mode="iptables",
        created=CREATED,
        vpc_cidr="10.20.0.0/16",
        vswitches=(VSW,),
        other_vswitches=(ALB_VSW,),
        service_cidr="172.21.0.0/20",
        cluster_dns="172.21.0.10",
        api_server=("10.20.1.7", 6443),
        nodes=nodes,
        workloads=workloads(ingress or controller(), broker),
        services=services,
        ingresses=(*INGRESSES, ALB_INGRESS),
        dns_records=(
            *(
                DnsRecord(r.host.removesuffix(".abc.com"), "A", lb.address, "fln ingress via fln-public-lb")
                for r in INGRESSES
            ),
            DnsRecord("mqtt.fln", "A", MQTT_LB.address, "fln MQTT broker (L4 Service app/mqtt)"),
            alb.record(ALB),
        ),
        node_sg=NODE_SG,
        nat_private_ip="10.20.1.250",
        eips=(EGRESS,),
        snat=(SnatEntry(VSW, EGRESS, "fln vsw j", "fln-j-egress"),),
        namespaces=NAMESPACES,
        publish_status={"ip": lb.address},
        clbs=(lb, MQTT_LB),
        albs=(ALB,),
        pod_cidr="172.20.0.0/16",
        dns_stamp=1714961960000,
        init_version="1.30.1-aliyun.1",
        apps_created=APPS,
        seed_prefix="fln ",
        private_zones=(
            PrivateZone(  # VPC clients resolve the hosts here; ZONE: no other name under fln.abc.com
                "fln.abc.com",
                tuple(
                    DnsRecord(r.host.removesuffix(".fln.abc.com"), "A", lb.address, "fln, VPC clients")
                    for r in INGRESSES
                ),
                later(CREATED, 7200),
                remark="fln hosts for clients inside the VPC",
            ),
        ),
        outside_dns=OUTSIDE_DNS,
    )


DESIGN = design()
