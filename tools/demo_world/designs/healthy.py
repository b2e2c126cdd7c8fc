"""The design world "healthy": the article's cluster qas, and the base of its broken scenarios.

Terway ENIIP with Pod IPs on the nodes' vSwitch, kube-proxy IPVS, ingress-nginx on the host
network behind two CLBs and an NLB whose backends are the nodes' ENIs (DESIGN.md section 3).
The module-level names are the facts the healthy scenarios edit; ``DESIGN`` bundles them.
"""

from __future__ import annotations

from tools.demo_world.design import (
    ACS,
    INGRESS_CONTAINER,
    INGRESS_IMAGE,
    INGRESS_LABELS,
    INGRESS_NAMESPACE,
    K8S_VERSION,
    Acl,
    Design,
    Eip,
    Namespace,
    SecurityGroup,
    SgRule,
    SnatEntry,
)
from tools.demo_world.ids import ali_id, later
from tools.demo_world.model import (
    DnsRecord,
    IngressRule,
    LoadBalancer,
    NetworkLoadBalancer,
    NlbZone,
    Node,
    PrivateZone,
    Service,
    ServicePort,
    VSwitch,
    Workload,
)

__all__ = ["DESIGN", "IngressRule", "LoadBalancer"]

CLUSTER = "qas"
CREATED = "2024-03-11T02:26:41Z"
ZONE = "cn-hangzhou-k"
VSWITCH = VSwitch(ZONE, "10.17.10.0/24", "qas k", "qas-k", later(CREATED, -385))
SERVICE_CIDR = "192.168.0.0/16"
CLUSTER_DNS = "192.168.0.10"

NODES = [
    Node("10.17.10.11", VSWITCH, "10.17.10.111"),
    Node("10.17.10.12", VSWITCH, "10.17.10.112"),
    Node("10.17.10.13", VSWITCH, "10.17.10.113"),
]
NODE_BY_IP = {n.ip: n for n in NODES}

PUBLIC_LB = LoadBalancer("public-lb", "203.0.113.10", groups_created=later(CREATED, 29326))
PRIVATE_LB = LoadBalancer("private-lb", "198.51.100.20", acl=True, groups_created=later(CREATED, 29326))
ACL = Acl(
    "office whitelist",
    "qas-office-whitelist",
    (("192.0.2.0/24", "office-hangzhou"), ("198.51.100.64/26", "vpn")),
    "2024-05-22T14:31:02+0800",
)
ACL_ID = ACL.id
NLB_SECURITY_GROUP_ID = ali_id("sg", "qas nlb", 18)
PUBLIC_NLB = NetworkLoadBalancer(
    "public-nlb",
    (
        NlbZone("cn-hangzhou-h", ali_id("vsw", "qas cn-hangzhou-h"), "203.0.113.40", "10.17.20.8"),
        NlbZone("cn-hangzhou-i", ali_id("vsw", "qas cn-hangzhou-i"), "203.0.113.41", "10.17.21.8"),
    ),
    NLB_SECURITY_GROUP_ID,
)
NLB_CREATED = "2024-05-27T07:18:30Z"  # before the scenarios' observation time (ids.NOW)
APP_CREATED = "2024-05-20T03:12:08Z"

HTTP = ServicePort("http", "TCP", 8080, 8080)
DNS_PORTS = (
    ServicePort("dns", "UDP", 53, 53),
    ServicePort("dns-tcp", "TCP", 53, 53),
    ServicePort("metrics", "TCP", 9153, 9153),
)
CONTROLLER_PORTS = (ServicePort("http", "TCP", 80, 80), ServicePort("https", "TCP", 443, 443))
EVERY_NODE = tuple((n.ip, n.ip) for n in NODES)
REGISTRY = "registry.cn-hangzhou.aliyuncs.com/qas"


def _app(
    name: str, image: str, replicas: tuple[tuple[str, str], ...], created: str = APP_CREATED
) -> Workload:
    return Workload("app", name, "Deployment", {"app": name}, image, (HTTP,), replicas, created=created)


WORKLOADS = [
    Workload("kube-system", "coredns", "Deployment", {"k8s-app": "kube-dns"},
             f"{ACS}/coredns:v1.11.3.2-f57ea7ed6-aliyun", DNS_PORTS,
             (("10.17.10.101", "10.17.10.11"), ("10.17.10.102", "10.17.10.12"))),
    Workload(INGRESS_NAMESPACE, "nginx-ingress-controller", "Deployment", INGRESS_LABELS, INGRESS_IMAGE,
             CONTROLLER_PORTS, (("10.17.10.11", "10.17.10.11"), ("10.17.10.12", "10.17.10.12")),
             host_network=True, container=INGRESS_CONTAINER),
    Workload("kube-system", "kube-proxy-worker", "DaemonSet", {"k8s-app": "kube-proxy-worker"},
             f"{ACS}/kube-proxy:v{K8S_VERSION}", (), EVERY_NODE, host_network=True,
             container="kube-proxy-worker"),
    Workload("kube-system", "terway-eniip", "DaemonSet", {"app": "terway-eniip"}, f"{ACS}/terway:v1.9.6", (),
             EVERY_NODE, host_network=True, container="terway"),
    _app("app1-service", f"{REGISTRY}/app1:1.4.2", (("10.17.10.91", "10.17.10.13"),)),
    _app("app2-service", f"{REGISTRY}/app2:2.0.7",
         (("10.17.10.92", "10.17.10.12"), ("10.17.10.93", "10.17.10.13"))),
    _app("app3-service", f"{REGISTRY}/app3:0.9.1", (("10.17.10.94", "10.17.10.11"),)),
    _app("app4-service", f"{REGISTRY}/app4:1.0.3", (("10.17.10.96", "10.17.10.12"),), NLB_CREATED),
]  # fmt: skip

INGRESS_PORTS_PUBLIC = (
    ServicePort("http", "TCP", 80, 80, 31523),
    ServicePort("https", "TCP", 443, 443, 30792),
)
INGRESS_PORTS_PRIVATE = (
    ServicePort("http", "TCP", 80, 80, 32190),
    ServicePort("https", "TCP", 443, 443, 31066),
)
INGRESS_PORTS_NLB = (ServicePort("http", "TCP", 80, 80, 30467), ServicePort("https", "TCP", 443, 443, 32718))


def _ingress_service(
    name: str, ip: str, ports: tuple[ServicePort, ...], lb: object, hc: int, **kw: str
) -> Service:
    assert isinstance(lb, (LoadBalancer, NetworkLoadBalancer))
    return Service(INGRESS_NAMESPACE, name, ip, ports, INGRESS_LABELS, labels={"app": name}, load_balancer=lb,
                   health_check_node_port=hc, **kw)  # fmt: skip


SERVICES = [
    Service("default", "kubernetes", "192.168.0.1", (ServicePort("https", "TCP", 443, 6443),), {},
            labels={"component": "apiserver", "provider": "kubernetes"}),
    Service("kube-system", "kube-dns", CLUSTER_DNS, DNS_PORTS, {"k8s-app": "kube-dns"},
            labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}),
    _ingress_service("nginx-ingress-lb", "192.168.214.87", INGRESS_PORTS_PUBLIC, PUBLIC_LB, 31940),
    _ingress_service("nginx-ingress-lb-private", "192.168.150.3", INGRESS_PORTS_PRIVATE, PRIVATE_LB, 30417,
                     created="2024-05-22T06:40:13Z"),
    _ingress_service("nginx-ingress-lb-nlb", "192.168.102.44", INGRESS_PORTS_NLB, PUBLIC_NLB, 31287,
                     created=NLB_CREATED),
    Service("app", "app1-service", "192.168.195.85", (HTTP,), {"app": "app1-service"}, created=APP_CREATED),
    Service("app", "app2-service", "192.168.37.214", (HTTP,), {"app": "app2-service"}, created=APP_CREATED),
    Service("app", "app3-service", "192.168.88.16", (HTTP,), {"app": "app3-service"}, created=APP_CREATED),
    Service("app", "app4-service", "192.168.61.140", (HTTP,), {"app": "app4-service"}, created=NLB_CREATED),
]  # fmt: skip
SERVICE_BY_NAME = {(s.namespace, s.name): s for s in SERVICES}

INGRESSES = [
    IngressRule("app1-service-ingress", "app1.qas.abc.com", "app1-service"),
    IngressRule("app2-service-ingress", "app2.qas.abc.com", "app2-service", service_upstream=True),
    IngressRule("app3-service-ingress", "app3.qas.abc.com", "app3-service"),
    IngressRule("app4-service-ingress", "app4.qas.abc.com", "app4-service"),
]
DNS_RECORDS = [
    DnsRecord(rr, "A", lb.address, f"qas ingress via {lb.name}")
    for rr, lb in (("app1.qas", PUBLIC_LB), ("app2.qas", PUBLIC_LB), ("app3.qas", PRIVATE_LB),
                   ("app4.qas", PUBLIC_NLB))
]  # fmt: skip
DNS_ZONE = "abc.com"

NODE_SG = SecurityGroup(
    "qas nodes",
    "alicloud-cs-auto-created-security-group-qas",
    "security group of the worker nodes of ACK cluster qas",
    (
        SgRule("Accept", "ALL", "-1/-1", "10.17.0.0/16", 1, "ACK: everything from inside the VPC"),
        SgRule("Accept", "ALL", "-1/-1", "100.64.0.0/10", 1, "ACK: load balancer health checks"),
        SgRule("Accept", "ICMP", "-1/-1", "0.0.0.0/0", 1, "ACK: ping"),
        SgRule("Accept", "TCP", "80/80", "0.0.0.0/0", 1, "ingress-nginx on the host network: http"),
        SgRule("Accept", "TCP", "443/443", "0.0.0.0/0", 1, "ingress-nginx on the host network: https"),
    ),
    later(CREATED, -300),
)
SECURITY_GROUP_ID = NODE_SG.id
EGRESS = Eip("203.0.113.200", "qas nat", "qas-nat-eip", later(CREATED, -229))
SNAT = SnatEntry(VSWITCH, EGRESS, "qas vsw k", "qas-k-egress")
SYSTEM_NAMESPACES = tuple(
    Namespace(name, CREATED) for name in ("default", "kube-node-lease", "kube-public", "kube-system")
)

DESIGN = Design(
    name="healthy",
    summary="Terway ENIIP, kube-proxy IPVS, ingress-nginx on the host network behind CLBs and an NLB "
    "(node ENI backends): app1/app2 on public-lb, app3 behind a whitelist (office and VPN ranges), app4 "
    "on the NLB; every hop works",
    description="ACK cluster qas in cn-hangzhou as in the article: app1/app2 on public-lb, app3 on "
    "private-lb (whitelist: office and VPN ranges), app4 on the NLB public-nlb (security group open "
    "on 80 and 443), "
    "ingress-nginx on the host network, Terway ENIIP, "
    "kube-proxy IPVS, egress through a NAT gateway. Everything works.",
    cluster_name=CLUSTER,
    network="terway-eniip",
    proxy_mode="ipvs",
    created=CREATED,
    vpc_cidr="10.17.0.0/16",
    vswitches=(VSWITCH,),
    service_cidr=SERVICE_CIDR,
    cluster_dns=CLUSTER_DNS,
    api_server=("10.17.10.7", 6443),  # the intranet endpoint of the managed API server
    nodes=tuple(NODES),
    workloads=tuple(WORKLOADS),
    services=tuple(SERVICES),
    ingresses=tuple(INGRESSES),
    dns_records=tuple(DNS_RECORDS),
    node_sg=NODE_SG,
    nat_private_ip="10.17.10.250",
    eips=(EGRESS,),
    snat=(SNAT,),
    namespaces=(*SYSTEM_NAMESPACES, Namespace("app", APP_CREATED)),
    publish_status={"ip": PUBLIC_LB.address},
    clbs=(PUBLIC_LB, PRIVATE_LB),
    nlbs=(PUBLIC_NLB,),
    acl=ACL,
    apps_created=APP_CREATED,
    nodepool_seed="default",
    private_zones=(  # RECORD: the names it does not hold go on to public DNS
        PrivateZone(
            "qas.abc.com",
            (DnsRecord("app1", "A", PUBLIC_LB.address, "app1 for VPC clients"),),
            APP_CREATED,
            proxy_pattern="RECORD",
            remark="qas names for clients inside the VPC",
        ),
    ),
)
