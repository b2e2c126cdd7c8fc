"""Which server block and which location of a rendered nginx.conf answer a request, by nginx's rules.

Server selection (nginx ``server_name``): an exact name wins; then the longest wildcard
starting with ``*`` (or ``.example.com``, which also matches ``example.com``); then the
longest wildcard ending with ``*``; then the first regular expression (``~…``) in config
order; otherwise the default server of the port (``listen … default_server``: in
ingress-nginx the catch-all ``_`` server, whose ``location /`` hands the request to
``upstream-default-backend``). Host names compare case-insensitively, without a port or a
trailing dot. Location selection is ``nginx_conf.match_location`` on the full parse of the
chosen block.

``ingress_path_type`` tells, from a block's locations, which Ingress ``pathType`` produced a
location: Prefix ``/foo`` renders ``location /foo/`` plus ``location = /foo`` (both with
``$location_path "/foo"``), Exact ``location = /foo``, ImplementationSpecific the path as
written; once any Ingress of the host uses regex every location is ``~*`` and the type is
no longer visible. An Exact and a Prefix path of the same value and backend render the same
locations as the Prefix path alone; that pair reads as Prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from ackwb.errors import InputError, ParseError
from ackwb.parse.nginx_conf import Location, ServerBlock, match_location
from ackwb.parse.nginx_index import IndexedServer, NginxIndex

_PCRE_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


@dataclass(frozen=True)
class ServerChoice:
    server: IndexedServer
    how: str  # exact, wildcard, regex or default
    name: str  # the server_name that matched ("" for the default server)


@dataclass(frozen=True)
class Route:
    host: str
    path: str
    choice: ServerChoice
    block: ServerBlock
    location: Location | None  # None: no location matches (nginx answers 404)


def _host(request_host: str) -> str:
    host = request_host.strip().lower()
    if host.startswith("["):  # [IPv6]:port
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _regex(name: str, server: IndexedServer, source: str) -> re.Pattern[str]:
    try:
        return re.compile(_PCRE_NAMED_GROUP.sub("(?P<", name[1:]), re.IGNORECASE)
    except re.error as err:
        raise ParseError(
            source, f"server_name regex {name!r} cannot be evaluated: {err}", server.line
        ) from None


def select_server(index: NginxIndex, request_host: str) -> ServerChoice:
    """The server block nginx picks for the ``Host`` header ``request_host``."""
    host = _host(request_host)
    if not host:
        raise InputError(f"request host {request_host!r} is empty")
    leading: tuple[int, ServerChoice] | None = None
    trailing: tuple[int, ServerChoice] | None = None
    for server in index.servers:
        for name in server.server_names:
            lowered = name.lower()
            if lowered == host:
                return ServerChoice(server, "exact", name)
            if lowered.startswith(("*.", ".")):
                suffix = lowered[1:]  # ".example.com"
                hit = host.endswith(suffix) or (lowered.startswith(".") and host == suffix[1:])
                if hit and (leading is None or len(suffix) > leading[0]):
                    leading = (len(suffix), ServerChoice(server, "wildcard", name))
            elif lowered.endswith(".*"):
                prefix = lowered[:-1]
                if host.startswith(prefix) and (trailing is None or len(prefix) > trailing[0]):
                    trailing = (len(prefix), ServerChoice(server, "wildcard", name))
    for found in (leading, trailing):
        if found is not None:
            return found[1]
    for server in index.servers:
        for name in server.server_names:
            if name.startswith("~") and _regex(name, server, index.source).search(host):
                return ServerChoice(server, "regex", name)
    default = next((s for s in index.servers if s.default_server), index.servers[0])
    return ServerChoice(default, "default", "")


def route(index: NginxIndex, request_host: str, request_path: str) -> Route:
    """The server block and location serving ``request_host`` + ``request_path``."""
    choice = select_server(index, request_host)
    block = index.block(choice.server.host)
    return Route(_host(request_host), request_path, choice, block, match_location(block, request_path))


class _Located(Protocol):
    modifier: str
    path: str
    location_path: str | None
    upstream_name: str | None


def ingress_path_type(locations: tuple[_Located, ...] | list[_Located], location: _Located) -> str | None:
    """Prefix, Exact, ImplementationSpecific, "regex" (``~*``: the type is no longer visible),
    or None for a location no Ingress path rendered (no ``$location_path``)."""
    original = location.location_path
    if original is None:
        return None
    if location.modifier in ("~", "~*"):
        return "regex"
    if location.modifier == "=":
        companion = original.rstrip("/") + "/"
        twin = any(  # the Prefix location this exact one was copied from: same path, same backend
            o.modifier == ""
            and o.path == companion
            and o.location_path == original
            and o.upstream_name == location.upstream_name
            for o in locations
        )
        return "Prefix" if twin else "Exact"
    if location.modifier == "" and (location.path == original + "/" or location.path == original == "/"):
        return "Prefix"
    return "ImplementationSpecific"
