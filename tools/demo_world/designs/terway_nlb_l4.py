"""The L4 Service of the design world "terway-nlb": ``ops/redis`` on an NLB of its own.

No ingress controller answers behind tnl-redis-nlb: CCM made it for the LoadBalancer Service
redis (``loadBalancerClass: alibabacloud.com/nlb``, ``backend-type: eni``), so its TCP 6379
listener's server group is of type Ip and holds the redis Pod IPs themselves, one per zone;
kube-proxy (IPVS) is not on that path. The Service pins each client to one Pod
(``sessionAffinity: ClientIP``). Its host, redis.tnl.abc.com, is a CNAME to the NLB's DNS name;
the nodes' security group (Terway's Pod ENIs share it) lets clients in on 6379.
"""

from __future__ import annotations

from tools.demo_world.design import SgRule
from tools.demo_world.designs.terway_nlb_net import APPS, N2, N4, NODE_H, NODE_I, REGISTRY, ZONE_H, ZONE_I
from tools.demo_world.ids import ali_id, later
from tools.demo_world.model import DnsRecord, NetworkLoadBalancer, NlbZone, Service, ServicePort, Workload

CREATED = later(APPS, 86400 * 21)  # a week after the second wave of apps
REDIS_NLB = NetworkLoadBalancer(
    "tnl-redis-nlb",
    (
        NlbZone(ZONE_H, NODE_H.id, "203.0.113.72", "10.30.1.201", seed="tnl redis nlb"),
        NlbZone(ZONE_I, NODE_I.id, "203.0.113.73", "10.30.2.201", seed="tnl redis nlb"),
    ),
    ali_id("sg", "tnl redis nlb", 18),
    server_group_type="Ip",
)
REDIS = ServicePort("redis", "TCP", 6379, 6379)
REPLICAS = (("10.30.64.24", N2), ("10.30.80.24", N4))


def redis(replicas: tuple[tuple[str, str], ...] = REPLICAS) -> Workload:
    """The redis Deployment (a scenario reschedules a Pod)."""
    return Workload(
        "ops",
        "redis",
        "Deployment",
        {"app": "redis"},
        f"{REGISTRY}/redis:7.2.5",
        (REDIS,),
        replicas,
        created=CREATED,
    )


SERVICE = Service(
    "ops",
    "redis",
    "192.168.90.12",
    (ServicePort("redis", "TCP", 6379, 6379, 31379),),
    {"app": "redis"},
    load_balancer=REDIS_NLB,
    created=CREATED,
    traffic_policy="Cluster",
    session_affinity="ClientIP",
)
DNS_RECORD = DnsRecord(
    "redis.tnl", "CNAME", REDIS_NLB.dns_name, "tnl redis via tnl-redis-nlb (L4 Service ops/redis)"
)
SG_RULE = SgRule(
    "Accept", "TCP", "6379/6379", "0.0.0.0/0", 1, "tnl-redis-nlb to the redis Pods (client IP kept)"
)
