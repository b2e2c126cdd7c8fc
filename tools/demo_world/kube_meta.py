"""The shared shape of Kubernetes objects in a stored world: metadata, Lists, kubectl's printer.

Lists are what ``kubectl get <resource> -A -o json`` prints: a ``v1`` ``List`` whose items
carry ``apiVersion`` and ``kind``, printed with four spaces and sorted keys. ``metadata``
derives the uid and resourceVersion from the object's kind, namespace and name.
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world import ids

Obj = dict[str, Any]


def metadata(kind: str, name: str, namespace: str | None, created: str, **extra: Any) -> Obj:
    meta: Obj = {
        "creationTimestamp": created,
        "name": name,
        "resourceVersion": ids.resource_version(kind + name),
        "uid": ids.uid(f"{kind} {namespace} {name}"),
    }
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update({k: v for k, v in extra.items() if v})
    return meta


def kube_list(items: list[Obj]) -> Obj:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def dump(obj: Any) -> str:
    """kubectl's JSON printer: four spaces, keys sorted (objects are unstructured maps)."""
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def last_applied(obj: Obj) -> str:
    """The ``kubectl.kubernetes.io/last-applied-configuration`` annotation of an applied object."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"


def by_key(objects: list[Obj]) -> list[Obj]:
    """Objects in the API server's list order: namespace, then name."""
    return sorted(objects, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
