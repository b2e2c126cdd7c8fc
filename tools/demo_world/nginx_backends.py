"""The ingress-nginx controller's dynamic backends, as ``/dbg backends all`` prints them.

The JSON the controller POSTs to ``127.0.0.1:10246/configuration/backends`` (``configureBackends``),
indented by two spaces, keys in the controller's struct order, endpoint ports as strings.
Upstreams follow ``createUpstreams`` as read at controller-v1.12.8 (facts only): one per
namespace, Service and port of every served Ingress path, made by the first Ingress in the
controller's order that names it, even when no location uses it (a duplicate path that lost);
its endpoints are the ready endpoints of the Service port (Pod IPs, for a headless Service too),
the ClusterIP with ``service-upstream``, or for an ExternalName Service the external name
itself with the target port (``getEndpointsFromSlices``: the balancer resolves it). A canary
Ingress's upstream has ``noServer`` and its traffic shaping; it joins the main upstream of the
same host, path and pathType as an ``alternativeBackends`` entry, is deleted when the host has a
server but no such path, and stays, referred to by nothing, when the host has no server at all.
The ``service`` is the Service's spec only (``&apiv1.Service{Spec: ...}``), fields in
``ServiceSpec`` order.
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.ingress_controller import DEFAULT_UPSTREAM, served, servers, upstream_name
from tools.demo_world.model import IngressRule, Service

Obj = dict[str, Any]
NO_AFFINITY = {"name": "", "mode": "", "cookieSessionAffinity": {"name": ""}}
NO_SHAPING = {
    "weight": 0,
    "weightTotal": 0,
    "header": "",
    "headerValue": "",
    "headerPattern": "",
    "cookie": "",
}
CLIENT_IP_TIMEOUT = 10800  # the API server's default sessionAffinityConfig.clientIP.timeoutSeconds


def _ready(pod: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])


def service_spec(svc: Service) -> Obj:
    """``Service.spec`` in Go field order, as the controller marshals it."""
    ports = [
        {"name": p.name, "protocol": p.protocol, "port": p.port, "targetPort": p.target} for p in svc.ports
    ]
    if svc.external_name:
        return {
            "ports": ports,
            "type": "ExternalName",
            "sessionAffinity": "None",
            "externalName": svc.external_name,
        }
    spec: Obj = {
        "ports": ports,
        "selector": dict(svc.selector),
        "clusterIP": svc.cluster_ip,
        "clusterIPs": [svc.cluster_ip],
        "type": "ClusterIP",
        "sessionAffinity": svc.session_affinity,
    }
    if svc.session_affinity == "ClientIP":
        spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": CLIENT_IP_TIMEOUT}}
    spec.update({"ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"})
    return spec


def _endpoints(svc: Service, rule: IngressRule, pods: list[Obj]) -> list[Obj]:
    port = next(p for p in svc.ports if rule.port in (p.port, p.name))
    if svc.external_name:
        return [{"address": svc.external_name, "port": str(port.target_port)}]
    if rule.service_upstream and not svc.headless:
        return [{"address": svc.cluster_ip, "port": str(port.port)}]
    return [
        {"address": p["status"]["podIP"], "port": str(port.target_port)}
        for p in pods
        if p["metadata"]["namespace"] == svc.namespace
        and _ready(p)
        and all(p["metadata"]["labels"].get(k) == v for k, v in svc.selector.items())
    ]


def _shaping(rule: IngressRule) -> Obj:
    if not rule.canary:
        return dict(NO_SHAPING)
    ann = rule.nginx_annotations
    return {
        "weight": int(ann.get("canary-weight", "0")),
        "weightTotal": int(ann.get("canary-weight-total", "100")),
        "header": ann.get("canary-by-header", ""),
        "headerValue": ann.get("canary-by-header-value", ""),
        "headerPattern": ann.get("canary-by-header-pattern", ""),
        "cookie": ann.get("canary-by-cookie", ""),
    }


def _backend(d: Design, rule: IngressRule, pods: list[Obj]) -> Obj:
    svc = d.service(rule.namespace, rule.service)
    backend: Obj = {
        "name": upstream_name(rule),
        "service": {
            "metadata": {"creationTimestamp": None},
            "spec": service_spec(svc),
            "status": {"loadBalancer": {}},
        },
        "port": rule.port,
        "sslPassthrough": False,
        "endpoints": _endpoints(svc, rule, pods),
        "sessionAffinityConfig": NO_AFFINITY,
        "upstreamHashByConfig": {"upstream-hash-by-subset-size": 3},
        "noServer": rule.canary,
        "trafficShapingPolicy": _shaping(rule),
    }
    if not backend["endpoints"]:  # the controller leaves the key out when no endpoint is ready
        del backend["endpoints"]
    return backend


def _merge_canaries(d: Design, rules: list[IngressRule], upstreams: dict[str, Obj]) -> None:
    """``mergeAlternativeBackends`` for every canary Ingress path."""
    by_host = {s.host: s for s in servers(rules, d.ingress_created)}
    for rule in served(rules, d.ingress_created):
        if not rule.canary or upstream_name(rule) not in upstreams:
            continue
        server = by_host.get(rule.host)
        if server is None:
            continue  # "cannot merge alternative backend ... into hostname ... that does not exist"
        main = next(
            (
                loc.upstream
                for loc in server.locations
                if not loc.default_backend
                and (loc.rule.path, loc.rule.path_type) == (rule.path, rule.path_type)
                and not upstreams[loc.upstream]["noServer"]
                and loc.upstream != upstream_name(rule)
            ),
            None,
        )
        if main is None:
            del upstreams[upstream_name(rule)]  # "unable to find real backend for alternative backend"
            continue
        names = upstreams[main].setdefault("alternativeBackends", [])
        if upstream_name(rule) not in names:
            names.append(upstream_name(rule))


def backends_json(d: Design, pods: list[Obj], rules: list[IngressRule] | None = None) -> str:
    """The dynamic backends for these Ingress objects (default: the design's)."""
    rules = list(d.ingresses) if rules is None else rules
    upstreams: dict[str, Obj] = {}
    for rule in served(rules, d.ingress_created):
        upstreams.setdefault(upstream_name(rule), _backend(d, rule, pods))
    _merge_canaries(d, rules, upstreams)
    upstreams[DEFAULT_UPSTREAM] = {
        "name": DEFAULT_UPSTREAM,
        "port": 0,
        "sslPassthrough": False,
        "endpoints": [{"address": "127.0.0.1", "port": "8181"}],
        "sessionAffinityConfig": NO_AFFINITY,
        "upstreamHashByConfig": {},
        "noServer": False,
        "trafficShapingPolicy": NO_SHAPING,
    }
    return json.dumps([upstreams[name] for name in sorted(upstreams)], indent=2) + "\n"
