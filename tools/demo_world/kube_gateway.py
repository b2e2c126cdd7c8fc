"""Gateway API objects of a design world (GatewayClass, Gateway, HTTPRoute, ReferenceGrant), with the
status an Envoy Gateway controller writes, as ``kubectl get <resource> -A -o json`` prints them.

A design lists its Gateway API front doors as ``EnvoyGateway`` values; ``lists`` turns them into
the four Lists a world stores (an empty List when a design has none of a kind, so a scenario that
deletes the last ReferenceGrant still has the file). Status conditions carry the reasons and
messages of envoyproxy/gateway (internal/gatewayapi/route.go, status/gateway.go,
validate.go): a cross-namespace backendRef without a ReferenceGrant makes the route's
ResolvedRefs False with reason RefNotPermitted, and Envoy answers that rule with a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.demo_world.kube_meta import by_key, kube_list, metadata

Obj = dict[str, Any]
GROUP = "gateway.networking.k8s.io"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
KINDS = ("gatewayclasses", "gateways", "httproutes", "referencegrants")


@dataclass(frozen=True)
class Backend:
    name: str
    port: int
    weight: int = 1
    namespace: str = ""  # "" = the route's own


@dataclass(frozen=True)
class Rule:
    prefix: str
    backends: tuple[Backend, ...] = ()
    redirect: tuple[tuple[str, Any], ...] = ()  # requestRedirect fields (a RequestRedirect filter)


@dataclass(frozen=True)
class Route:
    namespace: str
    name: str
    hostname: str
    rules: tuple[Rule, ...]
    created: str


@dataclass(frozen=True)
class Grant:
    namespace: str  # where the Services are
    name: str
    from_namespace: str
    service: str
    created: str


@dataclass(frozen=True)
class EnvoyGateway:
    """One Gateway served by Envoy Gateway: its class, one HTTP listener, its routes and grants."""

    namespace: str
    name: str
    class_name: str
    port: int
    hostname: str
    address: str
    replicas: int
    routes: tuple[Route, ...]
    grants: tuple[Grant, ...]
    created: str


def _condition(kind: str, reason: str, message: str, status: str = "True") -> Obj:
    return {"lastTransitionTime": None, "message": message, "observedGeneration": 1, "reason": reason,
            "status": status, "type": kind}  # fmt: skip


def _dated(condition: Obj, when: str) -> Obj:
    return {**condition, "lastTransitionTime": when}


def gateway_class(g: EnvoyGateway) -> Obj:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "GatewayClass",
        "metadata": metadata("GatewayClass", g.class_name, None, g.created, generation=1),
        "spec": {"controllerName": CONTROLLER},
        "status": {
            "conditions": [_dated(_condition("Accepted", "Accepted", "Valid GatewayClass"), g.created)]
        },
    }


def gateway(g: EnvoyGateway) -> Obj:
    when = g.created
    listener = {"allowedRoutes": {"namespaces": {"from": "Same"}}, "hostname": g.hostname, "name": "http",
                "port": g.port, "protocol": "HTTP"}  # fmt: skip
    listener_status = [
        _condition("Programmed", "Programmed", "Sending translated listener configuration to the data plane"),
        _condition("Accepted", "Accepted", "Listener has been successfully translated"),
        _condition("ResolvedRefs", "ResolvedRefs", "Listener references have been resolved"),
    ]
    available = f"Address assigned to the Gateway, {g.replicas}/{g.replicas} envoy replicas available"
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Gateway",
        "metadata": metadata("Gateway", g.name, g.namespace, when, generation=1),
        "spec": {"gatewayClassName": g.class_name, "listeners": [listener]},
        "status": {
            "addresses": [{"type": "IPAddress", "value": g.address}],
            "conditions": [
                _dated(
                    _condition("Accepted", "Accepted", "The Gateway has been scheduled by Envoy Gateway"),
                    when,
                ),
                _dated(_condition("Programmed", "Programmed", available), when),
            ],
            "listeners": [
                {
                    "attachedRoutes": len(g.routes),
                    "conditions": [_dated(c, when) for c in listener_status],
                    "name": "http",
                    "supportedKinds": [
                        {"group": GROUP, "kind": "HTTPRoute"},
                        {"group": GROUP, "kind": "GRPCRoute"},
                    ],
                }
            ],  # fmt: skip
        },
    }


def _rule(rule: Rule) -> Obj:
    out: Obj = {"matches": [{"path": {"type": "PathPrefix", "value": rule.prefix}}]}
    if rule.redirect:
        out["filters"] = [{"requestRedirect": dict(rule.redirect), "type": "RequestRedirect"}]
    if rule.backends:
        out["backendRefs"] = [
            {"group": "", "kind": "Service", "name": b.name, "port": b.port, "weight": b.weight}
            | ({"namespace": b.namespace} if b.namespace else {})
            for b in rule.backends
        ]
    return out


def _refused(g: EnvoyGateway, route: Route) -> str:
    """Envoy Gateway's message for the first cross-namespace backendRef no ReferenceGrant allows."""
    for r, rule in enumerate(route.rules):
        for b, ref in enumerate(rule.backends):
            if not ref.namespace or ref.namespace == route.namespace:
                continue
            wanted = (ref.namespace, route.namespace, ref.name)
            granted = any((x.namespace, x.from_namespace, x.service) == wanted for x in g.grants)
            if not granted:
                return (f"Failed to process route rule {r} backendRef {b}: Backend ref to Service "
                        f"{ref.namespace}/{ref.name} not permitted by any ReferenceGrant.")  # fmt: skip
    return ""


def http_route(g: EnvoyGateway, route: Route) -> Obj:
    parent = {"group": GROUP, "kind": "Gateway", "name": g.name, "namespace": g.namespace}
    refused = _refused(g, route)
    resolved = (
        _condition("ResolvedRefs", "RefNotPermitted", refused, "False")
        if refused
        else _condition("ResolvedRefs", "ResolvedRefs", "Resolved all the Object references for the Route")
    )
    conditions = [_condition("Accepted", "Accepted", "Route is accepted"), resolved]
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": metadata("HTTPRoute", route.name, route.namespace, route.created, generation=1),
        "spec": {"hostnames": [route.hostname], "parentRefs": [parent],
                 "rules": [_rule(r) for r in route.rules]},
        "status": {"parents": [{"conditions": [_dated(c, route.created) for c in conditions],
                                "controllerName": CONTROLLER, "parentRef": parent}]},
    }  # fmt: skip


def reference_grant(grant: Grant) -> Obj:
    return {
        "apiVersion": f"{GROUP}/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": metadata("ReferenceGrant", grant.name, grant.namespace, grant.created, generation=1),
        "spec": {"from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": grant.from_namespace}],
                 "to": [{"group": "", "kind": "Service", "name": grant.service}]},
    }  # fmt: skip


def lists(gateways: tuple[EnvoyGateway, ...]) -> dict[str, Obj]:
    """resource → List for every Gateway API kind (none when the design has no Gateway)."""
    if not gateways:
        return {}
    classes = {g.class_name: gateway_class(g) for g in gateways}
    return {
        "gatewayclasses": kube_list(sorted(classes.values(), key=lambda o: o["metadata"]["name"])),
        "gateways": kube_list(by_key([gateway(g) for g in gateways])),
        "httproutes": kube_list(by_key([http_route(g, r) for g in gateways for r in g.routes])),
        "referencegrants": kube_list(by_key([reference_grant(x) for g in gateways for x in g.grants])),
    }
