"""Where the Envoy Gateway front door ends the path itself, and what it cannot see.

Envoy answers some requests without proxying them: a RequestRedirect filter (3xx: the path
ends, not broken), a rule whose backends cannot be used (500, blocked at the route hop with
the controller's condition and the backends' reasons), and no Envoy listener on the port the
load balancer sends to (nothing answers). When the Gateway the proxy Service names is gone the
proxies have no configuration (blocked); when it or the HTTPRoutes could not be read, the hop
is unknown, never "no route".
"""

from __future__ import annotations

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Severity, Verdict
from ackwb.steps.common import details, kube_evidence, sh, source_finding
from ackwb.steps.ecs.result import ControllerPod
from ackwb.steps.gateway import reads
from ackwb.steps.gateway.result import EnvoyResult
from ackwb.steps.gateway_backends import backend_findings
from ackwb.steps.gateway_match import GatewayMatch


def settle_pending(result: EnvoyResult) -> None:
    """Findings about the route taken were made before its hop was drawn: they move onto it now."""
    result.findings[:] = [
        Finding(f.code, f.severity, result.route_hop, f.message, f.evidence, f.check)
        if f.hop == "pending:route" else f
        for f in result.findings
    ]  # fmt: skip


def redirect(result: EnvoyResult, chosen: GatewayMatch) -> None:
    """A RequestRedirect filter: Envoy answers, the path ends here and is not broken."""
    hop_id = f"answer:{result.domain}{result.path}"
    label = f"Envoy answers {chosen.status}\n→ {chosen.location}"
    result.hops.append(Hop(hop_id, "answer", label, details=details(why=chosen.sentence())))
    result.edges.append(Edge(result.route_hop, hop_id, str(chosen.status)))
    message = f"{chosen.sentence()}: Envoy answers {chosen.status} itself, nothing is proxied."
    result.findings.append(Finding("GATEWAY_REDIRECT", Severity.INFO, hop_id, message, chosen.evidence))


def answered(result: EnvoyResult, chosen: GatewayMatch) -> None:
    """No usable backend (refs unresolved, none given, all weight 0): Envoy answers 500 itself."""
    assert chosen.route is not None and chosen.rule is not None
    found = backend_findings(chosen.route, chosen.rule, chosen.backends, result.route_hop)
    result.findings.extend(found)
    errors = [f for f in result.findings if f.hop == result.route_hop and f.severity is Severity.ERROR]
    if not errors:
        message = f"{chosen.sentence()}: the rule names no backend, so Envoy answers 500."
        where = chosen.rule.locator.split(" ", 1)[-1] + ".backendRefs"
        evidence = kube_evidence("httproutes", None, chosen.route.meta.key, where, "[]")
        errors = [Finding("GATEWAY_RULE_NO_BACKEND", Severity.ERROR, result.route_hop, message, (evidence,),
                          "kubectl get httproutes -A -o yaml")]  # fmt: skip
        result.findings.extend(errors)
    result.dead_end = f"Envoy answers 500: {errors[0].message}"


def no_gateway(result: EnvoyResult, found: reads.GatewayReads, serving: list[ControllerPod]) -> EnvoyResult:
    """The Gateway the proxy Service names could not be read (unknown) or is gone (blocked)."""
    error = found.errors.get(f"Gateway {found.key}")
    verdict = Verdict.UNKNOWN if error is not None else Verdict.BLOCKED
    result.hops.append(Hop(result.gateway_hop, "ingress", f"Gateway {found.key}\n?", verdict=verdict))
    for pod in serving:
        result.edges.append(Edge(pod.hop_id, result.gateway_hop, f"Host: {result.domain}"))
    if error is not None:
        result.findings.append(source_finding(error, result.gateway_hop, f"Gateway {found.key}"))
        result.dead_end = f"could not read Gateway {found.key}"
        return result
    message = (
        f"The load balancer's Envoy proxy Service names Gateway {found.key}, which does not exist: no "
        "listener or route is configured for the proxies, so they answer nothing."
    )
    result.findings.append(Finding(
        "GATEWAY_NOT_FOUND", Severity.ERROR, result.gateway_hop, message, tuple(result.evidence[:1]),
        f"kubectl -n {sh(found.namespace)} get gateway {sh(found.name)}",
    ))  # fmt: skip
    result.dead_end = message
    return result


def routes_unseen(result: EnvoyResult, error: SourceError) -> EnvoyResult:
    result.route_hop = f"httproute:{result.domain}"
    result.hops.append(
        Hop(result.route_hop, "ingress", f"HTTPRoute ?\n{result.domain}", verdict=Verdict.UNKNOWN)
    )
    result.edges.append(Edge(result.gateway_hop, result.route_hop, result.domain))
    settle_pending(result)
    result.dead_end = "could not read the HTTPRoutes"
    return result


def no_listener(result: EnvoyResult) -> None:
    """The load balancer sends to a proxy Service port that is no listener of the Gateway: Envoy has
    nothing bound there, so the connection is refused."""
    gateway, mapping = result.gateway, result.mapping
    assert gateway is not None and mapping is not None
    ports = ", ".join(f"{x.name} :{x.port}" for x in gateway.listeners) or "none"
    message = (
        f"The load balancer sends to port {mapping.service_port} of the Envoy proxy Service, but Gateway "
        f"{gateway.meta.key} has no listener on that port (its listeners: {ports}): Envoy refuses the "
        "connection."
    )
    evidence = kube_evidence(
        "gateways", gateway.meta.namespace, gateway.meta.name, "spec.listeners[].port", ports
    )
    check = f"kubectl -n {sh(gateway.meta.namespace)} get gateway {sh(gateway.meta.name)} -o yaml"
    code = "GATEWAY_NO_LISTENER_FOR_PORT"
    result.findings.append(Finding(code, Severity.ERROR, result.gateway_hop, message, (evidence,), check))
    result.dead_end = message
