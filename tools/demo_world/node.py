"""What the allow-listed node commands print on each node of the demo world.

``ipvsadm -Ln`` is built the way kube-proxy programs IPVS: one virtual server per
ClusterIP:port, per LoadBalancer ingress IP:port and per node IP:NodePort, scheduler rr,
real servers Masq with weight 1 (0 while a terminating endpoint drains); with
``externalTrafficPolicy: Local`` the external virtual servers keep only the endpoints on
this node. Everything is computed from the Service and EndpointSlice objects, so an edit
of those (a scenario) flows into the tables. Lines use ipvsadm's printf formats
(``%-4s %s`` for services, ``  -> %-28s %-7s %-6d %-10u %-10u`` for real servers, so
real-server lines end in blanks). ``ip -o addr`` shows eth0 and the kube-ipvs0 VIPs.

A node whose kube-proxy runs in iptables mode (only in scenarios) has an empty IPVS table,
no kube-ipvs0, and ``iptables-save -t nat`` output written by the fixture generator
(``tools.fixtures.kube_proxy_world`` and ``iptables_save_format``, checked against the real
iptables-save) from the same objects.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tools.demo_world import facts as f
from tools.fixtures.iptables_save_format import format_save
from tools.fixtures.kube_proxy_world import Endpoint, ServicePort, render_iptables

Obj = dict[str, Any]
PROTOCOL_NUMBER = {"TCP": 6, "UDP": 17}
SERVICE_NAME = "kubernetes.io/service-name"
HEADER = (
    "IP Virtual Server version 1.2.1 (size=4096)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
)
SAVED_AT = "Mon Jun  3 08:14:52 2024"  # iptables-save's header date: when the scenarios are observed


def _slice_endpoints(slices: list[Obj], service: Obj, port: Obj) -> list[tuple[str, str, int, int]]:
    """(address, nodeName, target port, weight) per endpoint of one Service port, from its slices.

    kube-proxy programs the ready endpoints with weight 1. A terminating endpoint that still
    has connections stays with weight 0 until they drain (IPVS graceful termination).
    """
    meta = service["metadata"]
    out = []
    for s in slices:
        labels = s["metadata"].get("labels", {})
        if s["metadata"]["namespace"] != meta["namespace"] or labels.get(SERVICE_NAME) != meta["name"]:
            continue
        target = next(
            (
                p["port"]
                for p in s["ports"]
                if p["name"] == port["name"] and p["protocol"] == port["protocol"]
            ),
            None,
        )
        if target is None:
            continue
        for e in s.get("endpoints") or []:
            conditions = e.get("conditions", {})
            if conditions.get("ready", True):
                weight = 1
            elif conditions.get("terminating"):
                weight = 0
            else:
                continue
            out.extend((a, e.get("nodeName", ""), target, weight) for a in e["addresses"])
    return out


def _load_balancer_ips(service: Obj) -> list[str]:
    if service["spec"].get("type") != "LoadBalancer":
        return []
    return [
        i["ip"] for i in service.get("status", {}).get("loadBalancer", {}).get("ingress", []) if "ip" in i
    ]


def virtual_servers(
    node: f.Node, services: list[Obj], slices: list[Obj]
) -> dict[tuple[str, str, int], list[tuple[str, int, int]]]:
    """(protocol, VIP, port) → real servers (address, port, weight) as kube-proxy programs ``node``."""
    table: dict[tuple[str, str, int], list[tuple[str, int, int]]] = {}
    for s in services:
        for p in s["spec"]["ports"]:
            endpoints = _slice_endpoints(slices, s, p)
            table[(p["protocol"], s["spec"]["clusterIP"], p["port"])] = [
                (a, t, w) for a, _, t, w in endpoints
            ]
            if not p.get("nodePort"):
                continue
            local_only = s["spec"].get("externalTrafficPolicy") == "Local"
            external = [(a, t, w) for a, n, t, w in endpoints if not local_only or n == node.name]
            for ip in _load_balancer_ips(s):  # none for an NLB, which CCM publishes by hostname
                table[(p["protocol"], ip, p["port"])] = external
            table[(p["protocol"], node.ip, p["nodePort"])] = external
    return table


def _connections(seed: str) -> tuple[int, int]:
    number = int(f.hexid("conns " + seed, 8), 16)
    return number % 3, number % 17


def ipvsadm(node: f.Node, services: list[Obj], slices: list[Obj]) -> str:
    def key(item: tuple[tuple[str, str, int], Any]) -> tuple[int, int, int]:
        (proto, vip, port), _ = item
        return PROTOCOL_NUMBER[proto], int(ipaddress.IPv4Address(vip)), port

    lines = [HEADER]
    for (proto, vip, port), reals in sorted(virtual_servers(node, services, slices).items(), key=key):
        lines.append(f"{proto:<4} {vip}:{port} rr\n")  # ipvsadm: "%-4s %s" then " %s" (scheduler)
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


def ip_addr(node: f.Node, services: list[Obj]) -> str:
    forever = "\\       valid_lft forever preferred_lft forever"
    vips = sorted(
        {s["spec"]["clusterIP"] for s in services} | {ip for s in services for ip in _load_balancer_ips(s)},
        key=lambda ip: int(ipaddress.IPv4Address(ip)),
    )
    lines = [
        f"1: lo    inet 127.0.0.1/8 scope host lo{forever}",
        f"2: eth0    inet {node.ip}/24 brd 10.17.10.255 scope global dynamic noprefixroute eth0"
        "\\       valid_lft 315356728sec preferred_lft 315356728sec",
    ]
    lines += [f"4: kube-ipvs0    inet {vip}/32 scope global kube-ipvs0{forever}" for vip in vips]
    return "\n".join(lines) + "\n"


def service_ports(node: f.Node, services: list[Obj], slices: list[Obj]) -> list[ServicePort]:
    """The Service ports as kube-proxy's iptables proxier sees them on ``node``: the endpoints it
    uses are the ready ones or, when none is, the terminating ones (graceful termination)."""
    ports = []
    for s in sorted(services, key=lambda s: (s["metadata"]["namespace"], s["metadata"]["name"])):
        spec = s["spec"]
        if spec.get("clusterIP") in (None, "", "None"):
            continue  # headless: no rules
        for p in spec["ports"]:
            found = _slice_endpoints(slices, s, p)
            chosen = [e for e in found if e[3] == 1] or found
            external = spec.get("type") in ("NodePort", "LoadBalancer")
            affinity = spec.get("sessionAffinityConfig", {}).get("clientIP", {}).get("timeoutSeconds", 10800)
            ports.append(
                ServicePort(
                    s["metadata"]["namespace"],
                    s["metadata"]["name"],
                    p.get("name", ""),
                    p["protocol"],
                    p["port"],
                    spec["clusterIP"],
                    tuple(Endpoint(a, t, local=n == node.name) for a, n, t, _ in chosen),
                    node_port=p.get("nodePort") if external else None,
                    external_ips=tuple(spec.get("externalIPs", ())),
                    lb_ips=tuple(_load_balancer_ips(s)),
                    local_policy=spec.get("externalTrafficPolicy") == "Local",
                    source_ranges=tuple(spec.get("loadBalancerSourceRanges", ())),
                    affinity=affinity if spec.get("sessionAffinity") == "ClientIP" else None,
                    health_check_node_port=spec.get("healthCheckNodePort"),
                )
            )
    return ports


def iptables_save(node: f.Node, services: list[Obj], slices: list[Obj]) -> str:
    """``iptables-save -t nat`` on ``node`` with kube-proxy in iptables mode (Terway: the Pods'
    addresses, the kube-proxy ``clusterCIDR``, are the vSwitch's)."""
    restore = render_iptables(service_ports(node, services, slices), pod_cidr=f.VSWITCH_CIDR)
    return format_save(
        restore,
        tables=("nat",),
        header=f"# Generated by iptables-save v1.8.9 (nf_tables) on {SAVED_AT}",
        footer=f"# Completed on {SAVED_AT}",
    )


def outputs(services: list[Obj], slices: list[Obj], modes: dict[str, str] | None = None) -> dict[str, str]:
    """Relative path under nodes/ → stdout, from the Service and EndpointSlice objects.

    ``modes`` (node IP → kube-proxy mode, default ``ipvs``) says what each node's kube-proxy
    programs; a node in iptables mode cleaned up IPVS: an empty table and no kube-ipvs0.
    """
    out: dict[str, str] = {}
    for n in f.NODES:
        mode = (modes or {}).get(n.ip, "ipvs")
        out[f"{n.ip}/proxy-mode.txt"] = mode  # /proxyMode answers without a trailing newline
        if mode == "iptables":
            out[f"{n.ip}/ipvsadm.txt"] = HEADER
            out[f"{n.ip}/ip-addr.txt"] = ip_addr(n, [])
            out[f"{n.ip}/iptables-save.txt"] = iptables_save(n, services, slices)
        else:
            out[f"{n.ip}/ipvsadm.txt"] = ipvsadm(n, services, slices)
            out[f"{n.ip}/ip-addr.txt"] = ip_addr(n, services)
    return out
