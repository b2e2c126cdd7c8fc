"""Map kube-proxy's IPVS layout back to Kubernetes: which virtual server is which way in.

kube-proxy in IPVS mode creates one virtual server per ClusterIP:port, per externalIP:port,
per load-balancer ingress IP:port, and one per node address × nodePort (every local
address except those on ``kube-ipvs0``; older releases also used 127.0.0.1). ``ipvsadm -Ln``
shows only addresses. ``kube_proxy_view`` labels each virtual server with its role, names
the Service port when the Services are given, and lists what is missing: a node port absent
on some node address, or a Service address with no virtual server at all.

Without the Services, a set of ClusterIPs (or the Service CIDR) still separates ClusterIPs
from external and load-balancer IPs ("external": the table alone cannot tell those two apart).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ackwb.errors import ParseError
from ackwb.parse.ipvsadm import IpvsTable, VirtualService, normal_address
from ackwb.parse.kube_services import ServicePortAddresses, service_ports

KINDS = ("cluster-ip", "node-port", "external-ip", "load-balancer", "external", "fwmark", "unknown")
_LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class VirtualServiceRole:
    virtual: VirtualService
    kind: str  # one of KINDS
    service: str | None  # "ns/svc:port" when known


@dataclass(frozen=True)
class Missing:
    """A way in kube-proxy should have programmed but the table does not have."""

    kind: str
    address: str  # the node address for a node port
    protocol: str
    port: int
    service: str | None


@dataclass(frozen=True)
class KubeProxyView:
    roles: tuple[VirtualServiceRole, ...]
    missing: tuple[Missing, ...]
    node_addresses: tuple[str, ...]

    def role(self, address: str, port: int, protocol: str = "TCP") -> VirtualServiceRole | None:
        wanted = (protocol.upper(), normal_address(address), port)
        return next(
            (
                r
                for r in self.roles
                if (r.virtual.protocol, normal_address(r.virtual.address), r.virtual.port) == wanted
            ),
            None,
        )

    def for_service(self, name: str) -> tuple[VirtualServiceRole, ...]:
        """Every virtual server of the Service port ``name`` ("ns/svc:port")."""
        return tuple(r for r in self.roles if r.service == name)


def _network(cidr: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if cidr is None:
        return None
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ParseError("service CIDR", f"{cidr!r} is not a network") from None


def _in(address: str, network: Any) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:  # ipvsadm prints what the kernel holds; a mangled capture may not be an address
        return False


def kube_proxy_view(
    table: IpvsTable,
    node_addresses: Iterable[str],
    services: Any = None,
    cluster_ips: Iterable[str] | None = None,
    service_cidr: str | None = None,
) -> KubeProxyView:
    """Label every virtual server of ``table``.

    ``node_addresses``: the node's own addresses (NodePort virtual servers live there).
    ``services``: Service objects (see ``kube_services.service_ports``), optional.
    ``cluster_ips`` / ``service_cidr``: used when ``services`` is not given.
    """
    nodes = tuple(dict.fromkeys(normal_address(a) for a in node_addresses))
    ports = service_ports(services) if services is not None else ()
    by_address: dict[tuple[str, str, int], tuple[str, ServicePortAddresses]] = {}
    by_node_port: dict[tuple[str, int], ServicePortAddresses] = {}
    for sp in ports:
        for kind, addresses in (
            ("cluster-ip", sp.cluster_ips),
            ("external-ip", sp.external_ips),
            ("load-balancer", sp.load_balancer_ips),
        ):
            for address in addresses:
                by_address[(sp.protocol, normal_address(address), sp.port)] = (kind, sp)
        if sp.node_port:
            by_node_port[(sp.protocol, sp.node_port)] = sp
    known_cluster = {normal_address(a) for a in cluster_ips or ()}
    network = _network(service_cidr)
    roles = []
    for vs in table.services:
        roles.append(_role(vs, nodes, by_address, by_node_port, known_cluster, network, bool(ports)))
    return KubeProxyView(tuple(roles), _missing(table, nodes, by_address, by_node_port), nodes)


def _role(
    vs: VirtualService,
    nodes: tuple[str, ...],
    by_address: dict,
    by_node_port: dict,
    known_cluster: set[str],
    network: Any,
    have_services: bool,
) -> VirtualServiceRole:
    if vs.fwmark is not None:
        return VirtualServiceRole(vs, "fwmark", None)
    address = normal_address(vs.address)
    if address in nodes or address in _LOOPBACK:
        sp = by_node_port.get((vs.protocol, vs.port))
        return VirtualServiceRole(vs, "node-port", sp.service_port_name if sp else None)
    found = by_address.get((vs.protocol, address, vs.port))
    if found:
        return VirtualServiceRole(vs, found[0], found[1].service_port_name)
    in_cidr = network is not None and _in(address, network)
    if address in known_cluster or in_cidr:
        return VirtualServiceRole(vs, "cluster-ip", None)
    if known_cluster or network is not None:
        return VirtualServiceRole(vs, "external", None)
    return VirtualServiceRole(vs, "unknown", None)


def _missing(
    table: IpvsTable, nodes: tuple[str, ...], by_address: dict, by_node_port: dict
) -> tuple[Missing, ...]:
    missing = []
    for (protocol, address, port), (kind, sp) in by_address.items():
        if table.find(address, port, protocol) is None:
            missing.append(Missing(kind, address, protocol, port, sp.service_port_name))
    node_ports: dict[tuple[str, int], set[str]] = {}
    for vs in table.services:
        address = normal_address(vs.address)
        if vs.fwmark is None and address in nodes:
            node_ports.setdefault((vs.protocol, vs.port), set()).add(address)
    for key in sorted(set(node_ports) | set(by_node_port)):
        present = node_ports.get(key, set())
        sp = by_node_port.get(key)
        name = sp.service_port_name if sp else None
        missing += [Missing("node-port", a, key[0], key[1], name) for a in nodes if a not in present]
    return tuple(missing)
