"""Read Gateway API objects (gateway.networking.k8s.io v1; ReferenceGrant v1beta1) into records.

Field names and the defaults the CRDs apply are those of kubernetes-sigs/gateway-api
(``apis/v1``): a Listener's ``allowedRoutes.namespaces.from`` is ``Same`` by default; an
HTTPRoute rule without ``matches`` matches ``PathPrefix /``; a path match is ``PathPrefix``
``/`` by default, header and query matches ``Exact``; a parentRef is a ``Gateway`` of group
``gateway.networking.k8s.io`` in the route's namespace; a backendRef is a core ``Service`` in
the route's namespace with weight 1. Objects read from the API server already carry these
defaults; objects written by hand may not, so the parser applies them. Malformed objects raise
``ParseError`` naming the object and the field.
"""

from __future__ import annotations

from typing import Any

from ackwb.parse.gateway_records import (
    GROUP,
    BackendRef,
    Condition,
    GatewayClassRecord,
    GatewayRecord,
    HTTPRouteRecord,
    Listener,
    ListenerStatus,
    Meta,
    ParentRef,
    ParentStatus,
    PathMatch,
    ReferenceGrantRecord,
    RouteFilter,
    RouteMatch,
    RouteRule,
    ValueMatch,
)
from ackwb.parse.json_fields import Fields


def _meta(f: Fields, obj: Any, what: str) -> tuple[Meta, dict[str, Any]]:
    obj = f.obj(obj, what)
    meta = f.obj(obj.get("metadata"), f"{what} metadata")
    name = f.text(meta.get("name"), f"{what} metadata.name")
    if not name:
        raise f.fail(what, "has no metadata.name")
    namespace = f.text(meta.get("namespace"), f"{what} metadata.namespace")
    labels = {str(k): str(v) for k, v in f.obj(meta.get("labels"), f"{what} metadata.labels").items()}
    created = f.text(meta.get("creationTimestamp"), f"{what} metadata.creationTimestamp")
    return Meta(namespace, name, created, labels), obj


def _conditions(f: Fields, value: Any, where: str) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            f.text(c.get("type"), f"{at}.type"),
            f.text(c.get("status"), f"{at}.status"),
            f.text(c.get("reason"), f"{at}.reason"),
            f.text(c.get("message"), f"{at}.message"),
            at,
        )
        for at, c in f.objs(value, where)
    )


def read_gateway_class(obj: Any) -> GatewayClassRecord:
    f = Fields("kube:gatewayclasses")
    meta, obj = _meta(f, obj, "gatewayclass")
    spec, status = f.obj(obj.get("spec"), f"{meta.key} spec"), f.obj(obj.get("status"), f"{meta.key} status")
    controller = f.text(spec.get("controllerName"), f"{meta.key} spec.controllerName")
    return GatewayClassRecord(
        meta, controller, _conditions(f, status.get("conditions"), f"{meta.key} status.conditions")
    )


def _listener(f: Fields, obj: dict[str, Any], at: str) -> Listener:
    allowed = f.obj(obj.get("allowedRoutes"), f"{at}.allowedRoutes")
    namespaces = f.obj(allowed.get("namespaces"), f"{at}.allowedRoutes.namespaces")
    kinds = tuple(
        (f.text(k.get("group"), f"{w}.group", GROUP), f.text(k.get("kind"), f"{w}.kind"))
        for w, k in f.objs(allowed.get("kinds"), f"{at}.allowedRoutes.kinds")
    )
    return Listener(
        name=f.text(obj.get("name"), f"{at}.name"),
        hostname=f.text(obj.get("hostname"), f"{at}.hostname") or None,
        port=f.number(obj.get("port"), f"{at}.port", 0) or 0,
        protocol=f.text(obj.get("protocol"), f"{at}.protocol"),
        allowed_from=f.text(namespaces.get("from"), f"{at}.allowedRoutes.namespaces.from", "Same"),
        selector=f.obj(namespaces.get("selector"), f"{at}.allowedRoutes.namespaces.selector"),
        allowed_kinds=kinds,
        locator=at,
    )


def read_gateway(obj: Any) -> GatewayRecord:
    f = Fields("kube:gateways")
    meta, obj = _meta(f, obj, "gateway")
    spec, status = f.obj(obj.get("spec"), f"{meta.key} spec"), f.obj(obj.get("status"), f"{meta.key} status")
    listeners = tuple(
        _listener(f, item, at) for at, item in f.objs(spec.get("listeners"), f"{meta.key} spec.listeners")
    )
    addresses = tuple(
        (f.text(a.get("type"), f"{at}.type", "IPAddress"), f.text(a.get("value"), f"{at}.value"))
        for at, a in f.objs(status.get("addresses"), f"{meta.key} status.addresses")
    )
    listener_status = tuple(
        ListenerStatus(
            f.text(s.get("name"), f"{at}.name"),
            f.number(s.get("attachedRoutes"), f"{at}.attachedRoutes"),
            _conditions(f, s.get("conditions"), f"{at}.conditions"),
        )
        for at, s in f.objs(status.get("listeners"), f"{meta.key} status.listeners")
    )
    return GatewayRecord(
        meta,
        f.text(spec.get("gatewayClassName"), f"{meta.key} spec.gatewayClassName"),
        listeners,
        addresses,
        _conditions(f, status.get("conditions"), f"{meta.key} status.conditions"),
        listener_status,
    )


def _parent(f: Fields, obj: dict[str, Any], at: str, namespace: str) -> ParentRef:
    return ParentRef(
        group=f.text(obj.get("group"), f"{at}.group", GROUP),
        kind=f.text(obj.get("kind"), f"{at}.kind", "Gateway"),
        namespace=f.text(obj.get("namespace"), f"{at}.namespace") or namespace,
        name=f.text(obj.get("name"), f"{at}.name"),
        section_name=f.text(obj.get("sectionName"), f"{at}.sectionName") or None,
        port=f.number(obj.get("port"), f"{at}.port"),
        locator=at,
    )


def _values(f: Fields, value: Any, where: str) -> tuple[ValueMatch, ...]:
    return tuple(
        ValueMatch(
            f.text(v.get("type"), f"{at}.type", "Exact"),
            f.text(v.get("name"), f"{at}.name"),
            f.text(v.get("value"), f"{at}.value"),
        )
        for at, v in f.objs(value, where)
    )


def _match(f: Fields, obj: dict[str, Any], at: str) -> RouteMatch:
    path = f.obj(obj.get("path"), f"{at}.path")
    return RouteMatch(
        PathMatch(
            f.text(path.get("type"), f"{at}.path.type", "PathPrefix"),
            f.text(path.get("value"), f"{at}.path.value", "/"),
        ),
        _values(f, obj.get("headers"), f"{at}.headers"),
        _values(f, obj.get("queryParams"), f"{at}.queryParams"),
        f.text(obj.get("method"), f"{at}.method") or None,
        at,
    )


def _filter(f: Fields, obj: dict[str, Any], at: str) -> RouteFilter:
    """A filter with its own object; the fields ackwb acts on are type-checked here."""
    kind = f.text(obj.get("type"), f"{at}.type")
    if not kind:
        raise f.fail(at, "has no type")
    key = kind[0].lower() + kind[1:] if kind != "URLRewrite" else "urlRewrite"
    here = f"{at}.{key}"
    config = f.obj(obj.get(key), here)
    if kind in ("RequestRedirect", "URLRewrite"):
        for name in ("scheme", "hostname"):
            f.text(config.get(name), f"{here}.{name}")
        for name in ("port", "statusCode"):
            f.number(config.get(name), f"{here}.{name}")
        path = f.obj(config.get("path"), f"{here}.path")
        for name in ("type", "replaceFullPath", "replacePrefixMatch"):
            f.text(path.get(name), f"{here}.path.{name}")
    elif kind.endswith("HeaderModifier"):
        for name in ("set", "add"):
            for w, header in f.objs(config.get(name), f"{here}.{name}"):
                f.text(header.get("name"), f"{w}.name")
                f.text(header.get("value"), f"{w}.value")
        f.texts(config.get("remove"), f"{here}.remove")
    return RouteFilter(kind, config, at)


def _backend(f: Fields, obj: dict[str, Any], at: str, namespace: str) -> BackendRef:
    return BackendRef(
        group=f.text(obj.get("group"), f"{at}.group"),
        kind=f.text(obj.get("kind"), f"{at}.kind", "Service"),
        namespace=f.text(obj.get("namespace"), f"{at}.namespace") or namespace,
        name=f.text(obj.get("name"), f"{at}.name"),
        port=f.number(obj.get("port"), f"{at}.port"),
        weight=f.number(obj.get("weight"), f"{at}.weight", 1) or 0,
        locator=at,
    )


def _rule(f: Fields, obj: dict[str, Any], at: str, namespace: str) -> RouteRule:
    matches = tuple(_match(f, m, w) for w, m in f.objs(obj.get("matches"), f"{at}.matches"))
    return RouteRule(
        f.text(obj.get("name"), f"{at}.name"),
        matches or (RouteMatch(PathMatch("PathPrefix", "/"), locator=at),),
        tuple(_filter(f, x, w) for w, x in f.objs(obj.get("filters"), f"{at}.filters")),
        tuple(_backend(f, b, w, namespace) for w, b in f.objs(obj.get("backendRefs"), f"{at}.backendRefs")),
        at,
    )


def read_http_route(obj: Any) -> HTTPRouteRecord:
    f = Fields("kube:httproutes")
    meta, obj = _meta(f, obj, "httproute")
    spec, status = f.obj(obj.get("spec"), f"{meta.key} spec"), f.obj(obj.get("status"), f"{meta.key} status")
    ns = meta.namespace
    parents = tuple(
        _parent(f, p, at, ns) for at, p in f.objs(spec.get("parentRefs"), f"{meta.key} spec.parentRefs")
    )
    rules = tuple(_rule(f, r, at, ns) for at, r in f.objs(spec.get("rules"), f"{meta.key} spec.rules"))
    statuses = tuple(
        ParentStatus(
            _parent(f, f.obj(s.get("parentRef"), f"{at}.parentRef"), f"{at}.parentRef", ns),
            f.text(s.get("controllerName"), f"{at}.controllerName"),
            _conditions(f, s.get("conditions"), f"{at}.conditions"),
        )
        for at, s in f.objs(status.get("parents"), f"{meta.key} status.parents")
    )
    hostnames = tuple(h.lower() for h in f.texts(spec.get("hostnames"), f"{meta.key} spec.hostnames"))
    return HTTPRouteRecord(
        meta, hostnames, parents, rules or (_rule(f, {}, f"{meta.key} spec.rules", ns),), statuses
    )


def read_reference_grant(obj: Any) -> ReferenceGrantRecord:
    f = Fields("kube:referencegrants")
    meta, obj = _meta(f, obj, "referencegrant")
    spec = f.obj(obj.get("spec"), f"{meta.key} spec")
    froms = tuple(
        (
            f.text(x.get("group"), f"{at}.group"),
            f.text(x.get("kind"), f"{at}.kind"),
            f.text(x.get("namespace"), f"{at}.namespace"),
        )
        for at, x in f.objs(spec.get("from"), f"{meta.key} spec.from")
    )
    tos = tuple(
        (
            f.text(x.get("group"), f"{at}.group"),
            f.text(x.get("kind"), f"{at}.kind"),
            f.text(x.get("name"), f"{at}.name") or None,
        )
        for at, x in f.objs(spec.get("to"), f"{meta.key} spec.to")
    )
    return ReferenceGrantRecord(meta, froms, tos)
