"""Which backends a location's requests reach once ingress-nginx canaries are taken into account.

A canary Ingress renders no location of its own: its backend is marked ``noServer`` and
listed in the main backend's ``alternativeBackends``, with a ``trafficShapingPolicy``. So
only the dynamic backends show that part of a host's traffic goes elsewhere. The Lua
balancer (``balancer.lua``, ``route_to_alternative_balancer``) decides per request:

1. No balancer for the main backend (no endpoints): 503, canary or not.
2. Only the first alternative backend is considered, and only when it has a balancer
   (endpoints) and a traffic-shaping policy.
3. The header ``trafficShapingPolicy.header`` present: with ``headerValue``, equal → canary;
   with ``headerPattern``, a regex match → canary; otherwise ``always`` → canary and
   ``never`` → main. Any other value falls through.
4. The cookie ``trafficShapingPolicy.cookie``: ``always`` → canary, ``never`` → main.
5. Otherwise canary with probability weight / weightTotal (weightTotal is 100 unless the
   policy sets more than 100).

(Session-affinity cookies pinning a client to one side are not modelled.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ackwb.parse.backends import Backend, find_backend

_PCRE_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


@dataclass(frozen=True)
class TrafficTarget:
    name: str  # the backend name
    backend: Backend | None  # None when the backends list does not have it
    share: float  # fraction of the requests considered that go here
    reason: str  # a sentence a newcomer understands
    canary: bool


def _has_balancer(backend: Backend | None) -> bool:
    return backend is not None and bool(backend.endpoints)


def _weight(backend: Backend) -> tuple[int, int]:
    policy = backend.traffic_shaping
    weight = policy.weight if policy else 0
    total = policy.weight_total if policy and policy.weight_total > 100 else 100
    return max(0, min(weight, total)), total


def _canary(backends: Sequence[Backend], main: Backend) -> tuple[str | None, Backend | None, str]:
    """(first alternative's name, the backend if it can take traffic, why not otherwise)."""
    if not main.alternative_backends:
        return None, None, ""
    name = main.alternative_backends[0]
    canary = find_backend(backends, name)
    if canary is None:
        return name, None, f"canary backend {name!r} is not in the backends list"
    if not _has_balancer(canary):
        return name, None, f"canary backend {name!r} has no endpoints, so the balancer never picks it"
    if canary.traffic_shaping is None:
        return (
            name,
            None,
            f"canary backend {name!r} has no trafficShapingPolicy, so the balancer never picks it",
        )
    return name, canary, ""


def traffic_split(backends: Sequence[Backend], name: str) -> tuple[TrafficTarget, ...]:
    """Where requests for backend ``name`` go when they carry no canary header or cookie."""
    main = find_backend(backends, name)
    if main is None:
        return (
            TrafficTarget(
                name, None, 1.0, f"backend {name!r} is not in the backends list: nginx answers 503", False
            ),
        )
    if not _has_balancer(main):
        return (
            TrafficTarget(name, main, 1.0, f"backend {name!r} has no endpoints: nginx answers 503", False),
        )
    alt_name, canary, why = _canary(backends, main)
    if canary is None:
        note = f"; {why}" if why else ""
        return (TrafficTarget(name, main, 1.0, f"every request goes to {name!r}{note}", False),)
    weight, total = _weight(canary)
    share = weight / total
    return (
        TrafficTarget(
            name, main, 1.0 - share, f"the rest ({total - weight}/{total}) goes to the main backend", False
        ),
        TrafficTarget(alt_name or "", canary, share, f"canary weight {weight}/{total}", True),
    )


def route_request(
    backends: Sequence[Backend],
    name: str,
    headers: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
) -> tuple[TrafficTarget, ...]:
    """Where one request with these headers and cookies goes (one target with share 1, or the
    weighted split when neither the header nor the cookie decides)."""
    main = find_backend(backends, name)
    alt_name, canary, _ = _canary(backends, main) if _has_balancer(main) else (None, None, "")
    if main is None or canary is None or canary.traffic_shaping is None:
        return traffic_split(backends, name)
    policy = canary.traffic_shaping
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    value = lowered.get(policy.header.lower()) if policy.header else None

    def to_canary(reason: str) -> tuple[TrafficTarget, ...]:
        return (TrafficTarget(alt_name or "", canary, 1.0, reason, True),)

    def to_main(reason: str) -> tuple[TrafficTarget, ...]:
        return (TrafficTarget(name, main, 1.0, reason, False),)

    if value is not None:
        if policy.header_value:
            if value == policy.header_value:
                return to_canary(f"header {policy.header}: {value} equals canary-by-header-value")
        elif policy.header_pattern:
            try:
                pattern = re.compile(_PCRE_NAMED_GROUP.sub("(?P<", policy.header_pattern))
            except re.error:
                return to_main(
                    f"canary-by-header-pattern {policy.header_pattern!r} is not a valid regex: the "
                    "balancer keeps the main backend"
                )
            if pattern.search(value):
                return to_canary(f"header {policy.header}: {value} matches {policy.header_pattern!r}")
        elif value == "always":
            return to_canary(f"header {policy.header}: always")
        elif value == "never":
            return to_main(f"header {policy.header}: never")
    cookie = (cookies or {}).get(policy.cookie) if policy.cookie else None
    if cookie == "always":
        return to_canary(f"cookie {policy.cookie}=always")
    if cookie == "never":
        return to_main(f"cookie {policy.cookie}=never")
    return traffic_split(backends, name)


def location_targets(upstream_name: str | None, backends: Sequence[Backend]) -> tuple[TrafficTarget, ...]:
    """The split for a location's ``$proxy_upstream_name`` (``Location.upstream_name``)."""
    if not upstream_name:
        return ()
    return traffic_split(backends, upstream_name)
