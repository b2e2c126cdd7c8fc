"""What every branch of step 3 works with: the reads, the result it draws into, and the small
drawing helpers they share (a node hop, a controller hop).

A branch module (``node_eni``, ``pod_ip``, ``node_port``) gets a ``Context`` and one backend,
draws its hops and edges into ``context.result`` and returns its ``Branch``. Behind an L4
Service (``front_door``) what answers is the Service's own Pods: ``seen.controllers`` holds
them, and the edge to each is a ``Link`` the Pod step draws with the Pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import (
    cloud_evidence,
    condition,
    details,
    dig,
    is_ready,
    kube_evidence,
    sh,
    source_finding,
)
from ackwb.steps.ecs.reads import Seen, node_of
from ackwb.steps.ecs.result import ControllerPod, Link, Node, NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.slb.checks import backend_verdict
from ackwb.steps.slb.records import Backend
from ackwb.steps.slb.result import LoadBalancerResult

Obj = dict[str, Any]


@dataclass
class Context:
    sources: Sources
    cluster: Cluster
    lb: LoadBalancerResult
    seen: Seen
    result: NodeResult

    @property
    def l4(self) -> bool:
        """The Service's own Pods answer, not a controller: an L4 front door, or an ALB Instance group
        on the Service's NodePort."""
        return self.result.door in (Door.L4_SERVICE, Door.ALB)

    @property
    def proxy(self) -> str:
        """What the answering Pods are called on their hop: an Envoy Gateway proxy or ingress-nginx."""
        return "Envoy proxy" if self.result.door is Door.ENVOY_GATEWAY else "ingress-nginx"

    @property
    def own_pods(self) -> bool:
        """The owning Service's own Pods answer (an L4 Service's, or an Envoy Gateway's proxies)."""
        return self.result.door in (Door.L4_SERVICE, Door.ENVOY_GATEWAY)

    @property
    def answerers(self) -> str:
        """What answers behind the load balancer, for sentences: "controller Pods" or the Service's."""
        if self.result.door is Door.ENVOY_GATEWAY:
            return f"Envoy proxy Pods of Service {self.result.service}"
        return f"Pods of Service {self.result.service}" if self.l4 else "controller Pods"

    @property
    def answerer(self) -> str:
        """One of them: "controller Pod", or "Pod of Service <ns>/<name>"."""
        if self.result.door is Door.ENVOY_GATEWAY:
            return f"Envoy proxy Pod of Service {self.result.service}"
        return f"Pod of Service {self.result.service}" if self.l4 else "controller Pod"

    @property
    def local(self) -> bool:
        """The Service that owns the load balancer keeps external traffic on the receiving node."""
        return self.result.traffic_policy == "Local"

    def carries(self, backend: Backend) -> bool:
        """Whether the load balancer sends requests to the backend: only healthy ones get traffic
        (a backend whose health is not known is followed, and reads unknown)."""
        return backend_verdict(backend) is not Verdict.BLOCKED

    def instance_of(self, backend: Backend) -> str:
        if backend.type == "ecs":
            return backend.server_id
        eni = self.seen.enis.get(backend.server_id) or self.seen.enis_by_ip.get(backend.server_ip) or {}
        return str(eni.get("InstanceId") or "")

    def node_object(self, backend: Backend) -> Obj | None:
        return node_of(self.instance_of(backend), backend.server_ip, self.seen.nodes)

    def node(self, obj: Obj, instance_id: str) -> Node:
        addresses = dig(obj, "status", "addresses") or []
        internal = next((a.get("address", "") for a in addresses if a.get("type") == "InternalIP"), "")
        return Node(obj["metadata"]["name"], internal, instance_id, is_ready(obj))

    def draw_node(self, obj: Obj, backend: Backend, via: str, arrives: Packet | None) -> Node:
        """The node hop (once per node) and the edge from the backend to it."""
        node = self.node(obj, self.instance_of(backend))
        result = self.result
        if node not in result.nodes:
            result.nodes.append(node)
            spec = obj.get("spec")
            result.evidence.append(kube_evidence("nodes", None, node.name, "spec.providerID", spec))
            if not node.ready:
                line = condition(obj) or {}
                reason = line.get("message") or line.get("reason") or "no reason given"
                result.findings.append(
                    Finding(
                        "LB_BACKEND_NODE_NOT_READY",
                        Severity.WARNING,
                        node.hop_id,
                        f"Backend {backend.server_ip} is node {node.name}, which is NotReady ({reason}): "
                        "requests the load balancer sends there may fail.",
                        (kube_evidence("nodes", None, node.name, "status.conditions[type=Ready]", line),),
                        check=f"kubectl describe node {sh(node.name)}",
                    )
                )
            result.hops.append(
                Hop(
                    node.hop_id,
                    "node",
                    f"node {node.name}\n{node.internal_ip}",
                    verdict=Verdict.OK if node.ready else Verdict.BLOCKED,
                    details=details(instance=node.instance_id, ready=node.ready),
                    arrives=arrives,
                )
            )
        result.edges.append(Edge(backend.hop_id, node.hop_id, via))
        return node

    def controller(self, pod: Obj) -> ControllerPod:
        return ControllerPod(
            namespace=pod["metadata"]["namespace"],
            name=pod["metadata"]["name"],
            node=dig(pod, "spec", "nodeName") or "",
            pod_ip=dig(pod, "status", "podIP") or "",
            host_network=bool(dig(pod, "spec", "hostNetwork")),
            ready=is_ready(pod),
        )

    def controllers_at(self, ip: str) -> list[Obj]:
        """The controller Pods whose IP is ``ip`` (host-network ones share their node's)."""
        return [p for p in self.seen.controllers if dig(p, "status", "podIP") == ip]

    def draw_controller(self, pod: ControllerPod, src: str, label: str, arrives: Packet | None) -> None:
        """The controller hop (once per Pod) and the edge ``src`` → it (none when ``src`` is "").
        Behind an L4 Service the Pod is the Service's: the Pod step draws it and this edge."""
        result = self.result
        if self.l4:
            if pod not in result.controller_pods:
                result.controller_pods.append(pod)
            if src:
                result.links.append(Link(src, f"pod:{pod.namespace}/{pod.name}", label, arrives))
            return
        if pod not in result.controller_pods:
            result.controller_pods.append(pod)
            network = "hostNetwork" if pod.host_network else "Pod IP"
            result.hops.append(
                Hop(
                    pod.hop_id,
                    "controller",
                    f"{self.proxy}\n{pod.name}",
                    verdict=Verdict.OK if pod.ready else Verdict.BLOCKED,
                    details=details(ip=pod.pod_ip, node=pod.node, network=network, ready=pod.ready),
                    arrives=arrives,
                )
            )
        if src:
            result.edges.append(Edge(src, pod.hop_id, label))

    def controllers_unseen(self, src: str, where: str, label: str) -> bool:
        """When the controller Pods could not be listed: an unknown controller hop behind ``src``
        (once per place, the finding once per trace); True when that is the case."""
        error = self.seen.controllers_error
        if error is None:
            return False
        namespace = self.sources.settings.ingress_namespace
        if self.own_pods:
            namespace = self.result.service.partition("/")[0]
        unseen = f"controller:{namespace}/?@{where}"
        result = self.result
        if all(h.id != unseen for h in result.hops):
            label = "Pod\n?" if self.l4 else f"{self.proxy}\n?"
            result.hops.append(Hop(unseen, "controller", label, verdict=Verdict.UNKNOWN))
            if not any(
                f.code.startswith("SOURCE_") and f.hop.startswith("controller:") for f in result.findings
            ):
                what = f"the {self.answerers}" if self.own_pods else "the ingress controller Pods"
                result.findings.append(source_finding(error, unseen, what))
        result.edges.append(Edge(src, unseen, label))
        return True

    def target_port(self, node_port: int) -> int:
        """The port a NodePort leads to on the controller Pods: the targetPort of the owning
        Service's port with that nodePort (a name is looked up in the Pods' container ports)."""
        ports = dig(self.seen.service or {}, "spec", "ports") or []
        port = next((p for p in ports if p.get("nodePort") == node_port), None)
        target = (port or {}).get("targetPort", (port or {}).get("port"))
        if isinstance(target, int):
            return target
        for pod in self.seen.controllers:
            for container in dig(pod, "spec", "containers") or []:
                for declared in container.get("ports") or []:
                    if declared.get("name") == target and isinstance(declared.get("containerPort"), int):
                        return int(declared["containerPort"])
        return 0

    def eni_evidence(self, backend: Backend) -> Evidence | None:
        eni = self.seen.enis.get(backend.server_id) or self.seen.enis_by_ip.get(backend.server_ip)
        if not eni:
            return None
        locator = f"NetworkInterfaceId={eni.get('NetworkInterfaceId')} InstanceId, PrivateIpSets"
        return cloud_evidence(
            "ecs",
            "DescribeNetworkInterfaces",
            locator,
            {"InstanceId": eni.get("InstanceId"), "PrivateIpAddress": eni.get("PrivateIpAddress")},
        )
