"""Which ALB forwarding rule a request matches, evaluated as ALB evaluates them.

ALB tries a listener's rules in ascending ``Priority`` (a smaller number first; priorities are
unique per listener) and takes the first rule whose every condition matches; it does not sort
rules by how specific their hosts or paths are (ALB documentation, "Configure domain name- and
URL path-based forwarding rules": "ALB evaluates forwarding rules sequentially according to
their priority number"). Condition blocks are ANDed and the values inside one block are ORed
(ACK documentation, "Customize forwarding rules for an ALB Ingress"). When no rule matches,
the listener's default action answers. Rules with ``Direction: Response`` act on answers and
are not tried here.

How each condition compares (``ackwb.parse.wildcard`` for ``*``, ``?`` and ``~`` patterns):
Host against the Host header without its port, case-insensitively; Path against the path
(no query), case-sensitively; Method exactly, in upper case; Header by name
(case-insensitive) and value; QueryString and Cookie by key and value pairs, compared in
lower case because ALB requires their rule values to be lower case; SourceIp by address or
CIDR. Header values compared case-insensitively is an assumption (UNCONFIRMED: the API
reference states no case rule for them). A SourceIp condition with no client address given
depends on the client: the rule is listed as undecided and the evaluation goes on as if it did
not match, so the outcome reads "depends". Pure: input is parsed records and a request.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ackwb.model import Evidence
from ackwb.parse.alb_rules import AlbCondition, AlbListener, AlbRule
from ackwb.parse.wildcard import PatternError, alb_match, glob_match
from ackwb.steps.alb_actions import ActionOutcome, ForwardShare, run_actions
from ackwb.steps.alb_request import AlbRequest

__all__ = ["AlbMatch", "AlbRequest", "ForwardShare", "Tried", "condition_matches", "match_rule"]


@dataclass(frozen=True)
class Tried:
    """A rule tried before the one chosen, and why it did not take the request."""

    rule: AlbRule
    reason: str
    depends: bool = False  # True: it matches only some clients (SourceIp without a client address)


@dataclass(frozen=True)
class AlbMatch:
    """The rule a request takes (None: the listener's default action) and what it does."""

    listener: AlbListener
    request: AlbRequest
    rule: AlbRule | None
    outcome: ActionOutcome
    tried: tuple[Tried, ...]
    evidence: tuple[Evidence, ...]

    @property
    def default(self) -> bool:
        return self.rule is None

    @property
    def kind(self) -> str:
        return self.outcome.kind

    @property
    def depends(self) -> tuple[Tried, ...]:
        return tuple(t for t in self.tried if t.depends)

    @property
    def identity(self) -> tuple[str, int | None, str]:
        """(rule ID, priority, name); the listener's ID and no priority for the default action."""
        if self.rule is None:
            return (self.listener.listener_id, None, "default action")
        return (self.rule.rule_id, self.rule.priority, self.rule.name)

    @property
    def taker(self) -> str:
        """Who answers: "rule <name> (priority N)" or "the default action"."""
        return "the default action" if self.rule is None else f"rule {self.rule.label}"

    def sentence(self) -> str:
        who = "the listener's default action" if self.rule is None else f"rule {self.rule.label}"
        o = self.outcome
        if o.kind == "forward":
            groups = ", ".join(f"{f.server_group_id} ({f.share:.0%})" for f in o.forward) or "no server group"
            what = f"forwards to {groups}"
        elif o.kind == "redirect":
            what = f"redirects with {o.status or 'a redirect'} to {o.location}"
        elif o.kind == "fixed":
            what = f"answers {o.status} itself ({o.body!r})"
        else:
            what = "has no forward, redirect or fixed-response action"
        return f"{self.request.url} takes {who}, which {what}"


def _source_ip(values: Sequence[str], client: str | None) -> bool | None:
    if client is None:
        return None
    try:
        address = ipaddress.ip_address(client)
        return any(address in ipaddress.ip_network(v.strip(), strict=False) for v in values)
    except ValueError:
        return False


def condition_matches(condition: AlbCondition, request: AlbRequest) -> tuple[bool | None, tuple[str, ...]]:
    """(True, regex groups) when the condition holds, (False, ()) when not, (None, ()) when it
    depends on the client's address, which the request does not name."""
    kind, values = condition.type, condition.values
    candidates: list[tuple[str, str, bool]] = []  # (pattern, text, case-insensitive)
    if kind == "Host":
        candidates = [(v, request.bare_host, True) for v in values]
    elif kind == "Path":
        candidates = [(v, request.path, False) for v in values]
    elif kind == "Method":
        return request.method.upper() in {v.upper() for v in values}, ()
    elif kind == "SourceIp":
        return _source_ip(values, request.client_ip), ()
    elif kind == "Header":
        candidates = [(v, h, True) for h in request.header_values(condition.key) for v in values]
    elif kind in ("QueryString", "Cookie"):
        have = request.query_pairs() if kind == "QueryString" else request.cookies()
        for key, value in condition.pairs:
            for name, text in have:
                if (not key or glob_match(key, name, True)) and glob_match(value, text, True):
                    return True, ()
        return False, ()
    else:  # ResponseHeader, ResponseStatusCode: about answers, never true for a request
        return False, ()
    for pattern, text, fold in candidates:
        try:
            found = alb_match(pattern, text, fold)
        except PatternError:
            continue
        if found.matched:
            return True, found.groups
    return False, ()


def _why_not(condition: AlbCondition, request: AlbRequest) -> str:
    have = {
        "Host": request.bare_host, "Path": request.path, "Method": request.method,
        "Header": ", ".join(request.header_values(condition.key)) or "absent",
        "QueryString": request.query or "empty",
        "Cookie": "; ".join(f"{k}={v}" for k, v in request.cookies()) or "none",
    }.get(condition.type, "")  # fmt: skip
    return (
        f"{condition.describe()} does not match {have}" if have else f"{condition.describe()} does not match"
    )


def _evaluate(rule: AlbRule, request: AlbRequest) -> tuple[bool | None, str, tuple[str, ...]]:
    groups: tuple[str, ...] = ()
    undecided = ""
    for condition in rule.conditions:
        holds, captured = condition_matches(condition, request)
        if holds is False:
            return False, _why_not(condition, request), ()
        if holds is None:
            undecided = f"{condition.describe()} decides, and no client address was given"
        groups = captured or groups
    return (None, undecided, groups) if undecided else (True, "", groups)


def match_rule(listener: AlbListener, rules: Sequence[AlbRule], request: AlbRequest) -> AlbMatch:
    """The rule of ``listener`` that ``request`` matches, and what its actions do."""
    own = [
        r for r in rules if r.direction.lower() != "response" and r.listener_id in ("", listener.listener_id)
    ]
    ordered = sorted(enumerate(own), key=lambda item: (item[1].priority, item[0]))
    tried: list[Tried] = []
    for _, rule in ordered:
        holds, reason, groups = _evaluate(rule, request)
        if holds:
            evidence = (Evidence("alb:ListRules", f"{rule.locator} {rule.rule_id}", rule.json()),)
            return AlbMatch(listener, request, rule, run_actions(rule.actions, request, groups),
                            tuple(tried), evidence)  # fmt: skip
        tried.append(Tried(rule, reason, depends=holds is None))
    defaults = listener.raw.get("DefaultActions")
    evidence = (Evidence("alb:ListListeners", f"{listener.locator}.DefaultActions {listener.listener_id}",
                         json.dumps(defaults, ensure_ascii=False, sort_keys=True)),)  # fmt: skip
    return AlbMatch(
        listener, request, None, run_actions(listener.default_actions, request), tuple(tried), evidence
    )
