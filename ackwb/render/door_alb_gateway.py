"""Gateway API on ALB, in words, for a notebook section: Gateway → HTTPRoute rule → ALB rule → groups.

A Gateway of the ALB Ingress controller's class is programmed on an ALB: what the Gateway and its
HTTPRoutes ask for is turned into forwarding rules and server groups, and the ALB rule is what
answers the request. This function reads a loaded trace and says, with the world's own names,
which Gateway is on the request's ALB and why ackwb thinks so, which HTTPRoute rule Gateway API's
precedence picks, which ALB rule really evaluates the request, where its server groups send it,
and every finding where the two sides disagree or a status condition refuses. Nothing here is true
of one world only: a sentence appears because the trace holds the fact. Every value from the world
goes through ``markdown_text``, so a name can never become markup.
"""

from __future__ import annotations

from ackwb.model import Hop, Severity, Trace
from ackwb.render.html import markdown_text as md

HEADING = "#### Gateway API on ALB: what was asked for, and what answers"


def _b(value: object) -> str:
    return f"**{md(value)}**"


def _detail(hop: Hop, key: str) -> str:
    return dict(hop.details).get(key, "")


def _one(label: str) -> str:
    return " ".join(label.split())


def gateway_on_alb(trace: Trace) -> str:
    """Markdown for the Gateway API hops of ``trace`` (a short note when its ALB has no Gateway)."""
    hops = trace.hops
    gateway = next((h for h in hops if h.kind == "gateway"), None)
    if gateway is None:
        return "\n".join([
            HEADING, "",
            "No Gateway is programmed on the load balancer this request reaches: no Gateway's "
            "`status.addresses` holds its DNS name or an address of its zones, and the instance carries "
            "no Gateway tag. What answers is described by the load balancer's own rules above.",
        ])  # fmt: skip
    route = next((h for h in hops if h.kind == "httproute"), None)
    rule = next((h for h in hops if h.id.startswith("alb-rule:")), None)
    groups = [h for h in hops if h.kind == "backend" and h.id.startswith("alb-group:")]
    pods = [h for h in hops if h.kind == "pod"]
    text = [HEADING, ""]
    text.append(
        f"1. The Gateway {_b(gateway.label.splitlines()[0].removeprefix('Gateway '))} "
        f"(class {md(_detail(gateway, 'gateway class') or '?')}) listens with "
        f"{md(_detail(gateway, 'listener') or '?')} for {md(_detail(gateway, 'hostname') or 'any host')}; "
        f"its conditions: {md(_detail(gateway, 'conditions') or 'not read')}. It is on this ALB because "
        f"{md(_detail(gateway, 'on this alb') or 'it could not be read')}."
    )
    if route is None:
        text.append("2. No HTTPRoute rule was evaluated.")
    else:
        state = (
            "takes the request"
            if route.verdict.value == "ok"
            else f"does not take it ({route.verdict.value})"
        )
        text.append(
            f"2. Gateway API's precedence: {_b(_one(route.label))} {state}. "
            f"{md(_detail(route, 'does') or '')}."
        )
        if _detail(route, "backends"):
            text.append(f"   Its backends and their shares: {md(_detail(route, 'backends'))}.")
    if rule is not None:
        text.append(
            f"3. What really answers is the ALB: {_b(_one(rule.label))}. "
            f"{md(_detail(rule, 'does') or '')}. The controller wrote this rule; it is off the data path."
        )
    for number, group in enumerate(groups, start=4 if rule is not None else 3):
        text.append(
            f"{number}. {_b(_one(group.label))} (Service {md(_detail(group, 'service') or 'not tagged')}): "
            f"{md(_detail(group, 'servers') or 'no server')}."
        )
    if pods:
        text += ["", "The request reaches " + ", ".join(_b(_one(p.label)) for p in pods) + "."]
    said = [f for f in trace.findings if f.code.startswith("GATEWAY_") and f.severity is not Severity.INFO]
    if said:
        text += ["", "Where the Gateway API side and the ALB side part, or a status refuses:", ""]
        for finding in said:
            check = (
                f" Check by hand: `{finding.check}`." if finding.check and "`" not in finding.check else ""
            )
            message = finding.message if finding.message.endswith(".") else finding.message + "."
            text.append(f"- {_b(finding.code)}: {md(message)}{check}")
    else:
        text += ["", "The HTTPRoute rule and the ALB rule agree: the ALB does what the route asks for."]
    return "\n".join(text)
