"""What the allow-listed node commands print on each node of the demo world.

``ipvsadm -Ln`` is built the way kube-proxy programs IPVS: one virtual server per
ClusterIP:port, per LoadBalancer ingress IP:port and per node IP:NodePort, scheduler rr,
real servers Masq with weight 1; with ``externalTrafficPolicy: Local`` the external
virtual servers keep only the endpoints on this node. Lines use ipvsadm's printf formats
(``%-4s %s`` for services, ``  -> %-28s %-7s %-6d %-10u %-10u`` for real servers, so
real-server lines end in blanks). ``ip -o addr`` shows eth0 and the kube-ipvs0 VIPs.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tools.demo_world import facts as f

PROTOCOL_NUMBER = {"TCP": 6, "UDP": 17}
HEADER = (
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
)


def _ready_endpoints(
    slices: list[dict[str, Any]], service: f.Service, port: f.ServicePort
) -> list[tuple[str, str]]:
    """(address, nodeName) of the ready endpoints of one Service port, from its EndpointSlices."""
    out = []
    for s in slices:
        meta = s["metadata"]
        if (
            meta["namespace"] != service.namespace
            or meta["labels"].get("kubernetes.io/service-name") != service.name
        ):
            continue
        if not any(p["name"] == port.name and p["protocol"] == port.protocol for p in s["ports"]):
            continue
        for e in s["endpoints"]:
            if e["conditions"].get("ready", True):
                out.extend((a, e.get("nodeName", "")) for a in e["addresses"])
    return out


def virtual_servers(
    node: f.Node, slices: list[dict[str, Any]]
) -> dict[tuple[str, str, int], list[tuple[str, int]]]:
    """(protocol, VIP, port) → real servers (address, port), as kube-proxy programs them on ``node``."""
    table: dict[tuple[str, str, int], list[tuple[str, int]]] = {}
    for s in f.SERVICES:
        for p in s.ports:
            endpoints = _ready_endpoints(slices, s, p)
            target = p.target_port
            table[(p.protocol, s.cluster_ip, p.port)] = [(a, target) for a, _ in endpoints]
            if s.load_balancer is None:
                continue
            local = [(a, target) for a, node_name in endpoints if node_name == node.name]
            table[(p.protocol, s.load_balancer.address, p.port)] = local
            table[(p.protocol, node.ip, p.node_port or 0)] = local
    return table


def _connections(seed: str) -> tuple[int, int]:
    number = int(f.hexid("conns " + seed, 8), 16)
    return number % 3, number % 17


def ipvsadm(node: f.Node, slices: list[dict[str, Any]]) -> str:
    def key(item: tuple[tuple[str, str, int], Any]) -> tuple[int, int, int]:
        (proto, vip, port), _ = item
        return PROTOCOL_NUMBER[proto], int(ipaddress.IPv4Address(vip)), port

    lines = [HEADER]
    for (proto, vip, port), reals in sorted(virtual_servers(node, slices).items(), key=key):
        lines.append(f"{proto:<4} {vip}:{port} rr\n")  # ipvsadm: "%-4s %s" then " %s" (scheduler)
        for address, real_port in sorted(reals, key=lambda r: (int(ipaddress.IPv4Address(r[0])), r[1])):
            active, inactive = _connections(f"{node.ip} {vip}:{port} {address}")
            # ipvsadm: "  -> %-28s %-7s %-6d %-10u %-10u"
            real = f"{address}:{real_port}"
            lines.append(f"  -> {real:<28} {'Masq':<7} {1:<6} {active:<10} {inactive:<10}\n")
    return "".join(lines)


def ip_addr(node: f.Node) -> str:
    forever = "\\       valid_lft forever preferred_lft forever"
    vips = sorted(
        {s.cluster_ip for s in f.SERVICES} | {s.load_balancer.address for s in f.SERVICES if s.load_balancer},
        key=lambda ip: int(ipaddress.IPv4Address(ip)),
    )
    lines = [
        f"1: lo    inet 127.0.0.1/8 scope host lo{forever}",
        f"2: eth0    inet {node.ip}/24 brd 10.17.10.255 scope global dynamic noprefixroute eth0"
        "\\       valid_lft 315356728sec preferred_lft 315356728sec",
    ]
    lines += [f"4: kube-ipvs0    inet {vip}/32 scope global kube-ipvs0{forever}" for vip in vips]
    return "\n".join(lines) + "\n"


def outputs(slices: list[dict[str, Any]]) -> dict[str, str]:
    """Relative path under nodes/ → stdout."""
    out: dict[str, str] = {}
    for n in f.NODES:
        out[f"{n.ip}/proxy-mode.txt"] = "ipvs"  # /proxyMode answers without a trailing newline
        out[f"{n.ip}/ipvsadm.txt"] = ipvsadm(n, slices)
        out[f"{n.ip}/ip-addr.txt"] = ip_addr(n)
    return out
