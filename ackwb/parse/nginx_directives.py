"""Read what a rendered ingress-nginx server block does to a request before it proxies it.

``nginx_conf`` answers "which location, which Ingress, which backend". The request
evaluator (``ackwb.steps.nginx_request``) also needs what nginx does on the way: the
rewrite-module directives (``set``, ``if``, ``return``, ``rewrite``) in config order, the
access rules (``allow``/``deny``, ``satisfy``), the authentication gates (``auth_basic``,
``auth_request`` or the Lua external-auth capture of ``auth-keepalive``), the rate limits,
the pass directive (``proxy_pass``/``grpc_pass``/``fastcgi_pass``), the headers and
timeouts sent upstream, the error pages, and the server-level ``listen … proxy_protocol``
and ``real_ip`` settings. Each is kept as a ``Directive`` with its line number and raw
line, so every conclusion can name its evidence.

``read_http_settings`` reads the few ``http``-level lines that change a request's fate
(``real_ip_header``, ``set_real_ip_from``, ``limit_req_status``, the ``limit_*_zone``
rates, block-cidrs ``deny`` lines, global custom errors, the Lua ``http_redirect_code``)
from the text before the first server marker, one directive per line as the template
writes them, so a 100 MB config costs one scan of its head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ackwb.errors import ParseError
from ackwb.parse.nginx_conf import Location, ServerBlock, parse_server_block
from ackwb.parse.nginx_index import words
from ackwb.parse.nginx_syntax import Statement, parse_nginx

REWRITE_MODULE = ("set", "if", "return", "rewrite", "break")
PASSES = ("proxy_pass", "grpc_pass", "fastcgi_pass")
TIMEOUTS = tuple(
    f"{kind}_{what}_timeout" for kind in ("proxy", "grpc") for what in ("connect", "send", "read")
)
_DENIED = re.compile(r"#\s*Location denied\. Reason:\s*(.*)$")
_SNIPPET = re.compile(r"#\s*Custom code snippet configured (for host \S+|in the configuration configmap)")
_AUTH_CAPTURE = re.compile(r"ngx\.location\.capture\(\s*'([^']+)'")


@dataclass(frozen=True)
class Directive:
    """One directive: unquoted ``args``, its line number and the raw line (stripped);
    ``block`` holds the directives of an ``if (…) { … }``."""

    name: str
    args: tuple[str, ...]
    line: int
    raw: str
    block: tuple[Directive, ...] | None = None


@dataclass(frozen=True)
class LocationDirectives:
    """What one location does before and while it proxies; ``line`` joins it to ``nginx_conf.Location``."""

    line: int
    modifier: str
    path: str
    internal: bool
    rewrite_phase: tuple[Directive, ...]  # set / if / return / rewrite / break, in config order
    access: tuple[Directive, ...]  # allow / deny, in order
    satisfy: Directive | None
    auth_basic: Directive | None
    auth_basic_user_file: Directive | None
    auth_request: Directive | None  # auth_request, or the Lua external-auth line (auth-keepalive)
    auth_path: str | None  # the internal location the auth subrequest goes to
    limits: tuple[Directive, ...]  # limit_req / limit_conn / limit_req_status / limit_conn_status
    pass_directive: Directive | None
    upstream_headers: tuple[Directive, ...]  # proxy_set_header / grpc_set_header
    timeouts: tuple[Directive, ...]
    error_pages: tuple[Directive, ...]
    intercept_errors: Directive | None
    denied_reason: str | None  # "# Location denied. Reason: …" above ``return 503``
    snippets: tuple[Directive, ...]  # "# Custom code snippet configured …" comment lines (name "#")
    # ssl_redirect, force_ssl_redirect, …: ``set`` lines (v1.12+) or the Lua table's lines
    ssl_settings: tuple[Directive, ...]
    balancer_rewrite: Directive | None  # the Lua rewrite line (``rewrite_by_lua_*``): ssl-redirect, 503

    def header(self, name: str) -> Directive | None:
        """The last ``proxy_set_header``/``grpc_set_header`` for ``name`` (case-insensitive)."""
        found = [d for d in self.upstream_headers if d.args and d.args[0].lower() == name.lower()]
        return found[-1] if found else None


@dataclass(frozen=True)
class ServerDirectives:
    """The server-level directives of one host and the directives of each of its locations."""

    block: ServerBlock
    listens: tuple[Directive, ...]
    rewrite_phase: tuple[Directive, ...]  # server-level set / if / return / rewrite (app-root, auth-tls)
    access: tuple[Directive, ...]
    real_ip: tuple[Directive, ...]  # real_ip_header / set_real_ip_from / real_ip_recursive
    limits: tuple[Directive, ...]
    error_pages: tuple[Directive, ...]
    intercept_errors: Directive | None
    snippets: tuple[Directive, ...]
    locations: tuple[LocationDirectives, ...]

    @property
    def proxy_protocol(self) -> bool:
        return any("proxy_protocol" in d.args for d in self.listens)

    def of(self, location: Location) -> LocationDirectives:
        """The directives of ``location`` (a location of ``block``)."""
        for directives in self.locations:
            if directives.line == location.line:
                return directives
        raise ParseError(self.block.source, f"no location at line {location.line}", location.line)

    def auth_target(self, auth_path: str) -> Directive | None:
        """The URL line of the internal auth location: ``set $target "…"`` or its ``proxy_pass``."""
        for directives in self.locations:
            if directives.modifier == "=" and directives.path == auth_path:
                sets = [d for d in directives.rewrite_phase if d.name == "set" and d.args[:1] == ("$target",)]
                return sets[-1] if sets else directives.pass_directive
        return None


@dataclass(frozen=True)
class HttpSettings:
    """``http``-level lines that decide a request's fate; empty when the text has none."""

    real_ip_header: Directive | None = None
    set_real_ip_from: tuple[Directive, ...] = ()
    real_ip_recursive: bool = False
    limit_req_status: Directive | None = None
    limit_conn_status: Directive | None = None
    zones: tuple[Directive, ...] = ()  # limit_req_zone / limit_conn_zone
    access: tuple[Directive, ...] = ()  # block-cidrs: deny lines
    error_pages: tuple[Directive, ...] = ()
    intercept_errors: Directive | None = None
    redirect_code: int = 308  # the Lua config's http_redirect_code (http-redirect-code)
    redirect_code_line: Directive | None = None

    def zone(self, name: str) -> Directive | None:
        return next((z for z in self.zones if any(a.startswith(f"zone={name}:") for a in z.args)), None)


def _directive(statement: Statement, lines: list[str], first_line: int) -> Directive:
    index = statement.line - first_line
    raw = lines[index].strip() if 0 <= index < len(lines) else ""
    block = None
    if statement.block is not None:
        block = tuple(_directive(s, lines, first_line) for s in statement.block)
    return Directive(statement.directive, statement.args, statement.line, raw, block)


def _comments(
    lines: list[str], first_line: int, start: int, end: int, pattern: re.Pattern[str]
) -> list[Directive]:
    found = []
    for number in range(start, end + 1):
        raw = lines[number - first_line].strip()
        if pattern.search(raw):
            found.append(Directive("#", (), number, raw))
    return found


_SSL_SETTINGS = ("force_ssl_redirect", "ssl_redirect", "force_no_ssl_redirect", "preserve_trailing_slash",
                 "use_port_in_redirects")  # fmt: skip
_LUA_SETTING = re.compile(rf"^\s*({'|'.join(_SSL_SETTINGS)})\s*=\s*(true|false)\b")


def _ssl_settings(inner: list[Directive], lines: list[str], first_line: int) -> tuple[Directive, ...]:
    """v1.12+: ``set $ssl_redirect "true";`` lines; up to v1.11: the lines of the table passed
    to ``lua_ingress.rewrite({...})`` (as directives named after the setting)."""
    sets = [d for d in inner if d.name == "set" and len(d.args) == 2 and d.args[0][1:] in _SSL_SETTINGS]
    if sets:
        return tuple(Directive(d.args[0][1:], (d.args[1],), d.line, d.raw) for d in sets)
    lua = next((d for d in inner if d.name == "rewrite_by_lua_block"), None)
    if lua is None or not lua.args:
        return ()
    found = []
    for offset, text in enumerate(lua.args[-1].split("\n")):
        m = _LUA_SETTING.match(text)
        if m:
            found.append(
                Directive(
                    m.group(1),
                    (m.group(2),),
                    lua.line + offset,
                    lines[lua.line + offset - first_line].strip(),
                )
            )
    return tuple(found)


def _last_line(statement: Statement) -> int:
    if not statement.block:
        return statement.line
    return max(statement.line, *(_last_line(s) for s in statement.block))


def _auth_path(statement: Directive) -> str | None:
    if statement.name == "auth_request" and statement.args and statement.args[0] != "off":
        return statement.args[0]
    if statement.name == "access_by_lua_block" and statement.args:
        found = _AUTH_CAPTURE.search(statement.args[-1])
        return found.group(1) if found else None
    return None


def _read_location(
    statement: Statement, location: Location, lines: list[str], first_line: int, end: int
) -> LocationDirectives:
    inner = [_directive(s, lines, first_line) for s in statement.block or ()]
    named: dict[str, list[Directive]] = {}
    for d in inner:
        named.setdefault(d.name, []).append(d)

    def last(name: str) -> Directive | None:
        return named[name][-1] if name in named else None

    auth_request, auth_path = None, None
    for d in inner:
        path = _auth_path(d)
        if path is not None:
            auth_request, auth_path = d, path
        elif d.name == "set" and d.args[:1] == ("$auth_path",) and len(d.args) == 2:
            auth_path = d.args[1]  # v1.12+: set $auth_path '…'; access_by_lua_file …external_auth.lua
            auth_request = last("access_by_lua_file") or d
    denied = None
    for d in named.get("return", []):
        above = lines[d.line - first_line - 1].strip() if d.line - first_line >= 1 else ""
        found = _DENIED.search(above)
        if found:
            denied = found.group(1).strip().strip('"')
    return LocationDirectives(
        line=location.line,
        modifier=location.modifier,
        path=location.path,
        internal=location.internal,
        rewrite_phase=tuple(d for d in inner if d.name in REWRITE_MODULE),
        access=tuple(d for d in inner if d.name in ("allow", "deny")),
        satisfy=last("satisfy"),
        auth_basic=last("auth_basic"),
        auth_basic_user_file=last("auth_basic_user_file"),
        auth_request=auth_request,
        auth_path=auth_path,
        limits=tuple(d for d in inner if d.name.startswith(("limit_req", "limit_conn"))),
        pass_directive=next((d for d in reversed(inner) if d.name in PASSES), None),
        upstream_headers=tuple(d for d in inner if d.name in ("proxy_set_header", "grpc_set_header")),
        timeouts=tuple(d for d in inner if d.name in TIMEOUTS),
        error_pages=tuple(named.get("error_page", ())),
        intercept_errors=last("proxy_intercept_errors"),
        denied_reason=denied,
        snippets=tuple(_comments(lines, first_line, statement.line, end, _SNIPPET)),
        ssl_settings=_ssl_settings(inner, lines, first_line),
        balancer_rewrite=next((d for d in inner if d.name.startswith("rewrite_by_lua")), None),
    )


def read_server_directives(
    text: str, host: str | None = None, source: str = "nginx.conf", first_line: int = 1
) -> ServerDirectives:
    """The directives of ``host``'s server block (the first block when None); same input and
    errors as ``nginx_conf.parse_server_block``, whose result is ``ServerDirectives.block``."""
    block = parse_server_block(text, host, source, first_line)
    lines = text.split("\n")
    start, end = block.line - first_line + 1, block.end_line - first_line
    statements = parse_nginx("\n".join(lines[start:end]), source, first_line=block.line + 1)
    server = next(s for s in statements if s.directive == "server")
    by_line = {location.line: location for location in block.locations}
    body = [s for s in server.block or () if s.directive != "location"]
    directives = [_directive(s, lines, first_line) for s in body]
    located = [s for s in server.block or () if s.directive == "location"]
    locations = []
    for i, statement in enumerate(located):
        last = _last_line(statement)
        ends = located[i + 1].line - 1 if i + 1 < len(located) else block.end_line
        locations.append(
            _read_location(statement, by_line[statement.line], lines, first_line, min(ends, last + 1))
        )
    server_end = _last_line(server)

    def pick(*names: str) -> tuple[Directive, ...]:
        return tuple(d for d in directives if d.name in names)

    intercept = pick("proxy_intercept_errors")
    return ServerDirectives(
        block=block,
        listens=pick("listen"),
        rewrite_phase=pick(*REWRITE_MODULE),
        access=pick("allow", "deny"),
        real_ip=pick("real_ip_header", "set_real_ip_from", "real_ip_recursive"),
        limits=tuple(d for d in directives if d.name.startswith(("limit_req", "limit_conn"))),
        error_pages=pick("error_page"),
        intercept_errors=intercept[-1] if intercept else None,
        snippets=tuple(
            d
            for d in _comments(lines, first_line, block.line, server_end, _SNIPPET)
            if d.line not in {s.line for loc in locations for s in loc.snippets}
        ),
        locations=tuple(locations),
    )


_HTTP_LINE = re.compile(
    r"^[ \t]*(real_ip_header|set_real_ip_from|real_ip_recursive|limit_req_status|limit_conn_status"
    r"|limit_req_zone|limit_conn_zone|deny|allow|error_page|proxy_intercept_errors)[ \t]+([^;\n]*);",
    re.MULTILINE,
)
_REDIRECT_CODE = re.compile(r"http_redirect_code\s*=\s*(\d{3})")
_FIRST_SERVER = re.compile(r"^[ \t]*## start server ", re.MULTILINE)


def read_http_settings(text: str, source: str = "nginx.conf") -> HttpSettings:
    """The ``http``-level settings written before the first ``## start server`` marker."""
    first = _FIRST_SERVER.search(text)
    head = text[: first.start()] if first else text
    found: dict[str, list[Directive]] = {}
    for m in _HTTP_LINE.finditer(head):
        line = head.count("\n", 0, m.start()) + 1
        raw = m.group(0).strip()
        found.setdefault(m.group(1), []).append(Directive(m.group(1), tuple(words(m.group(2))), line, raw))
    code = _REDIRECT_CODE.search(head)
    code_line = None
    if code:
        number = head.count("\n", 0, code.start()) + 1
        code_line = Directive("http_redirect_code", (code.group(1),), number, code.group(0))

    def last(name: str) -> Directive | None:
        return found[name][-1] if name in found else None

    recursive = last("real_ip_recursive")
    return HttpSettings(
        real_ip_header=last("real_ip_header"),
        set_real_ip_from=tuple(found.get("set_real_ip_from", ())),
        real_ip_recursive=recursive is not None and recursive.args == ("on",),
        limit_req_status=last("limit_req_status"),
        limit_conn_status=last("limit_conn_status"),
        zones=tuple(found.get("limit_req_zone", []) + found.get("limit_conn_zone", [])),
        access=tuple(sorted(found.get("deny", []) + found.get("allow", []), key=lambda d: d.line)),
        error_pages=tuple(found.get("error_page", ())),
        intercept_errors=last("proxy_intercept_errors"),
        redirect_code=int(code.group(1)) if code else 308,
        redirect_code_line=code_line,
    )
