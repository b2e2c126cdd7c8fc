"""Services and EndpointSlices of a design world, as ``kubectl get … -A -o json`` prints them.

A LoadBalancer Service carries the annotations CCM reads (CLB or NLB, backend type, the
design's extra ones) and what CCM writes back (the load balancer ID label, the finalizer,
the address or, for an NLB, its DNS name). An ExternalName Service has neither ClusterIP
nor slices; a headless one (``clusterIP: None``) has slices labelled
``service.kubernetes.io/headless``; ``sessionAffinity: ClientIP`` comes with the default
``timeoutSeconds`` 10800. EndpointSlices are built from the Pods the selector matches: a Pod
that is not ready is an endpoint with ``ready: false``.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.ids import k8s_suffix, uid
from tools.demo_world.kube_meta import by_key, last_applied, metadata
from tools.demo_world.model import NetworkLoadBalancer, Service, Workload

Obj = dict[str, Any]
PREFIX = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"


def _lb_annotations(d: Design, s: Service) -> dict[str, str]:
    lb = s.load_balancer
    assert lb is not None
    if isinstance(lb, NetworkLoadBalancer):  # the NLB annotations of the ACK documentation;
        notes = {  # the security-group one is UNCONFIRMED
            f"{PREFIX}address-type": "internet",
            f"{PREFIX}name": lb.name,
            f"{PREFIX}security-group-ids": lb.security_group_id,
            f"{PREFIX}zone-maps": ",".join(f"{z.zone}:{z.vswitch_id}" for z in lb.zones),
            "service.beta.kubernetes.io/backend-type": s.backend_type,
        }
    else:
        notes = {
            f"{PREFIX}name": lb.name,
            f"{PREFIX}spec": "slb.s2.small",
            "service.beta.kubernetes.io/backend-type": s.backend_type,
        }
        if lb.address_type != "internet":
            notes[f"{PREFIX}address-type"] = lb.address_type
        if lb.vswitch is not None:
            notes[f"{PREFIX}vswitch-id"] = lb.vswitch.id
        if lb.acl and d.acl is not None:
            notes.update(
                {f"{PREFIX}acl-status": "on", f"{PREFIX}acl-id": d.acl.id, f"{PREFIX}acl-type": "white"}
            )
    return {**notes, **s.annotations}


def service(d: Design, s: Service) -> Obj:
    ports = []
    for p in s.ports:
        port: Obj = {"name": p.name, "port": p.port, "protocol": p.protocol, "targetPort": p.target}
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
        "sessionAffinity": s.session_affinity,
        "type": "ClusterIP",
    }
    if s.external_name:  # no ClusterIP, no IP family, no internalTrafficPolicy
        spec = {
            "externalName": s.external_name,
            "ports": ports,
            "sessionAffinity": "None",
            "type": "ExternalName",
        }
    if s.node_port:  # NodePort: the node ports open on every node, as externalTrafficPolicy says
        spec.update(externalTrafficPolicy=s.traffic_policy, type="NodePort")
    if s.session_affinity == "ClientIP":  # the API server fills in the default timeout
        spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if s.selector:
        spec["selector"] = dict(s.selector)
    labels, annotations, finalizers, status = dict(s.labels), {}, [], {"loadBalancer": {}}
    lb = s.load_balancer
    if lb is not None:
        spec.update(
            {
                "allocateLoadBalancerNodePorts": True,
                "externalTrafficPolicy": s.traffic_policy,
                "type": "LoadBalancer",
            }
        )
        if s.traffic_policy == "Local":  # the API server allocates a health check NodePort only for Local
            spec["healthCheckNodePort"] = s.health_check_node_port
        labels["service.k8s.alibaba/loadbalancer-id"] = lb.id
        annotations = _lb_annotations(d, s)
        finalizers = ["service.k8s.alibaba/resources"]
        status = {"loadBalancer": {"ingress": [{"ip": lb.address, "ipMode": "VIP"}]}}
        if isinstance(lb, NetworkLoadBalancer):  # CCM publishes an NLB by its DNS name
            spec["loadBalancerClass"] = "alibabacloud.com/nlb"
            status = {"loadBalancer": {"ingress": [{"hostname": lb.dns_name, "ipMode": "VIP"}]}}
    managed = s.labels.get("app.kubernetes.io/managed-by") == "envoy-gateway"  # made by its controller
    if s.namespace not in ("default", "kube-system") and not managed:  # applied with kubectl
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(applied(s))
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(
            "Service",
            s.name,
            s.namespace,
            s.created or d.created,
            labels=labels,
            annotations=annotations,
            finalizers=finalizers,
        ),
        "spec": spec,
        "status": status,
    }


def applied(s: Service) -> Obj:
    """What ``kubectl apply`` records for an application Service (ports and selector, and what the
    manifest set besides: the type and name of an ExternalName, ``clusterIP: None``, the affinity)."""
    spec: Obj = {"ports": [{"name": p.name, "port": p.port, "targetPort": p.target} for p in s.ports]}
    if s.external_name:
        spec.update(type="ExternalName", externalName=s.external_name)
    else:
        spec["selector"] = dict(s.selector)
    if s.headless:
        spec["clusterIP"] = "None"
    if s.node_port:
        spec.update(externalTrafficPolicy=s.traffic_policy, type="NodePort")
    if s.session_affinity != "None":
        spec["sessionAffinity"] = s.session_affinity
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"annotations": {}, "name": s.name, "namespace": s.namespace},
        "spec": spec,
    }


def _api_server_slice(d: Design) -> Obj:
    """default/kubernetes: written by the API server's reconciler, not the EndpointSlice controller."""
    address, port = d.api_server
    return {
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
        "kind": "EndpointSlice",
        "metadata": metadata(
            "EndpointSlice",
            "kubernetes",
            "default",
            d.created,
            generation=1,
            labels={"kubernetes.io/service-name": "kubernetes"},
        ),
        "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
    }


def endpoint_slice(d: Design, s: Service, pods: list[tuple[Workload, int, Obj]]) -> Obj:
    if s.name == "kubernetes" and s.namespace == "default":
        return _api_server_slice(d)
    endpoints, members = [], []
    for w, i, p in pods:
        labels = p["metadata"]["labels"]
        if p["metadata"]["namespace"] != s.namespace or any(
            labels.get(k) != v for k, v in s.selector.items()
        ):
            continue
        ready = i not in w.not_ready
        members.append(p)
        endpoints.append(
            {
                "addresses": [p["status"]["podIP"]],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "nodeName": p["spec"]["nodeName"],
                "targetRef": {
                    "kind": "Pod",
                    "name": p["metadata"]["name"],
                    "namespace": s.namespace,
                    "uid": p["metadata"]["uid"],
                },
                "zone": d.node_named(p["spec"]["nodeName"]).zone,
            }
        )
    name = f"{s.name}-{k8s_suffix('slice ' + d.seed_prefix + s.name)}"
    labels = dict(
        s.labels,
        **{
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            "kubernetes.io/service-name": s.name,
        },
    )
    labels.pop("service.k8s.alibaba/loadbalancer-id", None)
    if s.headless:  # the EndpointSlice controller marks the slices of a headless Service
        labels["service.kubernetes.io/headless"] = ""
    last_change = max(
        max(c["lastTransitionTime"] for c in p["status"]["conditions"] if c["type"] == "Ready")
        for p in members
    )
    owner = {
        "apiVersion": "v1",
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": "Service",
        "name": s.name,
        "uid": uid(f"Service {s.namespace} {s.name}"),
    }
    return {
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": endpoints,
        "kind": "EndpointSlice",
        "metadata": metadata(
            "EndpointSlice",
            name,
            s.namespace,
            s.created or d.created,
            generateName=f"{s.name}-",
            generation=len(endpoints) + 1,
            labels=labels,
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": last_change},
            ownerReferences=[owner],
        ),
        "ports": [{"name": p.name, "port": p.target_port, "protocol": p.protocol} for p in s.ports],
    }


def services(d: Design) -> list[Obj]:
    return [service(d, s) for s in sorted(d.services, key=lambda s: (s.namespace, s.name))]


def endpoint_slices(d: Design, pods: list[tuple[Workload, int, Obj]]) -> list[Obj]:
    """One slice per Service with a selector; an ExternalName Service has none."""
    return by_key([endpoint_slice(d, s, pods) for s in d.services if not s.external_name])
