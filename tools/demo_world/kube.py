"""Kubernetes objects of a design world, shaped as ``kubectl get <resource> -A -o json`` prints them.

Ingresses (one rule each, as ``kubectl apply`` left them, with the address the controller
publishes) and the IngressClass live here; ``resources`` assembles every List the world
stores: Nodes, Pods, Services, EndpointSlices, Ingresses, IngressClasses, Namespaces,
NetworkPolicies, DaemonSets and ConfigMaps (kube_nodes, kube_pods, kube_services, kube_cluster), and
the Gateway API objects of an Envoy Gateway front door (kube_gateway).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import (
    kube_alb_gateway,
    kube_cluster,
    kube_gateway,
    kube_nodes,
    kube_pods,
    kube_services,
)
from tools.demo_world.design import Design
from tools.demo_world.ingress_controller import served
from tools.demo_world.kube_meta import by_key, dump, kube_list, last_applied, metadata
from tools.demo_world.model import IngressRule

__all__ = ["dump", "last_applied", "resources"]

Obj = dict[str, Any]


PREFIX = "nginx.ingress.kubernetes.io/"


def ingress(d: Design, rule: IngressRule) -> Obj:
    annotations = {PREFIX + key: value for key, value in rule.nginx_annotations.items()}
    port = {"name": rule.port} if isinstance(rule.port, str) else {"number": rule.port}
    path = {
        "backend": {"service": {"name": rule.service, "port": port}},
        "path": rule.path,
        "pathType": rule.path_type,
    }
    spec: Obj = {"rules": [{"host": rule.host, "http": {"paths": [path]}}]}
    if rule.ingress_class is not None:
        spec["ingressClassName"] = rule.ingress_class
    if rule.tls_secret:
        spec["tls"] = [{"hosts": [rule.host], "secretName": rule.tls_secret}]
    applied = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"annotations": dict(annotations), "name": rule.name, "namespace": rule.namespace},
        "spec": spec,
    }
    annotations["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(applied)
    # --publish-service=kube-system/nginx-ingress-lb: every Ingress the controller watches (its class,
    # canaries and losing duplicates too) shows that Service's address; one it ignores shows none.
    status = {"ingress": [dict(d.publish_status)]} if rule in served([rule], d.ingress_created) else {}
    alb = next((a for a in d.albs if a.albconfig == rule.ingress_class), None)
    if alb is not None:  # the ALB Ingress controller writes its instance's DNS name
        status = {"ingress": [{"hostname": alb.dns_name}]}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(
            "Ingress",
            rule.name,
            rule.namespace,
            d.ingress_created(rule),
            generation=1,
            annotations=annotations,
        ),
        "spec": spec,
        "status": {"loadBalancer": status},
    }


def ingress_class(d: Design) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": metadata(
            "IngressClass", "nginx", None, d.created, generation=1, labels={"app": "ingress-nginx"}
        ),
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }


def alb_classes(d: Design) -> list[Obj]:
    """The IngressClass of each ALB's AlbConfig (controller ingress.k8s.alibaba/alb, its parameters)."""
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": metadata("IngressClass", a.albconfig, None, a.created, generation=1),
            "spec": {
                "controller": "ingress.k8s.alibaba/alb",
                "parameters": {"apiGroup": "alibabacloud.com", "kind": "AlbConfig", "name": a.albconfig},
            },
        }
        for a in d.albs
        if a.albconfig
    ]


def albconfigs(d: Design) -> list[Obj]:
    """Each ALB's AlbConfig (cluster-scoped), with the instance it made in its status."""
    return [
        {
            "apiVersion": "alibabacloud.com/v1",
            "kind": "AlbConfig",
            "metadata": metadata("AlbConfig", a.albconfig, None, a.created, generation=1),
            "spec": {
                "config": {
                    "name": a.name,
                    "addressType": "Internet",
                    "zoneMappings": [{"vSwitchId": z[0].id} for z in a.zones],
                },
                "listeners": [
                    {"port": 80, "protocol": "HTTP"}
                    if port == 80
                    else {
                        "port": port,
                        "protocol": "HTTPS",
                        "certificates": [{"CertificateId": a.certificate}],
                    }
                    for port in sorted({r.port for r in a.rules})
                ],
            },
            "status": {"loadBalancer": {"id": a.id, "dnsname": a.dns_name}},
        }
        for a in d.albs
        if a.albconfig
    ]


def resources(d: Design) -> dict[str, Obj]:
    """resource name → the List kubectl prints for ``kubectl get <resource> -A -o json``."""
    pods = kube_pods.all_pods(d)
    return {
        "nodes": kube_list(kube_nodes.nodes(d)),
        "pods": kube_list(kube_pods.pods(d)),
        "services": kube_list(kube_services.services(d)),
        "endpointslices": kube_list(kube_services.endpoint_slices(d, pods)),
        "ingresses": kube_list(by_key([ingress(d, r) for r in d.ingresses])),
        "ingressclasses": kube_list([ingress_class(d), *alb_classes(d)]),
        "namespaces": kube_list(kube_cluster.namespaces(d)),
        "networkpolicies": kube_list(kube_cluster.network_policies(d)),
        "daemonsets": kube_list(kube_cluster.daemon_sets(d)),
        "configmaps": kube_list(kube_cluster.config_maps(d)),
        **({"albconfigs": kube_list(albconfigs(d))} if any(a.albconfig for a in d.albs) else {}),
        **kube_gateway.lists(d.gateways),
        **kube_alb_gateway.resources(d.alb_gateways),
    }
