"""Gateway API hostname rules and namespace label selectors.

From kubernetes-sigs/gateway-api ``apis/v1`` (HTTPRouteSpec.Hostnames, Listener.Hostname):
a hostname may start with a wildcard label ``*.``, which is a suffix match that needs at least
one more label (``*.example.com`` matches ``test.example.com`` and ``foo.test.example.com``,
never ``example.com``). A route attaches to a listener only when their hostnames intersect (a
side that names none matches all); route hostnames that do not match the listener's are
ignored. Among listeners that differ only by hostname, a request goes to the most specific
match, the listener without a hostname last. Among routes, precedence goes to the one whose
matching hostname has the most non-wildcard characters, then the most characters. Hostnames
ignore case, and a port in the Host header is ignored. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable


def bare_host(host: str) -> str:
    """The Host header without its port, lower case."""
    host = host.strip().lower()
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_matches(pattern: str, host: str) -> bool:
    """``host`` (which may itself be a ``*.`` name) falls under ``pattern``."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        return host.endswith(suffix) and len(host) > len(suffix) and host != suffix.lstrip(".")
    return pattern == host


def intersect(listener: str | None, route: Iterable[str]) -> tuple[str, ...] | None:
    """The hostnames a route has on a listener: () means any host; None means no intersection."""
    names = tuple(h.lower() for h in route)
    if listener is None:
        return names
    if not names:
        return (listener.lower(),)
    found: list[str] = []
    for name in names:
        if host_matches(listener, name):
            found.append(name)
        elif host_matches(name, listener):
            found.append(listener.lower())
    return tuple(dict.fromkeys(found)) or None


def specificity(pattern: str | None, host: str) -> tuple[int, int] | None:
    """(non-wildcard characters, characters) of ``pattern`` when it matches ``host``; None when it
    does not. A missing pattern (a listener or route without hostnames) matches with (0, 0)."""
    if pattern is None:
        return (0, 0)
    if not host_matches(pattern, host):
        return None
    return (0 if pattern.startswith("*.") else len(pattern), len(pattern))


def best_hostname(patterns: Iterable[str], host: str) -> tuple[tuple[int, int], str | None] | None:
    """The most specific of ``patterns`` matching ``host`` (no patterns: any host, (0, 0))."""
    listed = tuple(patterns)
    if not listed:
        return (0, 0), None
    scored = [(s, p) for p in listed if (s := specificity(p, host)) is not None]
    return max(scored, default=None)
