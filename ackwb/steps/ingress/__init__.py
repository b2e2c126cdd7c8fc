"""Step 4, Ingress (host → Service): which server block and location of the ingress-nginx
controller serve the host and path, which Service and port they name, and which
endpoints the controller's Lua balancer really sends the request to (and what share a
canary takes: ``ingress_canary``).

nginx.conf holds no endpoints: the location sets ``$proxy_upstream_name`` and the
dynamic backends (``/dbg backends all``) hold the endpoints under that name. They are
Pod IPs, unless the Ingress has ``service-upstream: "true"``, which makes the single
endpoint the Service's ClusterIP. The cross-checks against the cluster's objects (class,
sync) live in ``ingress_checks``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Path, Severity, Verdict
from ackwb.sources import Sources, commands
from ackwb.steps.common import attempt, details, dig, settle_verdicts, sh, source_finding
from ackwb.steps.ecs.result import ControllerPod, NodeResult
from ackwb.steps.front_door import Door
from ackwb.steps.ingress.canary import check_canary
from ackwb.steps.ingress.checks import check_in_sync, class_not_served, class_verdicts, close_hosts
from ackwb.steps.ingress.controller import DEFAULT_BACKEND, read_view
from ackwb.steps.ingress.l4 import ingress_for
from ackwb.steps.ingress.objects import object_findings
from ackwb.steps.ingress.request import evaluate
from ackwb.steps.ingress.result import ControllerView, IngressResult

TITLE = "4. Host → Service (Ingress)"
SERVICE_UPSTREAM = "nginx.ingress.kubernetes.io/service-upstream"
NOT_RENDERED_BECAUSE = ("INGRESS_WITHOUT_CLASS",)  # object findings that say why a host has no server
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
        return _unknown(result, error, f"the server block of {result.domain} in {serving[0].name}")
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
            return _unreadable(result, primary.problem)
        return _no_server_block(sources, result)
    location = primary.location
    if location is None or location.upstream_name == DEFAULT_BACKEND:
        return _default_backend(result)
    result.namespace, result.ingress_name = location.namespace or "", location.ingress_name or ""
    result.service_name, result.service_port = location.service_name or "", location.service_port or ""
    result.evidence.extend(primary.evidence)
    if not _names_valid(result, primary):
        return result
    obj = _read_ingress_object(sources, result, [v.controller for v in views if v.route == primary.route])
    if obj is not None:
        check_in_sync(result, obj)
    _use_backends(sources, result, primary)
    _compare_controllers(result, primary, views)
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


def _compare_controllers(result: IngressResult, primary: ControllerView, views: list[ControllerView]) -> None:
    """Every other serving controller must route the request as the first does: one that has no
    server block, another location or Service, or other endpoints serves its share differently."""
    for view in views:
        if view is primary:
            continue
        controller = view.controller
        if view.route != primary.route or view.block is None:
            what = view.problem or (
                f"sends {result.domain}{result.path} to {view.route[0]}:{view.route[1]}"
                if view.location
                else "has no location for the path"
            )
            severity = Severity.ERROR
        elif view.backends_read and set(view.endpoints) != set(primary.endpoints):
            what = (
                f"balances {view.backend.name if view.backend else '?'} over "
                f"{', '.join(view.endpoints) or 'nothing'} (the first controller: "
                f"{', '.join(primary.endpoints) or 'nothing'})"
            )
            severity = Severity.WARNING
        else:
            continue
        message = (
            f"Controller {controller.name} differs from {primary.controller.name}: it {what}. The load "
            "balancer sends it a share of the requests, which it serves differently (it missed an "
            "update; its logs say why)."
        )
        check = (
            f"kubectl -n {sh(controller.namespace)} exec {sh(controller.name)} -- "
            f"grep -n {sh('start server ' + result.domain)} {sh(commands.NGINX_CONF)}"
        )
        result.findings.append(
            Finding(
                "INGRESS_CONTROLLERS_DISAGREE", severity, controller.hop_id, message, view.evidence, check
            )
        )


def _no_server_block(sources: Sources, result: IngressResult) -> IngressResult:
    """No server block for the host: say whether any Ingress asks for it at all."""
    assert result.controller is not None
    try:
        ingresses = sources.kube.list("ingresses")
    except SourceError:
        ingresses = []
    claimed = [
        i for i in ingresses if any(r.get("host") == result.domain for r in dig(i, "spec", "rules") or [])
    ]
    names = ", ".join(f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in claimed)
    hop_id = f"ingress:{result.domain}"
    check = (
        f"kubectl -n {sh(result.controller.namespace)} exec {sh(result.controller.name)} -- "
        f"grep -n {sh('start server ' + result.domain)} {sh(commands.NGINX_CONF)}"
    )
    absent = Evidence(
        f"{result.controller.name}: {commands.NGINX_CONF}",
        f"## start server {result.domain}",
        "(no such marker: no server block for the host)",
    )
    across = object_findings(sources, result.domain, result.controller, hop_id, ingresses)
    why = [f for f in across if f.code in NOT_RENDERED_BECAUSE and f.severity is Severity.ERROR]
    why += [f for f in across if f.code == "INGRESS_CANARY_WITHOUT_MAIN" and claimed]
    finding = why[0] if why else None
    if finding is None and claimed:
        finding = class_not_served(sources, class_verdicts(sources, claimed), result.domain)
    if finding is None and claimed:
        message = (
            f"Ingress {names} asks for host {result.domain}, but controller {result.controller.name} has "
            "no server block for it: the controller is out of sync (check its logs)."
        )
        finding = Finding("INGRESS_NOT_RENDERED", Severity.ERROR, hop_id, message, (absent,), check)
    elif finding is None:
        similar = close_hosts(result.domain, ingresses)
        hint = f" Ingress hosts that look alike: {', '.join(similar)} (a typo?)." if similar else ""
        message = (
            f"No Ingress in any namespace has a rule for host {result.domain}; the controller sends the "
            f"request to its default backend (404).{hint}"
        )
        finding = Finding("INGRESS_NO_RULE_FOR_HOST", Severity.ERROR, hop_id, message, (absent,), check)
    result.hops.append(Hop(hop_id, "ingress", f"no server block\n{result.domain}", verdict=Verdict.BLOCKED))
    for view in result.views:
        if view.block is None:
            result.edges.append(Edge(view.controller.hop_id, hop_id, f"Host: {result.domain}"))
    result.findings.append(finding)
    result.findings += [f for f in across if f is not finding]
    result.dead_end = finding.message
    return result


def _default_backend(result: IngressResult) -> IngressResult:
    assert result.controller is not None
    hop_id = f"ingress:{result.domain}"
    message = (
        f"No location of the {result.domain} server block matches path {result.path}; the request goes "
        "to the default backend (404)."
    )
    result.hops.append(
        Hop(hop_id, "ingress", f"default backend\n{result.domain}{result.path}", verdict=Verdict.BLOCKED)
    )
    for view in result.views:
        if view.block is not None and view.route == (None, None, None) or view.location == result.location:
            result.edges.append(Edge(view.controller.hop_id, hop_id, f"Host: {result.domain}"))
    block = result.server_block
    locations = [f"{loc.modifier} {loc.path}".strip() for loc in block.locations] if block else []
    evidence = (
        Evidence(
            f"{result.controller.name}: {commands.NGINX_CONF} (server {result.domain})",
            "location",
            ", ".join(locations) or "(none)",
        ),
    )
    check = (
        f"kubectl -n {sh(result.controller.namespace)} exec {sh(result.controller.name)} -- "
        f"grep -n 'location ' {sh(commands.NGINX_CONF)}"
    )
    result.findings.append(
        Finding("INGRESS_NO_RULE_FOR_PATH", Severity.ERROR, hop_id, message, evidence, check)
    )
    result.dead_end = message
    return result


def _unknown(result: IngressResult, error: SourceError, what: str) -> IngressResult:
    assert result.controller is not None
    hop_id = f"ingress:{result.domain}"
    result.hops.append(Hop(hop_id, "ingress", result.domain, verdict=Verdict.UNKNOWN))
    result.edges.append(Edge(result.controller.hop_id, hop_id, f"Host: {result.domain}"))
    result.findings.append(source_finding(error, hop_id, what))
    result.dead_end = f"could not read {what}"
    return result


def _unreadable(result: IngressResult, reason: str) -> IngressResult:
    assert result.controller is not None
    hop_id = f"ingress:{result.domain}"
    result.hops.append(Hop(hop_id, "ingress", result.domain, verdict=Verdict.UNKNOWN, path=Path.REQUEST))
    result.findings.append(Finding("INGRESS_CONFIG_UNREADABLE", Severity.WARNING, hop_id, reason))
    result.dead_end = reason
    return result
