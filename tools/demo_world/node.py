"""What the allow-listed node commands print on each node of a design world.

``ipvsadm -Ln`` is built the way kube-proxy programs IPVS: one virtual server per
ClusterIP:port, per LoadBalancer ingress IP:port and per node IP:NodePort (none for a
headless or an ExternalName Service), scheduler rr (``persistent`` and the timeout for
``sessionAffinity: ClientIP``), real servers Masq with weight 1 (0 while a terminating
endpoint drains); with ``externalTrafficPolicy: Local`` the external virtual servers keep
only the endpoints on this node. Everything is computed from the Service and EndpointSlice
objects, so an edit of those (a scenario) flows into the tables. Lines use ipvsadm's printf
formats (``%-4s %s`` for services, ``  -> %-28s %-7s %-6d %-10u %-10u`` for real servers, so
real-server lines end in blanks). ``ip -o addr`` shows eth0 (and Flannel's cni0) and the
kube-ipvs0 VIPs. A node whose kube-proxy runs in iptables or nftables mode has an empty
IPVS table, no kube-ipvs0, and the rules of ``node_rules``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tools.demo_world import ids
from tools.demo_world.design import Design
from tools.demo_world.model import Node
from tools.demo_world.node_rules import iptables_save, load_balancer_ips, nft_listing, slice_endpoints

Obj = dict[str, Any]
PROTOCOL_NUMBER = {"TCP": 6, "UDP": 17}
HEADER = (
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
)


def virtual_servers(
    node: Node, services: list[Obj], slices: list[Obj]
) -> dict[tuple[str, str, int], list[tuple[str, int, int]]]:
    """(protocol, VIP, port) → real servers (address, port, weight) as kube-proxy programs ``node``."""
    table: dict[tuple[str, str, int], list[tuple[str, int, int]]] = {}
    for s in services:
        if not has_virtual_ip(s):
            continue
        for p in s["spec"]["ports"]:
            endpoints = slice_endpoints(slices, s, p)
            table[(p["protocol"], s["spec"]["clusterIP"], p["port"])] = [
                (a, t, w) for a, _, t, w in endpoints
            ]
            if not p.get("nodePort"):
                continue
            local_only = s["spec"].get("externalTrafficPolicy") == "Local"
            external = [(a, t, w) for a, n, t, w in endpoints if not local_only or n == node.name]
            for ip in load_balancer_ips(s):  # none for an NLB, which CCM publishes by hostname
                table[(p["protocol"], ip, p["port"])] = external
            table[(p["protocol"], node.ip, p["nodePort"])] = external
    return table


def has_virtual_ip(service: Obj) -> bool:
    """kube-proxy programs nothing for a headless or an ExternalName Service."""
    return service["spec"].get("clusterIP") not in (None, "", "None")


def persistence(services: list[Obj]) -> dict[tuple[str, str, int], int]:
    """(protocol, VIP, port) → the ``persistent`` timeout of every virtual server of a Service with
    ``sessionAffinity: ClientIP`` (its ClusterIP, load balancer IPs and NodePorts alike)."""
    out: dict[tuple[str, str, int], int] = {}
    for s in services:
        spec = s["spec"]
        if spec.get("sessionAffinity") != "ClientIP" or not has_virtual_ip(s):
            continue
        timeout = spec.get("sessionAffinityConfig", {}).get("clientIP", {}).get("timeoutSeconds", 10800)
        for p in spec["ports"]:
            out[(p["protocol"], spec["clusterIP"], p["port"])] = timeout
            for ip in load_balancer_ips(s):
                out[(p["protocol"], ip, p["port"])] = timeout
            if p.get("nodePort"):
                out[(p["protocol"], "*", p["nodePort"])] = timeout  # on every node address
    return out


def _connections(seed: str) -> tuple[int, int]:
    number = int(ids.hexid("conns " + seed, 8), 16)
    return number % 3, number % 17


def ipvsadm(node: Node, services: list[Obj], slices: list[Obj]) -> str:
    def key(item: tuple[tuple[str, str, int], Any]) -> tuple[int, int, int]:
        (proto, vip, port), _ = item
        return PROTOCOL_NUMBER[proto], int(ipaddress.IPv4Address(vip)), port

    lines = [HEADER]
    persistent = persistence(services)
    for (proto, vip, port), reals in sorted(virtual_servers(node, services, slices).items(), key=key):
        timeout = persistent.get((proto, vip, port)) or persistent.get((proto, "*", port))
        sticky = f" persistent {timeout}" if timeout else ""  # ipvsadm: " persistent %u"
        lines.append(f"{proto:<4} {vip}:{port} rr{sticky}\n")  # ipvsadm: "%-4s %s" then " %s" (scheduler)
        for address, real_port, weight in sorted(
            reals, key=lambda r: (int(ipaddress.IPv4Address(r[0])), r[1])
        ):
            active, inactive = _connections(f"{node.ip} {vip}:{port} {address}")
            if weight == 0:  # a draining real server is only kept while it has connections
                active = max(active, 1)
            # ipvsadm: "  -> %-28s %-7s %-6d %-10u %-10u"
            real = f"{address}:{real_port}"
            lines.append(f"  -> {real:<28} {'Masq':<7} {weight:<6} {active:<10} {inactive:<10}\n")
    return "".join(lines)


def ip_addr(node: Node, services: list[Obj]) -> str:
    forever = "\\       valid_lft forever preferred_lft forever"
    vips = sorted(
        {s["spec"]["clusterIP"] for s in services if has_virtual_ip(s)}
        | {ip for s in services for ip in load_balancer_ips(s)},
        key=lambda ip: int(ipaddress.IPv4Address(ip)),
    )
    network = ipaddress.IPv4Network(node.vswitch.cidr)
    lines = [
        f"1: lo    inet 127.0.0.1/8 scope host lo{forever}",
        f"2: eth0    inet {node.ip}/{network.prefixlen} brd {network.broadcast_address} scope global dynamic "
        "noprefixroute eth0\\       valid_lft 315356728sec preferred_lft 315356728sec",
    ]
    if node.pod_cidr:  # Flannel's bridge holds the first address of the node's Pod CIDR
        bridge = ipaddress.IPv4Network(node.pod_cidr)
        lines.append(
            f"3: cni0    inet {bridge.network_address + 1}/{bridge.prefixlen} brd {bridge.broadcast_address} "
            f"scope global cni0{forever}"
        )
    lines += [f"4: kube-ipvs0    inet {vip}/32 scope global kube-ipvs0{forever}" for vip in vips]
    return "\n".join(lines) + "\n"


def outputs(
    d: Design, services: list[Obj], slices: list[Obj], modes: dict[str, str] | None = None
) -> dict[str, str]:
    """Relative path under nodes/ → stdout, from the Service and EndpointSlice objects.

    ``modes`` (node IP → kube-proxy mode, default the design's) says what each node's
    kube-proxy programs; a node in iptables or nftables mode cleaned up IPVS: an empty table
    and no kube-ipvs0.
    """
    out: dict[str, str] = {}
    for n in d.nodes:
        mode = (modes or {}).get(n.ip, d.proxy_mode)
        out[f"{n.ip}/proxy-mode.txt"] = mode  # /proxyMode answers without a trailing newline
        if mode == "ipvs":
            out[f"{n.ip}/ipvsadm.txt"] = ipvsadm(n, services, slices)
            out[f"{n.ip}/ip-addr.txt"] = ip_addr(n, services)
            continue
        out[f"{n.ip}/ipvsadm.txt"] = HEADER
        out[f"{n.ip}/ip-addr.txt"] = ip_addr(n, [])
        if mode == "iptables":
            out[f"{n.ip}/iptables-save.txt"] = iptables_save(d, n, services, slices)
        else:
            out[f"{n.ip}/nft.txt"] = nft_listing(d, n, services, slices)
    return out
