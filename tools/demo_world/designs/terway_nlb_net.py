"""Network of the design world "terway-nlb": zones, vSwitches, nodes and load balancers.

Cluster tnl spans zones cn-hangzhou-h and -i: one node vSwitch and one pod vSwitch per zone
(Terway puts each node's secondary ENI on its zone's pod vSwitch), four nodes, the public NLB
tnl-public-nlb (one address per zone, server groups of type Ip) and the intranet CLB
tnl-intranet-lb. The workloads, Services and Ingresses live in ``terway_nlb_apps`` and
``terway_nlb``.
"""

from __future__ import annotations

from tools.demo_world.ids import ali_id, later
from tools.demo_world.model import LoadBalancer, NetworkLoadBalancer, NlbZone, Node, ServicePort, VSwitch

CREATED = "2024-04-08T03:05:29Z"
APPS = "2024-05-13T07:40:02Z"
ZONE_H, ZONE_I = "cn-hangzhou-h", "cn-hangzhou-i"
NODE_H = VSwitch(ZONE_H, "10.30.1.0/24", "tnl node h", "tnl-node-h", later(CREATED, -385), 246)
NODE_I = VSwitch(ZONE_I, "10.30.2.0/24", "tnl node i", "tnl-node-i", later(CREATED, -381), 248)
# pod vSwitches: AvailableIpAddressCount less the Pods of the later apps (h: search; i: grpc, api, search)
# and of redis (one Pod per zone)
POD_H = VSwitch(ZONE_H, "10.30.64.0/20", "tnl pod h", "tnl-pod-h", later(CREATED, -377), 4084)
POD_I = VSwitch(ZONE_I, "10.30.80.0/20", "tnl pod i", "tnl-pod-i", later(CREATED, -373), 4084)
N1, N2, N3, N4 = "10.30.1.11", "10.30.1.12", "10.30.2.11", "10.30.2.12"
NODES = (
    Node(N1, NODE_H, "10.30.64.10", POD_H),
    Node(N2, NODE_H, "10.30.64.20", POD_H),
    Node(N3, NODE_I, "10.30.80.10", POD_I),
    Node(N4, NODE_I, "10.30.80.20", POD_I),
)
NLB = NetworkLoadBalancer(
    "tnl-public-nlb",
    (
        NlbZone(ZONE_H, NODE_H.id, "203.0.113.70", "10.30.1.200", seed="tnl nlb"),
        NlbZone(ZONE_I, NODE_I.id, "203.0.113.71", "10.30.2.200", seed="tnl nlb"),
    ),
    ali_id("sg", "tnl nlb", 18),
    server_group_type="Ip",
)
INTRANET = LoadBalancer(
    "tnl-intranet-lb", "10.30.1.250", address_type="intranet", vswitch=NODE_H, protocols=((80, "tcp"),)
)
HTTP = ServicePort("http", "TCP", 8080, 8080)
DNS_PORTS = (
    ServicePort("dns", "UDP", 53, 53),
    ServicePort("dns-tcp", "TCP", 53, 53),
    ServicePort("metrics", "TCP", 9153, 9153),
)
EVERY_NODE = tuple((ip, ip) for ip in (N1, N2, N3, N4))
REGISTRY = "registry.cn-hangzhou.aliyuncs.com/tnl"
