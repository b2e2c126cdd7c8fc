"""Which HTTPRoutes attach to which listener of a Gateway, and what the status conditions say.

A route attaches through a ``parentRef`` naming the Gateway (group gateway.networking.k8s.io,
kind Gateway, the route's namespace unless given), narrowed to one listener by ``sectionName``
and/or ``port``. The listener must allow the route: ``allowedRoutes.namespaces.from`` Same (the
Gateway's namespace, the default), All, or Selector (the route's namespace labels match), and
``allowedRoutes.kinds`` (when empty, an HTTP or HTTPS listener takes HTTPRoutes); and the
hostnames must intersect (``ackwb.parse.gateway_hosts``). Otherwise the route is not accepted
by that parent, with reason NoMatchingParent, NotAllowedByListeners or
NoMatchingListenerHostname (kubernetes-sigs/gateway-api ``apis/v1``: ParentReference,
AllowedRoutes, HTTPRouteSpec.Hostnames, RouteConditionReason).

Findings quote the controller's own status conditions, reason and message:
``GATEWAY_CLASS_NOT_ACCEPTED``, ``GATEWAY_NOT_ACCEPTED``, ``GATEWAY_NOT_PROGRAMMED``,
``GATEWAY_NO_ADDRESS`` (warning), ``GATEWAY_LISTENER_CONFLICTED``, ``GATEWAY_LISTENER_NOT_READY``,
``GATEWAY_ROUTE_NOT_ACCEPTED``, ``GATEWAY_ROUTE_REFS_UNRESOLVED``; and, when the status does not
already say so, ``GATEWAY_ROUTE_NOT_ATTACHED`` (the spec's own reason, computed here) and
``GATEWAY_ROUTE_NO_STATUS`` (warning: no controller wrote status for this parent). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.common import selector_matches
from ackwb.parse.gateway_api import read_gateway, read_gateway_class, read_http_route
from ackwb.parse.gateway_hosts import intersect
from ackwb.parse.gateway_records import (
    GROUP,
    Condition,
    GatewayClassRecord,
    GatewayRecord,
    HTTPRouteRecord,
    Listener,
    ParentRef,
)

HOP = "gateway"
HTTP_PROTOCOLS = ("HTTP", "HTTPS")


@dataclass(frozen=True)
class AttachedRoute:
    route: HTTPRouteRecord
    listener: Listener
    parent: ParentRef
    hostnames: tuple[str, ...]  # the route's hostnames on this listener; () = any host


@dataclass(frozen=True)
class Rejected:
    route: HTTPRouteRecord
    parent: ParentRef
    reason: str  # NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname
    message: str


@dataclass(frozen=True)
class Attachments:
    gateway: GatewayRecord
    routes: tuple[AttachedRoute, ...]
    rejected: tuple[Rejected, ...]
    findings: tuple[Finding, ...]


def _refers_to(parent: ParentRef, gateway: GatewayRecord) -> bool:
    return (parent.group, parent.kind, parent.namespace, parent.name) == (
        GROUP,
        "Gateway",
        gateway.meta.namespace,
        gateway.meta.name,
    )


def _allows(
    listener: Listener, gateway: GatewayRecord, namespace: str, labels: Mapping[str, str] | None
) -> str:
    """ "" when the listener takes HTTPRoutes from ``namespace``, else why not."""
    kinds = listener.allowed_kinds
    if (kinds and (GROUP, "HTTPRoute") not in kinds) or (
        not kinds and listener.protocol not in HTTP_PROTOCOLS
    ):
        return f"listener {listener.name} ({listener.protocol}) does not take HTTPRoutes"
    if listener.allowed_from == "Same" and namespace != gateway.meta.namespace:
        return f"listener {listener.name} takes routes from namespace {gateway.meta.namespace} only"
    if listener.allowed_from == "Selector" and (
        labels is None or not selector_matches(listener.selector, labels)
    ):
        return f"listener {listener.name} takes routes from namespaces matching {listener.selector} only"
    if listener.allowed_from not in ("Same", "All", "Selector"):
        return f"listener {listener.name} allows routes from {listener.allowed_from!r}"
    return ""


def _one(
    gateway: GatewayRecord,
    route: HTTPRouteRecord,
    parent: ParentRef,
    namespaces: Mapping[str, Mapping[str, str]],
) -> tuple[list[AttachedRoute], Rejected | None]:
    listeners = [
        x
        for x in gateway.listeners
        if parent.section_name in (None, x.name) and parent.port in (None, x.port)
    ]
    if not listeners:
        wanted = " ".join(
            x
            for x in (
                parent.section_name and f"sectionName {parent.section_name}",
                parent.port and f"port {parent.port}",
            )
            if x
        )
        return [], Rejected(route, parent, "NoMatchingParent", f"the Gateway has no listener with {wanted}")
    attached, problems = [], []
    for listener in listeners:
        why = _allows(listener, gateway, route.meta.namespace, namespaces.get(route.meta.namespace))
        hosts = intersect(listener.hostname, route.hostnames) if not why else None
        if why:
            problems.append(("NotAllowedByListeners", why))
        elif hosts is None:
            problems.append(
                (
                    "NoMatchingListenerHostname",
                    f"listener {listener.name} hostname {listener.hostname} does not intersect "
                    f"{', '.join(route.hostnames)}",
                )
            )
        else:
            attached.append(AttachedRoute(route, listener, parent, hosts))
    if attached:
        return attached, None
    reason = (
        "NotAllowedByListeners" if any(r == "NotAllowedByListeners" for r, _ in problems) else problems[0][0]
    )
    return [], Rejected(route, parent, reason, "; ".join(m for _, m in problems))


def _evidence(source: str, key: str, condition: Condition) -> Evidence:
    return Evidence(
        source,
        f"{key} {condition.locator}",
        f"{condition.type}={condition.status} reason={condition.reason} message={condition.message}",
    )


def _said(condition: Condition) -> str:
    return f"{condition.type} is {condition.status} ({condition.reason}): {condition.message or 'no message'}"


def _gateway_findings(gateway: GatewayRecord, klass: GatewayClassRecord | None, hop: str) -> list[Finding]:
    found = []
    key = gateway.meta.key
    if klass is not None:
        for c in klass.conditions:
            if c.type == "Accepted" and c.status == "False":
                text = f"GatewayClass {klass.meta.name} ({klass.controller}): {_said(c)}"
                evidence = (_evidence("kube:gatewayclasses", klass.meta.name, c),)
                found.append(Finding("GATEWAY_CLASS_NOT_ACCEPTED", Severity.ERROR, hop, text, evidence))
    programmed_false = False
    for c in gateway.conditions:
        code = {"Accepted": "GATEWAY_NOT_ACCEPTED", "Programmed": "GATEWAY_NOT_PROGRAMMED"}.get(c.type)
        if code and c.status == "False":
            programmed_false |= c.type == "Programmed"
            found.append(
                Finding(
                    code,
                    Severity.ERROR,
                    hop,
                    f"Gateway {key}: {_said(c)}",
                    (_evidence("kube:gateways", key, c),),
                )
            )
    if not gateway.addresses and not programmed_false:
        found.append(
            Finding(
                "GATEWAY_NO_ADDRESS",
                Severity.WARNING,
                hop,
                f"Gateway {key} has no address in status.addresses yet: nothing answers for it.",
                (Evidence("kube:gateways", f"{key} status.addresses", "[]"),),
            )
        )
    for status in gateway.listener_status:
        for c in status.conditions:
            bad = (c.type == "Conflicted" and c.status == "True") or (
                c.type in ("Accepted", "ResolvedRefs", "Programmed") and c.status == "False"
            )
            if bad:
                code = (
                    "GATEWAY_LISTENER_CONFLICTED" if c.type == "Conflicted" else "GATEWAY_LISTENER_NOT_READY"
                )
                found.append(
                    Finding(
                        code,
                        Severity.ERROR,
                        hop,
                        f"Gateway {key} listener {status.name}: {_said(c)}",
                        (_evidence("kube:gateways", key, c),),
                    )
                )
    return found


def _route_findings(
    gateway: GatewayRecord, route: HTTPRouteRecord, rejected: Sequence[Rejected], attached: bool, hop: str
) -> list[Finding]:
    found = []
    key = route.meta.key
    statuses = [s for s in route.status if _refers_to(s.parent, gateway)]
    said_not_accepted = False
    for status in statuses:
        for c in status.conditions:
            if c.status != "False" or c.type not in ("Accepted", "ResolvedRefs"):
                continue
            code = "GATEWAY_ROUTE_NOT_ACCEPTED" if c.type == "Accepted" else "GATEWAY_ROUTE_REFS_UNRESOLVED"
            said_not_accepted |= c.type == "Accepted"
            found.append(
                Finding(
                    code,
                    Severity.ERROR,
                    hop,
                    f"HTTPRoute {key} on Gateway {gateway.meta.key} ({status.controller}): {_said(c)}",
                    (_evidence("kube:httproutes", key, c),),
                )
            )
    if not said_not_accepted:
        for miss in rejected:
            found.append(
                Finding(
                    "GATEWAY_ROUTE_NOT_ATTACHED",
                    Severity.ERROR,
                    hop,
                    f"HTTPRoute {key} does not attach to Gateway {gateway.meta.key} ({miss.reason}): "
                    f"{miss.message}.",
                    (
                        Evidence(
                            "kube:httproutes",
                            f"{key} {miss.parent.locator}",
                            f"parentRef {miss.parent.namespace}/{miss.parent.name} "
                            f"sectionName={miss.parent.section_name} port={miss.parent.port}",
                        ),
                    ),
                )
            )
    if attached and not statuses:
        found.append(
            Finding(
                "GATEWAY_ROUTE_NO_STATUS",
                Severity.WARNING,
                hop,
                f"HTTPRoute {key} names Gateway {gateway.meta.key}, but no controller has written its "
                "status for that parent: the Gateway's controller may not be running.",
                (Evidence("kube:httproutes", f"{key} status.parents", "[]"),),
            )
        )
    return found


def namespace_labels(namespaces: Sequence[Any]) -> dict[str, dict[str, str]]:
    """Namespace objects (as the API returns them) → name → labels."""
    found = {}
    for obj in namespaces:
        meta = obj.get("metadata") or {} if isinstance(obj, dict) else {}
        if isinstance(meta.get("name"), str):
            found[meta["name"]] = dict(meta.get("labels") or {})
    return found


def attach(
    gateway: Any, routes: Sequence[Any], namespaces: Any = (), gateway_class: Any = None, hop: str = HOP
) -> Attachments:
    """The HTTPRoutes (objects or records) attached to each listener of ``gateway``, with findings.

    ``namespaces``: Namespace objects, or a mapping name → labels (for ``from: Selector``)."""
    gw = gateway if isinstance(gateway, GatewayRecord) else read_gateway(gateway)
    klass = gateway_class
    if klass is not None and not isinstance(klass, GatewayClassRecord):
        klass = read_gateway_class(klass)
    labels = namespaces if isinstance(namespaces, Mapping) else namespace_labels(namespaces)
    attached: list[AttachedRoute] = []
    rejected: list[Rejected] = []
    findings = _gateway_findings(gw, klass, hop)
    for item in routes:
        route = item if isinstance(item, HTTPRouteRecord) else read_http_route(item)
        mine, misses = [], []
        for parent in route.parents:
            if not _refers_to(parent, gw):
                continue
            got, miss = _one(gw, route, parent, labels)
            mine.extend(got)
            misses.extend([miss] if miss else [])
        attached.extend(mine)
        rejected.extend(misses)
        findings.extend(_route_findings(gw, route, misses, bool(mine), hop))
    return Attachments(gw, tuple(attached), tuple(rejected), tuple(findings))
