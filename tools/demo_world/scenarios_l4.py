"""Broken scenarios that only an L4 Service front door has: no controller stands between the load
balancer and the Service's own Pods, so what breaks is the Pods or the server group itself.

flannel-nodeport: every mqtt Pod fails its readiness probe; with externalTrafficPolicy Local
each node's health-check NodePort answers 503, so every backend of fln-mqtt-lb fails its check.
terway-nlb: both redis Pods were rescheduled (their nodes were drained) while the
cloud-controller-manager could not update the NLB's server group: it still holds the old Pod
IPs, which fail the TCP check, and the ready Pods are no backend at all.
"""

from __future__ import annotations

from dataclasses import replace

from tools.demo_world.designs import flannel_nodeport as fln
from tools.demo_world.designs import terway_nlb as tnl
from tools.demo_world.designs import terway_nlb_l4 as redis
from tools.demo_world.draft import Draft
from tools.demo_world.scenario import Scenario

MOVED = (("10.30.64.25", tnl.N1), ("10.30.80.25", tnl.N3))


def mqtt_not_ready(d: Draft) -> None:
    """A new mqtt.conf made the broker refuse its readiness probe on both Pods: the Service app/mqtt
    has no ready endpoint, so kube-proxy's health-check NodePort 32211 answers 503 on nodes 1 and 4
    (externalTrafficPolicy Local) and the CLB marks both backends abnormal."""
    d.rebuild(fln.design(broker=fln.mqtt(not_ready=(0, 1))))


def redis_server_group_stale(d: Draft) -> None:
    """Nodes 10.30.1.12 and 10.30.2.12 were drained: the redis Pods now run on nodes 1 and 3 with new
    IPs 10.30.64.25 and 10.30.80.25, but the cloud-controller-manager could not update
    tnl-redis-nlb's server group (its RAM role lost the NLB write actions), which still holds the
    old Pod IPs 10.30.64.24 and 10.30.80.24: they fail the TCP health check."""
    nlb = replace(redis.REDIS_NLB, servers=redis.REPLICAS)
    service = replace(redis.SERVICE, load_balancer=nlb)
    design = tnl.DESIGN
    workloads = tuple(redis.redis(MOVED) if w.name == "redis" else w for w in design.workloads)
    services = tuple(service if s.name == "redis" and s.namespace == "ops" else s for s in design.services)
    nlbs = tuple(nlb if n.name == nlb.name else n for n in design.nlbs)
    d.rebuild(replace(design, workloads=workloads, services=services, nlbs=nlbs))


SCENARIOS = [
    Scenario(
        name="l4-mqtt-not-ready",
        family="load balancer",
        summary="both mqtt Pods fail their readiness probe: every backend of fln-mqtt-lb fails the Local "
        "health check",
        expect="LB_BACKEND_UNHEALTHY on both backends of fln-mqtt-lb (the Pod of Service app/mqtt on the "
        "node is not ready); no HTTP is evaluated (L4 Service)",
        domain="mqtt.fln.abc.com",
        edit=mqtt_not_ready,
        base="flannel-nodeport",
        port=1883,
    ),
    Scenario(
        name="l4-redis-server-group-stale",
        family="load balancer",
        summary="the redis Pods were rescheduled, tnl-redis-nlb's server group still holds their old IPs",
        expect="L4_BACKEND_NOT_A_POD on backends 10.30.64.24 and 10.30.80.24 (unhealthy) and "
        "L4_POD_NOT_A_BACKEND on the ready Pods 10.30.64.25 and 10.30.80.25",
        domain="redis.tnl.abc.com",
        edit=redis_server_group_stale,
        base="terway-nlb",
        port=6379,
    ),
]
