"""The Kubernetes API of a stored world: get and list with selectors, read-only.

Each resource is stored as the List ``kubectl get <resource> -A -o json`` prints
(``kube/<resource>.json``). Lists come back in the API server's order (namespace, name)
and every object is a fresh copy, so callers cannot change the world. Secrets are never
read, whatever the world holds.
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import Forbidden, InputError, SourceError
from ackwb.sources.shapes import check_kube
from ackwb.sources.world_cloud_kit import plain_copy
from ackwb.sources.world_files import WorldFiles, absent
from ackwb.sources.world_selectors import parse_field_selector, parse_label_selector

Obj = dict[str, Any]

# Plural resource name → namespaced?
RESOURCES = {
    "nodes": False, "namespaces": False, "ingressclasses": False, "persistentvolumes": False,
    "storageclasses": False, "pods": True, "services": True, "endpointslices": True, "endpoints": True,
    "ingresses": True, "configmaps": True, "deployments": True, "replicasets": True, "daemonsets": True,
    "statefulsets": True, "events": True, "serviceaccounts": True, "networkpolicies": True,
    # custom resources: Gateway API (gateway.networking.k8s.io) and ACK's AlbConfig (alibabacloud.com)
    "gatewayclasses": False, "gateways": True, "httproutes": True, "referencegrants": True,
    "albconfigs": False,
}  # fmt: skip


class WorldKube:
    """``KubeSource`` over ``kube/*.json``."""

    def __init__(self, files: WorldFiles) -> None:
        self._files = files
        self._checked: set[str] = set()  # resources whose objects have the types selectors and steps need

    def _items(self, resource: str) -> list[Obj]:
        if resource == "secrets":
            raise Forbidden("kube:secrets", "ackwb never reads Secrets", "none: not needed")
        if resource not in RESOURCES:
            known = ", ".join(sorted(RESOURCES))
            raise SourceError(
                f"kube:{resource}", f"the server doesn't have a resource type {resource!r} ({known})"
            )
        listing = self._files.json(f"kube/{resource}.json")
        if listing is None:
            raise absent(self._files.label, f"kube:{resource}", f"kube/{resource}.json", f"its {resource}")
        items = listing.get("items") if isinstance(listing, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise SourceError(f"kube:{resource}", f"kube/{resource}.json is not a Kubernetes List of objects")
        if resource not in self._checked:  # selectors read labels and fields: check them before matching
            for item in items:
                check_kube(resource, item)
            self._checked.add(resource)
        return items

    def get(self, resource: str, name: str, namespace: str | None = None) -> Obj | None:
        items = self._items(resource)
        if RESOURCES[resource] and not namespace:
            raise InputError(f"{resource} are namespaced: say which namespace to get {name!r} from")
        for item in items:
            meta = item.get("metadata") or {}
            if meta.get("name") == name and (not RESOURCES[resource] or meta.get("namespace") == namespace):
                return plain_copy(item)
        return None

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[Obj]:
        items = self._items(resource)
        labels_match = parse_label_selector(label_selector)
        fields_match = parse_field_selector(field_selector)
        found = []
        for item in items:
            meta = item.get("metadata") or {}
            if namespace and RESOURCES[resource] and meta.get("namespace") != namespace:
                continue
            if labels_match(meta.get("labels") or {}) and fields_match(item):
                found.append(item)
        found.sort(
            key=lambda o: (
                (o.get("metadata") or {}).get("namespace", ""),
                (o.get("metadata") or {}).get("name", ""),
            )
        )
        return plain_copy(found)
