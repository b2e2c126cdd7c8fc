"""How each resource ackwb reads maps onto the ``kubernetes`` client: built-in APIs and custom resources.

Built-in resources have generated methods per kind (``CoreV1Api.list_namespaced_pod``).
Custom resources (the Gateway API objects and ACK's AlbConfig) are read through
``CustomObjectsApi`` with their group, version and plural: ``get_namespaced_custom_object``,
``get_cluster_custom_object``, ``list_namespaced_custom_object``, ``list_cluster_custom_object``
and, for a namespaced resource in every namespace, ``list_custom_object_for_all_namespaces``.
Versions: gateway.networking.k8s.io/v1 for GatewayClass, Gateway and HTTPRoute; v1beta1 for
ReferenceGrant (its storage version, served by every Gateway API release; v1 only from 1.5);
alibabacloud.com/v1 for AlbConfig, which is cluster-scoped. Nothing here imports ``kubernetes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    """How one plural resource name maps onto the generated client."""

    api: str  # class in kubernetes.client
    singular: str  # snake-case part of the generated method names ("" for custom resources)
    api_version: str
    kind: str
    namespaced: bool
    plural: str = ""  # set for custom resources, read through CustomObjectsApi

    @property
    def custom(self) -> bool:
        return bool(self.plural)

    def method(self, verb: str, all_namespaces: bool = False) -> str:
        if self.custom:
            return _custom_method(verb, self.namespaced, all_namespaces)
        if not self.namespaced:
            return f"{verb}_{self.singular}"
        if all_namespaces:
            return f"{verb}_{self.singular}_for_all_namespaces"
        return f"{verb}_namespaced_{self.singular}"

    def arguments(self, namespace: str | None, name: str | None = None) -> tuple[Any, ...]:
        """Positional arguments of ``method``: (group, version, [namespace,] plural, [name]) for a custom
        resource, ([name,] [namespace]) for a built-in one."""
        if self.custom:
            group, version = self.api_version.split("/")
            scope = (namespace,) if self.namespaced and namespace else ()
            return (group, version, *scope, self.plural, *((name,) if name else ()))
        return tuple(x for x in (name, namespace if self.namespaced else None) if x)


def _custom_method(verb: str, namespaced: bool, all_namespaces: bool) -> str:
    if verb == "read":
        return "get_namespaced_custom_object" if namespaced else "get_cluster_custom_object"
    if not namespaced:
        return "list_cluster_custom_object"
    return "list_custom_object_for_all_namespaces" if all_namespaces else "list_namespaced_custom_object"


def _core(singular: str, kind: str, namespaced: bool) -> Resource:
    return Resource("CoreV1Api", singular, "v1", kind, namespaced)


def _apps(singular: str, kind: str) -> Resource:
    return Resource("AppsV1Api", singular, "apps/v1", kind, True)


def _networking(singular: str, kind: str, namespaced: bool) -> Resource:
    return Resource("NetworkingV1Api", singular, "networking.k8s.io/v1", kind, namespaced)


def _custom(api_version: str, kind: str, plural: str, namespaced: bool) -> Resource:
    return Resource("CustomObjectsApi", "", api_version, kind, namespaced, plural)


GATEWAY_API = "gateway.networking.k8s.io"

# The resource names ackwb.sources.world_kube knows, Secrets excepted.
RESOURCES: dict[str, Resource] = {
    "pods": _core("pod", "Pod", True),
    "services": _core("service", "Service", True),
    "endpoints": _core("endpoints", "Endpoints", True),
    "configmaps": _core("config_map", "ConfigMap", True),
    "events": _core("event", "Event", True),
    "serviceaccounts": _core("service_account", "ServiceAccount", True),
    "nodes": _core("node", "Node", False),
    "namespaces": _core("namespace", "Namespace", False),
    "persistentvolumes": _core("persistent_volume", "PersistentVolume", False),
    "endpointslices": Resource(
        "DiscoveryV1Api", "endpoint_slice", "discovery.k8s.io/v1", "EndpointSlice", True
    ),
    "ingresses": _networking("ingress", "Ingress", True),
    "ingressclasses": _networking("ingress_class", "IngressClass", False),
    "networkpolicies": _networking("network_policy", "NetworkPolicy", True),
    "storageclasses": Resource("StorageV1Api", "storage_class", "storage.k8s.io/v1", "StorageClass", False),
    "deployments": _apps("deployment", "Deployment"),
    "replicasets": _apps("replica_set", "ReplicaSet"),
    "daemonsets": _apps("daemon_set", "DaemonSet"),
    "statefulsets": _apps("stateful_set", "StatefulSet"),
    "gatewayclasses": _custom(f"{GATEWAY_API}/v1", "GatewayClass", "gatewayclasses", False),
    "gateways": _custom(f"{GATEWAY_API}/v1", "Gateway", "gateways", True),
    "httproutes": _custom(f"{GATEWAY_API}/v1", "HTTPRoute", "httproutes", True),
    "referencegrants": _custom(f"{GATEWAY_API}/v1beta1", "ReferenceGrant", "referencegrants", True),
    "albconfigs": _custom("alibabacloud.com/v1", "AlbConfig", "albconfigs", False),
}
