"""Branch: a backend that is a node's own ENI address, where controller Pods on the host
network listen (the article's design). The load balancer reaches the node, and nginx on the
node's network answers on the backend port: no NodePort, no kube-proxy in between.
"""

from __future__ import annotations

from ackwb.model import Evidence, Finding, Severity
from ackwb.steps.common import dig, sh
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.result import Branch
from ackwb.steps.slb.records import Backend


def follow(context: Context, backend: Backend) -> Branch:
    obj = context.node_object(backend)
    if obj is None:
        return not_a_node(context, backend, "node-eni")
    arriving = context.lb.to_backend(backend)
    node = context.draw_node(obj, backend, f"ENI {backend.server_id}", arriving)
    if context.controllers_unseen(node.hop_id, node.name, f":{backend.port}"):
        return Branch(backend, "node-eni", node, (), carries=context.carries(backend))
    on_host = [
        context.controller(p)
        for p in context.seen.controllers
        if dig(p, "spec", "nodeName") == node.name and dig(p, "spec", "hostNetwork")
    ]
    for pod in on_host:
        context.draw_controller(pod, node.hop_id, f"hostNetwork :{backend.port}", arriving)
    if not on_host:
        no_controller(context, backend, node.name, f"spec.nodeName={node.name}", "(none on the host network)")
    return Branch(
        backend,
        "node-eni",
        node,
        tuple(on_host),
        carries=context.carries(backend),
        controller_port=backend.port,
    )


def not_a_node(context: Context, backend: Backend, kind: str) -> Branch:
    """The backend is no node of this cluster: said once, and the branch ends there."""
    instance = context.instance_of(backend)
    context.result.findings.append(
        Finding(
            "LB_BACKEND_NOT_A_NODE",
            Severity.WARNING,
            backend.hop_id,
            f"Backend {backend.server_ip} ({backend.server_id}) is not a node of this cluster.",
            (
                Evidence(
                    "kube:nodes",
                    f"providerID ends with {instance or '?'}, or an address is {backend.server_ip}",
                    "(no such node)",
                ),
            ),
            check=f"aliyun ecs DescribeNetworkInterfaces --RegionId {sh(context.sources.settings.region)} "
            f"--NetworkInterfaceId.1 {sh(backend.server_id)}",
        )
    )
    return Branch(backend, kind, carries=False, why="not a node of this cluster")


def no_controller(context: Context, backend: Backend, node: str, field_selector: str, absent: str) -> None:
    """No controller answers behind the backend: an error where the load balancer sends requests,
    the reason it fails its health check where it does not."""
    settings = context.sources.settings
    context.result.findings.append(
        Finding(
            "LB_BACKEND_NO_CONTROLLER",
            Severity.ERROR if context.carries(backend) else Severity.WARNING,
            f"node:{node}",
            f"Backend {backend.server_ip}:{backend.port} is node {node}, but no ingress controller Pod "
            f"({settings.ingress_selector} in {settings.ingress_namespace}) answers there.",
            (
                Evidence(
                    "kube:pods",
                    f"-n {settings.ingress_namespace} -l {settings.ingress_selector} "
                    f"--field-selector {field_selector}",
                    absent,
                ),
            ),
            check=f"kubectl -n {sh(settings.ingress_namespace)} get pods "
            f"-l {sh(settings.ingress_selector)} -o wide",
        )
    )
