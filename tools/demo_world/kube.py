"""Kubernetes objects of the demo world, shaped as `kubectl get <resource> -A -o json` prints them.

Services (ClusterIP, the two LoadBalancer Services that CCM bound to CLBs, and the one with
``loadBalancerClass: alibabacloud.com/nlb`` that CCM bound to an NLB),
EndpointSlices built from the ready Pods, Ingresses and the IngressClass; ``resources``
assembles every List, Nodes and Pods included (kube_workloads).
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world import facts as f
from tools.demo_world.facts import later
from tools.demo_world.kube_workloads import all_pods, dump, kube_list, metadata, node

__all__ = ["dump", "resources"]

Obj = dict[str, Any]


# -------------------------------------------------------------------------------------- services
def _lb_annotations(s: f.Service) -> dict[str, str]:
    prefix = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"
    assert s.load_balancer is not None
    if isinstance(s.load_balancer, f.NetworkLoadBalancer):
        nlb = s.load_balancer
        return {  # the NLB annotations of the ACK documentation; the security-group one is UNCONFIRMED
            f"{prefix}address-type": "internet",
            f"{prefix}name": nlb.name,
            f"{prefix}security-group-ids": nlb.security_group_id,
            f"{prefix}zone-maps": ",".join(f"{z.zone}:{z.vswitch_id}" for z in nlb.zones),
            "service.beta.kubernetes.io/backend-type": "eni",
        }
    notes = {
        f"{prefix}name": s.load_balancer.name,
        f"{prefix}spec": "slb.s2.small",
        "service.beta.kubernetes.io/backend-type": "eni",
    }
    if s.load_balancer.acl:
        notes.update({f"{prefix}acl-status": "on", f"{prefix}acl-id": f.ACL_ID, f"{prefix}acl-type": "white"})
    return notes


def service(s: f.Service) -> Obj:
    ports = []
    for p in s.ports:
        port: Obj = {"name": p.name, "port": p.port, "protocol": p.protocol, "targetPort": p.target_port}
        if p.node_port:
            port["nodePort"] = p.node_port
        ports.append(port)
    spec: Obj = {
        "clusterIP": s.cluster_ip,
        "clusterIPs": [s.cluster_ip],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": ports,
        "sessionAffinity": "None",
        "type": "ClusterIP",
    }
    if s.selector:
        spec["selector"] = dict(s.selector)
    labels, annotations, finalizers, status = dict(s.labels), {}, [], {"loadBalancer": {}}
    if s.load_balancer:
        spec.update(
            {
                "allocateLoadBalancerNodePorts": True,
                "externalTrafficPolicy": "Local",
                "healthCheckNodePort": s.health_check_node_port,
                "type": "LoadBalancer",
            }
        )
        labels["service.k8s.alibaba/loadbalancer-id"] = s.load_balancer.id
        annotations = _lb_annotations(s)
        finalizers = ["service.k8s.alibaba/resources"]
        status = {"loadBalancer": {"ingress": [{"ip": s.load_balancer.address, "ipMode": "VIP"}]}}
        if isinstance(s.load_balancer, f.NetworkLoadBalancer):  # CCM publishes an NLB by its DNS name
            spec["loadBalancerClass"] = "alibabacloud.com/nlb"
            status = {"loadBalancer": {"ingress": [{"hostname": s.load_balancer.dns_name, "ipMode": "VIP"}]}}
    if s.namespace == "app":
        applied = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"annotations": {}, "name": s.name, "namespace": s.namespace},
            "spec": {
                "ports": [{"name": "http", "port": 8080, "targetPort": 8080}],
                "selector": dict(s.selector),
            },
        }
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(applied)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            "Service",
            s.name,
            s.namespace,
            s.created,
            labels=labels,
            annotations=annotations,
            finalizers=finalizers,
        ),
        "spec": spec,
        "status": status,
    }


def last_applied(obj: Obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"


def endpoint_slice(s: f.Service, pods: list[tuple[f.Workload, int, Obj]]) -> Obj:
    if s.name == "kubernetes":  # written by the API server's reconciler, not the EndpointSlice controller
        address, port = f.API_SERVER_ENDPOINT
        return {
            "addressType": "IPv4",
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
            "kind": "EndpointSlice",
            "metadata": metadata(
                "EndpointSlice",
                "kubernetes",
                "default",
                f.CLUSTER_CREATED,
                generation=1,
                labels={"kubernetes.io/service-name": "kubernetes"},
            ),
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        }
    endpoints = []
    for _w, _i, p in pods:
        labels = p["metadata"]["labels"]
        if p["metadata"]["namespace"] != s.namespace or any(
            labels.get(k) != v for k, v in s.selector.items()
        ):
            continue
        endpoints.append(
            {
                "addresses": [p["status"]["podIP"]],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": p["spec"]["nodeName"],
                "targetRef": {
                    "kind": "Pod",
                    "name": p["metadata"]["name"],
                    "namespace": s.namespace,
                    "uid": p["metadata"]["uid"],
                },
                "zone": f.ZONE,
            }
        )
    name = f"{s.name}-{f.k8s_suffix('slice ' + s.name)}"
    labels = dict(
        s.labels,
        **{
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            "kubernetes.io/service-name": s.name,
        },
    )
    labels.pop("service.k8s.alibaba/loadbalancer-id", None)
    last_change = max(
        p["status"]["conditions"][2]["lastTransitionTime"]
        for _w, _i, p in pods
        if p["status"]["podIP"] in {a for e in endpoints for a in e["addresses"]}
    )
    return {
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": endpoints,
        "kind": "EndpointSlice",
        "metadata": metadata(
            "EndpointSlice",
            name,
            s.namespace,
            s.created,
            generateName=f"{s.name}-",
            generation=len(endpoints) + 1,
            labels=labels,
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": last_change},
            ownerReferences=[
                {
                    "apiVersion": "v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": "Service",
                    "name": s.name,
                    "uid": f.uid(f"Service {s.namespace} {s.name}"),
                }
            ],
        ),
        "ports": [{"name": p.name, "port": p.target_port, "protocol": p.protocol} for p in s.ports],
    }


# ------------------------------------------------------------------------------------- ingresses
def ingress(rule: f.IngressRule) -> Obj:
    annotations = {"nginx.ingress.kubernetes.io/service-upstream": "true"} if rule.service_upstream else {}
    spec = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": rule.host,
                "http": {
                    "paths": [
                        {
                            "backend": {"service": {"name": rule.service, "port": {"number": rule.port}}},
                            "path": "/",
                            "pathType": "Prefix",
                        }
                    ]
                },
            }
        ],
    }
    applied = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"annotations": dict(annotations), "name": rule.name, "namespace": rule.namespace},
        "spec": spec,
    }
    annotations["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(applied)
    # --publish-service=kube-system/nginx-ingress-lb: every Ingress of the class shows the public address.
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(
            "Ingress",
            rule.name,
            rule.namespace,
            later(f.APP_CREATED, 95),
            generation=1,
            annotations=annotations,
        ),
        "spec": spec,
        "status": {"loadBalancer": {"ingress": [{"ip": f.PUBLIC_LB.address}]}},
    }


def ingress_class() -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": metadata(
            "IngressClass", "nginx", None, f.CLUSTER_CREATED, generation=1, labels={"app": "ingress-nginx"}
        ),
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }


def resources() -> dict[str, Obj]:
    """resource name → the List kubectl prints for ``kubectl get <resource> -A -o json``."""
    pods = all_pods()
    by_key = sorted(pods, key=lambda t: (t[2]["metadata"]["namespace"], t[2]["metadata"]["name"]))
    services = sorted(f.SERVICES, key=lambda s: (s.namespace, s.name))
    slices = [endpoint_slice(s, pods) for s in services]
    return {
        "nodes": kube_list([node(n) for n in sorted(f.NODES, key=lambda n: n.name)]),
        "pods": kube_list([p for _w, _i, p in by_key]),
        "services": kube_list([service(s) for s in services]),
        "endpointslices": kube_list(
            sorted(slices, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
        ),
        "ingresses": kube_list([ingress(r) for r in f.INGRESSES]),
        "ingressclasses": kube_list([ingress_class()]),
    }
