"""Snapshot capture: wrap live sources, remember every raw answer, write it out as a world.

A snapshot is a world like the demo (``kube/``, ``cloud/``, ``dns/``, ``nodes/``, ``pods/``),
so the same notebooks replay it offline and the world source answers new queries from it.
Answers are merged per resource (not stored per call), and every query is listed in the
manifest with its negative answer (``recording_store``). Nothing that could be a secret is
written (``redact``): Secrets are never read, Kubernetes objects keep only what steps read of
annotations, container arguments, environment and ConfigMap data (``kept_fields``), and one
pass replaces every credential pattern in every string of every file, world.json included.

Names taken from answers (zones, IDs, node IPs, namespaces, Pods) become file names only when
they are plain names; otherwise the answer is not kept and the capture says so. Writes stay
inside the output: every relative path is checked again when written, a folder output must
be new or empty, and nothing is written through a symlink.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ackwb.errors import AckwbError
from ackwb.sources import queries
from ackwb.sources.base import ClusterSettings, CommandOutput, DnsRecord, Sources
from ackwb.sources.commands import Command, host_of, service_file_name
from ackwb.sources.recording_cloud import RecordingCloud
from ackwb.sources.recording_store import Recording
from ackwb.sources.redact import REDACTED, scrub_kube
from ackwb.sources.replay import error_record
from ackwb.sources.world import WORLD_NAME

T = TypeVar("T")

__all__ = ["REDACTED", "Recording", "recording", "world_meta", "world_name"]

Obj = dict[str, Any]
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # a namespace
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RESOURCE = re.compile(r"^[a-z]{1,63}$")


def asked(rec: Recording, key: str, read: Callable[[], T]) -> T:
    """``read()``; a failure is recorded under ``key`` (a snapshot replays it) and raised again."""
    try:
        return read()
    except AckwbError as error:
        rec.answered(key, {"error": error_record(error)})
        raise


class _Kube:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def _keep(self, resource: str, objects: list[Obj]) -> None:
        if not RESOURCE.match(resource):
            self.rec.refuse(f"kube resource {resource!r}")
            return
        wrapper = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": []}
        key = lambda o: (str(o["metadata"].get("namespace", "")), str(o["metadata"]["name"]))  # noqa: E731
        kept = [scrub_kube(o, resource) for o in objects]
        self.rec.merge_items(f"kube/{resource}.json", wrapper, ("items",), key, kept, ordered=True)

    def get(self, resource: str, name: str, namespace: str | None = None) -> Obj | None:
        self.rec.note(f"kube get {resource} {namespace or ''}/{name}")
        key = queries.kube_get(resource, name, namespace)
        found = asked(self.rec, key, lambda: self.inner.get(resource, name, namespace))
        if found is None or self.rec.guard(f"kube get {resource}", lambda: self._keep(resource, [found])):
            self.rec.answered(key)
        return found

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str = "", field_selector: str = ""
    ) -> list[Obj]:
        self.rec.note(f"kube list {resource} {namespace or '*'} {label_selector} {field_selector}".rstrip())
        key = queries.kube_list(resource, namespace, label_selector, field_selector)
        found = asked(
            self.rec, key, lambda: self.inner.list(resource, namespace, label_selector, field_selector)
        )
        if self.rec.guard(f"kube list {resource}", lambda: self._keep(resource, found)):
            self.rec.answered(key)
        return found


class _Dns:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def _keep(self, file: str, records: list[DnsRecord]) -> list[DnsRecord]:
        with self.rec.lock:
            stored = self.rec.files.setdefault(file, [])
            for r in records:
                row = {"name": r.name, "type": r.type, "ttl": r.ttl, "value": r.value}
                if row not in stored:
                    stored.append(row)
        return records

    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        self.rec.note(f"dns {name} {rdtype}")
        key = queries.dns("public", name, rdtype)
        found = self._keep("dns/public.json", asked(self.rec, key, lambda: self.inner.resolve(name, rdtype)))
        self.rec.answered(key, None if found else {"answer": []})  # NOERROR without records: kept here
        return found

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        self.rec.note(f"cluster dns {name} {rdtype}")
        key = queries.dns("cluster", name, rdtype)
        answer = asked(self.rec, key, lambda: self.inner.resolve_in_cluster(name, rdtype))
        found = self._keep("dns/cluster.json", answer)
        self.rec.answered(key, None if found else {"answer": []})
        return found


def _node_ok(node: str) -> bool:
    try:
        ipaddress.ip_address(node)
    except ValueError:
        return False
    return True


class _Nodes:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def run(self, node: str, command: Command) -> CommandOutput:
        self.rec.note(f"node {node}: {command}")
        key = queries.node(node, command)
        output = asked(self.rec, key, lambda: self.inner.run(node, command))
        if output.exit_status != 0:
            self.rec.answered(key, self.rec.failed_output(output.stdout, output.exit_status, output.stderr))
            return output
        if not _node_ok(node):
            self.rec.refuse(f"node {node!r}")
            return output
        if command.name == "ipvsadm-service":
            self.rec.files[f"nodes/{node}/ipvsadm-service/{service_file_name(command)}"] = output.stdout
        else:
            self.rec.files[f"nodes/{node}/{command.name}.txt"] = output.stdout
        self.rec.answered(key)
        return output


class _PodExec:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        self.rec.note(f"exec {namespace}/{pod}: {command.name}")
        key = queries.pod_exec(namespace, pod, container, command)
        output = asked(self.rec, key, lambda: self.inner.run(namespace, pod, container, command))
        if output.exit_status != 0:
            self.rec.answered(key, self.rec.failed_output(output.stdout, output.exit_status, output.stderr))
            return output
        if not (DNS_LABEL.match(namespace) and DNS_SUBDOMAIN.match(pod)):
            self.rec.refuse(f"pod {namespace!r}/{pod!r}")
            return output
        folder = f"pods/{namespace}/{pod}"
        kept = True
        if command.name == "nginx-conf":
            with self.rec.lock:
                self.rec.server_blocks[folder] = {"": output.stdout}  # the whole file: blocks are cut from it
                self.rec.files[f"{folder}/nginx.conf"] = output.stdout
        elif command.name == "nginx-server-block" and output.stdout.strip():
            with self.rec.lock:
                blocks = self.rec.server_blocks.setdefault(folder, {})
                if "" not in blocks:  # the whole file already holds every block
                    blocks[host_of(command)] = output.stdout
                    self.rec.files[f"{folder}/nginx.conf"] = "\n".join(blocks[h] for h in sorted(blocks))
        elif command.name == "nginx-backend":
            keep = lambda: self._keep_backend(folder, output.stdout)  # noqa: E731
            kept = self.rec.guard(f"exec {folder}: nginx-backend", keep)
        elif command.name == "nginx-backends":
            self.rec.files[f"{folder}/backends.json"] = output.stdout
        if kept:
            self.rec.answered(key)
        return output

    def _keep_backend(self, folder: str, stdout: str) -> None:
        backend = json.loads(stdout)
        if not isinstance(backend, dict):
            raise TypeError("not a JSON object")
        with self.rec.lock:
            stored = self.rec.files.get(f"{folder}/backends.json")
            backends = json.loads(stored) if isinstance(stored, str) else (stored or [])
            backends = [b for b in backends if b.get("name") != backend.get("name")] + [backend]
            self.rec.files[f"{folder}/backends.json"] = sorted(backends, key=lambda b: str(b.get("name", "")))


def recording(sources: Sources, progress: Callable[[str], None] | None = None) -> tuple[Sources, Recording]:
    """Sources that behave like ``sources`` and remember every answer in the returned Recording."""
    rec = Recording(progress=progress or (lambda message: None))
    wrapped = replace(
        sources,
        kube=_Kube(sources.kube, rec),
        cloud=RecordingCloud(sources.cloud, rec),
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
