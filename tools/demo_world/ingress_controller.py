"""What ingress-nginx makes of a design's Ingress objects: which it serves, its servers and locations.

Follows the controller as read at controller-v1.12.8 (facts only, written anew here):

- served: ``spec.ingressClassName`` naming the IngressClass ``nginx`` (controller
  ``k8s.io/ingress-nginx``); an Ingress without a class is ignored, since the controller runs
  without ``--watch-ingress-without-class`` (its container args);
- order (``sortIngressSlice``): oldest ``creationTimestamp`` first, equal ones by
  "namespace/name" descending;
- ``createServers``: the first non-canary Ingress naming a host creates its server, with a
  root location ``/`` (Prefix) on ``upstream-default-backend`` carrying that Ingress's
  annotations; canary Ingresses create no server;
- ``getBackendServers``: each path of a served, non-canary Ingress becomes a location; a path
  already present with the same ``pathType`` is kept by its first owner (a default-backend root
  location is taken over); the locations are sorted by path length, longest first;
- ``updateServerLocations``: a Prefix path other than ``/`` without rewrite or regex becomes
  ``PATH/`` plus an exact ``= PATH`` (unless an Exact location of that path exists); every
  location keeps the Ingress path as ``$location_path``;
- ``enforceRegexModifier``: one location with ``use-regex`` or a ``rewrite-target`` different
  from its path makes every location of the host ``~* "^PATH"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tools.demo_world.model import IngressRule

CLASS = "nginx"  # the IngressClass whose controller is k8s.io/ingress-nginx
DEFAULT_UPSTREAM = "upstream-default-backend"


@dataclass(frozen=True)
class Location:
    path: str  # as nginx matches it (a Prefix path normalized to end in /)
    path_type: str  # Prefix, Exact or ImplementationSpecific
    rule: IngressRule  # the Ingress whose names and annotations it carries
    default_backend: bool = False  # the root location no Ingress path claimed

    @property
    def ingress_path(self) -> str:
        """``$location_path``: the Ingress path (``/`` for the root location)."""
        return "/" if self.default_backend else self.rule.path

    @property
    def upstream(self) -> str:
        return DEFAULT_UPSTREAM if self.default_backend else upstream_name(self.rule)

    @property
    def service(self) -> str:
        """``$service_name``: the Service of the Ingress path equal to the location's (none for the root
        location of an Ingress without a ``/`` path)."""
        return "" if self.default_backend and self.rule.path != "/" else self.rule.service

    @property
    def port(self) -> str:
        return str(self.rule.port) if self.service else ""

    def modifier(self, regex: bool) -> str:
        if regex:
            return "~*"
        return "=" if self.path_type == "Exact" else ""


@dataclass(frozen=True)
class Server:
    host: str
    locations: tuple[Location, ...]

    @property
    def regex(self) -> bool:
        return any(needs_regex(loc.rule, loc.path) for loc in self.locations)


def upstream_name(rule: IngressRule) -> str:
    return f"{rule.namespace}-{rule.service}-{rule.port}"


def needs_regex(rule: IngressRule, path: str) -> bool:
    """``use-regex``, or a ``rewrite-target`` other than the location's path (``needsRewrite``)."""
    ann = rule.nginx_annotations
    target = ann.get("rewrite-target", "")
    return ann.get("use-regex") == "true" or (target != "" and target != path)


Created = Callable[[IngressRule], str]  # an Ingress's creationTimestamp


def served(rules: Iterable[IngressRule], created: Created) -> list[IngressRule]:
    """The Ingresses the controller watches, in its order."""
    mine = [r for r in rules if r.ingress_class == CLASS]
    by_name = sorted(mine, key=lambda r: r.key, reverse=True)
    return sorted(by_name, key=created)


def _expand(locations: list[Location]) -> list[Location]:
    """``updateServerLocations``."""
    exact = {loc.path for loc in locations if loc.path_type == "Exact"}
    out: list[Location] = []
    for loc in locations:
        if loc.path == "/" or loc.path_type != "Prefix" or needs_regex(loc.rule, loc.path):
            out.append(loc)
            continue
        normalized = Location(loc.path.rstrip("/") + "/", "Prefix", loc.rule, loc.default_backend)
        out.append(normalized)
        if loc.path not in exact:
            out.append(Location(loc.path, "Exact", loc.rule, loc.default_backend))
    return out


def servers(rules: Iterable[IngressRule], created: Created) -> list[Server]:
    """Every server block but the catch-all ``_``, sorted by host name as the controller writes them."""
    ordered = served(rules, created)
    hosts: dict[str, list[Location]] = {}
    for rule in ordered:
        if not rule.canary and rule.host not in hosts:
            hosts[rule.host] = [Location("/", "Prefix", rule, default_backend=True)]
    for rule in ordered:
        if rule.canary:
            continue  # a canary's upstream has no server (NoServer)
        locations = hosts[rule.host]
        same = next((i for i, loc in enumerate(locations) if loc.path == rule.path), None)
        if same is None or locations[same].path_type != rule.path_type:
            locations.append(Location(rule.path, rule.path_type, rule))
        elif locations[same].default_backend:
            locations[same] = Location(rule.path, rule.path_type, rule)
    out = []
    for host in sorted(hosts):
        by_path = sorted(hosts[host], key=lambda loc: loc.path, reverse=True)
        by_length = sorted(by_path, key=lambda loc: len(loc.path), reverse=True)
        out.append(Server(host, tuple(_expand(by_length))))
    return out
