"""What the ALB rules step found: the matched rule, the server groups and servers it forwards to.

Kept apart from the step so that ``alb_sync`` (which Ingress asked for the rule) takes the result
without importing the step that makes it. It is an ``IngressResult``: the Service and Pod steps
follow it as they follow nginx, the server group's Pod IPs standing where nginx's endpoints stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.parse.alb_groups import AlbServer, AlbServerGroup
from ackwb.steps.alb_rules import AlbMatch
from ackwb.steps.ecs.result import Branch, Link, NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult


@dataclass(kw_only=True)
class AlbPathResult(IngressResult):
    match: AlbMatch | None = None
    groups: list[AlbServerGroup] = field(default_factory=list)
    servers: dict[str, list[AlbServer]] = field(default_factory=dict)
    rule_hop: str = ""
    balancer: str = "ALB to the Pod IP"
    door: Door = Door.ALB
    node_results: list[NodeResult] = field(default_factory=list)  # Instance groups: nodes on the NodePort
    shares: list[tuple[str, float]] = field(default_factory=list)  # (namespace/Service, share) forwarded to

    @property
    def links(self) -> list[Link]:
        """Instance groups: the edges from NodePort hops to the Service's Pods (the Pod step draws them)."""
        return [link for nodes in self.node_results for link in nodes.links]

    @property
    def branches(self) -> list[Branch]:
        """Instance groups: one branch per Ecs server followed (node, NodePort rule, Pods)."""
        return [branch for nodes in self.node_results for branch in nodes.branches]

    @property
    def hop_id(self) -> str:
        """The hop the Pods hang from: the one server group of Ip type the rule forwards to, else the rule."""
        ip_groups = [g for g in self.groups if g.type == "Ip" and self._share(g.server_group_id)]
        return f"alb-group:{ip_groups[0].server_group_id}" if len(ip_groups) == 1 else self.rule_hop

    def _share(self, group: str) -> float:
        forward = self.match.outcome.forward if self.match else ()
        return next((f.share for f in forward if f.server_group_id == group), 0.0)

    def also_endpoints(self) -> list[str]:
        """The carrying Pod IPs of forwarded groups that stand for another Service than the one the
        Service step follows (weighted backends across two Services)."""
        followed = (self.namespace, self.service_name, self.service_port)
        found = []
        for group in self.groups:
            if not self._share(group.server_group_id) or group.service() in (None, followed):
                continue
            for server in self.servers.get(group.server_group_id, []):
                address = f"{server.ip}:{server.port}"
                if address in self.backend_endpoints and address not in found:
                    found.append(address)
        return found
