"""Index every host of a whole ingress-nginx ``nginx.conf``, fast, and parse one block on demand.

A controller serving thousands of Ingress hosts renders a config of tens of megabytes; a full
parse (crossplane, or ``nginx_syntax``) costs seconds to minutes. The ingress step needs two
things: for one host, its exact server block (``NginxIndex.block`` → ``nginx_conf.ServerBlock``,
a full parse of just that block), and for a report, every host → location → Ingress, Service,
port, upstream (``NginxIndex.servers``). The index reads the template's own structure in one
pass over the text: the ``## start server HOST`` / ``## end server HOST`` markers the
controller writes around every server (also used by ``kubectl ingress-nginx conf --host``),
and inside them the lines ``server_name``, ``listen``, ``location … {``, ``internal;`` and the
``set $namespace|$ingress_name|$service_name|$service_port|$location_path|
$proxy_upstream_name|$ssl_redirect|$force_ssl_redirect "…";`` lines (``ssl_redirect = true``
inside ``lua_ingress.rewrite({...})`` up to v1.11). ``set`` lines before a server's first
location belong to the server (``set $proxy_upstream_name "-";``) and are not a location's.

It trusts the rendered layout (one directive per line, no nested locations); a
configuration snippet that breaks it is seen exactly by ``block(host)``. Markers that do not
pair up are errors; a config cut short is reported as truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ackwb.errors import ParseError
from ackwb.parse.common import ParseWarning
from ackwb.parse.nginx_conf import ServerBlock, parse_server_block

_FIELDS = {
    "namespace": 0,
    "ingress_name": 1,
    "service_name": 2,
    "service_port": 3,
    "location_path": 4,
    "proxy_upstream_name": 5,
    "ssl_redirect": 6,
    "force_ssl_redirect": 7,
}
_SETS = "|".join(_FIELDS)
_SCAN = re.compile(
    r"\n[ \t]*(?=[#lsif])(?:"  # the lookahead skips most lines at their first character
    r"## (start|end) server (\S+)[ \t]*(?=\r?\n|$)"  # 1, 2: a marker
    r"|location[ \t]+([^{\n]*?)[ \t]*\{"  # 3: location arguments
    rf'|set[ \t]+\$({_SETS})[ \t]+"((?:[^"\\\n]|\\.)*)"[ \t]*;'  # 4, 5: set $name "value";
    r"|server_name[ \t]+([^;\n]*);"  # 6
    r"|listen[ \t]+([^;\n]*);"  # 7
    r"|(internal)[ \t]*;"  # 8
    r"|(force_ssl_redirect|ssl_redirect)[ \t]*=[ \t]*(true|false)\b"  # 9, 10: in lua_ingress.rewrite({...})
    r")"
)
_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def words(text: str) -> list[str]:
    """nginx arguments of one directive, quotes removed (``\\"`` escapes kept simple)."""
    if '"' not in text:
        return text.split()
    return [
        double.replace('\\"', '"') if double is not None and quoted else bare
        for quoted, double, bare in (
            (m.group(1) is not None, m.group(1), m.group(2)) for m in _WORD.finditer(text)
        )
    ]


@dataclass(frozen=True)
class IndexedLocation:
    modifier: str  # "", "=", "~", "~*", "^~", "@"
    path: str
    namespace: str | None
    ingress_name: str | None
    service_name: str | None
    service_port: str | None
    location_path: str | None
    upstream_name: str | None
    ssl_redirect: str | None
    force_ssl_redirect: str | None
    internal: bool
    line: int


@dataclass(frozen=True)
class IndexedServer:
    host: str  # as written in the markers
    server_names: tuple[str, ...]
    listens: tuple[str, ...]
    locations: tuple[IndexedLocation, ...]
    line: int  # the start marker
    end_line: int
    start: int  # character offsets of the start marker line and of the end marker's end
    end: int

    @property
    def default_server(self) -> bool:
        return any("default_server" in listen.split() for listen in self.listens)

    @property
    def tls(self) -> bool:
        return any("ssl" in listen.split()[1:] for listen in self.listens)


def _split_location(args: str) -> tuple[str, str]:
    parts = words(args)
    if len(parts) == 2 and parts[0] in ("=", "~", "~*", "^~"):
        return parts[0], parts[1]
    if len(parts) == 1:
        for modifier in ("=", "~*", "~", "@"):
            if parts[0].startswith(modifier) and len(parts[0]) > len(modifier):
                return modifier, parts[0][len(modifier) :]
        return "", parts[0]
    return "?", args  # not a location nginx accepts; block() says why


class NginxIndex:
    """Every host of one nginx.conf: ``servers`` in config order, lookups by marker host."""

    def __init__(self, text: str, servers: list[IndexedServer], warnings: list[ParseWarning], source: str):
        self.text = text
        self.servers = tuple(servers)
        self.warnings = tuple(warnings)
        self.source = source

    @cached_property
    def _by_host(self) -> dict[str, IndexedServer]:
        found: dict[str, IndexedServer] = {}
        for server in self.servers:
            found.setdefault(server.host, server)
        return found

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(s.host for s in self.servers)

    def server(self, host: str) -> IndexedServer | None:
        """The server whose markers name ``host`` (no server_name matching: see ``nginx_routing``)."""
        return self._by_host.get(host)

    def block(self, host: str) -> ServerBlock:
        """The full parse of ``host``'s server block (raises ``ParseError`` when it is broken)."""
        server = self.server(host)
        if server is None:
            raise ParseError(
                self.source, f"the server block of host {host!r} was not found (no '## start server {host}')"
            )
        return parse_server_block(
            self.text[server.start : server.end], host, self.source, first_line=server.line
        )

    def routes(self) -> list[tuple[str, IndexedLocation]]:
        """(host, location) for every location of every host, in config order."""
        return [(s.host, loc) for s in self.servers for loc in s.locations]


def index_nginx_conf(text: str | bytes, source: str = "nginx.conf") -> NginxIndex:
    """Index every ``## start server`` … ``## end server`` block of a rendered nginx.conf
    (also an ``nginx -T`` dump, whose ``# configuration file …:`` lines are comments)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not text.strip():
        raise ParseError(source, "empty input: no nginx.conf")
    scan = text if text.startswith("\n") else "\n" + text
    shift = 0 if scan is text else 1  # offsets in scan are one past those in text
    servers: list[IndexedServer] = []
    warnings: list[ParseWarning] = []
    line, last = 1 - shift, 0  # line number of scan position `last`
    current: dict | None = None
    location: list | None = None
    seen: set[str] = set()
    for m in _SCAN.finditer(scan):
        group = m.lastindex
        if group == 5:  # set $name "value": the most frequent line, and needs no line number
            if location is not None:
                name, value = m.group(4, 5)
                location[2][_FIELDS[name]] = value
            continue
        line += scan.count("\n", last, m.start() + 1)
        last = m.start() + 1
        if group == 2:
            kind, host = m.group(1), m.group(2)
            if kind == "start":
                if current is not None:
                    raise ParseError(
                        source,
                        f"'## start server {host}' inside the block of {current['host']!r} "
                        f"(opened at line {current['line']}): its '## end server' is missing",
                        line,
                    )
                current = {
                    "host": host,
                    "line": line,
                    "start": m.start() + 1 - shift,
                    "names": [],
                    "listens": [],
                    "locations": [],
                }
                location = None
                continue
            if current is None or current["host"] != host:
                what = (
                    f"inside the block of {current['host']!r}"
                    if current
                    else "without a matching start marker"
                )
                raise ParseError(source, f"'## end server {host}' {what}", line)
            _close_location(current, location)
            if host in seen:
                message = f"host {host!r} has a second server block; lookups use the first"
                warnings.append(ParseWarning(message, current["line"]))
            seen.add(host)
            servers.append(
                IndexedServer(
                    host,
                    tuple(current["names"]),
                    tuple(current["listens"]),
                    tuple(current["locations"]),
                    current["line"],
                    line,
                    current["start"],
                    m.end() - shift,
                )
            )
            current = location = None
        elif current is None:
            continue  # outside the host servers: the http block, internal servers, stream
        elif group == 3:
            _close_location(current, location)
            modifier, path = _split_location(m.group(3))
            location = [modifier, path, [None] * 8, False, line]
        elif group == 6:
            current["names"] += words(m.group(6))
        elif group == 7:
            current["listens"].append(" ".join(words(m.group(7))))
        elif group == 8:
            if location is not None:
                location[3] = True
        elif location is not None and location[2][_FIELDS[m.group(9)]] is None:
            location[2][_FIELDS[m.group(9)]] = m.group(10)
    if current is not None:
        raise ParseError(
            source,
            f"truncated: '## start server {current['host']}' (line {current['line']}) has no "
            "'## end server' before the end of the input",
            current["line"],
        )
    if not servers:
        raise ParseError(source, "no '## start server HOST' marker: this is not an ingress-nginx nginx.conf")
    return NginxIndex(text, servers, warnings, source)


def _close_location(server: dict, location: list | None) -> None:
    if location is None:
        return
    modifier, path, values, internal, line = location
    for i, value in enumerate(values):
        if value is not None and "\\" in value:
            values[i] = value.replace('\\"', '"')
    if values[4] is not None:
        values[4] = values[4].replace("${literal_dollar}", "$")
    server["locations"].append(IndexedLocation(modifier, path, *values, internal, line))


def find_server_block(text: str, host: str, source: str = "nginx.conf") -> ServerBlock:
    """The parsed server block of ``host`` without indexing the rest: find its markers, parse it."""
    return parse_server_block(text, host, source)
