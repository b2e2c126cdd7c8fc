"""The ALB Ingress of the design world "flannel-nodeport": ``store.fln.abc.com`` on Instance server groups.

On Flannel a Pod IP is no VPC address an ALB can send to, so the ALB Ingress controller fills the
server group of a Service with the cluster's ECS instances on the Service's NodePort: type
Instance, servers of ServerType Ecs whose ServerId is the instance ID, ServerIp the node's address
and Port the NodePort. kube-proxy (iptables) on each node turns that NodePort into a Pod of the
Service; ``app/store`` is a NodePort Service with externalTrafficPolicy Cluster, so any node
forwards, to a Pod on another node too, masquerading the ALB's address to its own. The AlbConfig
``alb`` made ALB k8s-alb-fln (zones j and k: an ALB needs two, and the cluster uses one, so
the ALB has a vSwitch of its own in k) with one HTTP 80 listener; the Ingress ``app/store-alb`` (class alb)
has one rule for store.fln.abc.com, a CNAME to the ALB's DNS name. Health checks are off (the
Ingress does not ask for them: ``alb.ingress.kubernetes.io/healthcheck-enabled`` is false by
default), so every server reads Unavailable and receives requests.
"""

from __future__ import annotations

from dataclasses import replace

from tools.demo_world.cloud_alb import AlbGroup, AlbRuleSpec, AlbSpec
from tools.demo_world.ids import later
from tools.demo_world.model import DnsRecord, IngressRule, Service, ServicePort, VSwitch, Workload

STORE_NODE_PORT = 30910
STORE_PORT = ServicePort("http", "TCP", 80, 8080, STORE_NODE_PORT)
RECREATED_NODE_PORT = 31574  # scenario alb-instance-nodeport-stale: the Service got a new one


def group(node_ips: tuple[str, ...], node_port: int = STORE_NODE_PORT) -> AlbGroup:
    """The server group of app/store:80: every node on the NodePort the controller last saw."""
    return AlbGroup(
        "app", "store", 80, tuple((ip, node_port) for ip in node_ips), type="Instance", health_checks=False
    )


def alb(vswitches: tuple[VSwitch, VSwitch], node_ips: tuple[str, ...], created: str) -> AlbSpec:
    """k8s-alb-fln in two zones (an ALB needs two): the nodes' vSwitch and one of its own."""
    nodes, own = vswitches
    return AlbSpec(
        "k8s-alb-fln",
        "alb",
        ((nodes, "203.0.113.62", "10.20.1.62"), (own, "203.0.113.63", "10.20.2.62")),
        "",
        (AlbRuleSpec(80, 1, "store.fln.abc.com", ("/*",), ((group(node_ips), 100),)),),
        created,
    )


def store(registry: str, replicas: tuple[tuple[str, str], ...], created: str) -> Workload:
    return Workload(
        "app",
        "store",
        "Deployment",
        {"app": "store"},
        f"{registry}/store:2.4.1",
        (ServicePort("http", "TCP", 8080, 8080),),
        replicas,
        created=created,
    )


def service(created: str, node_port: int = STORE_NODE_PORT, cluster_ip: str = "172.21.10.52") -> Service:
    """app/store: a NodePort Service (externalTrafficPolicy Cluster), what the Instance group sends to."""
    return Service(
        "app",
        "store",
        cluster_ip,
        (replace(STORE_PORT, node_port=node_port),),
        {"app": "store"},
        created=created,
        traffic_policy="Cluster",
        node_port=True,
    )


def ingress(created: str) -> IngressRule:
    return IngressRule(
        "store-alb", "store.fln.abc.com", "store", port=80, ingress_class="alb", created=created
    )


def record(spec: AlbSpec) -> DnsRecord:
    return DnsRecord("store.fln", "CNAME", spec.dns_name, "fln store, through the ALB Ingress (k8s-alb-fln)")


def alb_created(apps: str) -> str:
    return later(apps, 86400 * 28)  # a week after partner and logs
