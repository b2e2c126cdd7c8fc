"""The read-ahead's reads on nodes and in the VPC: kube-proxy's rules, security groups, the way out.

Part of ``ackwb.readahead``: ``NodeReads`` is mixed into ``Readahead`` and uses its sources, its
cluster facts and its ``spawn``. Each method makes the reads a step will make, with the step's own
functions, as soon as the inputs are known: a NodePort's rule on each backend node that carries
requests, the security groups there and on the controllers' ENIs, kube-proxy's mode and rule for
the Service on each node, and the Pods' way out (their ENI, vSwitch, default route, NAT gateway,
SNAT entry and EIP; with Flannel, through their node's instance and the route to its Pod CIDR).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ackwb.model import Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, node_object
from ackwb.steps.common import dig
from ackwb.steps.egress.gateway import covering_entry, default_route, eips, snat_entries
from ackwb.steps.enis import enis_holding, security_groups
from ackwb.steps.guards import read_group
from ackwb.steps.rules import command as rules_command
from ackwb.steps.rules.ipvs import read_virtual_service
from ackwb.steps.rules.mode import proxy_mode
from ackwb.steps.slb.checks import backend_verdict
from ackwb.steps.vpc import instance, instance_id_of, routes, vswitch

Obj = dict[str, Any]


class NodeReads:
    """What ``Readahead`` reads on nodes and in the VPC (see the module doc)."""

    sources: Sources
    settings: Any
    spawn: Callable[..., None]
    cluster: Callable[[], Cluster]

    def _node_ports(self, backends: list[Any]) -> None:
        """ECS backends receive on a NodePort: kube-proxy's rule for it on each node, the instances'
        security groups, and those of the controller Pods' ENIs it forwards to."""
        from ackwb.steps.ecs.reads import _instances, instance_ips

        settings = self.settings
        pods = self.sources.kube.list("pods", settings.ingress_namespace, settings.ingress_selector)
        ips = sorted(
            str(dig(p, "status", "podIP"))
            for p in pods
            if dig(p, "status", "podIP") and not dig(p, "spec", "hostNetwork")
        )
        if ips and self.cluster().plugin.name != "flannel":  # with Flannel no ENI holds a Pod IP
            self.spawn(self._controller_guards, ips)
        instances = _instances(self.sources, sorted({b.server_id for b in backends}))
        for backend in backends:
            if backend_verdict(backend) is Verdict.BLOCKED:  # the step follows only backends that carry
                continue
            found = instances.get(backend.server_id) or {}
            for group in security_groups(found):
                self.spawn(read_group, self.sources, group)
            for address in instance_ips(found)[:1]:
                self.spawn(self._node_port_rule, address, backend.port)

    def _node_port_rule(self, address: str, port: int) -> None:
        mode, _ = proxy_mode(self.sources, self.cluster(), address)
        if mode == "ipvs":
            read_virtual_service(self.sources, address, address, port, "TCP")
        elif mode in ("iptables", "nftables"):
            self.sources.node.run(address, rules_command(mode))

    def _controller_guards(self, ips: list[str]) -> None:
        for eni in enis_holding(self.sources, ips).values():
            for group in security_groups(eni):
                self.spawn(read_group, self.sources, group)

    # ---------------------------------------------------------- inside: controllers → Service → Pods
    def _mode_of(self, name: str) -> None:
        address = _internal_ip(node_object(self.sources, self.cluster(), name))
        if address:
            proxy_mode(self.sources, self.cluster(), address)

    def _rules(self, name: str, cluster_ip: str, port: int, protocol: str) -> None:
        """kube-proxy's mode and rule for the ClusterIP on a controller's node."""
        cluster = self.cluster()
        address = _internal_ip(node_object(self.sources, cluster, name))
        if not address:
            return
        mode, _ = proxy_mode(self.sources, cluster, address)
        if mode == "ipvs":
            read_virtual_service(self.sources, address, cluster_ip, port, protocol)
        elif mode in ("iptables", "nftables"):
            self.sources.node.run(address, rules_command(mode))

    def _egress(self, addresses: list[str]) -> None:
        cluster = self.cluster()
        if not addresses or cluster.plugin.name == "flannel":
            return
        enis = enis_holding(self.sources, addresses)
        for address in sorted(enis):
            self.spawn(self._way_out, address, str(enis[address].get("VSwitchId") or ""))

    def _node_way_out(self, name: str, sender: str) -> None:
        """With Flannel a Pod leaves masqueraded to its node, and reaches another node through the
        VPC route for that node's Pod CIDR: the node's instance, vSwitch and routes."""
        cluster = self.cluster()
        if cluster.plugin.name != "flannel":
            return
        node = node_object(self.sources, cluster, name) or {}
        found = instance(self.sources, cluster, instance_id_of(node)) or {}
        switch = str(dig(found, "VpcAttributes", "VSwitchId") or "")
        addresses = dig(found, "VpcAttributes", "PrivateIpAddress", "IpAddress") or []
        self._way_out(str(addresses[0]) if addresses else "", switch)
        cidr = str(dig(node, "spec", "podCIDR") or "")
        if sender and sender != name and cidr:
            via = instance(
                self.sources, cluster, instance_id_of(node_object(self.sources, cluster, sender) or {})
            )
            table = dig(
                vswitch(self.sources, cluster, str(dig(via or {}, "VpcAttributes", "VSwitchId") or "")),
                "RouteTable",
                "RouteTableId",
            )
            routes(self.sources, cluster, str(table or ""), cidr)

    def _way_out(self, address: str, vswitch_id: str) -> None:
        if not vswitch_id:
            return
        cluster = self.cluster()
        nat = default_route(self.sources, cluster, vswitch_id)[3]
        nat_id = str(nat.get("NextHopId")) if nat else ""
        if nat_id:
            entry = covering_entry(snat_entries(self.sources, cluster, nat_id)[1], address, vswitch_id)
            ips = [ip.strip() for ip in str((entry or {}).get("SnatIp") or "").split(",") if ip.strip()]
            eips(self.sources, cluster, ips)


def _internal_ip(node: Obj | None) -> str:
    addresses = dig(node or {}, "status", "addresses") or []
    return next((str(a.get("address")) for a in addresses if a.get("type") == "InternalIP"), "")
