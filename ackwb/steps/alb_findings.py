"""Findings about one ALB rule match: no rule matched, an empty or unhealthy server group,
a redirect loop.

- ``ALB_NO_RULE_MATCHES`` (warning): no forwarding rule takes the request, so the listener's
  default action answers it (often another application's server group, or a 404 page).
- ``ALB_RULE_DEPENDS_ON_CLIENT`` (info): a rule tried earlier matches only some source addresses.
- ``ALB_NO_WEIGHT`` (error): the chosen forward action gives every server group weight 0.
- ``ALB_GROUP_EMPTY`` (error): a server group that receives requests holds no server.
- ``ALB_GROUP_UNHEALTHY`` (error): none of its servers carries requests (every one is Unhealthy,
  Unused or has weight 0, as ``GetListenerHealthStatus`` and ``ListServerGroupServers`` say).
- ``ALB_SERVERS_UNHEALTHY`` (warning): some of its servers do not carry requests.
- ``ALB_REDIRECT_LOOP`` (error): following the redirects the rules answer comes back to a rule
  already taken, on the same ALB.

A group whose servers were not read is skipped, never reported as empty. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from ackwb.errors import InputError
from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.alb_groups import NO_TRAFFIC, AlbServer, GroupHealth
from ackwb.parse.alb_rules import AlbListener, AlbRule
from ackwb.steps.alb_rules import AlbMatch, AlbRequest, match_rule

HOP = "alb"
SERVERS = "alb:ListServerGroupServers"


def no_rule_findings(match: AlbMatch, hop: str = HOP) -> list[Finding]:
    """``ALB_NO_RULE_MATCHES`` when the default action answered; ``ALB_RULE_DEPENDS_ON_CLIENT``
    for each earlier rule whose SourceIp condition could not be decided."""
    found = []
    listener = match.listener
    if match.default:
        tried = "; ".join(f"{t.rule.label}: {t.reason}" for t in match.tried) or "the listener has no rules"
        found.append(Finding(
            "ALB_NO_RULE_MATCHES", Severity.WARNING, hop,
            f"No forwarding rule of listener {listener.listener_id} ({listener.protocol}:{listener.port}) "
            f"matches {match.request.url}, so the listener's default action answers: "
            f"{match.sentence().split(', which ', 1)[-1]}. Rules tried: {tried}.",
            match.evidence,
        ))  # fmt: skip
    for tried_rule in match.depends:
        rule = tried_rule.rule
        found.append(Finding(
            "ALB_RULE_DEPENDS_ON_CLIENT", Severity.INFO, hop,
            f"Rule {rule.label} would take {match.request.url} for some clients only: {tried_rule.reason}. "
            "Give the client's address to decide.",
            (Evidence("alb:ListRules", f"{rule.locator} {rule.rule_id}", rule.json()),),
        ))  # fmt: skip
    return found


def _carrying(servers: Sequence[AlbServer], health: GroupHealth | None) -> list[tuple[AlbServer, str]]:
    """Each server with its state: Normal, or the abnormal state the health status lists."""
    return [(s, health.state_of(s) if health is not None else "Normal") for s in servers]


def group_findings(
    match: AlbMatch,
    servers: Mapping[str, Sequence[AlbServer]],
    health: Mapping[str, GroupHealth],
    hop: str = HOP,
) -> list[Finding]:
    """Findings about the server groups the matched action forwards to.

    ``servers``: server group ID → its servers (``ListServerGroupServers``); a group missing
    from it was not read and is skipped. ``health``: server group ID → its health
    (``GetListenerHealthStatus``); without it every server counts as normal."""
    if match.kind != "forward":
        return []
    found: list[Finding] = []
    who = match.taker
    if match.outcome.forward and all(f.share == 0 for f in match.outcome.forward):
        text = f"{who} forwards with weight 0 to every server group: no group receives requests."
        found.append(Finding("ALB_NO_WEIGHT", Severity.ERROR, hop, text, match.evidence))
    for share in match.outcome.forward:
        group = share.server_group_id
        if share.share == 0 or group not in servers:
            continue
        members = servers[group]
        evidence = tuple(
            Evidence(SERVERS, f"{group} {s.locator}", f"{s.ip}:{s.port} weight {s.weight} {s.status}")
            for s in members
        )
        if not members:
            text = (
                f"{who} sends {share.share:.0%} of requests to server group {group}, which holds no server."
            )
            empty = (Evidence(SERVERS, group, "Servers: []"),)
            found.append(Finding("ALB_GROUP_EMPTY", Severity.ERROR, hop, text, match.evidence + empty))
            continue
        states = _carrying(members, health.get(group))
        idle = [(s, st if s.weight else "weight 0") for s, st in states if st in NO_TRAFFIC or not s.weight]
        listing = ", ".join(f"{s.ip}:{s.port} {st}" for s, st in idle)
        if len(idle) == len(members):
            found.append(Finding("ALB_GROUP_UNHEALTHY", Severity.ERROR, hop,
                                 f"{who} sends {share.share:.0%} of requests to server group {group}, "
                                 f"but none of its servers carries requests: {listing}.",
                                 evidence))  # fmt: skip
        elif idle:
            found.append(Finding("ALB_SERVERS_UNHEALTHY", Severity.WARNING, hop,
                                 f"In server group {group}, {len(idle)} of {len(members)} servers carry no "
                                 f"requests: {listing}; the others take them.",
                                 evidence))  # fmt: skip
    return found


def _listener_for(
    listeners: Sequence[tuple[AlbListener, Sequence[AlbRule]]], request: AlbRequest
) -> tuple[AlbListener, Sequence[AlbRule]] | None:
    return next(((lst, rules) for lst, rules in listeners
                 if lst.port == request.port and lst.scheme == request.scheme), None)  # fmt: skip


def redirect_loop(
    listeners: Sequence[tuple[AlbListener, Sequence[AlbRule]]],
    request: AlbRequest,
    hosts: Collection[str] | None = None,
    max_hops: int = 10,
    hop: str = HOP,
    matcher: Callable[[AlbListener, Sequence[AlbRule], AlbRequest], AlbMatch] = match_rule,
) -> Finding | None:
    """``ALB_REDIRECT_LOOP`` when following the redirects from ``request`` takes a rule twice.

    ``listeners``: each listener of the ALB with its rules. A redirect leaves the ALB when its
    host is not in ``hosts`` (default: the request's own host) or no listener has its port and
    scheme; then there is no loop."""
    reach = {h.lower() for h in hosts} if hosts is not None else {request.bare_host}
    seen: list[AlbMatch] = []
    taken: set[tuple[str, str]] = set()
    current = request
    for _ in range(max_hops):
        found = _listener_for(listeners, current)
        if found is None or current.bare_host not in reach:
            return None
        match = matcher(found[0], found[1], current)
        if match.kind != "redirect" or not match.outcome.location:
            return None
        key = (match.listener.listener_id, match.identity[0])
        if key in taken:
            chain = " → ".join(f"{m.request.url} ({m.taker.removeprefix('rule ')})" for m in seen)
            evidence = tuple(e for m in seen for e in m.evidence)
            text = f"The redirects never end: {chain} → {match.request.url}, which takes {match.taker} again."
            return Finding("ALB_REDIRECT_LOOP", Severity.ERROR, hop, text, evidence)
        taken.add(key)
        seen.append(match)
        try:
            current = AlbRequest.from_url(
                match.outcome.location, current.method, current.headers, current.client_ip
            )
        except InputError:
            return None
    return None
