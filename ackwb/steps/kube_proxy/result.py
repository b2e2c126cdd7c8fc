"""What step 6 found: kube-proxy's rules for the ClusterIP on each node of the path.

Kept apart from the step so that its checks and the later steps take the result without
importing the step that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.model import StepResult
from ackwb.parse.ipvsadm import VirtualService
from ackwb.steps.rules import RuleLookup


@dataclass
class NodeRules:
    """What kube-proxy on one node does with the ClusterIP:port."""

    node: str
    node_ip: str
    mode: str = ""
    virtual_service: VirtualService | None = None  # IPVS mode
    rules: RuleLookup | None = None  # iptables and nftables mode
    forwards: tuple[str, ...] = ()  # the endpoints it sends new connections to
    sender: str = "*"  # the address the connections come from: the controller Pod on this node
    affinity: str = ""  # how the rules pin a client (IPVS persistent, iptables recent), "" without

    @property
    def hop_id(self) -> str:
        return f"kube-proxy:{self.node}"


@dataclass(kw_only=True)
class KubeProxyResult(StepResult):
    read: list[NodeRules] = field(default_factory=list)  # one per node of a serving controller
    modes: dict[str, str] = field(default_factory=dict)  # node name → mode, for every node of the trace

    def _first(self) -> NodeRules:
        return self.read[0] if self.read else NodeRules("", "")

    @property
    def node(self) -> str:
        return self._first().node

    @property
    def node_ip(self) -> str:
        return self._first().node_ip

    @property
    def mode(self) -> str:
        return self._first().mode

    @property
    def virtual_service(self) -> VirtualService | None:
        return self._first().virtual_service

    @property
    def rules(self) -> RuleLookup | None:
        return self._first().rules

    @property
    def hop_id(self) -> str:
        return self._first().hop_id
