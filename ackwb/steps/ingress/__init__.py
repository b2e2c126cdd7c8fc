"""Step 4, Ingress (host → Service): which server block and location of the ingress-nginx
controller serve the host and path, which Service and port they name, and which
endpoints the controller's Lua balancer really sends the request to (and what share a
canary takes: ``ingress_canary``).

nginx.conf holds no endpoints: the location sets ``$proxy_upstream_name`` and the
dynamic backends (``/dbg backends all``) hold the endpoints under that name. They are
Pod IPs, unless the Ingress has ``service-upstream: "true"``, which makes the single
endpoint the Service's ClusterIP. The cross-checks against the cluster's objects (class,
sync, other controllers) live in ``ingress.checks``, the dead ends (no server block, the
default backend, an unreadable config) in ``ingress.unserved``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import attempt, details, dig, settle_verdicts, sh, source_finding
from ackwb.steps.ecs.result import ControllerPod, NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.canary import check_canary
from ackwb.steps.ingress.checks import check_in_sync, controllers_disagree
from ackwb.steps.ingress.controller import DEFAULT_BACKEND, read_view
from ackwb.steps.ingress.l4 import ingress_for
from ackwb.steps.ingress.objects import object_findings
from ackwb.steps.ingress.request import evaluate
from ackwb.steps.ingress.result import ControllerView, IngressResult
from ackwb.steps.ingress.unserved import default_backend, no_server_block, unknown, unreadable

TITLE = "4. Host → Service (Ingress)"
SERVICE_UPSTREAM = "nginx.ingress.kubernetes.io/service-upstream"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

__all__ = ["ControllerView", "IngressResult", "ingress"]


def ingress(sources: Sources, nodes: NodeResult, path: str = "/") -> IngressResult:
    result = IngressResult(step="ingress", title=TITLE, domain=nodes.domain, prev=nodes, path=path or "/")
    if nodes.door is Door.L4_SERVICE:  # nothing reads HTTP: the Service itself answers
        return ingress_for(nodes, result)
    if nodes.door is Door.ENVOY_GATEWAY:  # Envoy evaluates the Gateway's HTTPRoutes
        from ackwb.steps.gateway.envoy import envoy_path

        return envoy_path(sources, nodes, path)
    serving = nodes.serving or [c for c in nodes.controller_pods if c.ready] or nodes.controller_pods
    if not serving:
        result.dead_end = nodes.dead_end or "no ingress controller Pod to ask"
        return result
    answers = sources.gather(
        [attempt(lambda c=c: read_view(sources, c, result.domain, result.path)) for c in serving]
    )
    views = [a for a in answers if isinstance(a, ControllerView)]
    result.views = views
    if not views:  # no controller could be asked at all
        error = next(a for a in answers if isinstance(a, SourceError))
        result.controller = serving[0]
        return unknown(result, error, f"the server block of {result.domain} in {serving[0].name}")
    primary = next((v for v in views if v.block is not None), views[0])
    result.controller = primary.controller
    result.server_block_text, result.server_block, result.location = (
        primary.text,
        primary.block,
        primary.location,
    )
    for answer, controller in zip(answers, serving, strict=True):
        if isinstance(answer, SourceError):
            result.findings.append(
                source_finding(answer, controller.hop_id, f"the server block in {controller.name}")
            )
    if primary.block is None:
        if primary.problem.startswith("unreadable"):
            return unreadable(result, primary.problem)
        return no_server_block(sources, result)
    location = primary.location
    if location is None or location.upstream_name == DEFAULT_BACKEND:
        return default_backend(result)
    result.namespace, result.ingress_name = location.namespace or "", location.ingress_name or ""
    result.service_name, result.service_port = location.service_name or "", location.service_port or ""
    result.evidence.extend(primary.evidence)
    if not _names_valid(result, primary):
        return result
    obj = _read_ingress_object(sources, result, [v.controller for v in views if v.route == primary.route])
    if obj is not None:
        check_in_sync(result, obj)
    _use_backends(sources, result, primary)
    controllers_disagree(result, primary, views)
    host_ingresses = _host_ingresses(sources, result.domain)
    evaluate(result, primary, host_ingresses)
    across = object_findings(sources, result.domain, result.controller, result.hop_id, host_ingresses)
    result.findings += across
    settle_verdicts(result)
    return result


def _read_ingress_object(
    sources: Sources, result: IngressResult, agreeing: list[ControllerPod]
) -> dict[str, Any] | None:
    """The Ingress object the location was rendered from; draws the Ingress hop, reached by every
    controller that routes the request the same way."""
    try:
        obj = sources.kube.get("ingresses", result.ingress_name, result.namespace)
    except SourceError as error:
        result.findings.append(source_finding(error, result.hop_id, f"Ingress {result.ingress_name}"))
        obj = None
    result.ingress_object = obj
    annotations: dict[str, Any] = dig(obj or {}, "metadata", "annotations") or {}
    result.service_upstream = str(annotations.get(SERVICE_UPSTREAM, "")).lower() == "true"
    way = "ClusterIP (service-upstream)" if result.service_upstream else "Pod IPs"
    location = result.location
    assert location is not None and result.controller is not None
    result.hops.append(
        Hop(
            result.hop_id,
            "ingress",
            f"Ingress {result.ingress_name}\n{result.domain}{location.location_path or '/'}",
            details=details(
                namespace=result.namespace,
                location=f"{location.modifier} {location.path}".strip(),
                service=f"{result.service_name}:{result.service_port}",
                upstream=location.upstream_name,
                balances_to=way,
                controllers=len(agreeing),
            ),
            arrives=_arriving(result),
            rewrite="nginx ends the client's connection and opens its own to the upstream; the client's "
            "address travels in X-Forwarded-For and X-Real-IP",
        )
    )
    for controller in agreeing:
        result.edges.append(Edge(controller.hop_id, result.hop_id, f"server {result.domain}"))
    result.rows.append(
        {
            "controller pod": result.controller.name,
            "server_name": result.domain,
            "location": f"{location.modifier} {location.path}".strip(),
            "ingress": f"{result.namespace}/{result.ingress_name}",
            "$service_name": result.service_name,
            "$service_port": result.service_port,
            "upstream": location.upstream_name,
            "service-upstream": result.service_upstream,
        }
    )
    if obj is None:
        result.findings.append(
            Finding(
                "INGRESS_OBJECT_MISSING",
                Severity.WARNING,
                result.hop_id,
                f"nginx.conf serves {result.domain} from Ingress {result.namespace}/{result.ingress_name}, "
                "which no longer exists: the controller is out of sync.",
                check=f"kubectl -n {sh(result.namespace)} get ingress {sh(result.ingress_name)}",
            )
        )
    return obj


def _names_valid(result: IngressResult, view: ControllerView) -> bool:
    """The namespace, Ingress and Service the location names must be Kubernetes names (DNS-1123):
    they are looked up and shown in commands to paste. A location that names anything else is
    not followed (its hop is unknown, the finding quotes the line)."""
    names = {"namespace": result.namespace, "Ingress": result.ingress_name, "Service": result.service_name}
    bad = {kind: name for kind, name in names.items() if not DNS_LABEL.match(name)}
    if not bad:
        return True
    hop_id = f"ingress:{result.domain}"
    said = "; ".join(f"{kind} {name!r}" for kind, name in bad.items())
    message = (
        f"The location nginx uses for {result.domain}{result.path} names {said}, which is not a Kubernetes "
        "name (lower-case letters, digits and '-', at most 63): the rendered config was edited by hand or "
        "by a snippet; ackwb follows it no further."
    )
    result.hops.append(
        Hop(hop_id, "ingress", f"location\n{result.domain}{result.path}", verdict=Verdict.UNKNOWN)
    )
    for controller in (v.controller for v in result.views):
        result.edges.append(Edge(controller.hop_id, hop_id, f"Host: {result.domain}"))
    result.findings.append(
        Finding("INGRESS_NAME_NOT_VALID", Severity.WARNING, hop_id, message, view.evidence)
    )
    result.dead_end = message
    result.service_name = ""  # nothing to follow: the later steps stop here
    return False


def _host_ingresses(sources: Sources, host: str) -> list[dict[str, Any]]:
    """Every Ingress with a rule or a TLS section for ``host`` (empty when they cannot be listed)."""
    try:
        ingresses = sources.kube.list("ingresses")
    except SourceError:
        return []
    return [
        i
        for i in ingresses
        if any(r.get("host") == host for r in dig(i, "spec", "rules") or [])
        or any(host in (t.get("hosts") or []) for t in dig(i, "spec", "tls") or [])
    ]


def _arriving(result: IngressResult) -> Packet | None:
    """The packet as nginx receives it: from the source the earlier hops left it with."""
    controller = result.controller
    nodes = result.earlier("ecs")
    if controller is None or not isinstance(nodes, NodeResult):
        return None
    hop = next((h for h in nodes.hops if h.id == controller.hop_id), None)
    return hop.arrives if hop else None


def _use_backends(sources: Sources, result: IngressResult, view: ControllerView) -> None:
    """The endpoints nginx balances the location over, from the first controller's dynamic backends."""
    controller, location = view.controller, result.location
    assert location is not None
    if not view.backends_read:
        message = f"Could not read the dynamic backends of {controller.name}: {view.problem}."
        result.findings.append(
            Finding("INGRESS_BACKENDS_UNREADABLE", Severity.WARNING, result.hop_id, message)
        )
        _mark(result, Verdict.UNKNOWN)
        result.dead_end = (
            result.dead_end or f"could not read which endpoints nginx balances {result.domain} over"
        )
        return
    result.backend = view.backend
    source = view.backends_source
    if result.backend is None:
        message = f"The controller has no dynamic backend named {location.upstream_name}: nginx answers 503."
        result.findings.append(
            Finding(
                "INGRESS_BACKEND_MISSING",
                Severity.ERROR,
                result.hop_id,
                message,
                (Evidence(source, "[].name", ", ".join(b.name for b in view.backends)),),
                check=f"kubectl -n {sh(controller.namespace)} exec {sh(controller.name)} -- "
                "/dbg backends list",
            )
        )
        result.dead_end = result.dead_end or message
        return
    result.backend_endpoints = list(view.endpoints)
    if result.backend.service_type == "ExternalName":  # the endpoint is a DNS name nginx resolves
        way = f"the external name {result.backend.external_name} (ExternalName), resolved by nginx"
        result.hops = [
            replace(h, details=tuple((k, way if k == "balances to" else v) for k, v in h.details))
            if h.id == result.hop_id
            else h
            for h in result.hops
        ]
    endpoints = Evidence(
        source,
        f"[name={result.backend.name}].endpoints",
        ", ".join(result.backend_endpoints) or "(absent: no endpoints)",
    )
    result.evidence.append(endpoints)
    check_canary(sources, result, list(view.backends), source)
    _leaving(result)
    if not result.backend_endpoints:
        # No dead end here: the Service step says why there is no endpoint (selector, readiness…),
        # and the Pod step says so when nginx's list disagrees with the EndpointSlices.
        result.findings.append(
            Finding(
                "INGRESS_BACKEND_NO_ENDPOINTS",
                Severity.ERROR,
                result.hop_id,
                f"Dynamic backend {result.backend.name} has no endpoints: nginx answers 503.",
                (endpoints,),
                check=f"kubectl -n {sh(controller.namespace)} exec {sh(controller.name)} -- "
                "/dbg backends get "
                f"{sh(result.backend.name)}",
            )
        )


def _leaving(result: IngressResult) -> None:
    """The Ingress hop with the packet nginx sends: from the controller to an endpoint."""
    controller = result.controller
    hop = next((h for h in result.hops if h.id == result.hop_id), None)
    if controller is None or hop is None:
        return
    target = ", ".join(result.backend_endpoints) or "nothing"
    leaves = Packet(f"{controller.pod_ip}:*", target)
    result.hops = [replace(h, leaves=leaves) if h.id == hop.id else h for h in result.hops]


def _mark(result: IngressResult, verdict: Verdict) -> None:
    result.hops = [replace(h, verdict=verdict) if h.id == result.hop_id else h for h in result.hops]
