"""Snapshot capture: wrap live sources, remember every raw answer, write it out as a world.

A snapshot is a world like the demo (``kube/``, ``cloud/``, ``dns/``, ``nodes/``, ``pods/``),
so the same notebooks replay it offline and the world source answers new queries from it.
Answers are merged per resource (not stored per call). Nothing that could be a secret is
written (``redact``): Secrets are never read, Kubernetes objects keep only what steps read of
annotations, container arguments, environment and ConfigMap data (``kept_fields``), and one
pass replaces every credential pattern in every string of every file, world.json included.

Names taken from answers (zones, IDs, node IPs, namespaces, Pods) become file names only when
they are plain names; otherwise the answer is not kept and the capture says so. Writes stay
inside the output: every relative path is checked again when written, a folder output must
be new or empty, and nothing is written through a symlink.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ackwb.errors import InputError
from ackwb.sources.base import ClusterSettings, CommandOutput, DnsRecord, Sources
from ackwb.sources.commands import Command, host_of, service_file_name
from ackwb.sources.recording_cloud import RecordingCloud
from ackwb.sources.redact import REDACTED, redact_data, redact_text, scrub_kube
from ackwb.sources.world import WORLD_NAME
from ackwb.sources.world_archive import inside, safe_relative

__all__ = ["REDACTED", "Recording", "recording", "world_meta", "world_name"]

Obj = dict[str, Any]
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # a namespace
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RESOURCE = re.compile(r"^[a-z]{1,63}$")


@dataclass
class Recording:
    """What a capture has read so far, keyed by the file it will be written to."""

    files: dict[str, Any] = field(default_factory=dict)  # relative path → JSON data or text
    server_blocks: dict[str, dict[str, str]] = field(default_factory=dict)  # pod folder → host → block
    calls: int = 0
    refused: list[str] = field(default_factory=list)  # answers not kept: their file name would be unsafe
    progress: Callable[[str], None] = lambda message: None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # reads may run concurrently

    def note(self, what: str) -> None:
        with self.lock:
            self.calls += 1
            self.progress(f"[{self.calls}] {what}")

    def refuse(self, what: str) -> None:
        """An answer that is not kept because a name in it cannot be a file name."""
        with self.lock:
            self.refused.append(what)
        self.progress(f"not stored (not a plain name, it cannot become a file name): {what}")

    def guard(self, what: str, keep: Callable[[], None]) -> None:
        """Run ``keep``; an answer of an unexpected shape is not kept, and never breaks the trace."""
        try:
            keep()
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as error:
            kind = type(error).__name__
            self.progress(f"not stored: the answer of {what} has an unexpected shape ({kind})")

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

    def entries(self, world: Obj) -> dict[str, str]:
        """Every file to write, relative path → text, after the credential pass."""
        entries = {"world.json": json.dumps(redact_data(world), indent=2, sort_keys=True) + "\n"}
        for path, data in sorted(self.files.items()):
            if not safe_relative(path):
                raise InputError(f"refusing to write {path!r}: not a plain relative path")
            if isinstance(data, str) and path.endswith(".json"):  # raw JSON text: redact it as data
                with contextlib.suppress(json.JSONDecodeError):
                    data = json.loads(data)
            entries[path] = (
                redact_text(data)
                if isinstance(data, str)
                else json.dumps(redact_data(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            )
        return entries

    def write(self, output: Path, world: Obj) -> Path:
        """Write the world as a folder, or as a zip file when ``output`` ends in .zip."""
        entries = self.entries(world)
        if output.suffix == ".zip":
            output.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
                for path, text in entries.items():
                    archive.writestr(path, text)
            return output
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise InputError(f"{output} already exists and is not an empty folder: nothing written")
        output.mkdir(parents=True, exist_ok=True)
        for path, text in entries.items():
            target = output / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or not inside(output, target.parent):
                raise InputError(f"refusing to write {target}: it would land outside {output}")
            target.write_text(text, encoding="utf-8")
        return output


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
        found = self.inner.get(resource, name, namespace)
        if found is not None:
            self.rec.guard(f"kube get {resource}", lambda: self._keep(resource, [found]))
        return found

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str = "", field_selector: str = ""
    ) -> list[Obj]:
        self.rec.note(f"kube list {resource} {namespace or '*'} {label_selector} {field_selector}".rstrip())
        found = self.inner.list(resource, namespace, label_selector, field_selector)
        self.rec.guard(f"kube list {resource}", lambda: self._keep(resource, found))
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
        return self._keep("dns/public.json", self.inner.resolve(name, rdtype))

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        self.rec.note(f"cluster dns {name} {rdtype}")
        return self._keep("dns/cluster.json", self.inner.resolve_in_cluster(name, rdtype))


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
        output = self.inner.run(node, command)
        if output.exit_status != 0:
            return output
        if not _node_ok(node):
            self.rec.refuse(f"node {node!r}")
        elif command.name == "ipvsadm-service":
            self.rec.files[f"nodes/{node}/ipvsadm-service/{service_file_name(command)}"] = output.stdout
        else:
            self.rec.files[f"nodes/{node}/{command.name}.txt"] = output.stdout
        return output


class _PodExec:
    def __init__(self, inner: Any, rec: Recording) -> None:
        self.inner, self.rec = inner, rec

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        self.rec.note(f"exec {namespace}/{pod}: {command.name}")
        output = self.inner.run(namespace, pod, container, command)
        if output.exit_status != 0:
            return output
        if not (DNS_LABEL.match(namespace) and DNS_SUBDOMAIN.match(pod)):
            self.rec.refuse(f"pod {namespace!r}/{pod!r}")
            return output
        folder = f"pods/{namespace}/{pod}"
        if command.name == "nginx-server-block" and output.stdout.strip():
            with self.rec.lock:
                blocks = self.rec.server_blocks.setdefault(folder, {})
                blocks[host_of(command)] = output.stdout
                self.rec.files[f"{folder}/nginx.conf"] = "\n".join(blocks[h] for h in sorted(blocks))
        elif command.name == "nginx-backend":
            self.rec.guard(f"exec {folder}: nginx-backend", lambda: self._keep_backend(folder, output.stdout))
        elif command.name == "nginx-backends":
            self.rec.files[f"{folder}/backends.json"] = output.stdout
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
