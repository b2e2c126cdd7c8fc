"""Read one rendered ingress-nginx server block and pick the location a request uses.

The ingress step needs to say which ``location`` of a host's ``server`` block a request
path lands in, and from that location the Ingress, Service and port it stands for
(``set $namespace "..."`` and friends) and the dynamic-backend name it hands to the Lua
balancer (``set $proxy_upstream_name "..."``), which is the join key to
``ackwb.parse.backends``.

The input is the text between ``## start server HOST`` and ``## end server HOST``
(markers included), or a whole ``nginx.conf`` in which the markers are searched. All
template generations are read: inline ``*_by_lua_block`` (up to v1.11, where the
ssl-redirect settings live in ``lua_ingress.rewrite({...})``), ``*_by_lua_file`` with
plain ``set $ssl_redirect "..."`` lines (v1.12+), and quoted ``location`` /
``server_name`` arguments (v1.15+).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ackwb.errors import InputError, ParseError
from ackwb.parse.nginx_syntax import IncompleteInput, Statement, parse_nginx

MODIFIERS = ("", "=", "~", "~*", "^~", "@")  # "@" marks a named location (never matched by a URI)
_ANY_START = re.compile(r"^[ \t]*## start server (\S+)[ \t]*\r?$", re.MULTILINE)
_LUA_SETTING = {
    name: re.compile(rf"(?<![\w.]){name}\s*=\s*(true|false)\b")
    for name in ("ssl_redirect", "force_ssl_redirect")
}
_PCRE_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


@dataclass(frozen=True)
class Location:
    """One ``location`` of the server block and the Ingress it was rendered from.

    The Ingress fields are the values of the location's ``set`` lines (None when the line
    is absent, "" when set to ""). ``location_path`` is the Ingress path as written
    (``${literal_dollar}`` turned back into ``$``). ``variables`` keeps every ``set``
    of the location in order, values unquoted.
    """

    modifier: str
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
    variables: tuple[tuple[str, str], ...]
    line: int
    raw: str

    @property
    def is_regex(self) -> bool:
        return self.modifier in ("~", "~*")


@dataclass(frozen=True)
class ServerBlock:
    """The ``server`` of one host; ``line``/``end_line`` are those of its two markers."""

    host: str
    server_names: tuple[str, ...]
    listens: tuple[str, ...]
    tls: bool
    locations: tuple[Location, ...]
    line: int
    end_line: int
    source: str


def _marker(kind: str, host: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*## {kind} server {re.escape(host)}[ \t]*\r?$", re.MULTILINE)


def _find_marker(text: str, kind: str, host: str | None, pos: int = 0) -> re.Match[str] | None:
    """The first marker line at or after ``pos``: a plain substring search (fast on a
    100 MB config), then the line is checked to be the whole marker."""
    needle = f"## {kind} server " + (host or "")
    pattern = _ANY_START if host is None else _marker(kind, host)
    at = text.find(needle, pos)
    while at >= 0:
        line_start = text.rfind("\n", 0, at) + 1
        found = pattern.match(text, line_start)
        if found is not None:
            return found
        at = text.find(needle, at + 1)
    return None


def parse_server_block(
    text: str, host: str | None = None, source: str = "nginx.conf", first_line: int = 1
) -> ServerBlock:
    """Parse the server block of ``host`` (the first block in ``text`` when None);
    ``first_line`` is the line number of the first line of ``text`` (for a slice of a file)."""
    start = _find_marker(text, "start", host)
    if start is None:
        if host is None:
            what = "empty input" if not text.strip() else "no '## start server HOST' marker"
            raise ParseError(source, f"{what}: this is not a rendered ingress-nginx server block")
        empty = "empty input: " if not text.strip() else ""
        message = f"the server block of host {host!r} was not found (no '## start server {host}')"
        raise ParseError(source, empty + message)
    host = start.group(1) if host is None else host
    start_line = text.count("\n", 0, start.start()) + first_line
    end = _find_marker(text, "end", host, start.end())
    if end is None:
        raise ParseError(
            source, f"truncated: '## start server {host}' has no matching '## end server {host}'", start_line
        )
    end_line = text.count("\n", 0, end.start()) + first_line
    body = text[start.end() : end.start()]  # begins with the newline that ends the start marker
    try:
        statements = parse_nginx(body, source, first_line=start_line)
    except IncompleteInput as err:
        where = (
            f"opened at line {err.opened_line} is not closed before '## end server {host}' (line {end_line})"
        )
        message = f"{err.what} {where}"
        raise ParseError(source, message, err.opened_line) from None
    server = _the_server(statements, host, source, start_line)
    lines = body.split("\n")
    return _read_server(server, host, source, start_line, end_line, lines)


def _the_server(statements: tuple[Statement, ...], host: str, source: str, start_line: int) -> Statement:
    servers = []
    for statement in statements:
        if statement.directive != "server" or statement.block is None or statement.args:
            raise ParseError(
                source,
                f"unexpected '{statement.directive}' between the markers of {host!r}: "
                "expected only one 'server { ... }' block",
                statement.line,
            )
        servers.append(statement)
    if len(servers) != 1:
        found = "no 'server { ... }' block" if not servers else f"{len(servers)} 'server' blocks"
        raise ParseError(source, f"{found} between the markers of {host!r}", start_line)
    return servers[0]


def _read_server(
    server: Statement, host: str, source: str, start_line: int, end_line: int, lines: list[str]
) -> ServerBlock:
    names: list[str] = []
    listens: list[str] = []
    locations: list[Location] = []
    ssl_on = False
    for statement in server.block or ():
        if statement.directive == "server_name":
            names.extend(statement.args)
        elif statement.directive == "listen":
            if not statement.args:
                raise ParseError(source, "'listen' has no address", statement.line)
            listens.append(" ".join(statement.args))
        elif statement.directive == "ssl" and statement.args == ("on",):
            ssl_on = True
        elif statement.directive == "location":
            raw = lines[statement.line - start_line].strip()
            locations.append(_read_location(statement, source, raw))
    tls = ssl_on or any("ssl" in listen.split()[1:] for listen in listens)
    return ServerBlock(
        host, tuple(names), tuple(listens), tls, tuple(locations), start_line, end_line, source
    )


def _split_location_args(args: tuple[str, ...], source: str, line: int) -> tuple[str, str]:
    if len(args) == 2:
        modifier, path = args
        if modifier not in ("=", "~", "~*", "^~"):
            raise ParseError(source, f"invalid location modifier {modifier!r}", line)
    elif len(args) == 1:
        word = args[0]
        for modifier in ("=", "~*", "~", "@"):  # nginx also accepts these glued to the path
            if word.startswith(modifier):
                path = word[len(modifier) :]
                break
        else:
            modifier, path = "", word
    else:
        raise ParseError(source, f"'location' takes 1 or 2 arguments, got {len(args)}", line)
    if not path:
        raise ParseError(source, "'location' has an empty path", line)
    return modifier, path


def _read_location(statement: Statement, source: str, raw: str) -> Location:
    line = statement.line
    modifier, path = _split_location_args(statement.args, source, line)
    if statement.block is None:
        raise ParseError(source, f"'location {path}' has no block", line)
    variables: list[tuple[str, str]] = []
    internal = False
    lua_settings: dict[str, str] = {}
    for inner in statement.block:
        if inner.directive == "set":
            if len(inner.args) != 2 or not inner.args[0].startswith("$"):
                raise ParseError(source, "'set' takes a $variable and a value", inner.line)
            variables.append((inner.args[0][1:], inner.args[1]))
        elif inner.directive == "internal":
            internal = True
        elif inner.directive == "rewrite_by_lua_block" and inner.args:
            for name, pattern in _LUA_SETTING.items():
                found = pattern.search(inner.args[-1])
                if found:
                    lua_settings[name] = found.group(1)
    values = dict(variables)  # the last "set" of a variable wins, as at run time
    location_path = values.get("location_path")
    if location_path is not None:
        location_path = location_path.replace("${literal_dollar}", "$")
    return Location(
        modifier=modifier,
        path=path,
        namespace=values.get("namespace"),
        ingress_name=values.get("ingress_name"),
        service_name=values.get("service_name"),
        service_port=values.get("service_port"),
        location_path=location_path,
        upstream_name=values.get("proxy_upstream_name"),
        ssl_redirect=values.get("ssl_redirect", lua_settings.get("ssl_redirect")),
        force_ssl_redirect=values.get("force_ssl_redirect", lua_settings.get("force_ssl_redirect")),
        internal=internal,
        variables=tuple(variables),
        line=line,
        raw=raw,
    )


@lru_cache(maxsize=256)
def _compiled(pattern: str, caseless: bool) -> re.Pattern[str]:
    python_pattern = _PCRE_NAMED_GROUP.sub("(?P<", pattern)
    return re.compile(python_pattern, re.IGNORECASE if caseless else 0)


def match_location(block: ServerBlock, request_path: str) -> Location | None:
    """The location nginx picks for ``request_path`` (query string ignored).

    nginx's order: an exact ``=`` match wins; otherwise the longest matching prefix is
    remembered, and used at once when it is ``^~``; otherwise the first regex location
    (in config order) that matches wins (``~*`` ignores case); otherwise the
    remembered prefix. Named (``@``) locations are never matched.
    """
    path = request_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        raise InputError(f"request path {request_path!r} must start with '/'")
    longest: Location | None = None
    for location in block.locations:
        if location.modifier == "=" and location.path == path:
            return location
        is_prefix = location.modifier in ("", "^~") and path.startswith(location.path)
        if is_prefix and (longest is None or len(location.path) > len(longest.path)):
            longest = location
    if longest is not None and longest.modifier == "^~":
        return longest
    for location in block.locations:
        if location.is_regex:
            try:
                regex = _compiled(location.path, location.modifier == "~*")
            except re.error as err:
                message = f"location regex {location.path!r} cannot be evaluated: {err}"
                raise ParseError(block.source, message, location.line) from None
            if regex.search(path):
                return location
    return longest
