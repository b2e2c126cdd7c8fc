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

from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Path, Severity, StepResult, Verdict
from ackwb.parse.backends import Backend, find_backend, parse_backends
from ackwb.parse.canary import TrafficTarget
from ackwb.parse.nginx_conf import Location, ServerBlock, match_location, parse_server_block
from ackwb.sources import Sources, commands
from ackwb.steps.common import details, dig, settle_verdicts, source_finding
from ackwb.steps.ecs import ControllerPod, NodeResult
from ackwb.steps.ingress.canary import check_canary
from ackwb.steps.ingress.checks import check_in_sync, class_not_served, class_verdicts, close_hosts

TITLE = "4. Host → Service (Ingress)"
SERVICE_UPSTREAM = "nginx.ingress.kubernetes.io/service-upstream"
DEFAULT_BACKEND = "upstream-default-backend"


@dataclass(kw_only=True)
class IngressResult(StepResult):
    path: str = "/"
    controller: ControllerPod | None = None
    server_block_text: str = ""
    server_block: ServerBlock | None = None
    location: Location | None = None
    namespace: str = ""
    ingress_name: str = ""
    service_name: str = ""
    service_port: str = ""  # a number or a port name, as nginx.conf holds it
    service_upstream: bool = False  # True: nginx proxies to the ClusterIP, so kube-proxy is on the path
    backend: Backend | None = None
    backend_endpoints: list[str] = field(default_factory=list)  # "ip:port" the balancer picks from
    traffic: tuple[TrafficTarget, ...] = ()  # the split with a canary backend (empty without one)

    @property
    def hop_id(self) -> str:
        return f"ingress:{self.namespace}/{self.ingress_name}"


def ingress(sources: Sources, nodes: NodeResult, path: str = "/") -> IngressResult:
    result = IngressResult(step="ingress", title=TITLE, domain=nodes.domain, prev=nodes, path=path or "/")
    ready = [c for c in nodes.controller_pods if c.ready] or nodes.controller_pods
    if not ready:
        result.dead_end = nodes.dead_end or "no ingress controller Pod to ask"
        return result
    result.controller = controller = ready[0]
    container = sources.settings.ingress_container
    command = commands.nginx_server_block(result.domain)
    try:
        output = sources.pod_exec.run(controller.namespace, controller.name, container, command)
        result.server_block_text = output.stdout
        if not output.stdout.strip():
            return _no_server_block(sources, result)
        source = f"{controller.name}: {commands.NGINX_CONF}"
        result.server_block = parse_server_block(output.stdout, result.domain, source)
    except SourceError as error:
        return _unknown(result, error, f"the server block of {result.domain} in {controller.name}")
    except AckwbError as error:
        return _unreadable(result, str(error))
    result.location = location = match_location(result.server_block, result.path)
    if location is None or location.upstream_name == DEFAULT_BACKEND:
        return _default_backend(result)
    result.namespace, result.ingress_name = location.namespace or "", location.ingress_name or ""
    result.service_name, result.service_port = location.service_name or "", location.service_port or ""
    result.evidence.append(
        Evidence(
            f"{controller.name}: {commands.NGINX_CONF} (server {result.domain})",
            f"line {location.line}",
            location.raw,
        )
    )
    obj = _read_ingress_object(sources, result)
    if obj is not None:
        check_in_sync(result, obj)
    _read_backends(sources, result)
    settle_verdicts(result)
    return result


def _read_ingress_object(sources: Sources, result: IngressResult) -> dict[str, Any] | None:
    try:
        obj = sources.kube.get("ingresses", result.ingress_name, result.namespace)
    except SourceError as error:
        result.findings.append(source_finding(error, result.hop_id, f"Ingress {result.ingress_name}"))
        obj = None
    annotations: dict[str, Any] = dig(obj or {}, "metadata", "annotations") or {}
    result.service_upstream = str(annotations.get(SERVICE_UPSTREAM, "")).lower() == "true"
    way = "ClusterIP (service-upstream)" if result.service_upstream else "Pod IPs"
    location = result.location
    assert location is not None
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
            ),
        )
    )
    assert result.controller is not None
    result.edges.append(Edge(result.controller.hop_id, result.hop_id, f"server {result.domain}"))
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
                check=f"kubectl -n {result.namespace} get ingress {result.ingress_name}",
            )
        )
    return obj


def _read_backends(sources: Sources, result: IngressResult) -> None:
    controller, location = result.controller, result.location
    assert controller is not None and location is not None
    container = sources.settings.ingress_container
    try:
        command = commands.nginx_backend(location.upstream_name or "")
        output = sources.pod_exec.run(controller.namespace, controller.name, container, command)
        text = f"[{output.stdout}]"  # /dbg backends get prints one backend object
        if output.exit_status != 0 or not output.stdout.strip():  # no /dbg in the image, or no such backend
            command = commands.nginx_backends_curl()
            text = sources.pod_exec.run(controller.namespace, controller.name, container, command).stdout
        backends = parse_backends(text, f"{controller.name}: {command}")
    except SourceError as error:
        result.findings.append(source_finding(error, result.hop_id, "the controller's dynamic backends"))
        return
    except AckwbError as error:
        result.findings.append(
            Finding("INGRESS_BACKENDS_UNREADABLE", Severity.WARNING, result.hop_id, str(error))
        )
        return
    result.backend = find_backend(backends, location.upstream_name or "")
    source = f"{controller.name}: {command}"
    if result.backend is None:
        message = f"The controller has no dynamic backend named {location.upstream_name}: nginx answers 503."
        result.findings.append(
            Finding(
                "INGRESS_BACKEND_MISSING",
                Severity.ERROR,
                result.hop_id,
                message,
                (Evidence(source, "[].name", ", ".join(b.name for b in backends)),),
                check=f"kubectl -n {controller.namespace} exec {controller.name} -- /dbg backends list",
            )
        )
        result.dead_end = result.dead_end or message
        return
    result.backend_endpoints = [f"{e.address}:{e.port}" for e in result.backend.endpoints]
    endpoints = Evidence(
        source,
        f"[name={result.backend.name}].endpoints",
        ", ".join(result.backend_endpoints) or "(absent: no endpoints)",
    )
    result.evidence.append(endpoints)
    check_canary(sources, result, backends, source)
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
                check=f"kubectl -n {controller.namespace} exec {controller.name} -- /dbg backends get "
                f"{result.backend.name}",
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
        f"kubectl -n {result.controller.namespace} exec {result.controller.name} -- "
        f"grep -n 'start server {result.domain}' {commands.NGINX_CONF}"
    )
    absent = Evidence(
        f"{result.controller.name}: {commands.NGINX_CONF}",
        f"## start server {result.domain}",
        "(no such marker: no server block for the host)",
    )
    finding = class_not_served(sources, class_verdicts(sources, claimed), result.domain) if claimed else None
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
    result.edges.append(Edge(result.controller.hop_id, hop_id, f"Host: {result.domain}"))
    result.findings.append(finding)
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
    result.edges.append(Edge(result.controller.hop_id, hop_id, f"Host: {result.domain}"))
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
        f"kubectl -n {result.controller.namespace} exec {result.controller.name} -- "
        f"grep -n 'location ' {commands.NGINX_CONF}"
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
