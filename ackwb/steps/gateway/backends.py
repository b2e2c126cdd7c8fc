"""The backends an HTTPRoute rule forwards to on Envoy: one hop per backendRef with its weight and
share, and the Pod IPs Envoy balances over.

Envoy Gateway gives Envoy the endpoints of each backend Service's EndpointSlices (the Pod IPs
and the target port), not its ClusterIP: Envoy itself picks a Pod, as nginx's Lua balancer
does, so kube-proxy is not on the request path. The backend with the largest share is the one
the Service and Pod steps follow (as the ALB's largest server group and nginx's main backend
are); the others are drawn with their endpoints. A backendRef that cannot be used is blocked
with the reason ``gateway_backends`` gives; its share of the requests gets a 500.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ackwb.errors import ParseError
from ackwb.model import Edge, Finding, Hop, Packet, Severity, Verdict
from ackwb.parse.endpointslices import endpoints_for_port
from ackwb.sources import Sources
from ackwb.steps.common import details, dig, kube_evidence, sh, source_finding
from ackwb.steps.gateway import reads
from ackwb.steps.gateway.result import EnvoyResult
from ackwb.steps.gateway_backends import BackendShare, backend_findings


def _port_name(service: dict[str, Any] | None, port: int | None) -> str | None:
    """The name of the Service port ``port`` (the EndpointSlices name their ports by it)."""
    for entry in dig(service or {}, "spec", "ports") or []:
        if entry.get("port") == port:
            return str(entry.get("name") or "")
    return None


def _endpoints(sources: Sources, result: EnvoyResult, share: BackendShare, hop: str,
               found: reads.GatewayReads) -> list[str] | None:  # fmt: skip
    """The ready "ip:port" Envoy balances this backend over; None when they could not be read."""
    ref = share.ref
    name = _port_name(found.services.get(f"{ref.namespace}/{ref.name}"), ref.port)
    slices = reads.endpoint_slices(sources, ref.namespace, ref.name)
    if not isinstance(slices, list):
        result.findings.append(
            source_finding(slices, hop, f"the EndpointSlices of {ref.namespace}/{ref.name}")
        )
        return None
    if name is None:
        return []
    try:
        endpoints = endpoints_for_port(slices, name, f"endpointslices {ref.namespace}/{ref.name}")
    except ParseError:
        return None
    return [f"{e.address}:{e.port}" for e in endpoints if e.ready]


def draw_backends(sources: Sources, result: EnvoyResult, found: reads.GatewayReads) -> None:
    chosen = result.match
    assert chosen is not None and chosen.route is not None and chosen.rule is not None
    route, rule = chosen.route, chosen.rule
    used = [s for s in chosen.backends if s.valid and s.share]
    main = max(used, key=lambda s: s.share, default=None)
    sources.gather(  # every backend's EndpointSlices at once; the loop below finds them in the session
        [lambda ref=s.ref: reads.endpoint_slices(sources, ref.namespace, ref.name) for s in chosen.backends
         if s.valid]
    )  # fmt: skip
    for share in chosen.backends:
        ref = share.ref
        target = share.target
        hop_id = f"gwbackend:{target}"
        result.backend_hops[target] = hop_id
        endpoints = _endpoints(sources, result, share, hop_id, found) if share.valid else None
        result.endpoints_by_backend[target] = endpoints or []
        verdict = Verdict.OK
        if not share.valid:
            verdict = Verdict.BLOCKED
        elif not share.share:
            verdict = Verdict.NOT_REACHED
        elif endpoints is None:
            verdict = Verdict.UNKNOWN
        result.hops.append(Hop(
            hop_id, "upstream", f"Service {target}\nweight {ref.weight} ({share.share:.0%})", verdict=verdict,
            details=details(kind=ref.kind, weight=ref.weight, share=f"{share.share:.0%}",
                            reference_grant=share.grant, cannot_be_used=share.message,
                            endpoints=_listed(endpoints),
                            balances_to="Pod IPs (EndpointSlices)"),
        ))  # fmt: skip
        result.edges.append(Edge(result.route_hop, hop_id, f"weight {ref.weight} ({share.share:.0%})"))
        result.rows.append({
            "route": route.meta.key, "backend": target, "weight": ref.weight, "share": f"{share.share:.0%}",
            "usable": share.valid, "endpoints": ", ".join(endpoints or []),
        })  # fmt: skip
        result.findings.extend(backend_findings(route, replace(rule, backends=(ref,)), [share], hop_id)
                               if not share.valid else [])  # fmt: skip
        if share.valid and share.share and endpoints == []:
            result.findings.append(_no_endpoints(share, hop_id))
    if main is None:
        result.dead_end = result.dead_end or "no backend of the rule can be used"
        return
    result.namespace, result.service_name = main.ref.namespace, main.ref.name
    result.service_port = str(main.ref.port or "")
    result.backend_endpoints = list(result.endpoints_by_backend.get(main.target, []))
    controller = result.controller
    if controller is not None:
        hop_id = result.backend_hops[main.target]
        leaves = Packet(f"{controller.pod_ip}:*", ", ".join(result.backend_endpoints) or "nothing")
        result.hops = [replace(h, leaves=leaves) if h.id == hop_id else h for h in result.hops]


def _listed(endpoints: list[str] | None) -> str:
    return ", ".join(endpoints) if endpoints else ("none" if endpoints == [] else "not read")


def _no_endpoints(share: BackendShare, hop: str) -> Finding:
    ref = share.ref
    return Finding(
        "GATEWAY_BACKEND_NO_ENDPOINTS",
        Severity.ERROR,
        hop,
        f"Service {share.target} has no ready endpoint on port {ref.port}: Envoy answers 503 for the "
        f"{share.share:.0%} of this rule's requests it sends there.",
        (kube_evidence("endpointslices", ref.namespace, ref.name, "endpoints[ready]", "(none)"),),
        check=f"kubectl -n {sh(ref.namespace)} get endpointslices -l "
        f"kubernetes.io/service-name={sh(ref.name)}",
    )
