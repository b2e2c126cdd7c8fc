"""A Kubernetes API server on loopback that serves a stored world, for the live source's tests.

It speaks enough of the real REST API for the ``kubernetes`` client: GET of single objects
and of Lists (namespaced and all-namespaces paths, ``labelSelector``, ``fieldSelector`` with
the API server's per-resource field whitelist, ``limit``/``continue``), 404/400/403/401 as
Status JSON, and pod exec over a websocket (``v5.channel.k8s.io``/``v4.channel.k8s.io``:
stdout on channel 1, stderr on 2, the Status JSON on 3). Queries are answered by the
world's own ``WorldKube`` and ``WorldPodExec``, so the live source can be compared with the
world source object for object.

The aiohttp server runs its own event loop in its own thread: the synchronous client
called from the test thread would deadlock inside the server's loop. Every request is
recorded (method, path, query pairs read from the raw query string, exec argv). Fault
modes: ``refuse`` (nothing listens), ``hang`` (accept, never answer), ``forbidden`` (403
for everything or for one resource); ``delay`` makes every answer wait, as a far server would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from ackwb.errors import AckwbError, Forbidden, InputError, SourceError
from ackwb.sources import commands
from ackwb.sources.commands import Command
from ackwb.sources.world import World

TOKEN = "peer-test-token-not-a-secret"
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")

# group/version → plural → (kind, namespaced): what this server serves, written independently
# of ackwb.sources.live_kube so that a wrong mapping there cannot pass.
GROUPS: dict[str, dict[str, tuple[str, bool]]] = {
    "v1": {
        "pods": ("Pod", True), "services": ("Service", True), "endpoints": ("Endpoints", True),
        "configmaps": ("ConfigMap", True), "events": ("Event", True), "secrets": ("Secret", True),
        "serviceaccounts": ("ServiceAccount", True), "nodes": ("Node", False),
        "namespaces": ("Namespace", False), "persistentvolumes": ("PersistentVolume", False),
    },
    "discovery.k8s.io/v1": {"endpointslices": ("EndpointSlice", True)},
    "networking.k8s.io/v1": {
        "ingresses": ("Ingress", True), "ingressclasses": ("IngressClass", False),
        "networkpolicies": ("NetworkPolicy", True),
    },
    "storage.k8s.io/v1": {"storageclasses": ("StorageClass", False)},
    "apps/v1": {
        "deployments": ("Deployment", True), "replicasets": ("ReplicaSet", True),
        "daemonsets": ("DaemonSet", True), "statefulsets": ("StatefulSet", True),
    },
    # custom resources, served as the CRDs declare them
    "gateway.networking.k8s.io/v1": {
        "gatewayclasses": ("GatewayClass", False), "gateways": ("Gateway", True),
        "httproutes": ("HTTPRoute", True),
    },
    "gateway.networking.k8s.io/v1beta1": {"referencegrants": ("ReferenceGrant", True)},
    "alibabacloud.com/v1": {"albconfigs": ("AlbConfig", False)},
}  # fmt: skip
# Groups served from CustomResourceDefinitions: their list items keep apiVersion and kind.
CUSTOM_GROUPS = ("gateway.networking.k8s.io", "alibabacloud.com")

# Field selectors the API server accepts per resource (pkg/registry/*/strategy.go); others: metadata only.
FIELDS = {
    "pods": {
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
    },
    "nodes": {"spec.unschedulable"},
}  # fmt: skip


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    exec_argv: tuple[str, ...] | None = None  # pod exec only
    authorized: bool = False  # carried the kubeconfig's bearer token

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


def status(code: int, reason: str, message: str, **details: Any) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}  # fmt: skip
    if details:
        body["details"] = details
    return web.json_response(body, status=code)


class KubeApiPeer:
    """The server; ``start()`` it, point a kubeconfig at ``url`` (``write_kubeconfig``), ``stop()`` it."""

    def __init__(self, world: World) -> None:
        sources = world.sources()
        self.kube = sources.kube
        self.pod_exec = sources.pod_exec
        self.requests: list[Request] = []
        self.fault: str | None = None
        self.fault_resource: str | None = None
        self.missing_programs: set[str] = set()  # argv[0] values the containers lack
        self.delay = 0.0  # seconds every answer waits (a benchmark's round trip)
        self._listing: tuple[tuple[Any, ...], list[dict[str, Any]]] | None = None  # a paged list's items
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kube-api-peer", daemon=True)
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None

    # ------------------------------------------------------------------------------ control (test thread)
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._unlisten())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def set_fault(self, mode: str | None, resource: str | None = None) -> None:
        """``refuse``, ``hang``, ``forbidden`` (optionally for one resource), or None for normal service."""
        if mode not in (None, "refuse", "hang", "forbidden"):
            raise ValueError(f"unknown fault mode {mode!r}")
        if self.fault == "refuse" and mode != "refuse":
            self._run(self._listen())
        if self.fault == "hang" and mode != "hang":
            self._run(self._let_go())
        self.fault, self.fault_resource = mode, resource
        if mode == "refuse":
            self._run(self._unlisten())

    def reset(self) -> None:
        self.set_fault(None)
        self.missing_programs = set()
        self.requests.clear()

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig (JSON is YAML) with one context ``peer``: this server and a dummy token."""
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "peer",
            "clusters": [{"name": "peer", "cluster": {"server": self.url}}],
            "users": [{"name": "peer", "user": {"token": TOKEN}}],
            "contexts": [{"name": "peer", "context": {"cluster": "peer", "user": "peer"}}],
        }  # fmt: skip
        path.write_text(json.dumps(config, indent=1), encoding="utf-8")
        return path

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # ------------------------------------------------------------------------------ server (its loop)
    async def _listen(self) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def _unlisten(self) -> None:
        await self._let_go()
        if self._runner is not None:
            await self._runner.cleanup()  # closes the listener and every open connection
            self._runner = None

    async def _let_go(self) -> None:
        if self._release is not None:
            self._release.set()
            self._release = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = tuple(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
        route = self._route(request.path)
        is_exec = route is not None and route[3] == "exec"
        argv = tuple(v for k, v in query if k == "command") if is_exec else None
        authorized = request.headers.get("Authorization") == f"Bearer {TOKEN}"
        self.requests.append(Request(request.method, request.path, query, argv, authorized))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fault == "hang":
            assert self._release is not None
            await self._release.wait()
            return status(503, "ServiceUnavailable", "the peer stopped hanging")
        if not authorized:
            return status(401, "Unauthorized", "Unauthorized")
        if request.method != "GET":
            return status(405, "MethodNotAllowed", f"the peer is read-only: {request.method} not allowed")
        if request.path in ("/api", "/apis"):
            return web.json_response(self._discovery(request.path))
        if route is None:
            return status(
                404, "NotFound", f"the server could not find the requested resource ({request.path})"
            )
        resource, namespace, name, sub = route
        if self.fault == "forbidden" and self.fault_resource in (None, resource):
            verb = "get" if name else "list"
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            group = next(g for g, served in GROUPS.items() if resource in served).rpartition("/")[0]
            return status(403, "Forbidden", f'{resource} is forbidden: User "peer" cannot {verb} resource '
                          f'"{resource}" in API group "{group}" {scope}', kind=resource)  # fmt: skip
        try:
            if sub == "exec":
                return await self._exec(request, namespace or "", name or "", argv or ())
            if sub:
                return status(404, "NotFound", f"the peer serves no subresource {sub!r}")
            if name:
                return self._get(resource, name, namespace)
            return self._list(resource, namespace, dict(query))
        except Forbidden as error:
            return status(403, "Forbidden", str(error), kind=resource)
        except InputError as error:
            return status(400, "BadRequest", str(error))
        except AckwbError as error:
            return status(500, "InternalError", str(error))

    def _route(self, path: str) -> tuple[str, str | None, str | None, str] | None:
        """(resource, namespace, name, subresource) for an API path, or None."""
        match = re.fullmatch(r"/api/(v1)/(.+)|/apis/([^/]+/[^/]+)/(.+)", path)
        if match is None:
            return None
        group = match.group(1) or match.group(3)
        parts = (match.group(2) or match.group(4)).strip("/").split("/")
        served = GROUPS.get(group, {})
        namespace = None
        if len(parts) >= 3 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        resource, name, sub = parts[0], (parts[1:2] or [None])[0], "/".join(parts[2:])
        if resource not in served or (namespace and not served[resource][1]):
            return None
        return resource, namespace, name, sub

    @staticmethod
    def _discovery(path: str) -> dict[str, Any]:
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        versions: dict[str, list[dict[str, str]]] = {}
        for group_version in (g for g in GROUPS if "/" in g):
            name, version = group_version.split("/")
            versions.setdefault(name, []).append({"groupVersion": group_version, "version": version})
        entries = [{"name": g, "versions": v, "preferredVersion": v[0]} for g, v in versions.items()]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": entries}

    def _get(self, resource: str, name: str, namespace: str | None) -> web.Response:
        obj = self.kube.get(resource, name, namespace)
        if obj is None:
            return status(404, "NotFound", f'{resource} "{name}" not found', name=name, kind=resource)
        return web.json_response(obj)

    def _list(self, resource: str, namespace: str | None, query: dict[str, str]) -> web.Response:
        field_selector = query.get("fieldSelector", "")
        allowed = {"metadata.name", "metadata.namespace"} | FIELDS.get(resource, set())
        for term in re.split(r"(?<!\\),", field_selector) if field_selector else []:
            key = re.split(r"!=|==|=", term, maxsplit=1)[0].strip()
            if key not in allowed:
                return status(400, "BadRequest", f"field label not supported: {key}")
        listing = (resource, namespace, query.get("labelSelector", ""), field_selector)
        if query.get("continue") and self._listing is not None and self._listing[0] == listing:
            items = self._listing[1]  # later pages come from the first page's listing, as a server's snapshot
        else:
            items = self.kube.list(resource, namespace, query.get("labelSelector", ""), field_selector)
            self._listing = (listing, items)
        offset = int(base64.b64decode(query["continue"]).decode()) if query.get("continue") else 0
        limit = int(query.get("limit") or 0) or len(items) - offset
        page, rest = [dict(item) for item in items[offset : offset + limit]], items[offset + limit :]
        group = next(g for g, served in GROUPS.items() if resource in served)
        if not group.startswith(CUSTOM_GROUPS):
            for item in page:  # the API server leaves these out of built-in list items
                item.pop("apiVersion", None)
                item.pop("kind", None)
        metadata: dict[str, Any] = {"resourceVersion": "424242"}
        if rest:
            metadata["continue"] = base64.b64encode(str(offset + limit).encode()).decode()
            metadata["remainingItemCount"] = len(rest)
        kind = GROUPS[group][resource][0]
        return web.json_response(
            {"kind": f"{kind}List", "apiVersion": group, "metadata": metadata, "items": page}
        )

    async def _exec(
        self, request: web.Request, namespace: str, pod: str, argv: tuple[str, ...]
    ) -> web.StreamResponse:
        query = dict(parse_qsl(request.rel_url.raw_query_string))
        container = query.get("container", "")
        obj = self.kube.get("pods", pod, namespace)
        if obj is None:
            return status(404, "NotFound", f'pods "{pod}" not found', name=pod, kind="pods")
        names = [c.get("name") for c in (obj.get("spec") or {}).get("containers") or []]
        if container not in names:
            return status(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        socket = web.WebSocketResponse(protocols=EXEC_PROTOCOLS)
        await socket.prepare(request)
        stdout, stderr, done = self._run_in_container(namespace, pod, container, argv)
        if stdout:
            await socket.send_bytes(b"\x01" + stdout.encode())
        if stderr:
            await socket.send_bytes(b"\x02" + stderr.encode())
        await socket.send_bytes(b"\x03" + json.dumps(done).encode())
        await socket.close()
        async for message in socket:  # drain until the client's close arrives
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
        return socket

    def _run_in_container(
        self, namespace: str, pod: str, container: str, argv: tuple[str, ...]
    ) -> tuple[str, str, dict]:
        """(stdout, stderr, channel-3 Status) of ``argv`` in the world's emulated container."""
        if argv and argv[0] in self.missing_programs:
            message = (
                "OCI runtime exec failed: exec failed: unable to start container process: "
                f'exec: "{argv[0]}": stat {argv[0]}: no such file or directory: unknown'
            )
            failure = {"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError",
                       "details": {"causes": [{"message": message}]}, "code": 500}  # fmt: skip
            return "", "", failure
        command = next(
            (c for c in (Command(n, argv) for n in sorted(commands.POD_COMMANDS)) if commands.is_allowed(c)),
            None,
        )
        if command is None:
            return (
                "",
                f"{argv[:1]}: the peer's container runs only ackwb's allow-listed commands\n",
                exit_status(126),
            )
        try:
            output = self.pod_exec.run(namespace, pod, container, command)
        except SourceError as error:  # the world lacks the file: the program fails in the container
            return "", f"{error.reason}\n", exit_status(1)
        return output.stdout, output.stderr, exit_status(output.exit_status)


def exit_status(code: int) -> dict[str, Any]:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": f"command terminated with non-zero exit code: exit code {code}",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}  # fmt: skip


@contextmanager
def running_kube_api(world: World, directory: Path) -> Iterator[tuple[KubeApiPeer, Path]]:
    """Start a peer for ``world`` and write its kubeconfig into ``directory``; stop it afterwards."""
    peer = KubeApiPeer(world)
    peer.start()
    try:
        yield peer, peer.write_kubeconfig(directory / "kubeconfig")
    finally:
        peer.stop()
