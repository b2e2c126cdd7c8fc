"""What ingress-nginx's Lua rewrite handler decides: ssl-redirect, and the balancer's 503.

After the rewrite module, every ingress-nginx location runs Lua in the rewrite phase
(``lua_ingress.rewrite`` then ``balancer.rewrite``: inline up to v1.11, ``ngx_rewrite.lua``
from v1.12). ``lua_ingress.rewrite`` redirects http to https with ``http-redirect-code``
(308 by default) when ``force_ssl_redirect`` is on, or when ``ssl_redirect`` is on and the
controller holds a certificate for the host (``certificate.configured_for_current_request``:
every server has ``listen 443 ssl``, so the listen lines do not tell), unless
``force_no_ssl_redirect``; the target is ``https://`` + the Host without its port + the
original request URI, its trailing slash dropped unless ``preserve_trailing_slash``.
``balancer.rewrite`` answers 503 when the location's backend has no balancer: it is missing
from the dynamic backends or has no endpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ackwb.parse.backends import Backend, find_backend
from ackwb.parse.nginx_conf import Location
from ackwb.parse.nginx_directives import Directive, LocationDirectives
from ackwb.parse.nginx_rewrite import RequestState


@dataclass(frozen=True)
class SslRedirect:
    status: int
    target: str
    line: Directive  # the ssl_redirect / force_ssl_redirect setting that decided
    forced: bool
    certain: bool  # False: it depends on a certificate that was not read


def ssl_redirect(
    directives: LocationDirectives, scheme: str, host_header: str, request_uri: str,
    certificate: bool | None, code: int = 308,
) -> SslRedirect | None:  # fmt: skip
    """The redirect ``lua_ingress.rewrite`` sends, or None when the request goes on."""
    settings = {d.name: d for d in directives.ssl_settings}

    def on(name: str) -> bool:
        return name in settings and settings[name].args == ("true",)

    if on("force_no_ssl_redirect") or scheme != "http":
        return None
    uri = request_uri if on("preserve_trailing_slash") or not request_uri.endswith("/") else request_uri[:-1]
    host = RequestState("http", host_header, "/", "").host
    target = f"https://{host}{':443' if on('use_port_in_redirects') else ''}{uri}"
    if on("force_ssl_redirect"):
        return SslRedirect(code, target, settings["force_ssl_redirect"], True, True)
    if not on("ssl_redirect") or certificate is False:
        return None
    return SslRedirect(code, target, settings["ssl_redirect"], False, certificate is True)


@dataclass(frozen=True)
class BalancerMiss:
    code: str  # INGRESS_BACKEND_MISSING or INGRESS_BACKEND_NO_ENDPOINTS
    why: str
    line: Directive | None


def balancer_miss(
    directives: LocationDirectives, location: Location, backends: Sequence[Backend]
) -> BalancerMiss | None:
    """Why ``balancer.rewrite`` answers 503 for this location, or None when it has endpoints."""
    name = location.upstream_name
    passing = directives.pass_directive
    if not name or passing is None or "upstream_balancer" not in passing.raw:
        return None
    backend = find_backend(backends, name)
    if backend is not None and backend.endpoints:
        return None
    if backend is None:
        return BalancerMiss(
            "INGRESS_BACKEND_MISSING",
            "is not in the dynamic backends",
            directives.balancer_rewrite or passing,
        )
    return BalancerMiss(
        "INGRESS_BACKEND_NO_ENDPOINTS", "has no endpoints", directives.balancer_rewrite or passing
    )
