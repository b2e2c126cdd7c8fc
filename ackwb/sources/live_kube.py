"""The Kubernetes API of a real cluster, read-only: ``KubeSource`` over the ``kubernetes`` client.

Only targeted reads: ``get`` by name, ``list`` with the caller's label and field selectors
passed to the API server (never "list every Pod, filter here"). Objects come back as the
API's own JSON (``_preload_content=False`` and ``json.loads``), so field names and missing
fields are exactly what a stored world holds; list items get ``apiVersion`` and ``kind``
back, which the API server leaves out of list items and ``kubectl get -o json`` puts in.
Custom resources (Gateway API, AlbConfig) go through ``CustomObjectsApi``
(``live_kube_resources``). Secrets are refused before any request. Transport failures
become ``Unreachable``, 401/403 ``Forbidden`` naming the RBAC permission, anything else ``SourceError``.

The ``kubernetes`` package is imported inside functions only: ``import ackwb`` and the demo
path never load it. The client is built from one kubeconfig context with
``new_client_from_config``; the process-wide default configuration is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ackwb.errors import Forbidden, InputError, SourceError, Unreachable
from ackwb.sources.live_kube_resources import RESOURCES, Resource

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, Configuration

Obj = dict[str, Any]


def load_configuration(kubeconfig: str | Path | None, context: str | None) -> Configuration:
    """The client configuration of one kubeconfig context, without touching the global default.

    ``kubeconfig`` None means the client's default (``$KUBECONFIG`` or ``~/.kube/config``).
    Refreshed tokens are never written back into the file (read-only, also for the kubeconfig).
    Retries: a refused connection is tried once more, a read that timed out never.
    """
    import urllib3
    from kubernetes.config import ConfigException, new_client_from_config

    path = str(Path(kubeconfig).expanduser()) if kubeconfig else None
    where = f"kubeconfig {path or '(default: $KUBECONFIG or ~/.kube/config)'}"
    if path is not None and not Path(path).is_file():
        raise InputError(f"{where} does not exist")
    try:
        client = new_client_from_config(config_file=path, context=context or None, persist_config=False)
    except ConfigException as error:
        raise InputError(f"{where}, context {context or '(current)'}: {error}") from error
    except (OSError, ValueError) as error:  # unreadable file, YAML that is not a kubeconfig
        raise InputError(f"{where} cannot be read: {error}") from error
    configuration = client.configuration
    client.close()
    configuration.retries = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0, other=0)
    return configuration


def api_client(configuration: Configuration) -> ApiClient:
    from kubernetes.client import ApiClient

    return ApiClient(configuration=configuration)


def status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes Status body, or the body's first line."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return str(body).strip().splitlines()[0][:300] if str(body).strip() else ""
    return str(status.get("message", "")) if isinstance(status, dict) else ""


def transport_problem(error: BaseException, host: str, timeouts: tuple[float, float]) -> str | None:
    """A sentence for a connection-level failure, or None when ``error`` is not one."""
    import urllib3.exceptions as e3

    reason: BaseException = error
    if isinstance(error, e3.MaxRetryError) and error.reason is not None:
        reason = error.reason
    if isinstance(reason, (e3.NewConnectionError, ConnectionRefusedError)):  # before ConnectTimeoutError,
        cause = reason.__cause__ or reason.__context__ or reason  # its base class in urllib3 2
        detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else "connection failed"
        return f"cannot connect to {host}: {detail.lower()}"
    if isinstance(reason, e3.ConnectTimeoutError):
        return f"no connection to {host} within {timeouts[0]:g} s"
    if isinstance(reason, (e3.ReadTimeoutError, TimeoutError)):
        return f"{host} did not answer within {timeouts[1]:g} s"
    if isinstance(reason, (e3.HTTPError, OSError)):
        return f"lost the connection to {host}: {type(reason).__name__}"
    return None


class LiveKube:
    """``KubeSource`` for one kubeconfig context.

    ``page_size`` is the ``limit`` of each list request; longer lists are followed with
    ``continue`` tokens. Timeouts are seconds: connecting, and waiting for each answer.
    """

    def __init__(
        self,
        kubeconfig: str | Path | None = None,
        context: str | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        page_size: int = 500,
    ) -> None:
        if connect_timeout <= 0 or read_timeout <= 0 or page_size <= 0:
            raise InputError("LiveKube: timeouts and page_size must be positive")
        self.context = context
        self._configuration = load_configuration(kubeconfig, context)
        self._client = api_client(self._configuration)
        self._timeouts = (float(connect_timeout), float(read_timeout))
        self._page_size = page_size
        self._apis: dict[str, Any] = {}

    @property
    def host(self) -> str:
        return str(self._configuration.host)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------------------------ KubeSource
    def get(self, resource: str, name: str, namespace: str | None = None) -> Obj | None:
        kind = self._resource(resource)
        if kind.namespaced and not namespace:
            raise InputError(f"{resource} are namespaced: say which namespace to get {name!r} from")
        args = kind.arguments(namespace, name)
        try:
            obj = self._call(kind, kind.method("read"), args, {}, "get", resource, namespace, name)
        except _NotFound:
            return None
        return _typed(obj, kind)

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[Obj]:
        kind = self._resource(resource)
        scoped = bool(namespace) and kind.namespaced
        method = kind.method("list", all_namespaces=not scoped)
        args = kind.arguments(namespace if scoped else None)
        query: dict[str, Any] = {"limit": self._page_size}
        if label_selector:
            query["label_selector"] = label_selector
        if field_selector:
            query["field_selector"] = field_selector
        items: list[Obj] = []
        where = namespace if scoped else None
        while True:
            try:
                page = self._call(kind, method, args, query, "list", resource, where)
            except _NotFound as missing:
                raise SourceError(
                    f"kube:list {resource}", f"the API server does not serve {kind.api_version} {resource}"
                ) from missing
            found = page.get("items") if isinstance(page, dict) else None
            if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
                raise SourceError(f"kube:list {resource}", "the answer is not a Kubernetes List of objects")
            items.extend(_typed(item, kind) for item in found)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            query["_continue"] = token

    # ------------------------------------------------------------------------------------ internals
    def _resource(self, resource: str) -> Resource:
        if resource == "secrets":
            raise Forbidden("kube:secrets", "ackwb never reads Secrets", "none: not needed")
        kind = RESOURCES.get(resource)
        if kind is None:
            known = ", ".join(sorted(RESOURCES))
            raise SourceError(
                f"kube:{resource}", f"ackwb does not read the resource type {resource!r} ({known})"
            )
        return kind

    def _api(self, name: str) -> Any:
        if name not in self._apis:
            from kubernetes import client

            self._apis[name] = getattr(client, name)(self._client)
        return self._apis[name]

    def _call(
        self,
        kind: Resource,
        method: str,
        args: tuple[Any, ...],
        query: dict[str, Any],
        verb: str,
        resource: str,
        namespace: str | None,
        name: str = "",
    ) -> Obj:
        from kubernetes.client.exceptions import ApiException

        source = f"kube:{verb} {resource}"
        call = getattr(self._api(kind.api), method)
        try:
            response = call(*args, **query, _preload_content=False, _request_timeout=self._timeouts)
            try:
                body = response.data
            finally:
                response.release_conn()
        except ApiException as error:
            raise _api_error(error, source, verb, resource, namespace, name) from None
        except Exception as error:  # urllib3 and socket errors; anything else is a SourceError too
            problem = transport_problem(error, self.host, self._timeouts)
            if problem is not None:
                raise Unreachable(source, problem) from None
            raise SourceError(source, f"{type(error).__name__}: {error}") from error
        try:
            obj = json.loads(body)
        except ValueError as error:
            raise SourceError(source, f"the API server's answer is not JSON: {error}") from None
        if not isinstance(obj, dict):
            raise SourceError(source, "the API server's answer is not a JSON object")
        return obj


class _NotFound(Exception):
    """A 404 inside LiveKube: ``get`` turns it into None, ``list`` into a SourceError."""


def rbac_permission(verb: str, resource: str, namespace: str | None, namespaced: bool) -> str:
    """The RBAC rule a read needs, as a newcomer would ask an admin for it."""
    if not namespaced:
        return f"{verb} {resource} (cluster-wide)"
    if namespace:
        return f"{verb} {resource} in namespace {namespace}"
    return f"{verb} {resource} in all namespaces"


def _api_error(
    error: Any, source: str, verb: str, resource: str, namespace: str | None, name: str
) -> Exception:
    """Translate an ApiException; never includes headers (they may carry tokens)."""
    status = int(getattr(error, "status", 0) or 0)
    message = status_message(getattr(error, "body", None)) or str(getattr(error, "reason", "") or "")
    kind = RESOURCES[resource]
    if status in (401, 403):
        qualified = f"{resource}.{kind.api_version.split('/')[0]}" if kind.custom else resource
        permission = rbac_permission(verb, qualified, namespace, kind.namespaced)
        what = "the credentials were rejected (401)" if status == 401 else f"RBAC forbids it (403): {message}"
        return Forbidden(source, what, permission)
    if status == 404:
        return _NotFound(f"{resource}/{name}")
    if status == 0:
        return SourceError(source, message or "the request failed before an answer came")
    return SourceError(source, f"HTTP {status}: {message or 'no message'}")


def _typed(obj: Obj, kind: Resource) -> Obj:
    """``obj`` with ``apiVersion`` and ``kind`` first, as ``kubectl get -o json`` prints items."""
    return {"apiVersion": obj.get("apiVersion", kind.api_version), "kind": obj.get("kind", kind.kind), **obj}
