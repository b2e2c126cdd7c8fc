"""What an ALB forwarding rule's actions do with a request it matched.

Actions run in ascending ``Order``, and each rule ends in exactly one of ForwardGroup,
Redirect or FixedResponse (ALB documentation, "Manage forwarding rules for a listener";
``CreateRule``'s limits). Before it, Rewrite changes the host, path and query the backends
receive; InsertHeader, RemoveHeader, TrafficMirror, TrafficLimit and Cors change the request
or its handling but not where it goes, and are listed as notes. ForwardGroup splits requests
over up to five server groups by ``Weight`` (0–100; each group's share is its weight over the
sum). Redirect answers with ``HttpCode`` (301, 302, 303, 307 or 308) and a Location built
from ``Protocol``, ``Host``, ``Port``, ``Path`` and ``Query``, each ``${…}`` by default.
FixedResponse answers ``HttpCode`` with ``Content``. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ackwb.parse.alb_rules import AlbAction
from ackwb.steps.alb_request import AlbRequest, fill, location

NOTED = {
    "InsertHeader": "inserts the header {Key}: {Value}",
    "RemoveHeader": "removes the header {Key}",
    "TrafficMirror": "mirrors a copy of each request to another server group",
    "TrafficLimit": "limits requests (QPS {QPS}, per client IP {PerIpQps})",
    "Cors": "answers CORS preflight requests itself",
}


@dataclass(frozen=True)
class ForwardShare:
    """One server group a forward action sends requests to, with its share of them (0 to 1)."""

    server_group_id: str
    weight: int
    share: float


@dataclass(frozen=True)
class ActionOutcome:
    kind: str  # forward, redirect, fixed, none (no terminal action)
    forward: tuple[ForwardShare, ...] = ()
    sticky: bool = False
    status: int | None = None
    location: str | None = None
    body: str | None = None
    content_type: str = ""
    upstream: AlbRequest | None = None
    notes: tuple[str, ...] = ()


def shares(action: AlbAction) -> tuple[tuple[ForwardShare, ...], list[str]]:
    """Each group's share of the requests, and notes on weights the answer left out."""
    notes: list[str] = []
    tuples = action.groups
    if tuples and all(t.weight is None for t in tuples):  # listener default actions carry no weight
        weights = [1] * len(tuples)
    else:
        weights = [t.weight or 0 for t in tuples]
        missing = [t.server_group_id for t in tuples if t.weight is None]
        if missing:
            notes.append(f"no Weight returned for {', '.join(missing)}: taken as 0")
    total = sum(weights)
    found = tuple(
        ForwardShare(t.server_group_id, w if t.weight is not None else 0, (w / total) if total else 0.0)
        for t, w in zip(tuples, weights, strict=True)
    )
    return found, notes


def _redirect(action: AlbAction, request: AlbRequest, groups: tuple[str, ...]) -> tuple[int | None, str]:
    protocol = action.get("Protocol", "${protocol}")
    scheme = request.scheme if protocol == "${protocol}" else protocol.lower()
    host = fill(action.get("Host", "${host}"), request, groups)
    port_text = action.get("Port", "${port}")
    # ${port} keeps the request's port even when the scheme changes: ALB's HTTP→HTTPS example
    # sets Port to the HTTPS listener's port explicitly
    port = int(port_text) if port_text.isdigit() else request.port
    path = fill(action.get("Path", "${path}"), request, groups)
    query = fill(action.get("Query", "${query}"), request, groups)
    code = action.get("HttpCode")
    return (int(code) if code.isdigit() else None), location(scheme, host, port, path, query)


def _rewrite(action: AlbAction, request: AlbRequest, groups: tuple[str, ...]) -> AlbRequest:
    host = fill(action.get("Host", "${host}"), request, groups)
    path = fill(action.get("Path", "${path}"), request, groups)
    query = fill(action.get("Query", "${query}"), request, groups)
    return request.moved(request.scheme, host, request.port, path, query)


def _note(action: AlbAction) -> str:
    template = NOTED.get(action.type, f"runs the action {action.type}")
    values = {key: action.get(key, "?") for key in ("Key", "Value", "QPS", "PerIpQps")}
    return template.format(**values)


def run_actions(
    actions: Sequence[AlbAction], request: AlbRequest, groups: tuple[str, ...] = ()
) -> ActionOutcome:
    """Run ``actions`` (already in ``Order``) on ``request``; ``groups`` are the regex captures."""
    notes: list[str] = []
    upstream = request
    for action in actions:
        if action.type == "Rewrite":
            upstream = _rewrite(action, upstream, groups)
            notes.append(f"rewrites the request to {upstream.bare_host}{upstream.path}"
                         f"{'?' + upstream.query if upstream.query else ''}")  # fmt: skip
        elif action.type == "ForwardGroup":
            found, weight_notes = shares(action)
            return ActionOutcome("forward", found, action.sticky, upstream=upstream,
                                 notes=tuple(notes + weight_notes))  # fmt: skip
        elif action.type == "Redirect":
            status, target = _redirect(action, request, groups)
            return ActionOutcome("redirect", status=status, location=target, notes=tuple(notes))
        elif action.type == "FixedResponse":
            code = action.get("HttpCode")
            return ActionOutcome("fixed", status=int(code) if code.isdigit() else None,
                                 body=action.get("Content"), content_type=action.get("ContentType"),
                                 notes=tuple(notes))  # fmt: skip
        else:
            notes.append(_note(action))
    return ActionOutcome("none", upstream=upstream, notes=tuple(notes))
