"""A flannel-nodeport world whose public load balancer is made an Envoy Gateway's, for the tests that
run the Envoy front door on a second design (Flannel, iptables, ECS NodePorts).

The Service that owns fln-public-lb (kube-system/nginx-ingress-lb) gets the labels Envoy Gateway
puts on a proxy Service for Gateway app/eg; its selected Pods then stand for the Envoy proxies.
Gateway app/eg (class eg, controller gateway.envoyproxy.io/gatewayclass-controller) has one HTTP
listener on 80 for ``*.fln.abc.com``; HTTPRoute app/web sends web.fln.abc.com to Service app/web
port 8080 and redirects /old to /new with a 301.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GATEWAY_LABELS = {
    "gateway.envoyproxy.io/owning-gateway-name": "eg",
    "gateway.envoyproxy.io/owning-gateway-namespace": "app",
}
META = {"creationTimestamp": "2025-04-01T08:00:00Z", "generation": 1, "resourceVersion": "1001"}


def _condition(kind: str, reason: str, message: str, status: str = "True") -> dict[str, Any]:
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": 1,
        "lastTransitionTime": "2025-04-01T08:00:00Z",
    }


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def route(rules: list[dict[str, Any]], host: str = "web.fln.abc.com") -> dict[str, Any]:
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "app", **META},
        "spec": {"parentRefs": [parent], "hostnames": [host], "rules": rules},
        "status": {
            "parents": [
                {
                    "parentRef": parent,
                    "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                    "conditions": [
                        _condition("Accepted", "Accepted", "Route is accepted"),
                        _condition(
                            "ResolvedRefs", "ResolvedRefs", "Resolved all the Object references for the Route"
                        ),
                    ],
                }
            ]
        },
    }


WEB_RULES = [
    {
        "matches": [{"path": {"type": "PathPrefix", "value": "/old"}}],
        "filters": [
            {
                "type": "RequestRedirect",
                "requestRedirect": {
                    "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"},
                    "statusCode": 301,
                },
            }
        ],
    },
    {
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [{"group": "", "kind": "Service", "name": "web", "port": 8080, "weight": 1}],
    },
]


def make_envoy(root: Path, rules: list[dict[str, Any]] | None = None) -> Path:
    """Turn the copy of flannel-nodeport at ``root`` into the Envoy variant; returns ``root``."""
    path = root / "kube" / "services.json"
    body = json.loads(path.read_text())
    for service in body["items"]:
        if service["metadata"]["name"] == "nginx-ingress-lb":
            service["metadata"]["labels"].update(GATEWAY_LABELS)
    path.write_text(json.dumps(body))
    klass = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "eg", **META},
        "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        "status": {"conditions": [_condition("Accepted", "Accepted", "Valid GatewayClass")]},
    }
    listener = {
        "name": "http",
        "port": 80,
        "protocol": "HTTP",
        "hostname": "*.fln.abc.com",
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    }
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "eg", "namespace": "app", **META},
        "spec": {"gatewayClassName": "eg", "listeners": [listener]},
        "status": {
            "addresses": [{"type": "IPAddress", "value": "203.0.113.1"}],
            "conditions": [
                _condition("Accepted", "Accepted", "The Gateway has been scheduled by Envoy Gateway"),
                _condition(
                    "Programmed",
                    "Programmed",
                    "Address assigned to the Gateway, 2/2 envoy replicas available",
                ),
            ],
            "listeners": [
                {
                    "name": "http",
                    "attachedRoutes": 1,
                    "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                    "conditions": [
                        _condition(
                            "Programmed",
                            "Programmed",
                            "Sending translated listener configuration to the data plane",
                        )
                    ],
                }
            ],
        },
    }
    files = {
        "gatewayclasses": [klass],
        "gateways": [gateway],
        "httproutes": [route(WEB_RULES if rules is None else rules)],
        "referencegrants": [],
    }
    for name, items in files.items():
        (root / "kube" / f"{name}.json").write_text(json.dumps(_list(items)))
    return root
