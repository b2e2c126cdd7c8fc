"""Step 4 behind an Envoy Gateway proxy (host → Service by Gateway API): the Gateway and listener
the request arrives on, the HTTPRoute rule it takes, and the backends that rule sends it to.

Envoy Gateway runs one Envoy Deployment and one LoadBalancer Service per Gateway, in its own
namespace (envoy-gateway-system), labelled with the owning Gateway. Each Gateway listener's
port is a port of that Service; a privileged port is bound 10000 higher in the container
(80 → 10080), so the load balancer's listener port names the Gateway listener. Envoy then
evaluates the attached HTTPRoutes under Gateway API's precedence (``gateway_match``) and, like
nginx, balances over the Pod IPs of each backend Service's EndpointSlices itself: the
ClusterIP and kube-proxy are not on the request path. Envoy's own answers end the path as
nginx's do: a RequestRedirect filter (3xx, not broken), no rule matches (404), unresolved
references or no usable backend (500). Findings quote the controller's status conditions
(``gateway_routes``) and name the backends that cannot be used (``gateway_backends``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ackwb.model import Edge, Finding, Hop, Severity, Verdict
from ackwb.parse.gateway_api import read_gateway, read_gateway_class
from ackwb.parse.gateway_hosts import host_matches
from ackwb.parse.gateway_records import GatewayRecord
from ackwb.sources import Sources
from ackwb.steps.common import details, dig, kube_evidence, settle_verdicts, sh, source_finding
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.gateway import reads
from ackwb.steps.gateway.answers import (
    answered,
    no_gateway,
    no_listener,
    redirect,
    routes_unseen,
    settle_pending,
)
from ackwb.steps.gateway.backends import draw_backends
from ackwb.steps.gateway.result import EnvoyResult, PortMapping
from ackwb.steps.gateway_match import GatewayMatch, GatewayRequest, match
from ackwb.steps.gateway_routes import Attachments, attach
from ackwb.steps.ingress.result import ControllerView
from ackwb.steps.slb.result import LoadBalancerResult

TITLE = "4. Host → Service (Gateway API on Envoy)"
ENVOY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
REWRITE = (
    "Envoy ends the client's connection and opens its own to the backend Pod; the client's address "
    "travels in X-Forwarded-For"
)


def envoy_path(sources: Sources, nodes: NodeResult, path: str = "/") -> EnvoyResult:
    result = EnvoyResult(step="ingress", title=TITLE, domain=nodes.domain, prev=nodes, path=path or "/")
    decision = nodes.decision
    result.rows.append({"front door": decision.door.value, "service": decision.service, "why": decision.why})
    result.evidence.extend(decision.evidence)
    serving = nodes.serving
    if not serving:
        result.dead_end = nodes.dead_end or "no ready Envoy proxy Pod receives the load balancer's requests"
        return result
    result.controller, result.views = serving[0], [ControllerView(c) for c in serving]
    namespace, _, name = decision.gateway.partition("/")
    result.gateway_hop = f"gateway:{decision.gateway}"
    found = reads.read_gateway(sources, namespace, name, nodes.service)
    if found.gateway is None:
        return no_gateway(result, found, serving)
    gateway = read_gateway(found.gateway)
    klass = read_gateway_class(found.gateway_class) if found.gateway_class else None
    attached = attach(gateway, found.routes, found.namespaces, klass, hop=result.gateway_hop)
    result.gateway, result.mapping = gateway, _mapping(nodes, result, found.proxy_service)
    lb = nodes.prev if isinstance(nodes.prev, LoadBalancerResult) else None
    parts = urlsplit(result.path)
    listener_port = result.mapping.service_port if result.mapping else None
    listener = next((x for x in gateway.listeners if x.port == listener_port), None)
    scheme = "https" if listener is not None and listener.protocol == "HTTPS" else "http"
    headers = lb.client.headers if lb is not None else ()
    request = GatewayRequest(
        result.domain, parts.path or "/", parts.query, "GET", headers, scheme, listener_port
    )
    chosen = match(request, attached.routes, found.grants)
    if chosen.rule is not None:
        reads.read_services(sources, found, chosen.rule.backends)
        chosen = match(request, attached.routes, found.grants, found.known_services())
    result.match, result.listener = chosen, chosen.listener or listener
    _draw_gateway(result, gateway, klass, found, serving)
    _gateway_findings(result, attached, found)
    if listener is None and result.mapping is not None and gateway.listeners:
        no_listener(result)
        settle_verdicts(result)
        return result
    if "the HTTPRoutes" in found.errors:
        return routes_unseen(result, found.errors["the HTTPRoutes"])
    _draw_route(result, chosen, attached)
    if chosen.kind == "forward":
        draw_backends(sources, result, found)
    result.findings[:] = [_checked(f, result, found) for f in result.findings]
    settle_verdicts(result)
    return result


def _mapping(nodes: NodeResult, result: EnvoyResult, service: dict | None) -> PortMapping | None:
    """The proxy Service's port the load balancer's listener port is: the Gateway listener's port."""
    lb = nodes.prev if isinstance(nodes.prev, LoadBalancerResult) else None
    port = lb.listener.port if lb is not None and lb.listener is not None else 0
    entry = next((p for p in dig(service or {}, "spec", "ports") or [] if p.get("port") == port), None)
    if entry is None:  # the Service could not be read or has no such port: the port stands for itself
        return PortMapping(port, "", "") if port else None
    namespace, _, name = nodes.service.partition("/")
    result.evidence.append(kube_evidence("services", namespace, name, f"spec.ports[port={port}]", entry))
    return PortMapping(port, str(entry.get("name", "")), str(entry.get("targetPort", port)))


def _conditions(record: GatewayRecord) -> str:
    return ", ".join(f"{c.type}={c.status} ({c.reason})" for c in record.conditions)


def _draw_gateway(result: EnvoyResult, gateway: GatewayRecord, klass: object, found: reads.GatewayReads,
                  serving: list) -> None:  # fmt: skip
    listener, mapping = result.listener, result.mapping
    controller = getattr(klass, "controller", "") or "?"
    ports = f"{mapping.service_port} → container {mapping.target_port}" if mapping else ""
    label = f"Gateway {gateway.meta.key}"
    if listener is not None:
        label += f"\nlistener {listener.name} :{listener.port}"
    nodes = result.earlier("ecs")
    first = next((h for h in nodes.hops if serving and h.id == serving[0].hop_id), None) if nodes else None
    result.hops.append(Hop(
        result.gateway_hop, "ingress", label,
        details=details(gateway_class=f"{gateway.class_name} ({controller})",
                        listener=f"{listener.name} {listener.protocol} :{listener.port} hostname "
                        f"{listener.hostname or '*'}" if listener else "none for the port",
                        service_port=ports, addresses=", ".join(v for _, v in gateway.addresses) or "none",
                        conditions=_conditions(gateway), proxies=len(serving)),
        arrives=first.arrives if first else None, rewrite=REWRITE,
    ))  # fmt: skip
    for pod in serving:
        result.edges.append(Edge(pod.hop_id, result.gateway_hop, f"Host: {result.domain}"))
    if klass is not None and controller != ENVOY_CONTROLLER:
        result.findings.append(Finding(
            "GATEWAY_CLASS_NOT_ENVOY", Severity.WARNING, result.gateway_hop,
            f"GatewayClass {gateway.class_name} names controller {controller}, not Envoy Gateway's "
            f"({ENVOY_CONTROLLER}), yet Envoy proxies serve it.",
            (kube_evidence("gatewayclasses", None, gateway.class_name, "spec.controllerName", controller),),
        ))  # fmt: skip
    for what, error in found.errors.items():
        if not what.startswith("Service "):
            result.findings.append(source_finding(error, result.gateway_hop, what))


def _claims(route_hostnames: tuple[str, ...], host: str) -> bool:
    return not route_hostnames or any(host_matches(h, host) for h in route_hostnames)


def _gateway_findings(result: EnvoyResult, attached: Attachments, found: reads.GatewayReads) -> None:
    """The Gateway's own findings on its hop; a route's only when it claims the host, on the route
    hop when it is the route taken (an error only where it breaks this request), else a warning."""
    chosen = result.match
    route = chosen.route if chosen else None
    routes = {r.meta.key: r for r in (a.route for a in attached.routes)}
    routes |= {r.route.meta.key: r.route for r in attached.rejected}
    breaks = chosen is not None and (chosen.kind == "answered" or any(not s.valid for s in chosen.backends))
    for f in attached.findings:
        if not f.code.startswith("GATEWAY_ROUTE_"):
            result.findings.append(f)
            continue
        key = f.message.split(" ", 2)[1]  # "HTTPRoute <ns/name> ..."
        about = routes.get(key)
        if about is None or not _claims(about.hostnames, result.domain):
            continue
        if route is not None and about.meta.key == route.meta.key:
            severity = f.severity if breaks or f.code != "GATEWAY_ROUTE_REFS_UNRESOLVED" else Severity.WARNING
            result.findings.append(_moved(f, "route", severity))
        elif route is None:
            result.findings.append(_moved(f, "route", f.severity))
        else:
            result.findings.append(_moved(f, "gateway", Severity.WARNING))
    result.findings[:] = [_checked(f, result, found) for f in result.findings]


def _moved(f: Finding, where: str, severity: Severity) -> Finding:
    return Finding(f.code, severity, f"pending:{where}", f.message, f.evidence, f.check)


def _checked(f: Finding, result: EnvoyResult, found: reads.GatewayReads) -> Finding:
    hop = {"pending:route": result.route_hop or "pending:route", "pending:gateway": result.gateway_hop}
    check = f.check
    if not check and f.code == "GATEWAY_BACKEND_NOT_PERMITTED":
        check = "kubectl get referencegrants -A -o yaml"
    elif not check and f.code.startswith(("GATEWAY_ROUTE_", "GATEWAY_BACKEND")):
        check = "kubectl get httproutes -A -o yaml"
    elif not check and f.code.startswith("GATEWAY_") and f.severity is not Severity.INFO:
        check = f"kubectl -n {sh(found.namespace)} get gateway {sh(found.name)} -o yaml"
    return Finding(f.code, f.severity, hop.get(f.hop, f.hop), f.message, f.evidence, check)


def _draw_route(result: EnvoyResult, chosen: GatewayMatch, attached: Attachments) -> None:
    request = chosen.request
    url = f"http://{request.host}{request.path}"
    wanted = result.listener.locator if result.listener else None
    on_listener = sorted({a.route.meta.key for a in attached.routes if wanted in (None, a.listener.locator)})
    if chosen.route is None or chosen.rule is None:
        result.route_hop = f"httproute:{result.domain}"
        message = (
            f"No HTTPRoute rule attached to Gateway {attached.gateway.meta.key} "
            f"(listener {result.listener.name if result.listener else 'none'}) matches "
            f"{result.domain}{result.path}: Envoy answers 404."
        )
        evidence = kube_evidence("httproutes", None, "attached to the listener", "metadata.name",
                                 ", ".join(on_listener) or "(none)")  # fmt: skip
        label = f"no HTTPRoute rule\n{result.domain}{result.path}"
        shown = details(routes_on_listener=", ".join(on_listener) or "none")
        result.hops.append(Hop(result.route_hop, "ingress", label, verdict=Verdict.BLOCKED, details=shown))
        result.edges.append(Edge(result.gateway_hop, result.route_hop, url))
        result.findings.append(Finding("GATEWAY_NO_ROUTE", Severity.ERROR, result.route_hop, message,
                                       (evidence,), "kubectl get httproutes -A -o wide"))  # fmt: skip
        settle_pending(result)
        result.dead_end = message
        return
    route, rule = chosen.route, chosen.rule
    index = route.rules.index(rule)
    result.route_hop = f"httproute:{route.meta.key}:{index}"
    result.ingress_name = route.meta.name
    one = chosen.match
    matched = f"{one.path.type} {one.path.value}" if one else ""
    result.hops.append(Hop(
        result.route_hop, "ingress", f"HTTPRoute {route.meta.key}\nrule {index}: {matched}",
        details=details(rule=rule.locator, match=matched, does=chosen.sentence(),
                        filters=", ".join(f.type for f in rule.filters),
                        considered="; ".join(chosen.considered), routes_on_listener=", ".join(on_listener)),
    ))  # fmt: skip
    result.edges.append(Edge(result.gateway_hop, result.route_hop, url))
    result.evidence.extend(chosen.evidence)
    result.rows.append({"route": route.meta.key, "rule": index, "match": matched, "does": chosen.sentence()})
    settle_pending(result)
    if chosen.kind == "redirect":
        redirect(result, chosen)
    elif chosen.kind == "answered":
        answered(result, chosen)
