"""The front door of the loaded world, in words, for the notebooks (04_ingress, 00_overview).

Which door answers behind the listener is decided by the steps (``ackwb.steps.front_door``), and
each door evaluates something else: ingress-nginx matches a server block and a location and
balances to the Service's Pod IPs; an ALB tries its forwarding rules in priority order and
forwards to server groups of type Ip (Pod IPs) or Instance (nodes on the NodePort); an L4
Service evaluates no HTTP at all. ``front_door_section`` is the one entry point the notebook
cells call: it finds the step-4 result (of a trace, or the result itself) and hands it to the
section of its door in ``SECTIONS``. The Gateway API doors' sections are their own modules
(``door_gateway.gateway_section`` for Envoy Gateway, ``door_alb_gateway.gateway_on_alb`` for a
Gateway on ALB, after the ALB's rules); a new door is one line of ``SECTIONS``. Every world value
goes through ``markdown_text``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ackwb.model import Client, StepResult, Trace
from ackwb.render.door_alb_gateway import gateway_on_alb
from ackwb.render.door_gateway import gateway_section
from ackwb.render.html import markdown_text as md
from ackwb.steps.alb_result import AlbPathResult
from ackwb.steps.door_name import NAMES, front_door
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.result import IngressResult

HEADING = "#### The front door: who answers behind the listener"


def _lines(door: str, parts: list[str]) -> str:
    return "\n".join([HEADING, "", f"Front door: **{md(door)}**.", "", *parts])


def _b(value: object) -> str:
    return f"**{md(value)}**"


def nginx_section(ing: IngressResult) -> str:
    """ingress-nginx: the controller, the server block and location, the Service, where it balances."""
    if not ing.ingress_name and not ing.service_name:
        return _lines(NAMES[Door.NGINX], [
            "An ingress-nginx controller answers behind this load balancer, but the trace found no "
            "server block and location for the host and path (see the findings), so no Ingress is named.",
        ])  # fmt: skip
    controller = ing.controller.name if ing.controller else "?"
    endpoints = ", ".join(ing.backend_endpoints) or "none"
    where = (
        f"the Service's ClusterIP (`service-upstream`), through kube-proxy: {endpoints}"
        if ing.service_upstream
        else f"the Pod IPs of its dynamic backends: {endpoints}"
    )
    return _lines(NAMES[Door.NGINX], [
        f"The **ingress-nginx** controller {_b(controller)} evaluates HTTP: it picks the server block of the "
        f"host and the location of the path ({_b(ing.path)}), rendered from Ingress "
        f"{_b(f'{ing.namespace}/{ing.ingress_name}')}, which names Service "
        f"{_b(f'{ing.service_name}:{ing.service_port}')}.",
        "",
        f"nginx opens its own connection to {md(where)}.",
    ])  # fmt: skip


def alb_section(ing: IngressResult) -> str:
    """ALB: the rules tried in priority order and the one taken; the server groups, their type."""
    assert isinstance(ing, AlbPathResult)
    match = ing.match
    if match is None:
        return _lines(NAMES[Door.ALB], [
            "The ALB's forwarding rules answer behind this listener (no controller Pod is on the data "
            f"path), but they could not be read: {md(ing.dead_end or 'see the findings')}.",
        ])  # fmt: skip
    parts = [
        "The **ALB** itself evaluates HTTP: the ALB Ingress controller turned what the cluster asks for "
        "(Ingresses, or a Gateway's HTTPRoutes) into forwarding "
        f"rules on listener {_b(f'{match.listener.protocol} {match.listener.port}')} and stays off the data "
        "path. The ALB tries the rules in priority order (lowest number first); the first whose conditions "
        "all match takes the request, else the listener's default action.",
        "",
        "| rule | result |",
        "|---|---|",
    ]
    parts += [f"| {md(t.rule.label)} | {md(t.reason)} |" for t in match.tried]
    taken = match.rule.label if match.rule else "the listener's default action"
    parts += [f"| {md(taken)} | **taken**: {md(match.sentence())} |", ""]
    if ing.groups:
        parts += ["| server group | type | share | Service | servers |", "|---|---|---|---|---|"]
        shares = {f.server_group_id: f.share for f in match.outcome.forward}
        for group in ing.groups:
            servers = ", ".join(f"{s.ip}:{s.port}" for s in ing.servers.get(group.server_group_id, []))
            service = "/".join(group.service() or ()) or "?"
            share = f"{shares.get(group.server_group_id, 0):.0%}"
            parts.append(
                f"| {md(group.name)} | {md(group.type)} | {share} | {md(service)} | {md(servers or 'none')} |"
            )
        parts += ["", *_group_kinds(ing)]
    if len(ing.shares) > 1:
        shared = ", ".join(f"{md(name)} {share:.0%}" for name, share in ing.shares)
        main = max(ing.shares, key=lambda s: s[1])[0]
        parts += [
            "",
            f"The rule splits the traffic between Services: {shared}. The Service step follows the one with "
            f"the largest share, {_b(main)}; the Pod step draws the Pods of each.",
        ]
    return _lines(NAMES[Door.ALB], parts)


def _group_kinds(ing: AlbPathResult) -> list[str]:
    kinds = {g.type for g in ing.groups}
    lines = []
    if "Ip" in kinds:
        lines.append(
            "A group of type **Ip** holds Pod IPs (Terway gives Pods VPC addresses): the ALB connects to the "
            "Pods directly, no node, NodePort or kube-proxy in between."
        )
    if "Instance" in kinds:
        policies = sorted({n.traffic_policy for n in ing.node_results if n.traffic_policy})
        lines.append(
            "A group of type **Instance** holds ECS nodes on the Service's NodePort: kube-proxy on each node "
            "turns the NodePort into a Pod of the Service (externalTrafficPolicy "
            f"{md(', '.join(policies) or '?')}: Local keeps to the node's own Pods, Cluster may cross nodes "
            "and masquerades the ALB's address to the node's)."
        )
    return lines


def l4_section(ing: IngressResult) -> str:
    """An L4 Service: no HTTP evaluation; the load balancer's NodePort or Pod IP backends."""
    nodes = ing.earlier("ecs")
    row = ing.rows[0] if ing.rows else {}
    parts = [
        f"Service {_b(row.get('service', '?'))} owns the load balancer and is an **L4 Service**: "
        f"{md(row.get('why', ''))}. There is **no HTTP evaluation**: no host, path or header is matched; "
        f"the listener on port {_b(row.get('listener port', '?'))} hands each connection on as it is.",
    ]
    if isinstance(nodes, NodeResult) and nodes.branches:
        parts += ["", "| backend | leads to | carries |", "|---|---|---|"]
        kinds = {
            "nodeport": "NodePort on the node, then kube-proxy's rule to a Pod",
            "pod": "the Pod IP itself",
        }
        for branch in nodes.branches:
            backend = f"{branch.backend.server_ip}:{branch.backend.port}"
            leads = kinds.get(branch.kind, branch.kind)
            parts.append(
                f"| {md(backend)} | {md(leads)} | {'yes' if branch.carries else md(branch.why or 'no')} |"
            )
    return _lines(NAMES[Door.L4_SERVICE], parts)


def not_followed_section(ing: IngressResult) -> str:
    """A door this ackwb names but does not follow yet: what the trace knows of it, nothing more."""
    row = ing.rows[0] if ing.rows else {}
    name = NAMES.get(ing.door, ing.door.value)
    return _lines(name, [
        f"{md(row.get('why', 'The load balancer belongs to ' + name))}. The hops behind it are not followed "
        "yet, so they read unknown.",
    ])  # fmt: skip


def _envoy(trace: Trace) -> str:
    return _lines(NAMES[Door.ENVOY_GATEWAY], [gateway_section(trace)])


def _alb_gateway(trace: Trace) -> str:
    """The ALB's rules (what really evaluates the request), then the Gateway and HTTPRoute they were
    programmed for."""
    ing = trace.step("ingress")
    assert isinstance(ing, IngressResult)
    rules = alb_section(ing).replace(
        f"Front door: **{md(NAMES[Door.ALB])}**", f"Front door: **{md(NAMES[Door.ALB_GATEWAY])}**"
    )
    return rules + "\n\n" + gateway_on_alb(trace)


def _of_step(section: Callable[[IngressResult], str]) -> Callable[[Trace], str]:
    def run(trace: Trace) -> str:
        ing = trace.step("ingress")
        assert isinstance(ing, IngressResult)
        return section(ing)

    return run


# One entry per door: a function of the trace (of its step-4 result, through ``_of_step``).
SECTIONS: dict[Door, Callable[[Trace], str]] = {
    Door.NGINX: _of_step(nginx_section),
    Door.ALB: _of_step(alb_section),
    Door.L4_SERVICE: _of_step(l4_section),
    Door.ENVOY_GATEWAY: _envoy,  # ackwb.render.door_gateway
    Door.ALB_GATEWAY: _alb_gateway,  # ackwb.render.door_alb_gateway
}


def _trace_of(ing: IngressResult) -> Trace:
    """The steps up to ``ing`` (a notebook's step-by-step results) as a trace the sections read."""
    chain: list[StepResult] = []
    step: StepResult | None = ing
    while step is not None:
        if step.hops or step.findings or step.rows or step is ing:
            chain.insert(0, step)
        step = step.prev
    return Trace(domain=ing.domain, client=Client(), world="", steps=chain)


def front_door_section(result: Trace | IngressResult | Any) -> str:
    """Markdown saying which door answers this host and what it evaluates, for a trace or a step-4
    result; when the trace never reached the door, says so and claims nothing."""
    trace = _trace_of(result) if isinstance(result, IngressResult) else result
    door = front_door(trace) if isinstance(trace, Trace) else None
    if door is None or not isinstance(trace.step("ingress"), IngressResult):
        unknown = "The trace did not reach the front door, so which one answers is not known."
        return "\n".join([HEADING, "", unknown])
    return SECTIONS.get(door, _of_step(not_followed_section))(trace)
