"""What a location sends upstream, and which rate limits watch it, read from its directives.

The request evaluator needs, once nginx decides to proxy: the pass directive and its
protocol (``proxy_pass http://`` or ``https://``, ``grpc_pass grpc://`` or ``grpcs://`` for
``backend-protocol: GRPC|GRPCS``, ``$scheme://`` for ``AUTO_HTTP``, ``fastcgi_pass``), the
``Host`` header (``$best_http_host``, i.e. the client's, unless ``upstream-vhost`` renders a
literal), the timeouts that apply to that directive (``proxy_*_timeout`` do not apply to
``grpc_pass``: v1.9 rendered only those, so its gRPC locations ran on nginx's 60s
defaults), and the ``limit_req``/``limit_conn`` lines with the rate of their zone and the
status nginx answers when a client exceeds them (``limit_req_status``, 503 by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from ackwb.parse.nginx_directives import Directive, HttpSettings, LocationDirectives, ServerDirectives
from ackwb.parse.nginx_rewrite import RequestState

DEFAULT_TIMEOUT = "60s"  # nginx's default for every proxy_* and grpc_* timeout
DEFAULT_LIMIT_STATUS = 503


@dataclass(frozen=True)
class RateLimit:
    kind: str  # "requests" (limit_req) or "connections" (limit_conn)
    zone: str
    rate: str | None  # "10r/s", "600r/m" from the zone line; None when the zone line was not read
    burst: int | None  # limit_req burst, or the connection limit for limit_conn
    status: int
    directive: Directive
    zone_line: Directive | None
    status_line: Directive | None


@dataclass(frozen=True)
class PassTarget:
    directive: Directive
    protocol: str  # http, https, grpc, grpcs, fastcgi
    target: str  # what follows the scheme: upstream_balancer, or a variable such as $target


def rate_limits(
    location: LocationDirectives, server: ServerDirectives | None, http: HttpSettings | None
) -> tuple[RateLimit, ...]:
    """The location's ``limit_req``/``limit_conn`` (the server's when it has none of a kind)."""
    http = http or HttpSettings()
    out = []
    for name, kind in (("limit_req", "requests"), ("limit_conn", "connections")):
        lines = [d for d in location.limits if d.name == name]
        if not lines and server is not None:
            lines = [d for d in server.limits if d.name == name]
        status_name = f"{name}_status"
        status_line = next(
            (
                d
                for level in (location.limits, server.limits if server else ())
                for d in reversed(level)
                if d.name == status_name
            ),
            http.limit_req_status if name == "limit_req" else http.limit_conn_status,
        )
        status = (
            int(status_line.args[0])
            if status_line and status_line.args[:1] and status_line.args[0].isdigit()
            else DEFAULT_LIMIT_STATUS
        )
        for d in lines:
            if name == "limit_req":
                values = dict(a.split("=", 1) for a in d.args if "=" in a)
                zone, burst = values.get("zone", ""), values.get("burst")
            else:
                zone, burst = (d.args[0] if d.args else ""), (d.args[1] if len(d.args) > 1 else None)
            zone_line = http.zone(zone)
            rate = (
                next((a.split("=", 1)[1] for a in zone_line.args if a.startswith("rate=")), None)
                if zone_line
                else None
            )
            number = int(burst) if burst is not None and burst.isdigit() else None
            out.append(RateLimit(kind, zone, rate, number, status, d, zone_line, status_line))
    return tuple(out)


def pass_target(location: LocationDirectives, scheme: str) -> PassTarget | None:
    d = location.pass_directive
    if d is None or not d.args:
        return None
    if d.name == "fastcgi_pass":
        return PassTarget(d, "fastcgi", d.args[0])
    value = d.args[0]
    protocol, sep, rest = value.partition("://")
    if not sep:
        return PassTarget(d, "grpc" if d.name == "grpc_pass" else "http", value)
    if protocol == "$scheme":
        protocol = "grpcs" if d.name == "grpc_pass" and scheme == "https" else scheme
        protocol = "grpc" if d.name == "grpc_pass" and scheme == "http" else protocol
    return PassTarget(d, protocol, rest)


def host_header(location: LocationDirectives, state: RequestState) -> tuple[str, Directive | None]:
    """The Host header sent upstream and the line that sets it (nginx sends ``$proxy_host``,
    the pass target, when no line sets it)."""
    line = location.header("Host")
    if line is None or len(line.args) < 2:
        target = location.pass_directive.args[0].partition("://")[2] if location.pass_directive else ""
        return target or state.host_header, None
    value = state.expand(line.args[1])
    return (value if value is not None else line.args[1]), line


def timeouts(location: LocationDirectives, pass_name: str) -> tuple[tuple[str, str, Directive | None], ...]:
    """(connect|send|read, value, line) for the pass directive in use; nginx's default when unset."""
    prefix = "grpc" if pass_name == "grpc_pass" else "proxy"
    out = []
    for what in ("connect", "send", "read"):
        line = next((d for d in reversed(location.timeouts) if d.name == f"{prefix}_{what}_timeout"), None)
        out.append((what, line.args[0] if line and line.args else DEFAULT_TIMEOUT, line))
    return tuple(out)
