"""Which HTTPRoute rule a request takes, under Gateway API's own precedence, and what it does.

From kubernetes-sigs/gateway-api ``apis/v1`` (HTTPRouteRule.Matches, HTTPRouteSpec.Hostnames,
Listener, HTTPPathMatch, HTTPRequestRedirectFilter, HTTPURLRewriteFilter):

1. The listener: among those on the request's port, the one whose hostname matches the
   request most specifically (exact, then the longest wildcard, then none).
2. Routes attached to it whose hostnames match; precedence to the route whose matching
   hostname has the most non-wildcard characters, then the most characters.
3. Then the match: an Exact path, then the longest PathPrefix, then a method, then the most
   header matches, then the most query-param matches. RegularExpression paths have
   implementation-specific precedence; here they come after prefixes.
4. Ties: the oldest route (creationTimestamp), then "namespace/name" alphabetically, then the
   first rule in list order.

Paths compare case-sensitively; PathPrefix is element-wise (``/abc`` matches ``/abc``, ``/abc/``,
``/abc/def``, not ``/abcd``). Header names ignore case; the first entry for a name counts. Regular
expressions (implementation-specific) are matched whole with Python's ``re``. No match: 404.
A RequestRedirect filter answers (302 by default) with a Location from its scheme, hostname,
path modifier and port: without a port, the scheme's well-known port when a scheme is set,
else the listener's; port 80 for http and 443 for https are left out. The query string is
kept (UNCONFIRMED: the spec does not say). A rule with no usable backend (none, all invalid, or
all weight 0) answers 500. URLRewrite changes the upstream host and path
(ReplacePrefixMatch replaces the matched prefix element-wise). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ackwb.errors import InputError
from ackwb.model import Evidence
from ackwb.parse.gateway_hosts import bare_host, best_hostname, specificity
from ackwb.parse.gateway_records import (
    HTTPRouteRecord,
    Listener,
    PathMatch,
    RouteFilter,
    RouteMatch,
    RouteRule,
    ValueMatch,
)
from ackwb.steps.gateway_backends import BackendShare, resolve_backends
from ackwb.steps.gateway_routes import AttachedRoute

PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class GatewayRequest:
    host: str
    path: str = "/"
    query: str = ""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    scheme: str = "http"
    port: int | None = None  # the listener port the request arrives on; None: any

    @classmethod
    def from_url(
        cls, url: str, method: str = "GET", headers: tuple[tuple[str, str], ...] = ()
    ) -> GatewayRequest:
        parts = urlsplit(url)
        if parts.scheme not in PORTS or not parts.hostname:
            raise InputError(f"{url!r} is not an http:// or https:// URL with a host")
        return cls(
            parts.hostname,
            parts.path or "/",
            parts.query,
            method.upper(),
            headers,
            parts.scheme,
            parts.port or PORTS[parts.scheme],
        )


@dataclass(frozen=True)
class GatewayMatch:
    request: GatewayRequest
    listener: Listener | None
    route: HTTPRouteRecord | None
    rule: RouteRule | None
    match: RouteMatch | None
    kind: str  # forward, redirect, answered (404, 500)
    status: int | None = None
    location: str | None = None
    upstream_host: str = ""
    upstream_path: str = ""
    header_changes: tuple[str, ...] = ()
    backends: tuple[BackendShare, ...] = ()
    considered: tuple[str, ...] = ()  # the candidates in precedence order, for explanation
    evidence: tuple[Evidence, ...] = ()

    def sentence(self) -> str:
        if self.route is None or self.rule is None:
            return f"no HTTPRoute rule takes {self.request.host}{self.request.path}: the Gateway answers 404"
        where = f"HTTPRoute {self.route.meta.key} {self.rule.locator.split(' ', 1)[-1]}"
        if self.kind == "redirect":
            return f"{where} redirects with {self.status} to {self.location}"
        if self.kind == "answered":
            return f"{where} answers {self.status}"
        shares = ", ".join(f"{b.target} ({b.share:.0%})" for b in self.backends)
        return f"{where} forwards {self.upstream_host}{self.upstream_path} to {shares}"


def _path_matches(path: PathMatch, request_path: str) -> bool:
    if path.type == "Exact":
        return request_path == path.value
    if path.type == "PathPrefix":
        prefix = path.value.rstrip("/")
        return request_path == prefix or request_path.startswith(prefix + "/") or not prefix
    try:
        return re.fullmatch(path.value, request_path) is not None
    except re.error:
        return False


def _value_matches(match: ValueMatch, have: str | None) -> bool:
    if have is None:
        return False
    if match.type == "Exact":
        return have == match.value
    try:
        return re.fullmatch(match.value, have) is not None
    except re.error:
        return False


def matches(match: RouteMatch, request: GatewayRequest) -> bool:
    """Every part of one HTTPRouteMatch holds for the request."""
    if not _path_matches(match.path, request.path):
        return False
    if match.method is not None and match.method.upper() != request.method.upper():
        return False
    seen: set[str] = set()
    for header in match.headers:
        if header.name.lower() in seen:
            continue
        seen.add(header.name.lower())
        value = next((v for k, v in request.headers if k.lower() == header.name.lower()), None)
        if not _value_matches(header, value):
            return False
    params = parse_qsl(request.query, keep_blank_values=True)
    for query in match.query:
        if not _value_matches(query, next((v for k, v in params if k == query.name), None)):
            return False
    return True


def _rank(path: PathMatch) -> tuple[int, int]:
    return {"Exact": (0, 0), "PathPrefix": (1, -len(path.value.rstrip("/") or "/"))}.get(path.type, (2, 0))


def _choose_listener(attached: Sequence[AttachedRoute], request: GatewayRequest) -> Listener | None:
    listeners = list({a.listener.locator: a.listener for a in attached}.values())
    on_port = [x for x in listeners if request.port is None or x.port == request.port] or listeners
    on_port = [x for x in on_port if x.protocol.lower() == request.scheme] or on_port
    scored = [
        (s, i, x) for i, x in enumerate(on_port) if (s := specificity(x.hostname, bare_host(request.host)))
    ]
    return max(scored, key=lambda item: (item[0], -item[1]))[2] if scored else None


def _replace_prefix(path: str, prefix: str, replacement: str) -> str:
    rest = path[len(prefix.rstrip("/")) :]
    return (replacement.rstrip("/") + rest) or "/"


def _new_path(config: dict[str, Any], match: RouteMatch, path: str) -> str:
    modifier = config.get("path") or {}
    if modifier.get("type") == "ReplaceFullPath":
        return str(modifier.get("replaceFullPath") or "/")
    if modifier.get("type") == "ReplacePrefixMatch" and match.path.type == "PathPrefix":
        return _replace_prefix(path, match.path.value, str(modifier.get("replacePrefixMatch") or ""))
    return path


def _redirect(
    f: RouteFilter, match: RouteMatch, request: GatewayRequest, listener: Listener
) -> tuple[int, str]:
    scheme = str(f.config.get("scheme") or request.scheme)
    port = f.config.get("port") or (
        PORTS.get(str(f.config.get("scheme"))) if f.config.get("scheme") else None
    )
    port = int(port or listener.port)
    host = str(f.config.get("hostname") or bare_host(request.host))
    shown = "" if PORTS.get(scheme) == port else f":{port}"
    path = _new_path(f.config, match, request.path)
    return int(f.config.get("statusCode") or 302), f"{scheme}://{host}{shown}{path}" + (
        f"?{request.query}" if request.query else ""
    )


def _headers(f: RouteFilter) -> list[str]:
    changes = [f"set {h.get('name')}: {h.get('value')}" for h in f.config.get("set") or []]
    changes += [f"add {h.get('name')}: {h.get('value')}" for h in f.config.get("add") or []]
    return changes + [f"remove {name}" for name in f.config.get("remove") or []]


def match(
    request: GatewayRequest,
    attached: Sequence[AttachedRoute],
    grants: Sequence[Any] | None = (),  # None: the ReferenceGrants could not be read
    services: Collection[str] | None = None,
) -> GatewayMatch:
    """The rule ``request`` takes among the attached routes, and what it does with it."""
    host = bare_host(request.host)
    listener = _choose_listener(attached, request)
    candidates = []
    for a in attached:
        if listener is None or a.listener.locator != listener.locator:
            continue
        best = best_hostname(a.hostnames, host)
        if best is None:
            continue
        for r, rule in enumerate(a.route.rules):
            for m, one in enumerate(rule.matches):
                if matches(one, request):
                    key = (
                        -best[0][0],
                        -best[0][1],
                        _rank(one.path),
                        one.method is None,
                        -len(one.headers),
                        -len(one.query),
                        a.route.meta.created,
                        a.route.meta.key,
                        r,
                        m,
                    )
                    candidates.append((key, a, rule, one))
    candidates.sort(key=lambda c: c[0])
    considered = tuple(f"{a.route.meta.key} {one.locator.split(' ', 1)[-1]}" for _, a, _, one in candidates)
    if not candidates:
        return GatewayMatch(request, listener, None, None, None, "answered", 404, considered=considered)
    _, chosen, rule, one = candidates[0]
    route = chosen.route
    evidence = (
        Evidence(
            "kube:httproutes",
            f"{route.meta.key} {one.locator.split(' ', 1)[-1]}",
            f"{one.path.type} {one.path.value} method={one.method} headers={len(one.headers)} "
            f"queryParams={len(one.query)}",
        ),
    )
    up_host, up_path, changes = host, request.path, []
    for f in rule.filters:
        if f.type == "RequestRedirect" and listener is not None:
            status, location = _redirect(f, one, request, listener)
            return GatewayMatch(
                request,
                listener,
                route,
                rule,
                one,
                "redirect",
                status,
                location,
                considered=considered,
                evidence=evidence,
            )
        if f.type == "URLRewrite":
            up_host = str(f.config.get("hostname") or up_host)
            up_path = _new_path(f.config, one, up_path)
        elif f.type == "RequestHeaderModifier":
            changes += _headers(f)
    shares = tuple(resolve_backends(route, rule, grants, services))
    kind, status = ("forward", None) if any(s.valid and s.share for s in shares) else ("answered", 500)
    return GatewayMatch(
        request,
        listener,
        route,
        rule,
        one,
        kind,
        status,
        None,
        up_host,
        up_path,
        tuple(changes),
        shares,
        considered,
        evidence,
    )
