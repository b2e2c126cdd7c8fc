"""Whether the ALB rule that evaluates a request does what the HTTPRoute rule Gateway API picks asks for.

The controller turns each accepted HTTPRoute rule into forwarding rules and server groups, one
group per backendRef Service port, the backendRef weights becoming the groups' weights. Rules
can still drift: edited in the ALB console, or left behind when the controller could not write
them. Two findings, both on the ALB rule hop (the ALB is what answers) and naming both sides:

- ``GATEWAY_ALB_RULE_MISSING``: the route accepts the request but the listener has no rule for it,
  so the listener's default action answers;
- ``GATEWAY_ALB_RULE_DIFFERS``: the ALB rule forwards elsewhere than the route says (other Services,
  other shares), or answers itself where the route forwards.

Which Service a server group stands for is in the controller's group tags
(``AlbServerGroup.service``); a group without them cannot be compared and nothing is said.
Shares are compared to the percent (ALB weights are whole numbers). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.alb_groups import AlbServerGroup
from ackwb.steps.alb_rules import AlbMatch
from ackwb.steps.common import sh
from ackwb.steps.gateway_match import GatewayMatch
from ackwb.steps.slb.alb import AlbFront

TOLERANCE = 0.005


def shares_text(chosen: GatewayMatch) -> str:
    """The route rule's backends and their shares, e.g. "shop/api:8080 80%, shop/api-v2:8080 20%"."""
    return ", ".join(f"{b.target} {b.share:.0%}" for b in chosen.backends if b.share)


def alb_shares(alb: AlbMatch, groups: Sequence[AlbServerGroup]) -> dict[str, float] | None:
    """Service target → share of the ALB rule's forward, None when a group names no Service."""
    found: dict[str, float] = {}
    by_id = {g.server_group_id: g for g in groups}
    for share in alb.outcome.forward:
        group = by_id.get(share.server_group_id)
        service = group.service() if group else None
        if service is None:
            return None
        target = f"{service[0]}/{service[1]}:{service[2]}"
        found[target] = found.get(target, 0.0) + share.share
    return found


def _text(shares: dict[str, float]) -> str:
    return ", ".join(f"{t} {s:.0%}" for t, s in shares.items() if s) or "nothing"


def _route_evidence(chosen: GatewayMatch) -> Evidence:
    assert chosen.route is not None and chosen.rule is not None
    refs = [f"{b.target} weight {b.ref.weight}" for b in chosen.backends]
    where = f"{chosen.route.meta.key} {chosen.rule.locator.split(' ', 1)[-1]}.backendRefs"
    return Evidence("kube:httproutes", where, "; ".join(refs) or "none")


def _rules_check(front: AlbFront | None, alb: AlbMatch) -> str:
    region = front.region if front else ""
    return f"aliyun alb ListRules --region {sh(region)} --ListenerIds.1 {sh(alb.listener.listener_id)}"


def compare(chosen: GatewayMatch, alb: AlbMatch, groups: Sequence[AlbServerGroup], route_hop: str,
            rule_hop: str, front: AlbFront | None) -> list[Finding]:  # fmt: skip
    """The disagreement between the HTTPRoute rule and the ALB rule, if any (``route_hop`` unused
    for now: both findings sit on the ALB rule, which is what answers)."""
    if chosen.route is None or chosen.rule is None or chosen.kind == "answered":
        return []
    where = f"HTTPRoute {chosen.route.meta.key} {chosen.rule.locator.split(' ', 1)[-1]}"
    asked = (
        shares_text(chosen)
        if chosen.kind == "forward"
        else f"a {chosen.status} redirect to {chosen.location}"
    )
    request = f"{chosen.request.host}{chosen.request.path}"
    check = _rules_check(front, alb)
    evidence = (*chosen.evidence, _route_evidence(chosen), *alb.evidence)
    if alb.rule is None:
        message = (
            f"{where} takes {request} and asks for {asked}, but listener {alb.listener.port} of the ALB has "
            f"no forwarding rule for it: the listener's default action answers instead "
            f"({alb.sentence()})."
        )
        return [Finding("GATEWAY_ALB_RULE_MISSING", Severity.ERROR, rule_hop, message, evidence, check)]
    said = f"ALB rule {alb.rule.label}"
    if chosen.kind != alb.outcome.kind and not (chosen.kind == "forward" and alb.outcome.kind == "forward"):
        message = f"{said} {alb.sentence()}, but {where} asks for {asked}."
        return [Finding("GATEWAY_ALB_RULE_DIFFERS", Severity.ERROR, rule_hop, message, evidence, check)]
    if chosen.kind != "forward":
        return []
    have = alb_shares(alb, groups)
    if have is None:
        return []
    want = {b.target: b.share for b in chosen.backends if b.share and b.valid}
    same = set(have) == set(want) and all(abs(have[t] - want[t]) <= TOLERANCE for t in want)
    if same:
        return []
    tags = tuple(
        Evidence("alb:ListServerGroups", f"{g.locator}.Tags {g.server_group_id}", "/".join(g.service() or ()))
        for g in groups
        if any(f.server_group_id == g.server_group_id for f in alb.outcome.forward)
    )
    message = f"{said} forwards {request} to {_text(have)}, but {where} asks for {asked}."
    return [Finding("GATEWAY_ALB_RULE_DIFFERS", Severity.ERROR, rule_hop, message, evidence + tags, check)]


def route_check(finding: Finding, gateway: str) -> str:
    """How to check a Gateway API finding by hand: the route's or the Gateway's status."""
    if finding.hop.startswith("httproute:") and finding.hop != "httproute:none":
        namespace, _, name = finding.hop.split(":", 1)[1].partition("/")
        return f"kubectl get httproute -n {sh(namespace)} {sh(name)} -o jsonpath={sh('{.status.parents}')}"
    namespace, _, name = gateway.partition("/")
    return f"kubectl get gateway -n {sh(namespace)} {sh(name)} -o jsonpath={sh('{.status}')}"
