"""The request an ALB listener sees, and the ``${…}`` placeholders its actions fill from it.

ALB conditions read the Host header (its port dropped), the path, the query string, the
method, headers, cookies and the client's source address. Redirect and Rewrite actions build
a new URL from the request: ``${protocol}``, ``${host}``, ``${port}``, ``${path}`` and
``${query}`` stand for the request's own values, and ``${1}`` to ``${3}`` for the groups a
``~`` regular-expression condition captured (ALB documentation, "Configure domain name- and URL
path-based forwarding rules"; ``RedirectConfig`` / ``RewriteConfig`` in alibabacloud_alb20200616).
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

from ackwb.errors import InputError

DEFAULT_PORTS = {"http": 80, "https": 443}
_PLACEHOLDER = re.compile(r"\$\{(protocol|host|port|path|query|[1-9])\}")


@dataclass(frozen=True)
class AlbRequest:
    """One request as an ALB listener receives it. ``client_ip=None``: not given (conditions on the
    source address then depend on who sends it)."""

    host: str
    path: str = "/"
    query: str = ""  # without the "?"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    client_ip: str | None = None
    scheme: str = "http"
    port: int = 80

    @classmethod
    def from_url(cls, url: str, method: str = "GET", headers: tuple[tuple[str, str], ...] = (),
                 client_ip: str | None = None) -> AlbRequest:  # fmt: skip
        """``http://host[:port]/path?query`` as a request."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise InputError(f"{url!r} is not an http:// or https:// URL with a host")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as error:
            raise InputError(f"{url!r}: {error}") from None
        return cls(parts.hostname, parts.path or "/", parts.query, method.upper(), headers, client_ip,
                   parts.scheme, port)  # fmt: skip

    @property
    def bare_host(self) -> str:
        """The Host header without a port, lower case."""
        host = self.host.strip().lower()
        if host.startswith("["):
            return host.split("]")[0] + "]"
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def cookies(self) -> list[tuple[str, str]]:
        found = []
        for line in self.header_values("cookie"):
            for part in line.split(";"):
                key, sep, value = part.strip().partition("=")
                if sep:
                    found.append((key.strip(), value.strip()))
        return found

    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    @property
    def url(self) -> str:
        return location(self.scheme, self.bare_host, self.port, self.path, self.query)

    def moved(self, scheme: str, host: str, port: int, path: str, query: str) -> AlbRequest:
        return replace(self, scheme=scheme, host=host, port=port, path=path, query=query)


def location(scheme: str, host: str, port: int, path: str, query: str) -> str:
    """A URL, without the port when it is the scheme's own."""
    shown_port = "" if DEFAULT_PORTS.get(scheme) == port else f":{port}"
    return f"{scheme}://{host}{shown_port}{path or '/'}{'?' + query if query else ''}"


def fill(template: str, request: AlbRequest, groups: tuple[str, ...] = ()) -> str:
    """``template`` with every ``${…}`` placeholder replaced from the request (unknown groups: "")."""
    values: Mapping[str, str] = {
        "protocol": request.scheme, "host": request.bare_host, "port": str(request.port),
        "path": request.path, "query": request.query,
    }  # fmt: skip

    def one(found: re.Match[str]) -> str:
        name = found.group(1)
        if name.isdigit():
            index = int(name) - 1
            return groups[index] if index < len(groups) else ""
        return values[name]

    return _PLACEHOLDER.sub(one, template)
