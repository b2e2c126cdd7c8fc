"""What "the whole cluster" means when a capture, a sweep or the cluster map asks for it.

Every Ingress host and every HTTPRoute hostname (Gateway API; a wildcard name is no host to
ask for) × every path of its rules × every listener port of the load balancer it resolves to;
for a capture, also every Service of type LoadBalancer with an address, traced by it on each
of its ports; for a sweep, the L4 Services, by address or (an NLB's) DNS name, so that every
front door is swept. What the user names (hosts, ports, paths) replaces the corresponding
part. A rule's path is the path a request would use: a regular-expression path
(``/api(/|$)(.*)``) is cut before its first special character (``/api``), an empty one is
``/``. A host whose load balancer cannot be found is still traced on port 80, so the trace
says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ackwb.errors import AckwbError
from ackwb.model import Client
from ackwb.sources import Sources
from ackwb.steps import dns, slb
from ackwb.steps.common import dig
from ackwb.steps.front_door import Door, decide

DEFAULT_PORT = 80
_REGEX = re.compile(r"[\^$()\[\]{}*+?|\\]")


@dataclass(frozen=True, order=True)
class Request:
    """One thing to trace: a host (or a load balancer address), a listener port and a path."""

    host: str
    port: int = DEFAULT_PORT
    path: str = "/"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}{self.path}"


def request_path(path: str | None) -> str:
    """The request path a rule's path stands for (regex paths cut before the first special character)."""
    text = _REGEX.split(str(path or ""), maxsplit=1)[0].strip() or "/"
    return text if text.startswith("/") else "/" + text


def ingress_paths(sources: Sources) -> dict[str, list[str]]:
    """Every host an Ingress serves → the request paths of its rules (``/`` when it has none)."""
    found: dict[str, set[str]] = {}
    for item in sources.kube.list("ingresses"):
        for rule in dig(item, "spec", "rules") or []:
            host = str(rule.get("host") or "")
            if not host:
                continue
            paths = {request_path(p.get("path")) for p in dig(rule, "http", "paths") or []}
            found.setdefault(host, set()).update(paths or {"/"})
    return {host: sorted(paths) for host, paths in sorted(found.items())}


def route_paths(sources: Sources) -> dict[str, list[str]]:
    """Every HTTPRoute hostname → the request paths of its rules' matches (``/`` when none); empty
    when HTTPRoutes cannot be listed (a cluster without the Gateway API)."""
    try:
        routes = sources.kube.list("httproutes")
    except AckwbError:
        return {}
    found: dict[str, set[str]] = {}
    for item in routes:
        paths = {
            request_path(dig(m, "path", "value") or "/")
            for rule in dig(item, "spec", "rules") or []
            for m in (rule.get("matches") or [{}])
            if isinstance(m, dict)
        }
        for host in dig(item, "spec", "hostnames") or []:
            if isinstance(host, str) and host and "*" not in host:
                found.setdefault(host.lower(), set()).update(paths or {"/"})
    return {host: sorted(paths) for host, paths in sorted(found.items())}


def load_balancer_services(sources: Sources, l4_only: bool = False) -> dict[str, list[int]]:
    """Every Service of type LoadBalancer's address → its ports; ``l4_only``: only the Services
    that are an L4 front door themselves (no ingress controller behind them, no Envoy proxy), whose
    addresses no Ingress or HTTPRoute host leads a sweep to, an NLB's by its DNS name."""
    found: dict[str, set[int]] = {}
    for item in sources.kube.list("services"):
        if dig(item, "spec", "type") != "LoadBalancer":
            continue
        if l4_only and decide(item, [], sources.settings.ingress_selector).door is not Door.L4_SERVICE:
            continue
        ports = {int(p["port"]) for p in dig(item, "spec", "ports") or [] if isinstance(p.get("port"), int)}
        for entry in dig(item, "status", "loadBalancer", "ingress") or []:
            address = entry.get("ip") or (l4_only and entry.get("hostname"))  # an NLB: its DNS name
            if address:
                found.setdefault(str(address), set()).update(ports)
    return {address: sorted(ports) for address, ports in sorted(found.items())}


def listener_ports(sources: Sources, host: str) -> list[int]:
    """The ports the load balancer behind ``host`` listens on (the first of a port range);
    ``[80]`` when the host does not resolve or no load balancer owns its address."""
    try:
        found = slb(sources, dns(sources, host), Client())
    except AckwbError:
        return [DEFAULT_PORT]
    return sorted({listener.port for listener in found.listeners}) or [DEFAULT_PORT]


def plan(
    sources: Sources,
    hosts: Sequence[str] = (),
    ports: Iterable[int] = (),
    paths: Iterable[str] = (),
    services: bool | str = False,
) -> list[Request]:
    """The requests to trace: the hosts given (default: every Ingress and HTTPRoute host), each on
    the ports and paths given (default: its listener ports and rule paths); ``services`` adds every
    Service of type LoadBalancer by address (a capture's default), or, when it is "l4", only the L4
    Services (a sweep's default: every front door, none traced twice)."""
    rules = ingress_paths(sources)
    for host, route_ones in route_paths(sources).items():
        rules[host] = sorted(set(rules.get(host, [])) | set(route_ones))
    wanted_ports, wanted_paths = sorted(set(ports)), sorted({request_path(p) for p in paths})
    requests: set[Request] = set()
    for host in hosts or list(rules):
        for port in wanted_ports or listener_ports(sources, host):
            for path in wanted_paths or rules.get(host, ["/"]):
                requests.add(Request(host, port, path))
    if services and not hosts:
        for address, service_ports in load_balancer_services(sources, l4_only=services == "l4").items():
            if services == "l4":  # a sweep: an L4 Service on the ports it serves, of those asked for
                chosen = [p for p in service_ports if not wanted_ports or p in wanted_ports]
            else:
                chosen = wanted_ports or service_ports or [DEFAULT_PORT]
            requests.update(Request(address, port, "/") for port in chosen)
    return sorted(requests)
