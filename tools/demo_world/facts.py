"""The facts of the demo world "healthy", in one place, before they become raw artefacts.

DESIGN.md section 3 describes the world; this module pins every name, address and ID so
that the Kubernetes objects, the cloud responses, the node command outputs and the
nginx files all agree. IDs are derived from a seed with SHA-256, so a rebuild is
byte-for-byte identical and the IDs look like the real ones (``lb-bp1…``, ``eni-bp1…``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# Kubernetes' rand.SafeEncodeString alphabet (no vowels, no look-alikes): pod-template-hash, name suffixes.
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _digest(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")


def encode(seed: str, length: int, alphabet: str) -> str:
    number, out = _digest(seed), []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        out.append(alphabet[rest])
    return "".join(out)


def hexid(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def ali_id(prefix: str, seed: str, length: int = 17) -> str:
    """An Alibaba Cloud resource ID in region cn-hangzhou, e.g. ``eni-bp1x…``."""
    return f"{prefix}-bp1{encode(prefix + seed, length, BASE36)}"


def uid(seed: str) -> str:
    """A UUID4-shaped Kubernetes uid."""
    h = hexid("uid " + seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def request_id(seed: str) -> str:
    return uid("request " + seed).upper()


def k8s_suffix(seed: str, length: int = 5) -> str:
    return encode("k8s " + seed, length, K8S_ALPHABET)


def later(timestamp: str, seconds: int) -> str:
    """An RFC 3339 UTC timestamp ``seconds`` after another."""
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(timestamp: str) -> int:
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000


def resource_version(seed: str) -> str:
    return str(1_000_000 + _digest("rv " + seed) % 8_000_000)


REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-k"
ACCOUNT_ID = "1234567890123456"
CLUSTER_NAME = "qas"
CLUSTER_ID = "c" + hexid("cluster qas", 32)
CLUSTER_DOMAIN = "cluster.local"
K8S_VERSION = "1.31.1-aliyun.1"
CLUSTER_CREATED = "2024-03-11T02:26:41Z"

VPC_ID = ali_id("vpc", "qas")
VPC_CIDR = "10.17.0.0/16"
VSWITCH_ID = ali_id("vsw", "qas k")
VSWITCH_CIDR = "10.17.10.0/24"
ROUTE_TABLE_ID = ali_id("vtb", "qas system")
SECURITY_GROUP_ID = ali_id("sg", "qas nodes", 18)
SERVICE_CIDR = "192.168.0.0/16"
CLUSTER_DNS = "192.168.0.10"
API_SERVER_ENDPOINT = ("10.17.10.7", 6443)  # the intranet endpoint of the managed API server

NAT_GATEWAY_ID = ali_id("ngw", "qas")
SNAT_TABLE_ID = ali_id("stb", "qas")
FORWARD_TABLE_ID = ali_id("ftb", "qas")
SNAT_ENTRY_ID = ali_id("snat", "qas vsw k")
NAT_ENI_ID = ali_id("eni", "nat qas")
NAT_PRIVATE_IP = "10.17.10.250"
EGRESS_EIP = "203.0.113.200"
EGRESS_EIP_ID = ali_id("eip", "qas nat")

DNS_ZONE = "abc.com"
INGRESS_NAMESPACE = "kube-system"
INGRESS_LABELS = {"app": "ingress-nginx"}
INGRESS_CONTAINER = "nginx-ingress-controller"
INGRESS_IMAGE = "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/aliyun-ingress-controller:v1.12.1-aliyun.1"


@dataclass(frozen=True)
class Node:
    ip: str
    secondary_eni_ip: str  # primary IP of the Terway secondary ENI; pods use its secondary IPs

    @property
    def name(self) -> str:
        return f"{REGION}.{self.ip}"

    @property
    def instance_id(self) -> str:
        return ali_id("i", "node " + self.ip, 18)

    @property
    def primary_eni(self) -> str:
        return ali_id("eni", "primary " + self.ip)

    @property
    def secondary_eni(self) -> str:
        return ali_id("eni", "terway " + self.ip)

    @property
    def hostname(self) -> str:
        return "iZ" + self.instance_id.removeprefix("i-") + "Z"


NODES = [
    Node("10.17.10.11", "10.17.10.111"),
    Node("10.17.10.12", "10.17.10.112"),
    Node("10.17.10.13", "10.17.10.113"),
]
NODE_BY_IP = {n.ip: n for n in NODES}


@dataclass(frozen=True)
class ServicePort:
    name: str
    protocol: str
    port: int
    target_port: int
    node_port: int | None = None


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    address: str
    acl: bool  # whitelist on every listener

    @property
    def id(self) -> str:
        return ali_id("lb", self.name, 18)

    def vserver_group_id(self, port: int) -> str:
        return ali_id("rsp", f"{self.name} {port}")


PUBLIC_LB = LoadBalancer("public-lb", "203.0.113.10", acl=False)
PRIVATE_LB = LoadBalancer("private-lb", "198.51.100.20", acl=True)
ACL_ID = ali_id("acl", "office whitelist")
ACL_NAME = "qas-office-whitelist"
ACL_ENTRIES = [("192.0.2.0/24", "office-hangzhou"), ("198.51.100.64/26", "vpn")]


@dataclass(frozen=True)
class NlbZone:
    """One zone mapping of an NLB: its vSwitch, the EIP in front and the private address behind it."""

    zone: str
    vswitch_cidr: str
    public_ip: str
    private_ip: str

    @property
    def vswitch_id(self) -> str:
        return ali_id("vsw", f"qas {self.zone}")

    @property
    def eip_id(self) -> str:
        return ali_id("eip", f"nlb {self.zone}")

    @property
    def eni_id(self) -> str:  # the service-managed ENI that holds the zone's address
        return ali_id("eni", f"nlb {self.zone}")


@dataclass(frozen=True)
class NetworkLoadBalancer:
    """An NLB as CCM creates it for a Service with ``loadBalancerClass: alibabacloud.com/nlb``.

    NLB IDs carry no ``bp1`` region marker: ``nlb-`` and 20 characters, as in the API's examples.
    """

    name: str
    zones: tuple[NlbZone, ...]
    security_group_id: str

    @property
    def id(self) -> str:
        return "nlb-" + encode("nlb " + self.name, 20, BASE36)

    @property
    def address(self) -> str:
        return self.zones[0].public_ip

    @property
    def dns_name(self) -> str:
        return f"{self.id}.{REGION}.nlb.aliyuncsslb.com"

    def listener_id(self, port: int) -> str:
        return "lsn-" + encode(f"lsn {self.name} {port}", 20, BASE36)

    def server_group_id(self, port: int) -> str:
        return "sgp-" + encode(f"sgp {self.name} {port}", 20, BASE36)


NLB_SECURITY_GROUP_ID = ali_id("sg", "qas nlb", 18)
PUBLIC_NLB = NetworkLoadBalancer(
    "public-nlb",
    (
        NlbZone("cn-hangzhou-h", "10.17.20.0/24", "203.0.113.40", "10.17.20.8"),
        NlbZone("cn-hangzhou-i", "10.17.21.0/24", "203.0.113.41", "10.17.21.8"),
    ),
    NLB_SECURITY_GROUP_ID,
)
NLB_CREATED = "2024-05-27T07:18:30Z"  # before the scenarios' observation time (draft.NOW)


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    cluster_ip: str
    ports: tuple[ServicePort, ...]
    selector: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    load_balancer: LoadBalancer | NetworkLoadBalancer | None = None
    health_check_node_port: int | None = None
    created: str = CLUSTER_CREATED


@dataclass(frozen=True)
class Workload:
    """A Deployment's or DaemonSet's pods: one (pod IP, node IP) per replica."""

    namespace: str
    name: str
    kind: str  # Deployment or DaemonSet
    labels: dict[str, str]
    image: str
    ports: tuple[ServicePort, ...]  # containerPorts (target_port is unused)
    replicas: tuple[tuple[str, str], ...]
    host_network: bool = False
    container: str = ""
    created: str = CLUSTER_CREATED

    @property
    def container_name(self) -> str:
        return self.container or self.name


HTTP = ServicePort("http", "TCP", 8080, 8080)
APP_CREATED = "2024-05-20T03:12:08Z"
ACS = "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs"

WORKLOADS = [
    Workload(
        "kube-system",
        "coredns",
        "Deployment",
        {"k8s-app": "kube-dns"},
        f"{ACS}/coredns:v1.11.3.2-f57ea7ed6-aliyun",
        (
            ServicePort("dns", "UDP", 53, 53),
            ServicePort("dns-tcp", "TCP", 53, 53),
            ServicePort("metrics", "TCP", 9153, 9153),
        ),
        (("10.17.10.101", "10.17.10.11"), ("10.17.10.102", "10.17.10.12")),
    ),
    Workload(
        INGRESS_NAMESPACE,
        "nginx-ingress-controller",
        "Deployment",
        INGRESS_LABELS,
        INGRESS_IMAGE,
        (ServicePort("http", "TCP", 80, 80), ServicePort("https", "TCP", 443, 443)),
        (("10.17.10.11", "10.17.10.11"), ("10.17.10.12", "10.17.10.12")),
        host_network=True,
        container=INGRESS_CONTAINER,
    ),
    Workload(
        "kube-system",
        "kube-proxy-worker",
        "DaemonSet",
        {"k8s-app": "kube-proxy-worker"},
        f"{ACS}/kube-proxy:v{K8S_VERSION}",
        (),
        tuple((n.ip, n.ip) for n in NODES),
        host_network=True,
        container="kube-proxy-worker",
    ),
    Workload(
        "kube-system",
        "terway-eniip",
        "DaemonSet",
        {"app": "terway-eniip"},
        f"{ACS}/terway:v1.9.6",
        (),
        tuple((n.ip, n.ip) for n in NODES),
        host_network=True,
        container="terway",
    ),
    Workload(
        "app",
        "app1-service",
        "Deployment",
        {"app": "app1-service"},
        "registry.cn-hangzhou.aliyuncs.com/qas/app1:1.4.2",
        (HTTP,),
        (("10.17.10.91", "10.17.10.13"),),
        created=APP_CREATED,
    ),
    Workload(
        "app",
        "app2-service",
        "Deployment",
        {"app": "app2-service"},
        "registry.cn-hangzhou.aliyuncs.com/qas/app2:2.0.7",
        (HTTP,),
        (("10.17.10.92", "10.17.10.12"), ("10.17.10.93", "10.17.10.13")),
        created=APP_CREATED,
    ),
    Workload(
        "app",
        "app3-service",
        "Deployment",
        {"app": "app3-service"},
        "registry.cn-hangzhou.aliyuncs.com/qas/app3:0.9.1",
        (HTTP,),
        (("10.17.10.94", "10.17.10.11"),),
        created=APP_CREATED,
    ),
    Workload(
        "app",
        "app4-service",
        "Deployment",
        {"app": "app4-service"},
        "registry.cn-hangzhou.aliyuncs.com/qas/app4:1.0.3",
        (HTTP,),
        (("10.17.10.96", "10.17.10.12"),),
        created=NLB_CREATED,
    ),
]

INGRESS_PORTS_PUBLIC = (
    ServicePort("http", "TCP", 80, 80, 31523),
    ServicePort("https", "TCP", 443, 443, 30792),
)
INGRESS_PORTS_PRIVATE = (
    ServicePort("http", "TCP", 80, 80, 32190),
    ServicePort("https", "TCP", 443, 443, 31066),
)
INGRESS_PORTS_NLB = (
    ServicePort("http", "TCP", 80, 80, 30467),
    ServicePort("https", "TCP", 443, 443, 32718),
)

SERVICES = [
    Service(
        "default",
        "kubernetes",
        "192.168.0.1",
        (ServicePort("https", "TCP", 443, 6443),),
        {},
        labels={"component": "apiserver", "provider": "kubernetes"},
    ),
    Service(
        "kube-system",
        "kube-dns",
        CLUSTER_DNS,
        (
            ServicePort("dns", "UDP", 53, 53),
            ServicePort("dns-tcp", "TCP", 53, 53),
            ServicePort("metrics", "TCP", 9153, 9153),
        ),
        {"k8s-app": "kube-dns"},
        labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
    ),
    Service(
        INGRESS_NAMESPACE,
        "nginx-ingress-lb",
        "192.168.214.87",
        INGRESS_PORTS_PUBLIC,
        INGRESS_LABELS,
        labels={"app": "nginx-ingress-lb"},
        load_balancer=PUBLIC_LB,
        health_check_node_port=31940,
    ),
    Service(
        INGRESS_NAMESPACE,
        "nginx-ingress-lb-private",
        "192.168.150.3",
        INGRESS_PORTS_PRIVATE,
        INGRESS_LABELS,
        labels={"app": "nginx-ingress-lb-private"},
        load_balancer=PRIVATE_LB,
        health_check_node_port=30417,
        created="2024-05-22T06:40:13Z",
    ),
    Service(
        INGRESS_NAMESPACE,
        "nginx-ingress-lb-nlb",
        "192.168.102.44",
        INGRESS_PORTS_NLB,
        INGRESS_LABELS,
        labels={"app": "nginx-ingress-lb-nlb"},
        load_balancer=PUBLIC_NLB,
        health_check_node_port=31287,
        created=NLB_CREATED,
    ),
    Service("app", "app1-service", "192.168.195.85", (HTTP,), {"app": "app1-service"}, created=APP_CREATED),
    Service("app", "app2-service", "192.168.37.214", (HTTP,), {"app": "app2-service"}, created=APP_CREATED),
    Service("app", "app3-service", "192.168.88.16", (HTTP,), {"app": "app3-service"}, created=APP_CREATED),
    Service("app", "app4-service", "192.168.61.140", (HTTP,), {"app": "app4-service"}, created=NLB_CREATED),
]
SERVICE_BY_NAME = {(s.namespace, s.name): s for s in SERVICES}


@dataclass(frozen=True)
class IngressRule:
    name: str
    host: str
    service: str
    service_upstream: bool = False
    namespace: str = "app"
    port: int = 8080


INGRESSES = [
    IngressRule("app1-service-ingress", "app1.qas.abc.com", "app1-service"),
    IngressRule("app2-service-ingress", "app2.qas.abc.com", "app2-service", service_upstream=True),
    IngressRule("app3-service-ingress", "app3.qas.abc.com", "app3-service"),
    IngressRule("app4-service-ingress", "app4.qas.abc.com", "app4-service"),
]

# Which load balancer each name is published on (the A records of zone abc.com).
DNS_RECORDS = [
    ("app1.qas", PUBLIC_LB.address),
    ("app2.qas", PUBLIC_LB.address),
    ("app3.qas", PRIVATE_LB.address),
    ("app4.qas", PUBLIC_NLB.address),
]


def pods_on(node_ip: str) -> list[tuple[Workload, str]]:
    """(workload, pod IP) of the Terway (non-host-network) pods scheduled on a node."""
    return [
        (w, pod_ip) for w in WORKLOADS if not w.host_network for pod_ip, node in w.replicas if node == node_ip
    ]
