"""One spelling for every query a step can make of a source: the key a session caches it under,
and the key a snapshot records it under (so a replay can tell what was asked from what was not).

A key is a short string naming the source, the call and its arguments in a normal form: cloud
parameters in their wire form (``Name.N`` for lists, sorted), DNS names absolute and lower
case, commands as their argv. Two calls that would send the same request have the same key.
``QueryKey`` splits a key back into its parts for the replay's scope checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ackwb.sources.commands import Command


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def wire_params(params: dict[str, Any]) -> dict[str, str]:
    """Parameters as they travel: scalars as strings, lists flattened to ``Name.N``, None dropped."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            out.update({f"{key}.{i}": wire_value(v) for i, v in enumerate(value, 1)})
        elif value is not None:
            out[key] = wire_value(value)
    return out


def wire_value(value: Any) -> str:
    """One parameter value as it travels: booleans lower-case, everything else as str()."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def kube_get(resource: str, name: str, namespace: str | None) -> str:
    return f"kube get {resource} {namespace or ''}/{name}"


def kube_list(
    resource: str, namespace: str | None, label_selector: str = "", field_selector: str = ""
) -> str:
    return f"kube list {resource} {namespace or '*'} {_json([label_selector, field_selector])}"


def cloud(product: str, action: str, params: dict[str, Any]) -> str:
    """The paging token stands apart (``next=``): a snapshot's credential pass would take a
    ``"NextToken": "…"`` inside a string for a secret."""
    wire = wire_params(params)
    token = wire.pop("NextToken", None)
    return f"cloud {product}:{action} {_json(wire)}" + (f" next={token}" if token else "")


def absolute(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def dns(which: str, name: str, rdtype: str) -> str:
    """``which`` is public (the client's resolver) or cluster (kube-dns)."""
    return f"dns {which} {absolute(name)} {rdtype.upper()}"


def node(address: str, command: Command) -> str:
    return f"node {address} {_json([command.name, *command.argv])}"


def pod_exec(namespace: str, pod: str, container: str, command: Command) -> str:
    return f"exec {namespace}/{pod}/{container} {_json([command.name, *command.argv])}"


@dataclass(frozen=True)
class QueryKey:
    """A key split into its parts: ``kind`` is kube get, kube list, cloud, dns, node or exec."""

    kind: str
    target: str  # resource, product:action, resolver, node address, namespace/pod/container
    where: str  # namespace/name, namespace, name, ""
    detail: Any  # selectors, parameters, rdtype, [command name, *argv]

    @classmethod
    def parse(cls, key: str) -> QueryKey:
        head, _, rest = key.partition(" ")
        if head == "kube":
            verb, resource, where, *detail = rest.split(" ", 3)
            return cls(f"kube {verb}", resource, where, json.loads(detail[0]) if detail else None)
        if head == "cloud":
            target, _, params = rest.partition(" ")
            body, _, token = params.rpartition(" next=") if not params.endswith("}") else (params, "", "")
            found = json.loads(body)
            return cls("cloud", target, "", {**found, "NextToken": token} if token else found)
        if head == "dns":
            which, name, rdtype = rest.split(" ")
            return cls("dns", which, name, rdtype)
        target, _, argv = rest.partition(" ")
        return cls(head, target, "", json.loads(argv))
