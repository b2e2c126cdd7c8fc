"""One design world as a value: what the generator is given to build a whole cluster.

``Design`` holds every fact a world's artefacts are built from (network plugin, proxy mode,
vSwitches, nodes, workloads, Services, load balancers, guards, egress) plus the records
for guards and egress defined here. Each module in ``tools/demo_world/designs/`` builds one
``Design``; the builders (kube, cloud, node, nginx) take it as their only source of facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tools.demo_world.ids import ali_id, hexid, later, request_id
from tools.demo_world.model import (
    DnsRecord,
    IngressRule,
    LoadBalancer,
    NetworkLoadBalancer,
    Node,
    OutsideRecord,
    PrivateZone,
    Service,
    VSwitch,
    Workload,
)

INGRESS_NAMESPACE = "kube-system"
INGRESS_LABELS = {"app": "ingress-nginx"}
INGRESS_CONTAINER = "nginx-ingress-controller"
INGRESS_IMAGE = "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/aliyun-ingress-controller:v1.12.1-aliyun.1"
ACS = "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs"
K8S_VERSION = "1.31.1-aliyun.1"


@dataclass(frozen=True)
class SgRule:
    """One ingress rule of a security group (``PortRange`` ``-1/-1`` with protocol ALL: every port)."""

    policy: str  # Accept or Drop
    protocol: str  # TCP, UDP, ICMP, ALL
    ports: str  # PortRange, e.g. 80/80
    source: str  # SourceCidrIp
    priority: int
    description: str


@dataclass(frozen=True)
class SecurityGroup:
    seed: str
    name: str
    description: str
    rules: tuple[SgRule, ...]
    created: str

    @property
    def id(self) -> str:
        return ali_id("sg", self.seed, 18)


@dataclass(frozen=True)
class Eip:
    address: str
    seed: str
    name: str
    allocated: str

    @property
    def id(self) -> str:
        return ali_id("eip", self.seed)


@dataclass(frozen=True)
class SnatEntry:
    vswitch: VSwitch
    eip: Eip
    seed: str
    name: str

    @property
    def id(self) -> str:
        return ali_id("snat", self.seed)


@dataclass(frozen=True)
class Acl:
    seed: str
    name: str
    entries: tuple[tuple[str, str], ...]  # (CIDR, comment)
    created: str  # as the API prints it, with the +0800 offset

    @property
    def id(self) -> str:
        return ali_id("acl", self.seed)


@dataclass(frozen=True)
class Namespace:
    name: str
    created: str
    labels: dict[str, str] = field(default_factory=dict)  # besides kubernetes.io/metadata.name
    applied: bool = False  # created with kubectl apply (it keeps the last-applied annotation)


@dataclass(frozen=True)
class PolicyPeer:
    """One ``from`` entry: a namespace selector AND a pod selector (None: that part is absent), or
    an ``ipBlock`` CIDR (then the selectors are None)."""

    namespaces: dict[str, str] | None
    pods: dict[str, str] | None
    ip_block: str = ""


@dataclass(frozen=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: dict[str, str]
    peers: tuple[PolicyPeer, ...] = ()  # one ingress rule from these peers; none: deny all ingress
    ports: tuple[tuple[str, int], ...] = ()  # (protocol, port) of that rule
    created: str = ""


@dataclass(frozen=True)
class Design:
    name: str
    summary: str  # one line, as ``ackwb worlds`` lists it
    description: str  # world.json
    cluster_name: str
    network: str  # terway-eniip, terway-eni or flannel
    proxy_mode: str  # ipvs, iptables or nftables (what kube-proxy runs on every node)
    created: str
    vpc_cidr: str
    vswitches: tuple[VSwitch, ...]  # node vSwitches, then pod vSwitches
    service_cidr: str
    cluster_dns: str
    api_server: tuple[str, int]
    nodes: tuple[Node, ...]
    workloads: tuple[Workload, ...]
    services: tuple[Service, ...]
    ingresses: tuple[IngressRule, ...]
    dns_records: tuple[DnsRecord, ...]
    node_sg: SecurityGroup
    nat_private_ip: str
    eips: tuple[Eip, ...]  # the NAT gateway's
    snat: tuple[SnatEntry, ...]
    namespaces: tuple[Namespace, ...]
    publish_status: dict[str, str]  # the Ingresses' status: the published Service's address
    clbs: tuple[LoadBalancer, ...] = ()
    nlbs: tuple[NetworkLoadBalancer, ...] = ()
    acl: Acl | None = None
    pod_sg: SecurityGroup | None = None  # Terway exclusive ENI: the Pod ENIs' own group
    policies: tuple[NetworkPolicy, ...] = ()
    enforce_policies: bool = False  # Terway with NetworkPolicy support (eni-config disable_network_policy)
    pod_cidr: str = ""  # Flannel: the cluster's Pod CIDR (one /24 per node)
    cs_proxy_mode: str = ""  # what the CS API says (the mode chosen at creation); default proxy_mode
    dns_zone: str = "abc.com"
    dns_stamp: int = 1716173528000  # when the first Alidns record was created (epoch ms)
    init_version: str = "1.28.9-aliyun.1"
    apps_created: str = ""  # when the Ingresses were applied (default: the cluster's creation)
    nodepool_seed: str = ""  # default: derived from the cluster name
    seed_prefix: str = ""  # put before the seeds of request IDs, so each world has its own
    outside_dns: tuple[OutsideRecord, ...] = ()  # names outside the zone the world's Pods reach
    albs: tuple[Any, ...] = ()  # ALB Ingress front doors (``cloud_alb.AlbSpec``)
    alb_gateways: tuple[Any, ...] = ()  # Gateways of class alb (``kube_alb_gateway.AlbGatewaySpec``)
    private_zones: tuple[PrivateZone, ...] = ()  # PrivateZone zones bound to the VPC
    other_vswitches: tuple[VSwitch, ...] = ()  # vSwitches of the VPC the cluster does not use (an ALB's)
    gateways: tuple[Any, ...] = ()  # Gateway API front doors on Envoy Gateway (``kube_gateway.EnvoyGateway``)

    # ----------------------------------------------------------------------------- identities
    @property
    def cluster_id(self) -> str:
        return "c" + hexid(f"cluster {self.cluster_name}", 32)

    @property
    def vpc_id(self) -> str:
        return ali_id("vpc", self.cluster_name)

    @property
    def route_table_id(self) -> str:
        return ali_id("vtb", f"{self.cluster_name} system")

    @property
    def nat_id(self) -> str:
        return ali_id("ngw", self.cluster_name)

    @property
    def snat_table_id(self) -> str:
        return ali_id("stb", self.cluster_name)

    @property
    def forward_table_id(self) -> str:
        return ali_id("ftb", self.cluster_name)

    @property
    def nat_eni_id(self) -> str:
        return ali_id("eni", f"nat {self.cluster_name}")

    @property
    def nodepool_id(self) -> str:
        return "np" + hexid(f"nodepool {self.nodepool_seed or 'default ' + self.cluster_name}", 32)

    # ------------------------------------------------------------------------------- lookups
    def rid(self, seed: str) -> str:
        """The RequestId a stored body of this world carries."""
        return request_id(self.seed_prefix + seed)

    def at(self, seconds: int) -> str:
        """A moment ``seconds`` after the cluster was created."""
        return later(self.created, seconds)

    def local_time(self, timestamp: str) -> str:
        """``timestamp`` in China Standard Time, as the CS API prints it."""
        moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(hours=8)
        return moment.strftime("%Y-%m-%dT%H:%M:%S+08:00")

    @property
    def node_vswitches(self) -> tuple[VSwitch, ...]:
        return tuple(dict.fromkeys(n.vswitch for n in self.nodes))

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.zone for v in self.node_vswitches))

    def node(self, ip: str) -> Node:
        return next(n for n in self.nodes if n.ip == ip)

    def node_named(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def service(self, namespace: str, name: str) -> Service:
        return next(s for s in self.services if (s.namespace, s.name) == (namespace, name))

    def ingress_created(self, rule: IngressRule) -> str:
        """An Ingress's creationTimestamp (default: 95 s after the apps were applied)."""
        return rule.created or later(self.apps_created or self.created, 95)

    def workload(self, name: str, namespace: str = INGRESS_NAMESPACE) -> Workload:
        return next(w for w in self.workloads if (w.namespace, w.name) == (namespace, name))

    @property
    def controller(self) -> Workload:
        return self.workload("nginx-ingress-controller")

    def lb_service(self, lb: LoadBalancer | NetworkLoadBalancer) -> Service:
        return next(s for s in self.services if s.load_balancer == lb)

    def lb_workload(self, lb: LoadBalancer | NetworkLoadBalancer) -> Workload:
        """The workload whose Pods the load balancer's Service selects: the ingress controller for a
        controller Service, the application itself for an L4 Service."""
        svc = self.lb_service(lb)
        return next(
            w
            for w in self.workloads
            if w.namespace == svc.namespace and svc.selector.items() <= w.labels.items()
        )

    def ready_nodes(self, workload: Workload) -> set[str]:
        """IPs of the nodes that run a ready Pod of ``workload``."""
        return {node for i, (_pod, node) in enumerate(workload.replicas) if i not in workload.not_ready}

    def pods_on(self, node_ip: str) -> list[tuple[Workload, str]]:
        """(workload, pod IP) of the non-host-network pods scheduled on a node."""
        return [
            (w, pod_ip)
            for w in self.workloads
            if not w.host_network
            for pod_ip, node in w.replicas
            if node == node_ip
        ]

    def ready_controller_nodes(self) -> set[str]:
        """IPs of the nodes that run a ready ingress controller Pod."""
        return self.ready_nodes(self.controller)

    @property
    def kube_proxy_cluster_cidr(self) -> str:
        """kube-proxy's clusterCIDR: Flannel's Pod CIDR, else the vSwitch the Pods get addresses from."""
        if self.pod_cidr:
            return self.pod_cidr
        return self.nodes[0].eni_vswitch.cidr
