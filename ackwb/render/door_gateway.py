"""The Gateway API front door on Envoy Gateway, in words, for the notebooks' per-front-door section.

``gateway_section`` reads the loaded trace's step 4 (an ``EnvoyResult``) and says what the
newcomer sees on the path: which Gateway and listener the load balancer's port reaches (the
proxy Service's port and the container port Envoy binds), which HTTPRoute rule Gateway API's
precedence picks and what else was considered, and where that rule sends the request — the
backends with their weights, and the Pod IPs Envoy balances over itself (no kube-proxy on the
way) — or what Envoy answers on its own (a redirect, a 404, a 500). Every world value goes
through ``markdown_text`` so that no name becomes markup.
"""

from __future__ import annotations

from ackwb.model import Severity, Trace
from ackwb.render.html import markdown_text as md
from ackwb.steps.gateway.result import EnvoyResult

HEADING = "#### Gateway API on Envoy Gateway"


def _b(value: object) -> str:
    return f"**{md(value)}**"


def _front(ing: EnvoyResult) -> list[str]:
    gateway, listener, mapping = ing.gateway, ing.listener, ing.mapping
    if gateway is None:
        return [f"The load balancer belongs to an Envoy proxy, but its Gateway could not be followed: "
                f"{md(ing.dead_end or 'not read')}."]  # fmt: skip
    text = f"The load balancer's listener reaches the Envoy proxies of Gateway {_b(gateway.meta.key)}"
    if mapping is not None and mapping.target_port:
        text += (
            f" on the proxy Service's port {_b(mapping.service_port)}, which Envoy binds as container port "
        )
        text += _b(mapping.target_port)
        if mapping.target_port == str(mapping.service_port + 10000):
            text += " (Envoy Gateway adds 10000 to a port below 1024, so Envoy needs no privilege to bind it)"
    if listener is not None:
        host = listener.hostname or "any host"
        text += f". That port is listener {_b(listener.name)} ({md(listener.protocol)}, hostname {_b(host)})"
    return [text + "."]


def _route(ing: EnvoyResult) -> list[str]:
    chosen = ing.match
    if chosen is None:
        return []
    if chosen.route is None or chosen.rule is None:
        return [f"No HTTPRoute rule attached to that listener matches {_b(ing.domain + ing.path)}, so Envoy "
                "answers **404** itself and the request goes no further."]  # fmt: skip
    index = chosen.route.rules.index(chosen.rule)
    one = chosen.match
    how = f"{one.path.type} {one.path.value}" if one else "its match"
    lines = [
        f"Gateway API's precedence (exact path, then the longest prefix, then method, headers and query, "
        f"then the oldest route) picks HTTPRoute {_b(chosen.route.meta.key)} rule {_b(index)} ({md(how)})."
    ]
    others = [c for c in chosen.considered[1:]]
    if others:
        lines.append(f"Also matching, but lower in precedence: {md('; '.join(others))}.")
    if chosen.kind == "redirect":
        lines.append(f"Its RequestRedirect filter makes Envoy answer **{md(chosen.status)}** with Location "
                     f"{_b(chosen.location)}: nothing is proxied, and the path is not broken.")  # fmt: skip
    elif chosen.kind == "answered":
        errors = [f for f in ing.findings if f.hop == ing.route_hop and f.severity is Severity.ERROR]
        why = md(errors[0].message) if errors else "no backend can be used"
        lines.append(f"Envoy answers **{md(chosen.status)}** itself: {why}")
    return lines


def _backends(ing: EnvoyResult) -> list[str]:
    chosen = ing.match
    if chosen is None or chosen.kind != "forward":
        return []
    lines = ["", "| backend | weight | share | Pod IPs Envoy balances over |", "|---|---|---|---|"]
    for share in chosen.backends:
        endpoints = ing.endpoints_by_backend.get(share.target, [])
        state = ", ".join(endpoints) or (
            "cannot be used: " + share.message if share.message else "none ready"
        )
        lines.append(f"| {md(share.target)} | {share.ref.weight} | {share.share:.0%} | {md(state)} |")
    lines += [
        "",
        f"Like nginx, Envoy reads the Pod IPs from each Service's EndpointSlices and connects to one itself, "
        f"so the ClusterIP and kube-proxy are not on the request path. The trace follows the largest share, "
        f"Service {_b(ing.namespace + '/' + ing.service_name)}, into its Pods.",
    ]
    return lines


def gateway_section(trace: Trace) -> str:
    """Markdown: the Gateway → HTTPRoute → backend hops of ``trace`` (a short note when its front door
    is not an Envoy Gateway)."""
    ing = next((s for s in trace.steps if s.step == "ingress"), None)
    if not isinstance(ing, EnvoyResult):
        return "\n".join([HEADING, "", f"The front door of {_b(trace.domain)} is not an Envoy Gateway: this "
                          "section has nothing to show for it."])  # fmt: skip
    route = [line for part in _route(ing) for line in (part, "")]
    return "\n".join([HEADING, "", *_front(ing), "", *route, *_backends(ing)]).rstrip() + "\n"
