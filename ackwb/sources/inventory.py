"""Broad reads that answer narrow queries: how a session covering a whole cluster keeps its
requests from growing with the number of hosts it traces.

A trace asks narrow questions (this Service, the Pods of that selector, the ENI holding this
Pod IP, the server block of this host). Tracing every host of a cluster asks them hundreds of
times. ``Inventory`` reads each broad answer once per session and answers every narrow
question from it, with the same semantics a stored world uses (selectors as the API server
honours them, ``world_cloud``'s filters and paging, the server block cut from nginx.conf):

- Kubernetes: every object of the resources a trace reads (``BROAD_KUBE``), listed once;
- Alidns: the zone's records (``DescribeDomainRecords``), for each host's sub-domain query;
- ENIs by address: every ENI of the region (what an address query searches), for each Pod IP;
- ``ipvsadm -Ln -t VIP:PORT``: cut from the node's full ``ipvsadm -Ln``;
- a host's server block and one dynamic backend: from the controller's whole nginx.conf and
  its whole backend list.

When a broad read fails (a permission covers only the narrow call, say), the narrow query is
sent as it is: an inventory only ever saves requests, it never changes an answer's source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ackwb.errors import AckwbError
from ackwb.sources import commands, queries
from ackwb.sources.base import CommandOutput, Sources
from ackwb.sources.commands import Command
from ackwb.sources.queries import wire_params
from ackwb.sources.world import ipvs_service_output, one_backend, server_block
from ackwb.sources.world_cloud import ACTIONS
from ackwb.sources.world_cloud_kit import Request
from ackwb.sources.world_files import plain_copy
from ackwb.sources.world_kube import RESOURCES
from ackwb.sources.world_selectors import field_value, parse_field_selector, parse_label_selector

Obj = dict[str, Any]
BROAD_KUBE = frozenset(
    {"pods", "services", "endpointslices", "ingresses", "ingressclasses", "nodes", "namespaces",
     "networkpolicies"}
)  # fmt: skip
_EQUALS = re.compile(r"^\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*==?\s*([-A-Za-z0-9_.:]*)\s*$")
_ENI_PAGE = 500  # DescribeNetworkInterfaces' largest MaxResults
_ZONE_PAGE = 500  # DescribeDomainRecords' largest PageSize
_ADDRESS_QUERY = {"RegionId", "MaxResults", "NextToken", "PrimaryIpAddress"}


class MemoryFiles:
    """The part of ``WorldFiles`` the world's answerers read, over data held in memory."""

    complete = True

    def __init__(self, files: dict[str, Any]) -> None:
        self._files = files

    def json(self, relative: str) -> Any:
        return self._files.get(relative)

    def names(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return sorted(
            p[len(prefix) :] for p in self._files if p.startswith(prefix) and "/" not in p[len(prefix) :]
        )


class KubeIndex:
    """Every object of one resource, indexed by name and, on first use, by a label or a field."""

    def __init__(self, resource: str, items: list[Obj]) -> None:
        self.namespaced = RESOURCES.get(resource, True)
        self.items = sorted(items, key=lambda o: (_meta(o, "namespace"), _meta(o, "name")))
        self.by_name = {
            (_meta(o, "namespace") if self.namespaced else "", _meta(o, "name")): o for o in self.items
        }
        self._by: dict[tuple[str, str], dict[str, list[Obj]]] = {}

    def get(self, name: str, namespace: str | None) -> Obj | None:
        return self.by_name.get((namespace or "" if self.namespaced else "", name))

    def _index(self, kind: str, key: str, value_of: Callable[[Obj], str | None]) -> dict[str, list[Obj]]:
        found = self._by.get((kind, key))
        if found is None:
            found = {}
            for item in self.items:
                value = value_of(item)
                if value is not None:
                    found.setdefault(value, []).append(item)
            self._by[(kind, key)] = found
        return found

    def select(self, namespace: str | None, label_selector: str, field_selector: str) -> list[Obj]:
        label, field = _EQUALS.match(label_selector), _EQUALS.match(field_selector)
        if label:
            key, wanted = label.group(1), label.group(2)
            candidates = self._index("label", key, lambda o: _labels(o).get(key)).get(wanted, [])
        elif field:
            path, wanted = field.group(1), field.group(2)
            candidates = self._index("field", path, lambda o: field_value(o, path)).get(wanted, [])
        else:
            candidates = self.items
        labels_match, fields_match = (
            parse_label_selector(label_selector),
            parse_field_selector(field_selector),
        )
        return [
            o
            for o in candidates
            if (not namespace or not self.namespaced or _meta(o, "namespace") == namespace)
            and labels_match(_labels(o))
            and fields_match(o)
        ]


def _labels(obj: Obj) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _meta(obj: Obj, key: str) -> str:
    return str((obj.get("metadata") or {}).get(key) or "")


class Inventory:
    """The broad reads of one session, made through its cache on first need."""

    def __init__(self, inner: Sources, cache: Any) -> None:
        self.inner, self.cache = inner, cache
        self.region = inner.cloud.region

    # ------------------------------------------------------------------------------ Kubernetes
    @staticmethod
    def kube_covers(resource: str) -> bool:
        return resource in BROAD_KUBE

    def _kube(self, resource: str) -> KubeIndex:
        key = "index " + queries.kube_list(resource, None)
        return self.cache.read(key, lambda: _Held(KubeIndex(resource, self.inner.kube.list(resource)))).value

    def kube_get(self, resource: str, name: str, namespace: str | None) -> Obj | None:
        return plain_copy(self._kube(resource).get(name, namespace))

    def kube_list(
        self, resource: str, namespace: str | None, label_selector: str, field_selector: str
    ) -> list[Obj]:
        return plain_copy(self._kube(resource).select(namespace, label_selector, field_selector))

    # ----------------------------------------------------------------------------------- cloud
    def cloud_call(self, product: str, action: str, params: Obj) -> Obj | None:
        wire = wire_params(params)
        if (product, action) == ("alidns", "DescribeSubDomainRecords") and set(wire) <= {
            "SubDomain",
            "PageNumber",
        }:
            return self._sub_domain(wire)
        by_address = any(k.startswith("PrivateIpAddress.") for k in wire) or "PrimaryIpAddress" in wire
        plain = all(k in _ADDRESS_QUERY or k.startswith("PrivateIpAddress.") for k in wire)
        if (product, action) == ("ecs", "DescribeNetworkInterfaces") and by_address and plain:
            return self._enis(wire)
        return None

    def _pages(self, product: str, action: str, params: Obj, items: tuple[str, ...]) -> list[Obj] | None:
        """Every item of a paged broad read, or None when a page could not be read."""
        found: list[Obj] = []
        query = dict(params)
        for _ in range(200):
            try:
                key = queries.cloud(product, action, query)
                body = self.cache.read(key, lambda q=dict(query): self.inner.cloud.call(product, action, q))
            except AckwbError:
                return None
            page = body
            for part in items:
                page = page.get(part) if isinstance(page, dict) else None
            found += [i for i in page or [] if isinstance(i, dict)]
            if body.get("NextToken"):
                query["NextToken"] = body["NextToken"]
            elif "PageNumber" in body and len(found) < int(body.get("TotalCount") or 0) and page:
                query["PageNumber"] = int(body["PageNumber"]) + 1
            else:
                return found
        return None

    def _answer(self, product: str, action: str, wire: dict[str, str], files: dict[str, Any]) -> Obj | None:
        try:
            return ACTIONS[(product, action)](
                Request(product, action, dict(wire), MemoryFiles(files), self.region)
            )  # type: ignore[arg-type]
        except AckwbError:
            return None

    def _sub_domain(self, wire: dict[str, str]) -> Obj | None:
        host = wire["SubDomain"].lower().rstrip(".")
        labels = host.split(".")
        for zone in [".".join(labels[i:]) for i in range(1 if len(labels) > 2 else 0, len(labels) - 1)]:
            params = {"DomainName": zone, "PageSize": _ZONE_PAGE}
            records = self._pages("alidns", "DescribeDomainRecords", params, ("DomainRecords", "Record"))
            if records is not None:
                body = {"DomainRecords": {"Record": records}, "TotalCount": len(records)}
                files = {f"cloud/alidns/DescribeDomainRecords/{zone}.json": body}
                return self._answer("alidns", "DescribeSubDomainRecords", wire, files)
        return None

    def _enis(self, wire: dict[str, str]) -> Obj | None:
        params = {"RegionId": self.region, "MaxResults": _ENI_PAGE}
        enis = self._pages(
            "ecs", "DescribeNetworkInterfaces", params, ("NetworkInterfaceSets", "NetworkInterfaceSet")
        )
        if enis is None:
            return None
        body = {"NetworkInterfaceSets": {"NetworkInterfaceSet": enis}}
        return self._answer(
            "ecs", "DescribeNetworkInterfaces", wire, {"cloud/ecs/DescribeNetworkInterfaces.json": body}
        )

    # --------------------------------------------------------------------------- node and Pod
    def _output(self, key: str, read: Callable[[], CommandOutput]) -> str | None:
        try:
            output = self.cache.read(key, read)
        except AckwbError:
            return None
        return output.stdout if output.exit_status == 0 and output.stdout.strip() else None

    def node_run(self, node: str, command: Command) -> CommandOutput | None:
        if command.name != "ipvsadm-service":
            return None
        whole = commands.ipvsadm_list()
        listing = self._output(queries.node(node, whole), lambda: self.inner.node.run(node, whole))
        return None if listing is None else ipvs_service_output(listing, command)

    def exec_run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput | None:
        if command.name == "nginx-server-block":
            whole = commands.nginx_conf()
        elif command.name == "nginx-backend":
            whole = commands.nginx_backends_curl()
        else:
            return None
        key = queries.pod_exec(namespace, pod, container, whole)
        text = self._output(key, lambda: self.inner.pod_exec.run(namespace, pod, container, whole))
        if text is None:
            return None
        if command.name == "nginx-server-block":
            return CommandOutput(server_block(text, commands.host_of(command)))
        by_name = self.cache.read("index " + key, lambda: _Held(_backends_by_name(text))).value
        found = by_name.get(command.argv[3])
        return (
            one_backend(json.dumps([found]), command.argv[3]) if found else one_backend("[]", command.argv[3])
        )


def _backends_by_name(text: str) -> dict[str, Obj]:
    """The controller's dynamic backends by name, parsed once per session (not once per host)."""
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return {str(b.get("name")): b for b in found if isinstance(b, dict)} if isinstance(found, list) else {}


class _Held:
    """A value the cache keeps but never copies (an index, shared read-only by every trace)."""

    def __init__(self, value: Any) -> None:
        self.value = value
