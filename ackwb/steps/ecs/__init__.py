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
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, StepResult, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import (
    cloud_evidence,
    cloud_items,
    condition,
    details,
    dig,
    is_ready,
    kube_evidence,
    settle_verdicts,
    source_finding,
)
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
        nodes = _nodes_behind(sources, lb, enis)
    except SourceError as error:
        _unseen_nodes(result, lb, error)
        return result
    for backend in lb.backends:
        _follow_backend(sources, result, backend, enis, instances, nodes)
    if not result.controller_pods:
        result.dead_end = (
            lb.dead_end or result.dead_end or "no ingress controller Pod answers behind the load balancer"
        )
    settle_verdicts(result)
    return result


def _unseen_nodes(result: NodeResult, lb: LoadBalancerResult, error: SourceError) -> None:
    """Draw each backend's node as unknown when the ENIs, instances or Nodes cannot be read."""
    hop_ids = []
    for backend in lb.backends:
        hop_id = f"node:{backend.server_ip}"
        if hop_id not in hop_ids:
            hop_ids.append(hop_id)
            result.hops.append(Hop(hop_id, "node", f"node ?\n{backend.server_ip}", verdict=Verdict.UNKNOWN))
        result.edges.append(Edge(backend.hop_id, hop_id, backend.type))
    result.findings.append(
        source_finding(error, hop_ids[0], "the ENIs, instances and nodes behind the backends")
    )
    result.dead_end = "could not read the ENIs, instances and nodes behind the backends"


def _nodes_behind(
    sources: Sources, lb: LoadBalancerResult, enis: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The Node objects the backends are, read without listing every node of a big cluster.

    The nodes that run a controller Pod are read one by one; only when a backend is none of
    them (the broken case) are all nodes listed to say which node it is.
    """
    settings = sources.settings
    try:
        controllers = sources.kube.list("pods", settings.ingress_namespace, settings.ingress_selector)
    except SourceError:  # the controller step will say so; the nodes can still be named
        return sources.kube.list("nodes")
    names = sorted({dig(p, "spec", "nodeName") for p in controllers if dig(p, "spec", "nodeName")})
    reads = [lambda name=name: sources.kube.get("nodes", name) for name in names]
    nodes = [node for node in sources.gather(reads) if node is not None]
    for backend in lb.backends:
        instance_id = (
            enis.get(backend.server_id, {}).get("InstanceId", "")
            if backend.type == "eni"
            else backend.server_id
        )
        if _node_for(instance_id, backend.server_ip, nodes) is None:
            return sources.kube.list("nodes")
    return nodes


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


def _node_for(instance_id: str, ip: str, nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    for node in nodes:
        provider = dig(node, "spec", "providerID") or ""
        addresses = {a.get("address") for a in dig(node, "status", "addresses") or []}
        if (instance_id and provider.endswith(instance_id)) or ip in addresses:
            return node
    return None


def _as_node(obj: dict[str, Any], instance_id: str) -> Node:
    addresses = dig(obj, "status", "addresses") or []
    internal = next((a.get("address", "") for a in addresses if a.get("type") == "InternalIP"), "")
    return Node(obj["metadata"]["name"], internal, instance_id, is_ready(obj))


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
    if backend.type == "ecs" and instance_id in instances:
        result.evidence.append(
            cloud_evidence(
                "ecs",
                "DescribeInstances",
                f"InstanceId={instance_id} VpcAttributes.PrivateIpAddress",
                dig(instances[instance_id], "VpcAttributes", "PrivateIpAddress") or {},
            )
        )
    node_obj = _node_for(instance_id, backend.server_ip, nodes)
    node = _as_node(node_obj, instance_id) if node_obj else None
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
                (
                    Evidence(
                        "kube:nodes",
                        f"providerID ends with {instance_id or '?'}, or an address is {backend.server_ip}",
                        "(no such node)",
                    ),
                ),
                check=f"aliyun ecs DescribeNetworkInterfaces --RegionId {sources.settings.region} "
                f"--NetworkInterfaceId.1 {backend.server_id}",
            )
        )
        return
    node_hop = f"node:{node.name}"
    if node not in result.nodes:
        result.nodes.append(node)
        result.evidence.append(kube_evidence("nodes", None, node.name, "spec.providerID", node_obj["spec"]))
        if not node.ready:
            line = condition(node_obj) or {}
            result.findings.append(
                Finding(
                    "LB_BACKEND_NODE_NOT_READY",
                    Severity.WARNING,
                    node_hop,
                    f"Backend {backend.server_ip} is node {node.name}, which is NotReady "
                    f"({line.get('message') or line.get('reason') or 'no reason given'}): requests the load "
                    "balancer sends there may fail.",
                    (kube_evidence("nodes", None, node.name, "status.conditions[type=Ready]", line),),
                    check=f"kubectl describe node {node.name}",
                )
            )
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
        unseen = f"controller:{settings.ingress_namespace}/?@{node.name}"
        if all(h.id != unseen for h in result.hops):
            result.hops.append(Hop(unseen, "controller", "ingress-nginx\n?", verdict=Verdict.UNKNOWN))
            result.findings.append(source_finding(error, unseen, "the ingress controller Pods"))
            result.dead_end = "could not read the ingress controller Pods"
        result.edges.append(Edge(f"node:{node.name}", unseen, f":{backend.port}"))
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
                (
                    Evidence(
                        "kube:pods",
                        f"-n {settings.ingress_namespace} -l {settings.ingress_selector} "
                        f"--field-selector {field_selector}",
                        "(none)" if backend.type != "eni" else "(none on the host network)",
                    ),
                ),
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
            ready=is_ready(pod),
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
