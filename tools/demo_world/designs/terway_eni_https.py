"""The design world "terway-eni-https": Terway exclusive ENI, kube-proxy nftables, TLS ends at the CLB.

Cluster tee: every Pod off the host network owns an ENI on the pod vSwitch (its IP is the
ENI's primary IP) in a security group of the Pods' own; kube-proxy runs in nftables mode
(switched from the iptables mode the cluster was created with); the controller Service
``nginx-ingress-lb`` has externalTrafficPolicy Cluster and sends both ports to the
controllers' plain-HTTP port 80, because its CLB has an HTTP listener on 80 and an HTTPS
listener on 443 that terminates TLS with an uploaded certificate; backends are the three
ECS instances on the NodePorts, health-checked over TCP. The Ingresses have no TLS section.
Beside nginx, an Envoy Gateway front door (``terway_eni_envoy``): Gateway store/eg behind its
own CLB tee-eg-lb.
"""

from __future__ import annotations

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
from tools.demo_world.designs import terway_eni_envoy as envoy
from tools.demo_world.ids import ACCOUNT_ID, later
from tools.demo_world.model import (
    DnsRecord,
    IngressRule,
    LoadBalancer,
    Node,
    Service,
    ServicePort,
    VSwitch,
    Workload,
)

CREATED = "2024-04-22T09:47:13Z"
APPS = "2024-05-21T05:58:36Z"
ZONE = "cn-hangzhou-k"
NODE_VSW = VSwitch(ZONE, "10.40.1.0/24", "tee node k", "tee-node-k", later(CREATED, -385), 247)
POD_VSW = VSwitch(ZONE, "10.40.16.0/20", "tee pod k", "tee-pod-k", later(CREATED, -380), 4087)
N1, N2, N3 = "10.40.1.11", "10.40.1.12", "10.40.1.13"
NODES = tuple(Node(ip, NODE_VSW, pod_vswitch=POD_VSW) for ip in (N1, N2, N3))
CERTIFICATE = f"{ACCOUNT_ID}_18f9b4e07a3_1716271236_1048576389-cn-hangzhou"
LB = LoadBalancer(
    "tee-public-lb", "203.0.113.80", protocols=((80, "http"), (443, "https")), certificate_id=CERTIFICATE
)
LB_PREFIX = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"
HTTP = ServicePort("http", "TCP", 8080, 8080)
DNS_PORTS = (
    ServicePort("dns", "UDP", 53, 53),
    ServicePort("dns-tcp", "TCP", 53, 53),
    ServicePort("metrics", "TCP", 9153, 9153),
)
EVERY_NODE = tuple((ip, ip) for ip in (N1, N2, N3))
REGISTRY = "registry.cn-hangzhou.aliyuncs.com/tee"
# TLS ends at the CLB: both listener ports reach the controllers' plain-HTTP port.
LB_PORTS = (ServicePort("http", "TCP", 80, 80, 30280), ServicePort("https", "TCP", 443, 80, 30443))


def _app(name: str, image: str, replicas: tuple[tuple[str, str], ...]) -> Workload:
    labels = {"app": name}
    return Workload("web", name, "Deployment", labels, f"{REGISTRY}/{image}", (HTTP,), replicas, created=APPS)


WORKLOADS = (
    Workload(
        "kube-system",
        "coredns",
        "Deployment",
        {"k8s-app": "kube-dns"},
        f"{ACS}/coredns:v1.11.3.2-f57ea7ed6-aliyun",
        DNS_PORTS,
        (("10.40.16.21", N1), ("10.40.16.22", N2)),
    ),
    Workload(
        INGRESS_NAMESPACE,
        "nginx-ingress-controller",
        "Deployment",
        INGRESS_LABELS,
        INGRESS_IMAGE,
        (ServicePort("http", "TCP", 80, 80), ServicePort("https", "TCP", 443, 443)),
        (("10.40.16.31", N1), ("10.40.16.32", N2)),
        container=INGRESS_CONTAINER,
    ),
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
        "terway-eni",
        "DaemonSet",
        {"app": "terway-eni"},
        f"{ACS}/terway:v1.9.6",
        (),
        EVERY_NODE,
        host_network=True,
        container="terway",
    ),
    _app("www", "www:4.0.2", (("10.40.16.41", N2), ("10.40.16.42", N3))),
    _app("docs", "docs:2.2.0", (("10.40.16.51", N3),)),
    *envoy.workloads(N1, N2, N3),
)
SERVICES = (
    Service(
        "default",
        "kubernetes",
        "172.22.0.1",
        (ServicePort("https", "TCP", 443, 6443),),
        {},
        labels={"component": "apiserver", "provider": "kubernetes"},
    ),
    Service(
        "kube-system",
        "kube-dns",
        "172.22.0.10",
        DNS_PORTS,
        {"k8s-app": "kube-dns"},
        labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
    ),
    Service(
        INGRESS_NAMESPACE,
        "nginx-ingress-lb",
        "172.22.118.9",
        LB_PORTS,
        INGRESS_LABELS,
        labels={"app": "nginx-ingress-lb"},
        load_balancer=LB,
        traffic_policy="Cluster",
        backend_type="ecs",
        annotations={
            f"{LB_PREFIX}cert-id": CERTIFICATE,
            f"{LB_PREFIX}health-check-type": "tcp",
            f"{LB_PREFIX}protocol-port": "https:443,http:80",
        },
    ),
    Service("web", "www", "172.22.40.12", (HTTP,), {"app": "www"}, created=APPS),
    Service("web", "docs", "172.22.40.77", (HTTP,), {"app": "docs"}, created=APPS),
    *envoy.SERVICES,
)
INGRESSES = (
    IngressRule("www-ingress", "www.tee.abc.com", "www", namespace="web"),
    IngressRule("docs-ingress", "docs.tee.abc.com", "docs", namespace="web"),
)
VPC = "10.40.0.0/16"
NODE_SG = SecurityGroup(
    "tee nodes",
    "alicloud-cs-auto-created-security-group-tee",
    "security group of the worker nodes of ACK cluster tee",
    (
        SgRule("Accept", "ALL", "-1/-1", VPC, 1, "ACK: everything from inside the VPC"),
        SgRule("Accept", "ALL", "-1/-1", "100.64.0.0/10", 1, "ACK: the CLB (layer-7 listeners, checks)"),
        SgRule("Accept", "ICMP", "-1/-1", "0.0.0.0/0", 1, "ACK: ping"),
    ),
    later(CREATED, -300),
)
POD_RULES = (
    SgRule("Accept", "TCP", "80/80", VPC, 1, "ingress-nginx: NodePort traffic, masqueraded to a node"),
    SgRule("Accept", "TCP", "443/443", VPC, 1, "ingress-nginx: its TLS port (listen 443 ssl)"),
    SgRule("Accept", "TCP", "10254/10254", VPC, 1, "ingress-nginx: kubelet probes"),
    SgRule("Accept", "TCP", "8080/8080", VPC, 1, "applications: the controllers and kubelet probes"),
    SgRule("Accept", "UDP", "53/53", VPC, 1, "cluster DNS"),
    SgRule("Accept", "TCP", "53/53", VPC, 1, "cluster DNS"),
    envoy.POD_RULE,
    SgRule("Drop", "ALL", "-1/-1", "0.0.0.0/0", 100, "everything else"),
)
POD_SG = SecurityGroup(
    "tee pods",
    "tee-pod-eni",
    "Pod ENIs of ACK cluster tee (Terway exclusive ENI)",
    POD_RULES,
    later(CREATED, -290),
)
EGRESS = Eip("203.0.113.230", "tee nat", "tee-nat-eip", later(CREATED, -229))
NAMESPACES = (
    *(Namespace(name, CREATED) for name in ("default", "kube-node-lease", "kube-public", "kube-system")),
    Namespace("web", APPS),
    *envoy.NAMESPACES,
)

DESIGN = Design(
    name="terway-eni-https",
    summary="Terway exclusive ENI (a Pod security group), kube-proxy nftables, CLB HTTPS listener "
    "terminating TLS → ECS NodePorts with externalTrafficPolicy Cluster; an Envoy Gateway (Gateway API) "
    "on a CLB of its own → the proxy Pods' ENIs",
    description="ACK cluster tee in cn-hangzhou: Terway exclusive ENI (each Pod's IP is the primary IP of "
    "its own ENI on the pod vSwitch, in the Pod security group tee-pod-eni), kube-proxy in nftables mode, "
    "ingress-nginx off the host network behind tee-public-lb: an HTTP listener on 80 and an HTTPS listener "
    "on 443 that terminates TLS (uploaded certificate, X-Forwarded-For on), both to the three nodes' "
    "NodePorts and on to the controllers' port 80 (externalTrafficPolicy Cluster: kube-proxy masquerades "
    "to the node). www and docs without TLS sections, egress through a NAT gateway from both vSwitches. "
    "Beside it an Envoy Gateway front door: Gateway store/eg (class eg, HTTP 80 for *.gw.tee.abc.com) served "
    "by two Envoy proxy Pods in envoy-gateway-system behind their own CLB tee-eg-lb (TCP 80 → the Pods' ENIs "
    "on 10080, externalTrafficPolicy Local); HTTPRoutes shop (/api → api, /blog → 301 to docs, / → web 90 "
    "and web-next 10) and docs (→ Service docs in namespace web, allowed by a ReferenceGrant).",
    cluster_name="tee",
    network="terway-eni",
    proxy_mode="nftables",
    cs_proxy_mode="iptables",
    created=CREATED,
    vpc_cidr=VPC,
    vswitches=(NODE_VSW, POD_VSW),
    service_cidr="172.22.0.0/16",
    cluster_dns="172.22.0.10",
    api_server=("10.40.1.7", 6443),
    nodes=NODES,
    workloads=WORKLOADS,
    services=SERVICES,
    ingresses=INGRESSES,
    dns_records=tuple(
        DnsRecord(r.host.removesuffix(".abc.com"), "A", LB.address, "tee via tee-public-lb")
        for r in INGRESSES
    )
    + envoy.DNS_RECORDS,
    node_sg=NODE_SG,
    pod_sg=POD_SG,
    nat_private_ip="10.40.1.250",
    eips=(EGRESS,),
    snat=(
        SnatEntry(NODE_VSW, EGRESS, "tee vsw node k", "tee-node-k-egress"),
        SnatEntry(POD_VSW, EGRESS, "tee vsw pod k", "tee-pod-k-egress"),
    ),
    namespaces=NAMESPACES,
    publish_status={"ip": LB.address},
    clbs=(LB, envoy.EG_LB),
    gateways=(envoy.gateway(),),
    dns_stamp=1716271371000,
    init_version="1.30.1-aliyun.1",
    apps_created=APPS,
    seed_prefix="tee ",
)
