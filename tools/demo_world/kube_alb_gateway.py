"""Gateway API objects of a design world whose Gateway is programmed on an ALB (GatewayClass ``alb``).

The ALB Ingress controller (v2.17+) creates the GatewayClass ``alb`` with controllerName
``gateways.alibabacloud.com/alb/v1`` (ACK's Gateway API configuration reference), accepts it,
and for each Gateway of that class provisions an ALB instance whose DNS name it writes to the
Gateway's ``status.addresses`` (type Hostname). Each HTTPRoute gets one status entry per
parentRef with ``Accepted`` and ``ResolvedRefs`` (kubernetes-sigs/gateway-api ``apis/v1``
RouteConditionType); the Gateway's listener status counts the routes attached to it. Objects
are shaped as ``kubectl get <resource> -A -o json`` prints custom resources (apiVersion and kind
on every item). The messages are this world's own wording: the controller's are not published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.demo_world.alb_model import AlbSpec
from tools.demo_world.kube_meta import by_key, kube_list, metadata

Obj = dict[str, Any]
API = "gateway.networking.k8s.io/v1"
GROUP = "gateway.networking.k8s.io"
CONTROLLER = "gateways.alibabacloud.com/alb/v1"  # ACK docs: manages ALB Standard Edition instances


@dataclass(frozen=True)
class RouteRuleSpec:
    path: str  # a PathPrefix
    backends: tuple[tuple[str, int, int], ...]  # (Service, port, weight)


@dataclass(frozen=True)
class RouteSpec:
    namespace: str
    name: str
    hostnames: tuple[str, ...]
    section: str  # the parentRef's sectionName: the Gateway listener it attaches to
    rules: tuple[RouteRuleSpec, ...]
    created: str


@dataclass(frozen=True)
class AlbGatewaySpec:
    """One Gateway of class ``alb`` with one HTTP listener, the ALB it was programmed on, its routes."""

    namespace: str
    name: str
    listener: str
    port: int
    hostname: str  # the listener's (a ``*.`` wildcard allowed)
    alb: AlbSpec
    routes: tuple[RouteSpec, ...]
    created: str
    class_created: str


def _condition(
    kind: str, generation: int, when: str, status: str = "True", reason: str = "", message: str = ""
) -> Obj:
    return {
        "lastTransitionTime": when,
        "message": message,
        "observedGeneration": generation,
        "reason": reason or kind,
        "status": status,
        "type": kind,
    }


def gateway_class(g: AlbGatewaySpec) -> Obj:
    return {
        "apiVersion": API,
        "kind": "GatewayClass",
        "metadata": metadata("GatewayClass", "alb", None, g.class_created, generation=1),
        "spec": {"controllerName": CONTROLLER},
        "status": {"conditions": [_condition("Accepted", 1, g.class_created)]},
    }


def gateway(g: AlbGatewaySpec) -> Obj:
    when = g.alb.created
    listener_conditions = [_condition(c, 1, when) for c in ("Accepted", "ResolvedRefs", "Programmed")]
    attached = sum(1 for r in g.routes if r.section == g.listener)
    return {
        "apiVersion": API,
        "kind": "Gateway",
        "metadata": metadata("Gateway", g.name, g.namespace, g.created, generation=1),
        "spec": {
            "gatewayClassName": "alb",
            "listeners": [
                {
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                    "hostname": g.hostname,
                    "name": g.listener,
                    "port": g.port,
                    "protocol": "HTTP",
                }
            ],
        },
        "status": {
            "addresses": [{"type": "Hostname", "value": g.alb.dns_name}],
            "conditions": [_condition("Accepted", 1, when), _condition("Programmed", 1, when)],
            "listeners": [
                {
                    "attachedRoutes": attached,
                    "conditions": listener_conditions,
                    "name": g.listener,
                    "supportedKinds": [{"group": GROUP, "kind": "HTTPRoute"}],
                }
            ],
        },
    }


def http_route(g: AlbGatewaySpec, r: RouteSpec) -> Obj:
    parent = {"group": GROUP, "kind": "Gateway", "name": g.name, "sectionName": r.section}
    rules = [
        {
            "backendRefs": [
                {"group": "", "kind": "Service", "name": name, "port": port, "weight": weight}
                for name, port, weight in rule.backends
            ],
            "matches": [{"path": {"type": "PathPrefix", "value": rule.path}}],
        }
        for rule in r.rules
    ]
    conditions = [_condition(c, 1, max(r.created, g.alb.created)) for c in ("Accepted", "ResolvedRefs")]
    return {
        "apiVersion": API,
        "kind": "HTTPRoute",
        "metadata": metadata("HTTPRoute", r.name, r.namespace, r.created, generation=1),
        "spec": {"hostnames": list(r.hostnames), "parentRefs": [parent], "rules": rules},
        "status": {
            "parents": [{"conditions": conditions, "controllerName": CONTROLLER, "parentRef": parent}]
        },
    }


def resources(gateways: tuple[AlbGatewaySpec, ...]) -> dict[str, Obj]:
    """The Gateway API Lists of a design world (none when it has no Gateway on an ALB)."""
    if not gateways:
        return {}
    routes = [http_route(g, r) for g in gateways for r in g.routes]
    return {
        "gatewayclasses": kube_list([gateway_class(gateways[0])]),
        "gateways": kube_list(by_key([gateway(g) for g in gateways])),
        "httproutes": kube_list(by_key(routes)),
        "referencegrants": kube_list([]),
    }
