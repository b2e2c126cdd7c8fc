"""Snapshot capture: wrap live sources, remember every raw answer, write it out as a world.

A snapshot is a world like the demo (``kube/``, ``cloud/``, ``dns/``, ``nodes/``, ``pods/``),
so the same notebooks replay it offline and the world source answers new queries from it.
Answers are merged per resource (not stored per call), and what could carry a secret is
removed on the way in: Secrets are never read, container ``env`` values, annotations that
hold whole applied manifests, ``managedFields`` and certificate or key material are redacted.
"""

from __future__ import annotations

import json
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ackwb.sources.base import ClusterSettings, CommandOutput, DnsRecord, Sources
from ackwb.sources.commands import Command, host_of, service_file_name
from ackwb.sources.world import WORLD_NAME

Obj = dict[str, Any]
REDACTED = "<redacted by ackwb>"
SECRET_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
PEM_RE = re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.S)

# Where each cloud action's answers are kept: a list body (file, items path, id field),
# or one body per id (id parameter, folder). Same layout the world source reads.
LISTED: dict[tuple[str, str], tuple[str, tuple[str, ...], str]] = {
    ("slb", "DescribeLoadBalancers"): (
        "slb/DescribeLoadBalancers.json", ("LoadBalancers", "LoadBalancer"), "LoadBalancerId"),
    ("slb", "DescribeLoadBalancerListeners"): (
        "slb/DescribeLoadBalancerListeners.json", ("Listeners",), "ListenerPort"),
    ("ecs", "DescribeNetworkInterfaces"): (
        "ecs/DescribeNetworkInterfaces.json",
        ("NetworkInterfaceSets", "NetworkInterfaceSet"),
        "NetworkInterfaceId",
    ),
    ("ecs", "DescribeInstances"): ("ecs/DescribeInstances.json", ("Instances", "Instance"), "InstanceId"),
    ("vpc", "DescribeNatGateways"): (
        "vpc/DescribeNatGateways.json", ("NatGateways", "NatGateway"), "NatGatewayId"),
    ("vpc", "DescribeEipAddresses"): (
        "vpc/DescribeEipAddresses.json", ("EipAddresses", "EipAddress"), "AllocationId"),
    ("nlb", "ListLoadBalancers"): ("nlb/ListLoadBalancers.json", ("LoadBalancers",), "LoadBalancerId"),
    ("nlb", "ListListeners"): ("nlb/ListListeners.json", ("Listeners",), "ListenerId"),
}  # fmt: skip
BY_ID: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("slb", "DescribeAccessControlListAttribute"): ("AclId", ("AclEntrys", "AclEntry")),
    ("slb", "DescribeVServerGroups"): ("LoadBalancerId", ()),
    ("slb", "DescribeVServerGroupAttribute"): ("VServerGroupId", ()),
    ("slb", "DescribeHealthStatus"): ("LoadBalancerId", ("BackendServers", "BackendServer")),
    ("vpc", "DescribeVSwitchAttributes"): ("VSwitchId", ()),
    ("vpc", "DescribeRouteEntryList"): ("RouteTableId", ("RouteEntrys", "RouteEntry")),
    ("vpc", "DescribeSnatTableEntries"): ("SnatTableId", ("SnatTableEntries", "SnatTableEntry")),
    ("cs", "DescribeClusterDetail"): ("ClusterId", ()),
    ("nlb", "ListServerGroupServers"): ("ServerGroupId", ("Servers",)),
    ("nlb", "GetListenerHealthStatus"): ("ListenerId", ("ListenerHealthStatus",)),
    ("ecs", "DescribeSecurityGroupAttribute"): ("SecurityGroupId", ("Permissions", "Permission")),
}


@dataclass
class Recording:
    """What a capture has read so far, keyed by the file it will be written to."""

    files: dict[str, Any] = field(default_factory=dict)  # relative path → JSON data or text
    server_blocks: dict[str, dict[str, str]] = field(default_factory=dict)  # pod folder → host → block
    calls: int = 0
    progress: Callable[[str], None] = lambda message: None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # reads may run concurrently

    def note(self, what: str) -> None:
        with self.lock:
            self.calls += 1
            self.progress(f"[{self.calls}] {what}")

    def merge_items(
        self,
        path: str,
        wrapper: Obj,
        items_path: tuple[str, ...],
        key: Callable[[Obj], Any],
        items: list[Obj],
        ordered: bool = False,
    ) -> None:
        """Add the items not yet stored under ``path``; ``ordered`` keeps them sorted by ``key``
        (as the Kubernetes API lists them), whatever order concurrent reads finished in."""
        with self.lock:
            stored = self.files.setdefault(path, wrapper)
            target = stored
            for part in items_path[:-1]:
                target = target.setdefault(part, {})
            existing = target.setdefault(items_path[-1], [])
            seen = {key(item) for item in existing}
            existing.extend(item for item in items if key(item) not in seen)
            if ordered:
                existing.sort(key=key)

    def write(self, output: Path, world: Obj) -> Path:
        """Write the world as a folder, or as a zip file when ``output`` ends in .zip."""
        entries = {"world.json": json.dumps(world, indent=2, sort_keys=True) + "\n"}
        for path, data in sorted(self.files.items()):
            entries[path] = (
                data if isinstance(data, str) else json.dumps(data, indent=2, sort_keys=True) + "\n"
            )
        if output.suffix == ".zip":
            output.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
                for path, text in entries.items():
                    archive.writestr(path, text)
            return output
        for path, text in entries.items():
            target = output / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return output


def redact_kube(obj: Obj) -> Obj:
    """A copy of a Kubernetes object without what may hold credentials."""
    obj = json.loads(json.dumps(obj))
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    for name in SECRET_ANNOTATIONS:
        if name in (meta.get("annotations") or {}):
            meta["annotations"][name] = REDACTED
    spec = obj.get("spec") or {}
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for env in container.get("env") or []:
            if "value" in env:
                env["value"] = REDACTED
    return obj


def redact_text(text: str) -> str:
    return PEM_RE.sub(REDACTED, text)


class _Kube:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def _keep(self, resource: str, objects: list[Obj]) -> None:
        wrapper = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": []}
        key = lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
        self.rec.merge_items(
            f"kube/{resource}.json", wrapper, ("items",), key, [redact_kube(o) for o in objects], ordered=True
        )

    def get(self, resource: str, name: str, namespace: str | None = None) -> Obj | None:
        self.rec.note(f"kube get {resource} {namespace or ''}/{name}")
        found = self.inner.get(resource, name, namespace)
        if found is not None:
            self._keep(resource, [found])
        return found

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str = "", field_selector: str = ""
    ) -> list[Obj]:
        self.rec.note(f"kube list {resource} {namespace or '*'} {label_selector} {field_selector}".rstrip())
        found = self.inner.list(resource, namespace, label_selector, field_selector)
        self._keep(resource, found)
        return found


class _Cloud:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec, self.region = inner, rec, inner.region

    def call(self, product: str, action: str, params: Obj) -> Obj:
        self.rec.note(f"{product}:{action}")
        body = self.inner.call(product, action, params)
        self._keep(product, action, params, body)
        return body

    def _keep(self, product: str, action: str, params: Obj, body: Obj) -> None:
        if (product, action) == ("alidns", "DescribeSubDomainRecords"):
            records = (body.get("DomainRecords") or {}).get("Record") or []
            for zone in {r.get("DomainName", "") for r in records}:
                wrapper = {"DomainRecords": {"Record": []}, "RequestId": body.get("RequestId", "")}
                mine = [r for r in records if r.get("DomainName") == zone]
                self.rec.merge_items(
                    f"cloud/alidns/DescribeDomainRecords/{zone}.json",
                    wrapper,
                    ("DomainRecords", "Record"),
                    lambda r: r.get("RecordId"),
                    mine,
                )
        elif (product, action) in LISTED:
            path, items_path, id_field = LISTED[(product, action)]
            items = _dig(body, items_path) or []
            wrapper = {k: v for k, v in body.items() if k != items_path[0]}
            key = (
                (lambda i: (i.get("LoadBalancerId"), i.get(id_field)))
                if action.endswith("Listeners")
                else (lambda i: i.get(id_field))
            )
            self.rec.merge_items(f"cloud/{path}", wrapper, items_path, key, items)
        elif (product, action) in BY_ID:
            id_param, items_path = BY_ID[(product, action)]
            path = f"cloud/{product}/{action}/{params.get(id_param)}.json"
            if items_path and path in self.rec.files:  # a further page, or another filter
                key = lambda i: json.dumps(i, sort_keys=True)  # noqa: E731
                self.rec.merge_items(path, body, items_path, key, _dig(body, items_path) or [])
            else:
                self.rec.files[path] = json.loads(json.dumps(body))


class _Dns:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def _keep(self, file: str, records: list[DnsRecord]) -> list[DnsRecord]:
        stored = self.rec.files.setdefault(file, [])
        for r in records:
            row = {"name": r.name, "type": r.type, "ttl": r.ttl, "value": r.value}
            if row not in stored:
                stored.append(row)
        return records

    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        self.rec.note(f"dns {name} {rdtype}")
        return self._keep("dns/public.json", self.inner.resolve(name, rdtype))

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        self.rec.note(f"cluster dns {name} {rdtype}")
        return self._keep("dns/cluster.json", self.inner.resolve_in_cluster(name, rdtype))


class _Nodes:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def run(self, node: str, command: Command) -> CommandOutput:
        self.rec.note(f"node {node}: {command}")
        output = self.inner.run(node, command)
        if output.exit_status == 0 and command.name == "ipvsadm-service":
            self.rec.files[f"nodes/{node}/ipvsadm-service/{service_file_name(command)}"] = output.stdout
        elif output.exit_status == 0:
            self.rec.files[f"nodes/{node}/{command.name}.txt"] = redact_text(output.stdout)
        return output


class _PodExec:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        self.rec.note(f"exec {namespace}/{pod}: {command.name}")
        output = self.inner.run(namespace, pod, container, command)
        folder = f"pods/{namespace}/{pod}"
        if output.exit_status == 0 and command.name == "nginx-server-block" and output.stdout.strip():
            blocks = self.rec.server_blocks.setdefault(folder, {})
            blocks[host_of(command)] = redact_text(output.stdout)
            self.rec.files[f"{folder}/nginx.conf"] = "\n".join(blocks[h] for h in sorted(blocks))
        elif output.exit_status == 0 and command.name == "nginx-backend":
            stored = self.rec.files.get(f"{folder}/backends.json")
            backends = json.loads(stored) if isinstance(stored, str) else (stored or [])
            backend = json.loads(output.stdout)
            backends = [b for b in backends if b.get("name") != backend.get("name")] + [backend]
            self.rec.files[f"{folder}/backends.json"] = sorted(backends, key=lambda b: b.get("name", ""))
        elif output.exit_status == 0 and command.name == "nginx-backends":
            self.rec.files[f"{folder}/backends.json"] = output.stdout
        return output


def recording(sources: Sources, progress: Callable[[str], None] | None = None) -> tuple[Sources, Recording]:
    """Sources that behave like ``sources`` and remember every answer in the returned Recording."""
    rec = Recording(progress=progress or (lambda message: None))
    wrapped = replace(
        sources,
        kube=_Kube(sources.kube, rec),
        cloud=_Cloud(sources.cloud, rec),
        dns=_Dns(sources.dns, rec),
        node=_Nodes(sources.node, rec),
        pod_exec=_PodExec(sources.pod_exec, rec),
    )
    return wrapped, rec


def world_name(text: str) -> str:
    """A name ``load_world`` accepts, made from ``text`` (a file name): other characters become "-"."""
    name = re.sub(r"[^\w .+-]", "-", text)[:100].strip(" .+-")
    return name if name and WORLD_NAME.match(name) else "snapshot"


def world_meta(name: str, description: str, settings: ClusterSettings, cluster_dns: str = "") -> Obj:
    return {
        "name": world_name(name),
        "description": description,
        "region": settings.region,
        "cluster_id": settings.cluster_id,
        "cluster_domain": settings.cluster_domain,
        "cluster_dns": cluster_dns,
        "ingress_controller": {
            "namespace": settings.ingress_namespace,
            "label_selector": settings.ingress_selector,
            "container": settings.ingress_container,
        },
    }


def _dig(body: Obj, path: tuple[str, ...]) -> Any:
    for part in path:
        body = body.get(part) if isinstance(body, dict) else None
    return body
