"""The design world "terway-nlb": Terway with pod vSwitches, an NLB straight to controller Pods.

Cluster tnl spans zones cn-hangzhou-h and -i: nodes on one vSwitch per zone, Pods on another
(Terway puts each node's secondary ENI on its zone's pod vSwitch; Pod IPs are that ENI's
secondary IPs). The ingress controller runs off the host network; its Service is an NLB
whose server groups are of type Ip and hold the controller Pod IPs, so traffic skips
NodePorts and kube-proxy. A second controller Service is an intranet CLB with ECS NodePort
backends (externalTrafficPolicy Cluster, IPVS in front of both controllers). Terway enforces
NetworkPolicy: namespace shop denies ingress by default and lets the controllers in on the apps'
ports. Every vSwitch has its own SNAT entry: pod vSwitches leave by one EIP, node vSwitches by
another. The network is in ``terway_nlb_net``, the applications and their Ingresses (TLS, an
allow-list, a redirect, a regex rewrite, gRPC, ExternalName and headless Services) in
``terway_nlb_apps``.
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
    SecurityGroup,
    SgRule,
    SnatEntry,
)
from tools.demo_world.designs import terway_nlb_apps as apps
from tools.demo_world.designs import terway_nlb_l4 as l4
from tools.demo_world.designs.terway_nlb_net import (
    APPS,
    CREATED,
    DNS_PORTS,
    EVERY_NODE,
    INTRANET,
    N1,
    N3,
    NLB,
    NODE_H,
    NODE_I,
    NODES,
    POD_H,
    POD_I,
)
from tools.demo_world.ids import later
from tools.demo_world.model import DnsRecord, PrivateZone, Service, ServicePort, Workload

__all__ = ["DESIGN", "NODE_H", "NODE_I", "POD_H", "POD_I"]

SYSTEM_WORKLOADS = (
    Workload(
        "kube-system",
        "coredns",
        "Deployment",
        {"k8s-app": "kube-dns"},
        f"{ACS}/coredns:v1.11.3.2-f57ea7ed6-aliyun",
        DNS_PORTS,
        (("10.30.64.11", N1), ("10.30.80.11", N3)),
    ),
    Workload(
        INGRESS_NAMESPACE,
        "nginx-ingress-controller",
        "Deployment",
        INGRESS_LABELS,
        INGRESS_IMAGE,
        (ServicePort("http", "TCP", 80, 80), ServicePort("https", "TCP", 443, 443)),
        (("10.30.64.12", N1), ("10.30.80.12", N3)),
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
        "terway-eniip",
        "DaemonSet",
        {"app": "terway-eniip"},
        f"{ACS}/terway:v1.9.6",
        (),
        EVERY_NODE,
        host_network=True,
        container="terway",
    ),
)
LB_PREFIX = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"
SYSTEM_SERVICES = (
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
        "192.168.0.10",
        DNS_PORTS,
        {"k8s-app": "kube-dns"},
        labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
    ),
    Service(
        INGRESS_NAMESPACE,
        "nginx-ingress-lb",
        "192.168.33.108",
        (ServicePort("http", "TCP", 80, 80, 31207), ServicePort("https", "TCP", 443, 443, 30859)),
        INGRESS_LABELS,
        labels={"app": "nginx-ingress-lb"},
        load_balancer=NLB,
        traffic_policy="Cluster",
    ),
    Service(
        INGRESS_NAMESPACE,
        "nginx-ingress-lb-intranet",
        "192.168.71.5",
        (ServicePort("http", "TCP", 80, 80, 32614),),
        INGRESS_LABELS,
        labels={"app": "nginx-ingress-lb-intranet"},
        load_balancer=INTRANET,
        traffic_policy="Cluster",
        backend_type="ecs",
        created=later(CREATED, 3600),
    ),
)
NLB_TO_PODS = "tnl-public-nlb to the controller Pods (client IP kept)"
NODE_SG = SecurityGroup(
    "tnl nodes",
    "alicloud-cs-auto-created-security-group-tnl",
    "security group of the worker nodes and Terway Pod ENIs of ACK cluster tnl",
    (
        SgRule("Accept", "ALL", "-1/-1", "10.30.0.0/16", 1, "ACK: everything from inside the VPC"),
        SgRule("Accept", "ALL", "-1/-1", "100.64.0.0/10", 1, "ACK: load balancer health checks"),
        SgRule("Accept", "ICMP", "-1/-1", "0.0.0.0/0", 1, "ACK: ping"),
        SgRule("Accept", "TCP", "80/80", "0.0.0.0/0", 1, NLB_TO_PODS),
        SgRule("Accept", "TCP", "443/443", "0.0.0.0/0", 1, NLB_TO_PODS),
        l4.SG_RULE,
    ),
    later(CREATED, -300),
)
POD_EIP = Eip("203.0.113.220", "tnl nat pods", "tnl-nat-eip-pods", later(CREATED, -229))
NODE_EIP = Eip("203.0.113.221", "tnl nat nodes", "tnl-nat-eip-nodes", later(CREATED, -226))
SNAT = (
    SnatEntry(NODE_H, NODE_EIP, "tnl vsw node h", "tnl-node-h-egress"),
    SnatEntry(NODE_I, NODE_EIP, "tnl vsw node i", "tnl-node-i-egress"),
    SnatEntry(POD_H, POD_EIP, "tnl vsw pod h", "tnl-pod-h-egress"),
    SnatEntry(POD_I, POD_EIP, "tnl vsw pod i", "tnl-pod-i-egress"),
)
DESIGN = Design(
    name="terway-nlb",
    summary="Terway ENIIP with pod vSwitches in two zones, kube-proxy IPVS, NLB → controller Pod IPs "
    "(server groups of type Ip), an intranet CLB → ECS NodePorts, NetworkPolicy enforced; Ingresses with "
    "TLS, an allow-list, a redirect, a regex rewrite, gRPC (two ports, chosen by name), ExternalName and "
    "headless backends; an L4 Service (redis, TCP 6379) on an NLB of its own",
    description="ACK cluster tnl in cn-hangzhou, zones h and i: node and pod vSwitches per zone (Terway "
    "ENIIP, Pod IPs are secondary IPs of ENIs on the pod vSwitches), kube-proxy IPVS, ingress-nginx off "
    "the host network behind tnl-public-nlb (server groups of type Ip holding the controller Pod IPs, one "
    "public address per zone, hosts as CNAMEs to its DNS name) and behind the intranet CLB tnl-intranet-lb "
    "(ECS NodePorts, externalTrafficPolicy Cluster), NetworkPolicies in namespace shop (default deny, "
    "ingress-nginx allowed on the apps' ports), egress through one NAT gateway: pod vSwitches by one EIP, "
    "node vSwitches by another. Hosts: shop (with /admin allowed to 192.0.2.0/24 only), pay (tls, "
    "sessionAffinity ClientIP), old (permanent redirect to shop), api (use-regex and rewrite-target, plus "
    "an Exact /healthz), grpc (backend-protocol GRPC), ext (ExternalName Service partner, "
    "api.partner.example.net), search (headless Service), admin (intranet); the L4 Service ops/redis "
    "(TCP 6379, sessionAffinity ClientIP) on an NLB of its own, tnl-redis-nlb, whose server group of type "
    "Ip holds the redis Pod IPs.",
    cluster_name="tnl",
    network="terway-eniip",
    proxy_mode="ipvs",
    created=CREATED,
    vpc_cidr="10.30.0.0/16",
    vswitches=(NODE_H, NODE_I, POD_H, POD_I),
    service_cidr="192.168.0.0/16",
    cluster_dns="192.168.0.10",
    api_server=("10.30.1.7", 6443),
    nodes=NODES,
    workloads=(*SYSTEM_WORKLOADS, *apps.WORKLOADS, l4.redis()),
    services=(*SYSTEM_SERVICES, *apps.SERVICES, l4.SERVICE),
    ingresses=apps.INGRESSES,
    dns_records=(*apps.DNS_RECORDS, l4.DNS_RECORD),
    node_sg=NODE_SG,
    nat_private_ip="10.30.1.249",
    eips=(POD_EIP, NODE_EIP),
    snat=SNAT,
    namespaces=apps.NAMESPACES,
    publish_status={"hostname": NLB.dns_name},
    clbs=(INTRANET,),
    nlbs=(NLB, l4.REDIS_NLB),
    policies=apps.POLICIES,
    enforce_policies=True,
    dns_stamp=1715586242000,
    init_version="1.30.1-aliyun.1",
    apps_created=APPS,
    seed_prefix="tnl ",
    outside_dns=apps.OUTSIDE_DNS,
    private_zones=(
        PrivateZone(  # RECORD: the other names under tnl.abc.com go on to public DNS
            "tnl.abc.com",
            (DnsRecord("admin", "A", INTRANET.address, "tnl admin, intranet CLB tnl-intranet-lb"),),
            later(CREATED, 3900),
            proxy_pattern="RECORD",
            remark="tnl names for clients inside the VPC",
        ),
    ),
)
