"""Run nginx's rewrite module (``set``, ``if``, ``return``, ``rewrite``, ``break``) on one request.

ingress-nginx renders its redirects and rewrites as plain rewrite-module directives:
``permanent-redirect`` / ``temporal-redirect`` → ``return 301|302 URL``, ``app-root`` → a
server-level ``if ($uri = /) { return 302 …; }``, ``rewrite-target`` → ``rewrite
"(?i)PATH" TARGET break;``, CORS → ``if`` blocks around ``set $cors …`` and ``return 204``,
a denied location → ``return 503``. nginx runs these in config order during the rewrite
phases, before any Lua and before access checks, so they decide first. This module runs
them the way nginx does, on a request's variables, and says which directive decided and
what the URI became; it does no I/O.

Variables: the request's (``$scheme``, ``$host``, ``$http_host``, ``$request_uri``, ``$uri``,
``$args``, ``$is_args``, ``$request_method``, ``$remote_addr``, ``$server_port``,
``$http_NAME``, ``$cookie_NAME``, ``$arg_NAME``), regex captures ``$1``…``$9``, and whatever
``set`` assigned. A condition or value naming a variable this module cannot know (a TLS
client certificate field, a file test) is *undecided*: it is skipped and listed, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ackwb.parse.nginx_directives import Directive

REDIRECT_CODES = (301, 302, 303, 307, 308)
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_PCRE_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_SCHEMES = ("http://", "https://", "$scheme")


@lru_cache(maxsize=256)
def pcre(pattern: str, caseless: bool = False) -> re.Pattern[str] | None:
    """A Python regex for an nginx (PCRE) pattern, None when Python cannot read it."""
    try:
        return re.compile(_PCRE_NAMED_GROUP.sub("(?P<", pattern), re.IGNORECASE if caseless else 0)
    except re.error:
        return None


@dataclass
class RequestState:
    """The request as the rewrite module sees it; ``uri``/``args`` change as rewrites apply."""

    scheme: str
    host_header: str
    uri: str
    args: str
    method: str = "GET"
    remote_addr: str | None = None
    server_port: int = 80
    headers: Mapping[str, str] = field(default_factory=dict)
    request_uri: str = ""  # as the client sent it; "" = uri and args as given
    variables: dict[str, str | None] = field(default_factory=dict)
    captures: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        host = self.host_header.lower()
        if host.startswith("["):
            return host[: host.find("]") + 1]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def header(self, name: str) -> str | None:
        wanted = name.lower().replace("_", "-")
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def cookies(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in (self.header("cookie") or "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                found.setdefault(name.strip(), value.strip())
        return found

    def value(self, name: str) -> str | None:
        """A variable's value; None when it cannot be known here."""
        if name in self.variables:
            return self.variables[name]
        if name.isdigit():
            index = int(name) - 1
            return self.captures[index] if 0 <= index < len(self.captures) else ""
        args = "?" + self.args if self.args else ""
        fixed = {
            "scheme": self.scheme,
            "host": self.host,
            "http_host": self.host_header,
            "request_uri": self.request_uri or self.uri + args,
            "uri": self.uri,
            "document_uri": self.uri,
            "args": self.args,
            "query_string": self.args,
            "is_args": "?" if self.args else "",
            "request_method": self.method,
            "remote_addr": self.remote_addr,
            "server_port": str(self.server_port),
            "literal_dollar": "$",
        }
        if name in fixed:
            return fixed[name]
        if name.startswith("http_"):
            return self.header(name[5:]) or ""
        if name.startswith("cookie_"):
            return self.cookies().get(name[7:], "")
        if name.startswith("arg_"):
            pairs = (p.partition("=") for p in self.args.split("&") if p)
            return next((v for k, _, v in pairs if k == name[4:]), "")
        return None

    def expand(self, text: str) -> str | None:
        """``text`` with its variables replaced; None when one cannot be known."""
        unknown = False

        def one(m: re.Match[str]) -> str:
            nonlocal unknown
            value = self.value(m.group(1) or m.group(2))
            if value is None:
                unknown = True
                return ""
            return value

        out = _VARIABLE.sub(one, text)
        return None if unknown else out


@dataclass(frozen=True)
class Answer:
    """nginx answers the request itself: a status, and the Location of a redirect."""

    status: int
    location: str | None
    body: str | None
    directive: Directive


@dataclass
class RewriteResult:
    answer: Answer | None = None
    restart: bool = False  # a ``rewrite … last``: nginx searches the location again
    stopped: bool = False  # ``break`` (or ``rewrite … break``): the rest of the rewrite module is skipped
    rewrites: list[tuple[Directive, str, str]] = field(default_factory=list)  # (rewrite, old URI, new URI)
    undecided: list[Directive] = field(default_factory=list)


def _condition(args: Sequence[str], state: RequestState) -> bool | None:
    words = [a for a in args if a]
    if words:
        words[0] = words[0].removeprefix("(")
        words[-1] = words[-1].removesuffix(")")
    words = [w for w in words if w]
    if not words or words[0].startswith(("-", "!-")):
        return None  # file tests need the controller's filesystem
    left = state.expand(words[0])
    if left is None:
        return None
    if len(words) == 1:
        return left not in ("", "0")
    if len(words) != 3:
        return None
    op, right = words[1], words[2]
    if op in ("=", "!="):
        value = state.expand(right)
        return None if value is None else (left == value) == (op == "=")
    if op in ("~", "~*", "!~", "!~*"):
        regex = pcre(right, op.endswith("*"))
        if regex is None:
            return None
        found = regex.search(left)
        if found and not op.startswith("!"):
            state.captures = tuple(g or "" for g in found.groups())
        return bool(found) != op.startswith("!")
    return None


def absolute(url: str, state: RequestState) -> str:
    """A redirect target as nginx sends it: relative ones get the request's scheme and host
    (ingress-nginx renders ``port_in_redirect off``)."""
    if url.startswith(("http://", "https://")) or not url.startswith("/"):
        return url
    return f"{state.scheme}://{state.host}{url}"


def _return(d: Directive, state: RequestState) -> Answer | RewriteResult:
    args = d.args
    if len(args) == 1 and args[0].startswith(_SCHEMES):
        target = state.expand(args[0])
        return RewriteResult(undecided=[d]) if target is None else Answer(302, target, None, d)
    if not args or not args[0].isdigit():
        return RewriteResult(undecided=[d])
    status = int(args[0])
    text = state.expand(args[1]) if len(args) > 1 else None
    if len(args) > 1 and text is None:
        return RewriteResult(undecided=[d])
    if status in REDIRECT_CODES and text is not None:
        return Answer(status, absolute(text, state), None, d)
    return Answer(status, None, text, d)


def _rewrite(d: Directive, state: RequestState, result: RewriteResult) -> bool:
    """Apply one ``rewrite``; True when it ends the rewrite module's run."""
    if len(d.args) < 2:
        result.undecided.append(d)
        return False
    pattern, replacement = d.args[0], d.args[1]
    flag = d.args[2] if len(d.args) > 2 else ""
    regex = pcre(pattern)
    if regex is None:
        result.undecided.append(d)
        return False
    found = regex.search(state.uri)
    if not found:
        return False
    state.captures = tuple(g or "" for g in found.groups())
    new = state.expand(replacement)
    if new is None:
        result.undecided.append(d)
        return False
    if replacement.startswith(_SCHEMES) or flag in ("redirect", "permanent"):
        status = 301 if flag == "permanent" else 302
        target = (
            new if new.endswith("?") else new + ("?" + state.args if state.args and "?" not in new else "")
        )
        result.answer = Answer(status, absolute(target.removesuffix("?"), state), None, d)
        return True
    old = state.uri
    path, has_query, query = new.partition("?")
    if has_query:
        keep = "" if new.endswith("?") or not state.args else state.args
        state.args = "&".join(a for a in (query, keep) if a)
    state.uri = path
    result.rewrites.append((d, old, path))
    if flag == "last":
        result.restart = result.stopped = True
        return True
    if flag == "break":
        result.stopped = True
        return True
    return False


def _set_targets(directives: Sequence[Directive]) -> set[str]:
    found = set()
    for d in directives:
        if d.name == "set" and d.args and d.args[0].startswith("$"):
            found.add(d.args[0][1:])
        found |= _set_targets(d.block or ())
    return found


def run_rewrite_module(directives: Sequence[Directive], state: RequestState) -> RewriteResult:
    """Run ``directives`` (a server's or a location's rewrite-module directives, in order).
    A variable some ``set`` assigns is empty until it runs, as in nginx."""
    for name in _set_targets(directives):
        state.variables.setdefault(name, "")
    result = RewriteResult()
    for d in directives:
        if d.name == "set" and len(d.args) == 2 and d.args[0].startswith("$"):
            state.variables[d.args[0][1:]] = state.expand(d.args[1])
        elif d.name == "break":
            result.stopped = True
            return result
        elif d.name == "return":
            answer = _return(d, state)
            if isinstance(answer, RewriteResult):
                result.undecided.extend(answer.undecided)
                continue
            result.answer = answer
            return result
        elif d.name == "rewrite":
            if _rewrite(d, state, result):
                return result
        elif d.name == "if":
            decided = _condition(d.args, state)
            if decided is None:
                result.undecided.append(d)
            elif decided:
                inner = run_rewrite_module(d.block or (), state)
                result.rewrites.extend(inner.rewrites)
                result.undecided.extend(inner.undecided)
                if inner.answer or inner.stopped:
                    inner.rewrites, inner.undecided = result.rewrites, result.undecided
                    return inner
    return result
