"""Step 3, ECS (backend → node): which ENI, ECS instance and Kubernetes node each load
balancer backend is, and which ingress controller Pod answers there.

The backend set depends on the network plugin and the Service settings, so it is read,
never assumed: an ``eni`` backend whose IP is a node's IP means controller Pods on the
host network; an ``eni`` backend with a Pod IP is the controller Pod itself; an ``ecs``
backend is a node whose NodePort kube-proxy forwards to the controller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, cloud_items, details, dig, source_finding
from ackwb.steps.slb import Backend, LoadBalancerResult

TITLE = "3. Backend → ECS node (ECS)"


@dataclass(frozen=True)
class Node:
    name: str
    internal_ip: str
    instance_id: str
    ready: bool


@dataclass(frozen=True)
class ControllerPod:
    namespace: str
    name: str
    node: str
    pod_ip: str
    host_network: bool
    ready: bool

    @property
    def hop_id(self) -> str:
        return f"controller:{self.namespace}/{self.name}"


@dataclass(kw_only=True)
class NodeResult(StepResult):
    nodes: list[Node] = field(default_factory=list)
    controller_pods: list[ControllerPod] = field(default_factory=list)


def ecs(sources: Sources, lb: LoadBalancerResult) -> NodeResult:
    result = NodeResult(step="ecs", title=TITLE, domain=lb.domain, prev=lb)
    if not lb.backends:
        result.dead_end = lb.dead_end or "the load balancer has no backend to follow"
        return result
    try:
        enis = _enis(sources, [b.server_id for b in lb.backends if b.type == "eni"])
        instance_ids = {b.server_id for b in lb.backends if b.type == "ecs"}
        instance_ids |= {eni["InstanceId"] for eni in enis.values() if eni.get("InstanceId")}
        instances = _instances(sources, sorted(instance_ids))
        nodes = sources.kube.list("nodes")
    except SourceError as error:
        result.findings.append(
            source_finding(error, lb.hop_id, "the ENIs, instances and nodes behind the backends")
        )
        result.dead_end = "could not map the backends to nodes"
        return result
    for backend in lb.backends:
        _follow_backend(sources, result, backend, enis, instances, nodes)
    if not result.controller_pods:
        result.dead_end = "no ingress controller Pod answers behind the load balancer"
    return result


def _enis(sources: Sources, eni_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not eni_ids:
        return {}
    params: dict[str, Any] = {"RegionId": sources.settings.region, "MaxResults": 100}
    params.update({f"NetworkInterfaceId.{i}": eni for i, eni in enumerate(sorted(set(eni_ids)), start=1)})
    items = cloud_items(
        sources, "ecs", "DescribeNetworkInterfaces", params, "NetworkInterfaceSets", "NetworkInterfaceSet"
    )
    return {item["NetworkInterfaceId"]: item for item in items}


def _instances(sources: Sources, instance_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not instance_ids:
        return {}
    params = {"RegionId": sources.settings.region, "InstanceIds": json.dumps(instance_ids), "MaxResults": 100}
    items = cloud_items(sources, "ecs", "DescribeInstances", params, "Instances", "Instance")
    return {item["InstanceId"]: item for item in items}


def _node_for(instance_id: str, ip: str, nodes: list[dict[str, Any]]) -> Node | None:
    for node in nodes:
        provider = dig(node, "spec", "providerID") or ""
        addresses = {a.get("address") for a in dig(node, "status", "addresses") or []}
        if (instance_id and provider.endswith(instance_id)) or ip in addresses:
            internal = next(
                (a["address"] for a in node["status"]["addresses"] if a.get("type") == "InternalIP"), ""
            )
            ready = any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in dig(node, "status", "conditions") or []
            )
            return Node(node["metadata"]["name"], internal, instance_id, ready)
    return None


def _follow_backend(
    sources: Sources,
    result: NodeResult,
    backend: Backend,
    enis: dict[str, dict[str, Any]],
    instances: dict[str, dict[str, Any]],
    nodes: list[dict[str, Any]],
) -> None:
    backend_hop = f"backend:{backend.server_ip}:{backend.port}"
    eni = enis.get(backend.server_id, {})
    instance_id = eni.get("InstanceId", "") if backend.type == "eni" else backend.server_id
    if backend.type == "eni" and eni:
        result.evidence.append(
            cloud_evidence(
                "ecs",
                "DescribeNetworkInterfaces",
                f"NetworkInterfaceId={backend.server_id} InstanceId",
                instance_id,
            )
        )
    node = _node_for(instance_id, backend.server_ip, nodes)
    instance = instances.get(instance_id, {})
    result.rows.append(
        {
            "backend": f"{backend.server_ip}:{backend.port}",
            "type": backend.type,
            "server id": backend.server_id,
            "eni": eni.get("NetworkInterfaceId", ""),
            "instance": instance_id,
            "instance name": instance.get("InstanceName", ""),
            "node": node.name if node else "",
            "health": backend.health,
        }
    )
    if node is None:
        result.findings.append(
            Finding(
                "LB_BACKEND_NOT_A_NODE",
                Severity.WARNING,
                backend_hop,
                f"Backend {backend.server_ip} ({backend.server_id}) is not a node of this cluster.",
                check=f"aliyun ecs DescribeNetworkInterfaces --RegionId {sources.settings.region} "
                f"--NetworkInterfaceId.1 {backend.server_id}",
            )
        )
        return
    node_hop = f"node:{node.name}"
    if node not in result.nodes:
        result.nodes.append(node)
        result.hops.append(
            Hop(
                node_hop,
                "node",
                f"node {node.name}\n{node.internal_ip}",
                verdict=Verdict.OK if node.ready else Verdict.BLOCKED,
                details=details(instance=instance_id, eni=eni.get("NetworkInterfaceId"), ready=node.ready),
            )
        )
    via = f"ENI {backend.server_id}" if backend.type == "eni" else f"NodePort {backend.port}"
    result.edges.append(Edge(backend_hop, node_hop, via))
    _controllers_behind(sources, result, backend, node)


def _controllers_behind(sources: Sources, result: NodeResult, backend: Backend, node: Node) -> None:
    """Controller Pods that answer a backend: on the node's host network, at the Pod IP, or via NodePort."""
    settings = sources.settings
    field_selector = f"spec.nodeName={node.name}"
    if backend.type == "eni" and backend.server_ip != node.internal_ip:
        field_selector = f"status.podIP={backend.server_ip}"
    try:
        pods = sources.kube.list(
            "pods", settings.ingress_namespace, settings.ingress_selector, field_selector
        )
    except SourceError as error:
        result.findings.append(source_finding(error, f"node:{node.name}", "the ingress controller Pods"))
        return
    if backend.type == "eni" and backend.server_ip == node.internal_ip:
        pods = [p for p in pods if dig(p, "spec", "hostNetwork")]
    if not pods:
        result.findings.append(
            Finding(
                "LB_BACKEND_NO_CONTROLLER",
                Severity.ERROR,
                f"node:{node.name}",
                f"Backend {backend.server_ip}:{backend.port} is node {node.name}, "
                "but no ingress controller Pod "
                f"({settings.ingress_selector} in {settings.ingress_namespace}) answers there.",
                check=f"kubectl -n {settings.ingress_namespace} get pods "
                f"-l {settings.ingress_selector} -o wide",
            )
        )
        return
    for pod in pods:
        controller = ControllerPod(
            namespace=pod["metadata"]["namespace"],
            name=pod["metadata"]["name"],
            node=dig(pod, "spec", "nodeName") or "",
            pod_ip=dig(pod, "status", "podIP") or "",
            host_network=bool(dig(pod, "spec", "hostNetwork")),
            ready=any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in dig(pod, "status", "conditions") or []
            ),
        )
        if controller not in result.controller_pods:
            result.controller_pods.append(controller)
            network = "hostNetwork" if controller.host_network else "Pod IP"
            result.hops.append(
                Hop(
                    controller.hop_id,
                    "controller",
                    f"ingress-nginx\n{controller.name}",
                    verdict=Verdict.OK if controller.ready else Verdict.BLOCKED,
                    details=details(ip=controller.pod_ip, network=network, ready=controller.ready),
                )
            )
        label = (
            f"hostNetwork :{backend.port}"
            if controller.host_network
            else f"{controller.pod_ip}:{backend.port}"
        )
        result.edges.append(Edge(f"node:{node.name}", controller.hop_id, label))
