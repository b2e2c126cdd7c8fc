"""The parts a design world is made of, before they become raw artefacts.

A design (``tools/demo_world/designs/``) lists its vSwitches, nodes, workloads, Services,
load balancers, security groups and egress path with these records; the builders turn
them into Kubernetes objects, OpenAPI bodies and node command output. Properties derive
the IDs the way the cloud names them, so every artefact that mentions a resource agrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.demo_world.ids import BASE36, REGION, ali_id, encode


@dataclass(frozen=True)
class VSwitch:
    zone: str
    cidr: str
    seed: str  # the ID is derived from it
    name: str
    created: str
    free_ips: int = 236  # AvailableIpAddressCount

    @property
    def id(self) -> str:
        return ali_id("vsw", self.seed)


@dataclass(frozen=True)
class Node:
    ip: str
    vswitch: VSwitch
    secondary_eni_ip: str = ""  # Terway ENIIP: primary IP of the secondary ENI; Pods use its secondary IPs
    pod_vswitch: VSwitch | None = None  # where Terway puts the node's Pod ENIs (default: the node's)
    pod_cidr: str = ""  # Flannel: Node.spec.podCIDR
    labels: tuple[tuple[str, str], ...] = ()  # labels besides those ACK puts on every node

    @property
    def zone(self) -> str:
        return self.vswitch.zone

    @property
    def eni_vswitch(self) -> VSwitch:
        return self.pod_vswitch or self.vswitch

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


@dataclass(frozen=True)
class ServicePort:
    name: str
    protocol: str
    port: int
    target_port: int
    node_port: int | None = None
    target_name: str = ""  # targetPort given by name (a container port name that resolves to target_port)

    @property
    def target(self) -> int | str:
        """``spec.ports[].targetPort`` as written: the name when there is one, else the number."""
        return self.target_name or self.target_port


@dataclass(frozen=True)
class LoadBalancer:
    """A CLB as CCM creates it for a LoadBalancer Service."""

    name: str
    address: str
    acl: bool = False  # whitelist on every listener
    address_type: str = "internet"
    vswitch: VSwitch | None = None  # intranet CLBs live on a vSwitch
    protocols: tuple[tuple[int, str], ...] = ((80, "tcp"), (443, "tcp"))  # listener port → protocol
    backend_order: tuple[str, ...] = ()  # node IPs of ECS backends in group order (default: every node)
    certificate_id: str = ""  # the HTTPS listener's server certificate
    groups_created: str = ""  # CreateTime of the vServer groups (default: the load balancer's)

    @property
    def id(self) -> str:
        return ali_id("lb", self.name, 18)

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(port for port, _ in self.protocols)

    def vserver_group_id(self, port: int) -> str:
        return ali_id("rsp", f"{self.name} {port}")


@dataclass(frozen=True)
class NlbZone:
    """One zone mapping of an NLB: its vSwitch, the EIP in front and the private address behind it."""

    zone: str
    vswitch_id: str
    public_ip: str
    private_ip: str
    seed: str = "nlb"

    @property
    def eip_id(self) -> str:
        return ali_id("eip", f"{self.seed} {self.zone}")

    @property
    def eni_id(self) -> str:  # the service-managed ENI that holds the zone's address
        return ali_id("eni", f"{self.seed} {self.zone}")


@dataclass(frozen=True)
class NetworkLoadBalancer:
    """An NLB as CCM creates it for a Service with ``loadBalancerClass: alibabacloud.com/nlb``.

    NLB IDs carry no ``bp1`` region marker: ``nlb-`` and 20 characters, as in the API's examples.
    """

    name: str
    zones: tuple[NlbZone, ...]
    security_group_id: str
    server_group_type: str = "Instance"  # Instance (ECS/ENI servers) or Ip (Pod IPs)
    # (Pod IP, node IP) the server groups hold when CCM has not caught up (default: the Service's Pods)
    servers: tuple[tuple[str, str], ...] = ()

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
    created: str = ""  # default: the cluster's creation
    traffic_policy: str = "Local"  # externalTrafficPolicy of a LoadBalancer Service
    backend_type: str = "eni"  # CCM's backend-type annotation: eni (Pod or node ENIs) or ecs (NodePorts)
    annotations: dict[str, str] = field(default_factory=dict)  # further CCM annotations
    external_name: str = ""  # type ExternalName: the DNS name it aliases (no ClusterIP, no selector)
    session_affinity: str = "None"  # ClientIP: kube-proxy pins each client (timeout 10800 s)
    node_port: bool = False  # type NodePort (no load balancer of its own: an ALB Instance group uses it)

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"

    @property
    def type(self) -> str:
        if self.external_name:
            return "ExternalName"
        if self.node_port:
            return "NodePort"
        return "LoadBalancer" if self.load_balancer is not None else "ClusterIP"


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
    created: str = ""  # default: the cluster's creation
    not_ready: tuple[int, ...] = ()  # replicas whose readiness probe fails
    revision: int = 1  # a Deployment's template revision: a new one gives its Pods new names
    node_selector: tuple[tuple[str, str], ...] = ()  # the Pod template's nodeSelector

    @property
    def container_name(self) -> str:
        return self.container or self.name


@dataclass(frozen=True)
class IngressRule:
    """One Ingress object: one host, one path, one Service port, as its team applied it."""

    name: str
    host: str
    service: str
    service_upstream: bool = False
    namespace: str = "app"
    port: int | str = 8080  # service.port.number, or service.port.name when a string
    path: str = "/"
    path_type: str = "Prefix"  # Prefix, Exact or ImplementationSpecific
    annotations: tuple[tuple[str, str], ...] = ()  # nginx.ingress.kubernetes.io/<key> (key without prefix)
    tls_secret: str = ""  # spec.tls: the host with this Secret (its name only: Secrets are never stored)
    ingress_class: str | None = "nginx"  # spec.ingressClassName (None: no class at all)
    created: str = ""  # default: 95 s after the design's apps were applied

    @property
    def nginx_annotations(self) -> dict[str, str]:
        """The ingress-nginx annotations, keys without the prefix."""
        found = {"service-upstream": "true"} if self.service_upstream else {}
        return {**found, **dict(self.annotations)}

    @property
    def canary(self) -> bool:
        return self.nginx_annotations.get("canary") == "true"

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class DnsRecord:
    """One record of the Alidns zone: ``rr`` inside the zone, type A or CNAME."""

    rr: str
    type: str
    value: str
    remark: str


@dataclass(frozen=True)
class OutsideRecord:
    """A record of a name outside the design's zone (a partner's API), as public resolvers answer it."""

    name: str
    type: str
    value: str
    ttl: int = 300


@dataclass(frozen=True)
class PrivateZone:
    """A PrivateZone zone bound to the world's VPC: its records answer clients inside the VPC.

    ``proxy_pattern`` ZONE (recursive resolution proxy off, the default) answers NXDOMAIN for a name
    under the zone it does not hold; RECORD sends such a name on to public DNS."""

    name: str
    records: tuple[DnsRecord, ...]
    created: str  # as PrivateZone prints it, e.g. 2024-04-08T03:10Z
    proxy_pattern: str = "ZONE"
    remark: str = ""

    @property
    def id(self) -> str:
        return "pz-" + encode(f"pvtz {self.name}", 20, BASE36)
