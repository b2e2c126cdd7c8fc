"""Gateway API on an ALB: the Gateway programmed on the ALB a request reaches, and the HTTPRoute rule
Gateway API's precedence picks for it, drawn next to the ALB rule that really evaluates it.

The ALB Ingress controller (v2.17+) serves Gateway API too: a Gateway of its GatewayClass is
programmed on an ALB instance, the Gateway's listeners become the instance's listeners, and each
accepted HTTPRoute rule becomes forwarding rules and server groups. The controller stays off the
data path, so the ALB rule (``alb_path``) is what answers; the Gateway and HTTPRoute are what was
asked for. This module shows both and says where they disagree (``alb_gateway_compare``).

Which Gateway is on this ALB is decided by data, never by a class name: a Gateway whose
``status.addresses`` holds the ALB's DNS name or one of its zone addresses (written by the
controller that programmed it), or the Gateway an instance tag names. ACK's documentation gives
the GatewayClass controllerName ``gateways.alibabacloud.com/alb/v1`` (Standard Edition) and
``.../alb-extensible/v1``; it is shown, not relied on. UNCONFIRMED: the tag scheme of a
Gateway's ALB resources (``gateways.alibabacloud.com/gateway``, ``.../httproute``, ``.../httproute-rule``);
no public document shows the tags the controller writes, so a tag alone is named as such.

Route findings (``GATEWAY_ROUTE_NOT_ACCEPTED`` with the condition's reason and message, ...) come
from ``gateway_routes.attach`` for the routes whose hostnames take the request's host.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ackwb.errors import ParseError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, Verdict
from ackwb.parse.gateway_api import read_gateway, read_http_route
from ackwb.parse.gateway_hosts import host_matches
from ackwb.parse.gateway_records import GatewayRecord, HTTPRouteRecord
from ackwb.sources import Sources
from ackwb.steps.alb_gateway_compare import compare, route_check, shares_text
from ackwb.steps.alb_result import AlbPathResult
from ackwb.steps.common import details, dig, kube_evidence, source_finding
from ackwb.steps.gateway_match import GatewayMatch, GatewayRequest, match
from ackwb.steps.gateway_routes import attach
from ackwb.steps.slb.alb import AlbFront
from ackwb.steps.slb.result import LoadBalancerResult

GATEWAY_TAG = "gateways.alibabacloud.com/gateway"  # UNCONFIRMED tag key (see the module docstring)


@dataclass(frozen=True)
class FoundGateway:
    obj: dict[str, Any]
    record: GatewayRecord
    why: Evidence  # the data that ties it to this ALB


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value")) for t in item.get("Tags") or [] if isinstance(t, dict)}


def find_gateways(sources: Sources, front: AlbFront) -> list[FoundGateway]:
    """The Gateways programmed on this ALB, by their status addresses or the instance's tag.
    Raises ``SourceError`` when the Gateways cannot be listed."""
    addresses = {front.dns_name.lower().rstrip(".")} | {a for _, a in front.zones}
    tagged = _tags(front.item).get(GATEWAY_TAG, "")
    found = []
    for obj in sources.kube.list("gateways"):
        try:
            record = read_gateway(obj)
        except ParseError:
            continue  # a Gateway ackwb cannot read is no evidence about this ALB
        held = [v for _, v in record.addresses if v.lower().rstrip(".") in addresses]
        if held:
            why = kube_evidence("gateways", record.meta.namespace, record.meta.name, "status.addresses", held)
        elif tagged and tagged == record.meta.key:  # the tag alone (UNCONFIRMED scheme)
            locator = f"LoadBalancerId={front.item.get('LoadBalancerId')} Tags[{GATEWAY_TAG}]"
            why = Evidence("alb:ListLoadBalancers", locator, tagged)
        else:
            continue
        found.append(FoundGateway(obj, record, why))
    return found


def gateway_on_alb(sources: Sources, result: AlbPathResult, lb: LoadBalancerResult) -> None:
    """Draw the Gateway and the HTTPRoute rule behind the ALB listener the request reached, when a
    Gateway is programmed on this ALB; nothing when none is (an AlbConfig's ALB)."""
    front, alb = lb.alb, result.match
    if front is None or front.listener is None or alb is None:
        return
    listener_hop = f"listener:{lb.load_balancer_id}:{front.listener.port}"
    try:
        found = [g for g in find_gateways(sources, front) if any(x.port == front.listener.port
                                                                  for x in g.record.listeners)]  # fmt: skip
    except SourceError as error:
        if GATEWAY_TAG in _tags(front.item):  # the instance says a Gateway made it: say it is unseen
            hop = f"gateway:{_tags(front.item)[GATEWAY_TAG]}"
            _insert(result, Hop(hop, "gateway", "Gateway ?", verdict=Verdict.UNKNOWN))
            result.edges.append(Edge(listener_hop, hop, "Gateway"))
            result.findings.append(source_finding(error, hop, "the Gateways of the cluster"))
        return
    if not found:
        return
    gateway = found[0]
    gw, key = gateway.record, gateway.record.meta.key
    gw_hop = f"gateway:{key}"
    klass = _read(sources, result, gw_hop, "gatewayclasses", gw.class_name)
    routes = _routes(sources, result, gw_hop)
    host, port = alb.request.bare_host, front.listener.port
    mine = [r for r in routes if _names(r, gw) and _takes_host(r, host)]
    namespaces = _namespaces(sources, gw)
    shared = attach(gateway.obj, [], namespaces, klass, gw_hop)
    _draw_gateway(result, gateway, klass, listener_hop, port)
    result.findings.extend(shared.findings)
    attached = []
    for route in mine:
        one = attach(gw, [route], namespaces, klass, f"httproute:{route.meta.key}")
        attached.extend(one.routes)
        result.findings.extend(f for f in one.findings if f.code.startswith("GATEWAY_ROUTE"))
    request = GatewayRequest(host, alb.request.path, alb.request.query, alb.request.method,
                             alb.request.headers, front.listener.scheme, port)  # fmt: skip
    grants = _grants(sources, mine)
    chosen = match(request, attached, grants)
    route_hop = _draw_route(result, chosen, mine, gw_hop)
    result.findings.extend(compare(chosen, alb, result.groups, route_hop, result.rule_hop, lb.alb))
    result.findings = [f if f.check or not f.code.startswith("GATEWAY_") else
                       _with_check(f, route_check(f, key)) for f in result.findings]  # fmt: skip


def _with_check(finding: Finding, check: str) -> Finding:
    return replace(finding, check=check)


def _routes(sources: Sources, result: AlbPathResult, hop: str) -> list[HTTPRouteRecord]:
    """The cluster's HTTPRoutes; one that cannot be read is left out with a warning naming why."""
    try:
        objects = sources.kube.list("httproutes")
    except SourceError as error:
        result.findings.append(source_finding(error, hop, "the HTTPRoutes of the cluster"))
        return []
    routes = []
    for obj in objects:
        try:
            routes.append(read_http_route(obj))
        except ParseError as error:
            evidence = (Evidence("kube:httproutes", "items[]", str(error)),)
            message = f"An HTTPRoute could not be read, so it is left out: {error}."
            result.findings.append(
                Finding("GATEWAY_ROUTE_UNREADABLE", Severity.WARNING, hop, message, evidence)
            )
    return routes


def _names(route: HTTPRouteRecord, gw: GatewayRecord) -> bool:
    return any(
        (p.namespace, p.name, p.kind) == (gw.meta.namespace, gw.meta.name, "Gateway") for p in route.parents
    )


def _takes_host(route: HTTPRouteRecord, host: str) -> bool:
    return not route.hostnames or any(host_matches(h, host) for h in route.hostnames)


def _read(
    sources: Sources, result: AlbPathResult, hop: str, resource: str, name: str
) -> dict[str, Any] | None:
    try:
        return sources.kube.get(resource, name)
    except SourceError as error:
        result.findings.append(source_finding(error, hop, f"{resource} {name}"))
        return None


def _namespaces(sources: Sources, gw: GatewayRecord) -> list[dict[str, Any]]:
    """Namespace objects, read only when a listener selects route namespaces by label."""
    if not any(x.allowed_from == "Selector" for x in gw.listeners):
        return []
    try:
        return sources.kube.list("namespaces")
    except SourceError:
        return []


def _grants(sources: Sources, routes: list[HTTPRouteRecord]) -> list[dict[str, Any]]:
    """ReferenceGrants, read only when a route refers to a Service in another namespace."""
    across = any(b.namespace != r.meta.namespace for r in routes for rule in r.rules for b in rule.backends)
    if not across:
        return []
    try:
        return sources.kube.list("referencegrants")
    except SourceError:
        return []


def _insert(result: AlbPathResult, hop: Hop) -> None:
    """Put a hop just before the ALB rule it explains (the table reads Gateway → route → ALB rule)."""
    at = next((i for i, h in enumerate(result.hops) if h.id == result.rule_hop), len(result.hops))
    result.hops.insert(at, hop)


def _draw_gateway(result: AlbPathResult, gateway: FoundGateway, klass: dict[str, Any] | None,
                  listener_hop: str, port: int) -> None:  # fmt: skip
    gw = gateway.record
    listener = next(x for x in gw.listeners if x.port == port)
    conditions = ", ".join(f"{c.type}={c.status}" for c in gw.conditions) or "none written"
    controller = str(dig(klass or {}, "spec", "controllerName") or "?")
    hop = f"gateway:{gw.meta.key}"
    _insert(result, Hop(
        hop, "gateway", f"Gateway {gw.meta.key}\nclass {gw.class_name}, listener {listener.name}",
        details=details(gateway_class=f"{gw.class_name} ({controller})",
                        listener=f"{listener.name}: {listener.protocol} {listener.port}",
                        hostname=listener.hostname or "any",
                        addresses=", ".join(v for _, v in gw.addresses) or "none",
                        conditions=conditions, on_this_alb=f"{gateway.why.locator}: {gateway.why.excerpt}"),
    ))  # fmt: skip
    result.edges.append(Edge(listener_hop, hop, f"Gateway listener {listener.name}"))
    result.evidence.append(gateway.why)


def _draw_route(result: AlbPathResult, chosen: GatewayMatch, mine: list[HTTPRouteRecord], gw_hop: str) -> str:
    """The HTTPRoute rule the request takes, or the route that takes its host but is not attached."""
    host_path = f"{chosen.request.host}{chosen.request.path}"
    if chosen.route is not None and chosen.rule is not None and chosen.match is not None:
        where = chosen.rule.locator.split(" ", 1)[-1]
        hop = f"httproute:{chosen.route.meta.key}"
        path = chosen.match.path
        label = f"HTTPRoute {chosen.route.meta.key} {where}\n{path.type} {path.value}"
        more = details(
            does=chosen.sentence(), backends=shares_text(chosen), considered="; ".join(chosen.considered)
        )
        result.evidence.extend(chosen.evidence)
    elif mine:
        route = mine[0]
        said = [c for s in route.status for c in s.conditions if c.type == "Accepted"]
        refused = next((c for c in said if c.status == "False"), None)
        state = f"not accepted ({refused.reason})" if refused else "not attached"
        hop, label = f"httproute:{route.meta.key}", f"HTTPRoute {route.meta.key}\n{state}"
        more = details(does=chosen.sentence(), accepted="; ".join(f"{c.status} ({c.reason})" for c in said))
    else:
        hop, label = "httproute:none", f"no HTTPRoute\n{host_path}"
        more = details(does=chosen.sentence())
    failing = any(f.hop == hop and f.severity is Severity.ERROR for f in result.findings)
    verdict = Verdict.BLOCKED if failing or chosen.route is None else Verdict.OK
    _insert(result, Hop(hop, "httproute", label, verdict=verdict, details=more))
    result.edges.append(Edge(gw_hop, hop, host_path))
    if verdict is Verdict.OK:
        result.edges.append(Edge(hop, result.rule_hop, "programmed as"))
    return hop
