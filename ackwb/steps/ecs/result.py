"""What step 3 found behind the load balancer: one branch per backend, the nodes and the
ingress controller Pods the branches lead to.

Kept apart from the step so that the branch modules and the later steps can take these
records without importing the step that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.model import Packet, StepResult
from ackwb.steps.front_door import Decision, Door
from ackwb.steps.slb.records import Backend

KINDS = {
    "node-eni": "ENI = node IP (host-network controller)",
    "pod": "Pod IP (the controller Pod itself)",
    "nodeport": "ECS:NodePort",
}


@dataclass(frozen=True)
class Link:
    """L4 front door: an edge from a backend or NodePort hop to a Pod hop, drawn by the Pod step
    (which draws the Pods): ``dst`` is the Pod's hop id."""

    src: str
    dst: str
    label: str
    arrives: Packet | None = None


@dataclass(frozen=True)
class Node:
    name: str
    internal_ip: str
    instance_id: str
    ready: bool

    @property
    def hop_id(self) -> str:
        return f"node:{self.name}"


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


@dataclass(frozen=True)
class Branch:
    """One backend of the server group and where it leads.

    ``kind`` is node-eni, pod or nodeport (``KINDS``). ``carries`` says whether the load
    balancer sends requests down this branch (the backend is healthy and nothing on the way
    refuses them); ``why`` says why not.
    """

    backend: Backend
    kind: str
    node: Node | None = None
    controllers: tuple[ControllerPod, ...] = ()
    carries: bool = True
    why: str = ""
    masquerade: bool = False  # kube-proxy replaced the source address with the node's
    controller_port: int = 0  # the port the request arrives on at the controller (0: not known)


@dataclass(kw_only=True)
class NodeResult(StepResult):
    nodes: list[Node] = field(default_factory=list)
    controller_pods: list[ControllerPod] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)  # node name → kube-proxy mode, NodePort nodes
    traffic_policy: str = ""  # externalTrafficPolicy of the Service that owns the load balancer
    service: str = ""  # that Service, namespace/name ("" when none was found)
    decision: Decision = field(default_factory=lambda: Decision(Door.NGINX))  # who answers (front_door)
    links: list[Link] = field(default_factory=list)  # L4 door: backend or NodePort → the Service's Pods

    @property
    def door(self) -> Door:
        return self.decision.door

    @property
    def serving(self) -> list[ControllerPod]:
        """The ready controllers the load balancer really sends requests to, in a stable order."""
        found = {c.hop_id: c for b in self.branches if b.carries for c in b.controllers if c.ready}
        return [found[key] for key in sorted(found)]
