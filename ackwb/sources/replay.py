"""Replaying a snapshot honestly: answer what the capture asked, and only that.

A snapshot's ``world.json`` carries a versioned manifest (``"snapshot": {"format": 1, ...}``):
the scope of the capture (hosts, ports, paths, nodes) and every query it made, with the
negative answers the world's files cannot hold (an error, NXDOMAIN, a command's exit status
and stderr). ``replayed`` wraps a stored world's sources: a query the capture made is answered
from the world (or its recorded failure is raised again); a query it did not make raises
``NotCaptured`` naming the scope and the capture command that would include it, which the
steps show as an unknown hop, never as "does not exist".

A narrower query is covered by a broader one the capture made: a Kubernetes get or list by a
list of the whole resource, a server block by the whole nginx.conf, one dynamic backend by
all of them, ``ipvsadm -Ln -t`` by ``ipvsadm -Ln``, an Alidns sub-domain by its zone's records
and an ENI address lookup by every ENI of the region (the broad reads of a sweep).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from ackwb.errors import AckwbError, Forbidden, InputError, NotCaptured, SourceError, Unreachable
from ackwb.sources import commands, queries
from ackwb.sources.base import CommandOutput, DnsRecord, Sources
from ackwb.sources.commands import Command

FORMAT = 1
# The request the trace now being replayed follows (host, port, path): NotCaptured names its capture.
REQUEST: ContextVar[tuple[str, int, str] | None] = ContextVar("ackwb_request", default=None)
ERRORS: dict[str, type[AckwbError]] = {
    "InputError": InputError, "SourceError": SourceError, "Forbidden": Forbidden,
    "Unreachable": Unreachable, "NotCaptured": NotCaptured,
}  # fmt: skip
SHOWN = 4  # scope values named in a message before "and N more"


@contextmanager
def tracing(host: str, port: int, path: str) -> Iterator[None]:
    """Mark the request a trace follows, for the messages of a replay (and reads in its threads)."""
    token = REQUEST.set((host, port, path))
    try:
        yield
    finally:
        REQUEST.reset(token)


def error_record(error: AckwbError) -> dict[str, Any]:
    """A failed read as a manifest keeps it: its kind, where and why."""
    kind = next((name for name, cls in ERRORS.items() if type(error) is cls), "SourceError")
    if isinstance(error, InputError):
        return {"kind": "InputError", "message": str(error)}
    record = {
        "kind": kind,
        "source": getattr(error, "source", ""),
        "message": getattr(error, "reason", str(error)),
    }
    if isinstance(error, Forbidden) and error.permission:
        record["permission"] = error.permission
    return record


def raise_recorded(record: dict[str, Any]) -> None:
    kind = ERRORS.get(str(record.get("kind")), SourceError)
    message = str(record.get("message", ""))
    if kind is InputError:
        raise InputError(message)
    if kind is Forbidden:
        raise Forbidden(str(record.get("source", "")), message, str(record.get("permission", "")))
    raise kind(str(record.get("source", "")), message)  # type: ignore[call-arg]


@dataclass
class Scope:
    """What a snapshot holds: its requests and every query its capture made."""

    hosts: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    queries: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → {} or {"error"} / {"output"}
    world: str = ""  # how the capture named its world: "--profile qas"
    captured_by: str = ""

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], where: str) -> Scope:
        """The scope of ``world.json``'s "snapshot" object; ``InputError`` in one line if unreadable."""
        version = manifest.get("format")
        if version != FORMAT:
            raise InputError(
                f"{where}: snapshot format {version!r} is not one this ackwb reads (it reads format "
                f"{FORMAT}); open it with the ackwb that captured it, or capture it again"
            )
        scope = manifest.get("scope")
        entries = scope.get("queries") if isinstance(scope, dict) else None
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("q"), str) for e in entries
        ):
            raise InputError(f'{where}: the snapshot\'s scope.queries must be a list of {{"q": ...}} objects')
        lists = {name: scope.get(name) or [] for name in ("hosts", "ports", "paths", "nodes")}
        if not all(isinstance(v, list) for v in lists.values()):
            raise InputError(f"{where}: the snapshot's scope hosts, ports, paths and nodes must be lists")
        return cls(
            hosts=[str(h) for h in lists["hosts"]],
            ports=[int(p) for p in lists["ports"] if str(p).isdigit()],
            paths=[str(p) for p in lists["paths"]],
            nodes=[str(n) for n in lists["nodes"]],
            queries={e["q"]: e for e in entries},
            world=str(manifest.get("world") or ""),
            captured_by=str(manifest.get("captured_by") or ""),
        )

    def held(self, key: str) -> dict[str, Any] | None:
        return self.queries.get(key)

    def summary(self) -> str:
        def some(values: list[Any]) -> str:
            shown = ", ".join(str(v) for v in values[:SHOWN]) or "none"
            return shown + (f" and {len(values) - SHOWN} more" if len(values) > SHOWN else "")

        return (
            f"hosts {some(self.hosts)}; ports {some(self.ports)}; paths {some(self.paths)}; "
            f"nodes {some(self.nodes)}; {len(self.queries)} queries"
        )

    def capture_command(self) -> str:
        request = REQUEST.get()
        host, port, path = request if request else ("HOST", "PORT", "PATH")
        world = self.world or "--profile NAME"
        return f"ackwb snapshot capture {world} {host} --port {port} --path {path} -o NEW.zip"

    def missing(self, source: str, what: str) -> NotCaptured:
        return NotCaptured(
            source,
            f"not in this snapshot: {what}. It holds {self.summary()}. "
            f"To include it, capture again: {self.capture_command()}",
        )


class _Replayed:
    """Shared by the wrappers: answer a recorded query, raise its recorded failure, or refuse."""

    def __init__(self, inner: Any, scope: Scope) -> None:
        self.inner, self.scope = inner, scope

    def _recorded(self, key: str) -> dict[str, Any] | None:
        entry = self.scope.held(key)
        if entry is not None and isinstance(entry.get("error"), dict):
            raise_recorded(entry["error"])
        return entry


class _Kube(_Replayed):
    def _broad(self, resource: str, namespace: str | None) -> bool:
        whole = self.scope.held(queries.kube_list(resource, None))
        here = self.scope.held(queries.kube_list(resource, namespace)) if namespace else None
        return any(e is not None and "error" not in e for e in (whole, here))

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        if self._recorded(queries.kube_get(resource, name, namespace)) is not None or self._broad(
            resource, namespace
        ):
            return self.inner.get(resource, name, namespace)
        found = self.inner.get(resource, name, namespace)  # a whole object another query returned
        if found is None:
            where = f"{namespace}/{name}" if namespace else name
            raise self.scope.missing(f"kube:get {resource}", f"{resource} {where}")
        return found

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str = "", field_selector: str = ""
    ) -> list[dict[str, Any]]:
        key = queries.kube_list(resource, namespace, label_selector, field_selector)
        if self._recorded(key) is None and not self._broad(resource, namespace):
            selectors = " ".join(s for s in (label_selector, field_selector) if s)
            what = f"the list of {resource} in {namespace or 'every namespace'}" + (
                f" ({selectors})" if selectors else ""
            )
            raise self.scope.missing(f"kube:list {resource}", what)
        return self.inner.list(resource, namespace, label_selector, field_selector)


class _Cloud(_Replayed):
    def __init__(self, inner: Any, scope: Scope) -> None:
        super().__init__(inner, scope)
        self.region = inner.region

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        entry = self._recorded(queries.cloud(product, action, params))
        if entry is None and not self._covered(product, action, params):
            wire = queries.wire_params(params)
            shown = ", ".join(f"{k}={v}" for k, v in sorted(wire.items()) if k != "RegionId")
            raise self.scope.missing(f"{product}:{action}", f"{product}:{action} {shown}".strip())
        if entry is not None and isinstance(entry.get("answer"), dict):  # an empty list, as answered
            return json.loads(json.dumps(entry["answer"]))
        return self.inner.call(product, action, params)

    def _covered(self, product: str, action: str, params: dict[str, Any]) -> bool:
        wire = queries.wire_params(params)
        if (product, action) == ("alidns", "DescribeSubDomainRecords") and "SubDomain" in wire:
            labels = wire["SubDomain"].lower().rstrip(".").split(".")
            zones = [".".join(labels[i:]) for i in range(len(labels) - 1)]
            return any(
                self._pages("alidns", "DescribeDomainRecords", {"DomainName": z, "PageSize": 500})
                for z in zones
            )
        by_address = "PrimaryIpAddress" in wire or any(k.startswith("PrivateIpAddress.") for k in wire)
        if (product, action) == ("ecs", "DescribeNetworkInterfaces") and by_address:
            return self._pages("ecs", action, {"RegionId": self.region, "MaxResults": 500})
        return False

    def _pages(self, product: str, action: str, params: dict[str, Any]) -> bool:
        """Whether the capture read every page of a broad query (the world pages it as the API did)."""
        query = dict(params)
        for _ in range(200):
            entry = self.scope.held(queries.cloud(product, action, query))
            if entry is None or "error" in entry:
                return False
            body = self.inner.call(product, action, query)
            if body.get("NextToken"):
                query["NextToken"] = body["NextToken"]
            elif "PageNumber" in body and int(body["PageNumber"]) * int(body.get("PageSize") or 1) < int(
                body.get("TotalCount") or 0
            ):
                query["PageNumber"] = int(body["PageNumber"]) + 1
            else:
                return True
        return False


class _Dns(_Replayed):
    def _answer(self, which: str, name: str, rdtype: str) -> list[DnsRecord]:
        entry = self._recorded(queries.dns(which, name, rdtype))
        if entry is None:
            where = "the cluster DNS" if which == "cluster" else "public DNS"
            raise self.scope.missing(f"dns:{which}", f"what {where} answers for {name} {rdtype}")
        if entry.get("answer") == []:  # NOERROR without records
            return []
        resolve = self.inner.resolve_in_cluster if which == "cluster" else self.inner.resolve
        return resolve(name, rdtype)

    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        return self._answer("public", name, rdtype)

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        return self._answer("cluster", name, rdtype)


def _output(entry: dict[str, Any] | None) -> CommandOutput | None:
    """A recorded failing command's output (the world's files keep only successful ones)."""
    output = entry.get("output") if entry else None
    if not isinstance(output, dict):
        return None
    return CommandOutput(
        str(output.get("stdout", "")), int(output.get("exit_status", 1)), str(output.get("stderr", ""))
    )


class _Nodes(_Replayed):
    def run(self, node: str, command: Command) -> CommandOutput:
        entry = self._recorded(queries.node(node, command))
        if entry is None and command.name == "ipvsadm-service":
            entry = self._recorded(queries.node(node, commands.ipvsadm_list()))
        if entry is None:
            raise self.scope.missing(f"node {node}", f"the output of {command} on node {node}")
        return _output(self.scope.held(queries.node(node, command))) or self.inner.run(node, command)


class _PodExec(_Replayed):
    BROADER = {
        "nginx-server-block": (commands.nginx_conf,),
        "nginx-backend": (commands.nginx_backends_curl, commands.nginx_backends),
    }

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        entry = self._recorded(queries.pod_exec(namespace, pod, container, command))
        for broader in self.BROADER.get(command.name, ()) if entry is None else ():
            entry = entry or self._recorded(queries.pod_exec(namespace, pod, container, broader()))
        if entry is None:
            raise self.scope.missing(
                f"pod {namespace}/{pod}", f"the output of {command} in Pod {namespace}/{pod}"
            )
        return _output(
            self.scope.held(queries.pod_exec(namespace, pod, container, command))
        ) or self.inner.run(namespace, pod, container, command)


def replayed(sources: Sources, scope: Scope) -> Sources:
    """A stored snapshot's sources that answer only what its capture asked (see the module doc)."""
    return replace(
        sources,
        kube=_Kube(sources.kube, scope),
        cloud=_Cloud(sources.cloud, scope),
        dns=_Dns(sources.dns, scope),
        node=_Nodes(sources.node, scope),
        pod_exec=_PodExec(sources.pod_exec, scope),
    )
