"""The design record of a trace: what the cluster is, in words, from what the steps read.

The network plugin and NetworkPolicy enforcement come from the cluster read at the start
(``ackwb.steps.cluster``); the load balancer, what its backends are, the traffic policy, the
controllers' network and where TLS ends come from the steps that read them; kube-proxy's mode
from every node a step asked. It is shown first in every trace and report.
"""

from __future__ import annotations

from dataclasses import replace

from ackwb.model import Design, StepResult
from ackwb.steps.cluster import Cluster
from ackwb.steps.ecs.result import KINDS, NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.kube_proxy import KubeProxyResult
from ackwb.steps.slb.result import LoadBalancerResult


def describe(cluster: Cluster, results: list[StepResult]) -> Design:
    by_step = {r.step: r for r in results}
    lb, nodes, kp = by_step.get("slb"), by_step.get("ecs"), by_step.get("kube_proxy")
    inner = getattr(by_step.get("ingress"), "node_results", None)  # an ALB's Instance groups
    if inner and not (isinstance(nodes, NodeResult) and nodes.branches):
        nodes = inner[0]
    modes: dict[str, str] = {}
    if isinstance(nodes, NodeResult):
        modes.update(nodes.modes)
    if isinstance(kp, KubeProxyResult):
        modes.update(kp.modes)
    design = Design(
        network=cluster.plugin.label if cluster.plugin.name != "unknown" else "unknown",
        network_policy=cluster.plugin.policy,
        proxy_modes=tuple(sorted(modes.items())),
    )
    if isinstance(lb, LoadBalancerResult) and lb.load_balancer_id:
        name = lb.load_balancer_name or lb.load_balancer_id
        design = replace(design, load_balancer=f"{lb.api.kind} {name}", tls=_tls(lb))
    if isinstance(nodes, NodeResult):
        order = list(KINDS)
        kinds = sorted({b.kind for b in nodes.branches}, key=order.index)
        proxies = (Door.NGINX, Door.ENVOY_GATEWAY)  # an L4 Service's or an ALB group's: the Service's Pods
        controllers = nodes.controller_pods if nodes.door in proxies else []
        networks = sorted({"host network" if c.host_network else "Pod IPs" for c in controllers})
        design = replace(
            design,
            backends=" + ".join(KINDS[k].split(" (")[0] for k in kinds),
            traffic_policy=nodes.traffic_policy,
            controllers=f"{_answerer(nodes)} on {', '.join(networks)}" if networks else "",
        )
    return design


def _tls(lb: LoadBalancerResult) -> str:
    """Where TLS ends for the client's port: at the load balancer, or in nginx behind it."""
    listener = lb.listener
    if listener is None:
        return ""
    where = f"listener {listener.protocol} {listener.ports}"
    if listener.terminates_tls:
        return f"ends at the load balancer ({where}, certificate {listener.certificate})"
    if listener.port == 443:
        return f"passes through the load balancer ({where}) to nginx"
    return ""


def _answerer(nodes: NodeResult) -> str:
    return "Envoy Gateway proxy" if nodes.door is Door.ENVOY_GATEWAY else "ingress-nginx"
