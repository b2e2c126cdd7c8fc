"""The Ingress step's cross-checks between what the controller renders and what the cluster
declares: the IngressClass an Ingress asks for, whether the rendered location still names
the Service and port of the Ingress object, hosts that look like a typo of the one asked
for; and between the serving controllers, which must all route the request alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Evidence, Finding, Severity
from ackwb.sources import Sources, commands
from ackwb.steps.common import dig, kube_evidence, sh
from ackwb.steps.ingress.result import ControllerView, IngressResult

NGINX_CONTROLLER = "k8s.io/ingress-nginx"  # spec.controller of the IngressClasses ingress-nginx serves
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class ClassVerdict:
    """Which IngressClass one Ingress asks for and whether ingress-nginx serves it."""

    ingress: str  # namespace/name
    wanted: str | None  # None: no class named and no default class
    controller: str | None  # spec.controller of that class, None when the class does not exist
    served: bool
    evidence: tuple[Evidence, ...]


def ingress_class_of(obj: dict[str, Any]) -> str | None:
    annotations = dig(obj, "metadata", "annotations") or {}
    return dig(obj, "spec", "ingressClassName") or annotations.get(CLASS_ANNOTATION)


def class_verdicts(sources: Sources, ingresses: list[dict[str, Any]]) -> list[ClassVerdict]:
    """For each Ingress: its class (or the default class), that class's controller, served or not."""
    try:
        classes = {c["metadata"]["name"]: c for c in sources.kube.list("ingressclasses")}
    except SourceError:
        return []
    defaults = [n for n, c in classes.items() if dig(c, "metadata", "annotations", DEFAULT_CLASS) == "true"]
    verdicts = []
    for obj in ingresses:
        meta = obj["metadata"]
        named = ingress_class_of(obj)
        wanted = named or (defaults[0] if len(defaults) == 1 else None)
        found = classes.get(wanted or "")
        controller = dig(found or {}, "spec", "controller")
        evidence = [
            kube_evidence(
                "ingresses",
                meta["namespace"],
                meta["name"],
                "spec.ingressClassName" if dig(obj, "spec", "ingressClassName") else "class",
                named or "(none: the default class applies)",
            )
        ]
        if found is not None:
            evidence.append(
                kube_evidence("ingressclasses", None, wanted or "", "spec.controller", controller)
            )
        verdicts.append(
            ClassVerdict(
                f"{meta['namespace']}/{meta['name']}",
                wanted,
                controller,
                controller == NGINX_CONTROLLER,
                tuple(evidence),
            )
        )
    return verdicts


def served_class_names(sources: Sources) -> list[str]:
    try:
        classes = sources.kube.list("ingressclasses")
    except SourceError:
        return []
    return sorted(c["metadata"]["name"] for c in classes if dig(c, "spec", "controller") == NGINX_CONTROLLER)


def class_not_served(sources: Sources, verdicts: list[ClassVerdict], host: str) -> Finding | None:
    """The finding when no Ingress that asks for ``host`` is of a class ingress-nginx serves."""
    if not verdicts or any(v.served for v in verdicts):
        return None
    served = ", ".join(served_class_names(sources)) or "none"
    parts = []
    for v in verdicts:
        if v.wanted is None:
            parts.append(f"Ingress {v.ingress} names no IngressClass and the cluster has no default class")
        elif v.controller is None:
            parts.append(f"Ingress {v.ingress} asks for IngressClass {v.wanted}, which does not exist")
        else:
            parts.append(f"Ingress {v.ingress} asks for IngressClass {v.wanted} (controller {v.controller})")
    message = (
        f"{'; '.join(parts)}. ingress-nginx serves the classes whose controller is {NGINX_CONTROLLER} "
        f"({served}), so it has no server block for {host} and sends the request to its default "
        "backend (404)."
    )
    namespace, name = verdicts[0].ingress.split("/", 1)
    check = (
        f"kubectl get ingressclass; kubectl -n {sh(namespace)} get ingress {sh(name)} "
        "-o jsonpath='{.spec.ingressClassName}'"
    )
    evidence = tuple(e for v in verdicts for e in v.evidence)
    return Finding("INGRESS_CLASS_NOT_SERVED", Severity.ERROR, f"ingress:{host}", message, evidence, check)


def close_hosts(host: str, ingresses: list[dict[str, Any]]) -> list[str]:
    """Ingress hosts that look like a typo of ``host`` (or ``host`` a typo of them)."""
    import difflib  # only needed when a host has no rule

    hosts = sorted({r["host"] for i in ingresses for r in dig(i, "spec", "rules") or [] if r.get("host")})
    matches = difflib.get_close_matches(host, hosts, n=len(hosts), cutoff=0.85)
    # Two letters swapped (the same letters in another order) is the likeliest typo, more than a
    # sibling host such as app2 for app1: those come first.
    return sorted(matches, key=lambda h: sorted(h) != sorted(host))[:3]


def set_line(text: str, variable: str, after: int) -> tuple[int, str] | None:
    """The first ``set $variable ...;`` line at or after line ``after`` of a server block."""
    for number, line in enumerate(text.splitlines()[after - 1 :], start=after):
        if line.strip().startswith(f"set ${variable} "):
            return number, line.strip()
    return None


def check_in_sync(result: IngressResult, obj: dict[str, Any]) -> None:
    """The rendered location must name the Service and port the Ingress object names today."""
    location, controller = result.location, result.controller
    assert location is not None and controller is not None
    meta = obj["metadata"]
    rule = next((r for r in dig(obj, "spec", "rules") or [] if r.get("host") == result.domain), None)
    wanted_path = location.location_path or location.path
    entry = next(
        (p for p in dig(rule or {}, "http", "paths") or [] if p.get("path", "/") == wanted_path), None
    )
    service = dig(entry or {}, "backend", "service") or {}
    port = service.get("port") or {}
    declared = (service.get("name"), str(port.get("number") or port.get("name") or ""))
    rendered = (location.service_name, location.service_port)
    if declared == rendered:
        return
    if rule is None:
        now = f"has no rule for host {result.domain} any more"
    elif entry is None:
        now = f"has no path {wanted_path} for {result.domain} any more"
    else:
        now = f"now sends it to Service {declared[0]}:{declared[1]}"
    message = (
        f"The controller's nginx.conf sends {result.domain}{wanted_path} to Service "
        f"{rendered[0]}:{rendered[1]}, but Ingress {meta['namespace']}/{meta['name']} {now}: the "
        f"controller is out of sync (its last reload failed or it stopped syncing; its logs say why)."
    )
    source = f"{controller.name}: {commands.NGINX_CONF} (server {result.domain})"
    evidence = [
        Evidence(source, f"line {number}", line)
        for found in (
            set_line(result.server_block_text, v, location.line) for v in ("service_name", "service_port")
        )
        if found is not None
        for number, line in [found]
    ]
    evidence.append(
        kube_evidence(
            "ingresses",
            meta["namespace"],
            meta["name"],
            f"spec.rules[host={result.domain}].http.paths[path={wanted_path}].backend.service",
            service or None,
        )
    )
    check = (
        f"kubectl -n {sh(meta['namespace'])} get ingress {sh(meta['name'])} -o yaml; "
        f"kubectl -n {sh(controller.namespace)} logs {sh(controller.name)} --tail=50"
    )
    result.findings.append(
        Finding("INGRESS_OUT_OF_SYNC", Severity.ERROR, result.hop_id, message, tuple(evidence), check)
    )
    result.dead_end = result.dead_end or message


def controllers_disagree(result: IngressResult, primary: ControllerView, views: list[ControllerView]) -> None:
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
