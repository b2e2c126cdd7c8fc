"""A local Alibaba Cloud OpenAPI server for tests: what the real SDK clients send, answered from a world.

The official Python SDK (tea-openapi 0.4, signature V3) sends RPC calls as ``POST /`` with
the action and API version in the ``x-acs-action`` / ``x-acs-version`` headers and the
business parameters in the query string or the form body, as each action's definition says;
ROA calls (CS) as ``GET /clusters/<id>``. This server is as strict as the gateway: it checks
the ACS3-HMAC-SHA256 signature with the test access keys' secrets (``openapi_auth``), and reads
each parameter only where the action's SDK method sends it (``openapi_sdk``, read from the
installed SDK): an unknown parameter, or one in the wrong place, is ``InvalidParameter``. It
answers by delegating to a ``CloudSource`` (the demo world's ``WorldCloud`` unless told
otherwise). Errors come back as the SDK expects them: a JSON body with
``Code``/``Message``/``RequestId`` (lower case for ROA) and a 4xx/5xx status.

Every request is recorded (method, path, action, version, parameters, headers without
``Authorization``, bytes in and out), so tests can check what the client sent and that it
only read. Fault modes: ``refuse`` (the port is closed), ``hang`` (no answer for a while),
``forbid`` (403 ``Forbidden.RAM`` for every action or one), ``throttle`` (N throttling
errors, then answers), ``fail`` (any error code and status); ``delay`` answers late.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ackwb.errors import SourceError
from ackwb.sources.base import CloudSource
from ackwb.sources.live_cloud_api import PRODUCTS, ROA_PATHS, product_of_version
from peers.openapi_auth import TEST_KEYS, AuthFailure, verify
from peers.openapi_sdk import placement, placements

# Query parameters of the classic (signature V2) RPC form that are not business parameters.
_PROTOCOL_PARAMS = {
    "Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod",
    "SignatureVersion", "AccessKeyId", "Signature", "SignatureType", "SecurityToken",
}  # fmt: skip

_MESSAGES = {
    "Throttling.User": "Request was denied due to user flow control.",
    "Throttling": "Request was denied due to request throttling.",
    "Throttling.Api": "Request was denied due to api flow control.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
}


@dataclass
class Recorded:
    """One request as the server received it (recorded on arrival; status set once answered)."""

    method: str
    path: str
    action: str
    version: str
    product: str | None
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names, Authorization removed
    authorization: str  # kept apart: the access key ID and a signature (never the secret)
    bytes_in: int
    status: int = 0  # 0 while the request is still being answered (or hangs)
    bytes_out: int = 0
    form: dict[str, str] = field(default_factory=dict)  # the parameters that came in the form body


@dataclass
class _Faults:
    hang: float = 0.0
    forbid_all: bool = False
    forbid: set[str] = field(default_factory=set)
    fail_left: float = 0  # float so that "forever" can be math.inf
    fail_code: str = "Throttling.User"
    fail_status: int = 400
    fail_action: str | None = None


def _roa_routes() -> list[tuple[str, str, re.Pattern[str]]]:
    routes = []
    for (product, action), template in ROA_PATHS.items():
        pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", template)
        routes.append((product, action, re.compile(f"^{pattern}$")))
    return routes


ROUTES = _roa_routes()


class OpenApiPeer:
    """Start with ``with OpenApiPeer() as peer:``; point clients at ``peer.endpoint`` over http."""

    def __init__(self, cloud: CloudSource | None = None, keys: dict[str, str] | None = None) -> None:
        self.keys = dict(TEST_KEYS if keys is None else keys)  # access key ID → secret
        if cloud is None:
            from ackwb.sources.world import load_demo_world

            cloud = load_demo_world().sources().cloud
        self.cloud = cloud
        self.requests: list[Recorded] = []
        self.faults = _Faults()
        self.latency = 0.0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------------- lifecycle
    def start(self) -> OpenApiPeer:
        for product in PRODUCTS:  # read the SDKs' parameter placements now, not during a timed call
            placements(product)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.peer = self  # type: ignore[attr-defined]
        self._server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenApiPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    # ---------------------------------------------------------------------------- faults
    def refuse(self) -> None:
        """Close the listening socket: connections to ``endpoint`` are refused from now on."""
        self.stop()

    def delay(self, seconds: float) -> None:
        """Answer every request ``seconds`` late (a benchmark's round trip); 0 answers at once."""
        self.latency = seconds

    def hang(self, seconds: float = 30.0) -> None:
        """Hold every request this long before answering (released early by ``stop``)."""
        self.faults.hang = seconds

    def forbid(self, action: str | None = None) -> None:
        """Answer 403 Forbidden.RAM, for every action or for ``action`` only."""
        if action is None:
            self.faults.forbid_all = True
        else:
            self.faults.forbid.add(action)

    def fail(self, code: str, status: int, times: float = math.inf, action: str | None = None) -> None:
        """Answer the next ``times`` requests (of ``action``, or all) with the error ``code``."""
        self.faults.fail_left, self.faults.fail_code, self.faults.fail_status = times, code, status
        self.faults.fail_action = action

    def throttle(self, times: float = math.inf, code: str = "Throttling.User", status: int = 400,
                 action: str | None = None) -> None:  # fmt: skip
        """Throttle the next ``times`` requests, then answer them normally."""
        self.fail(code, status, times, action)

    def reset(self) -> None:
        """No faults, no recorded requests."""
        with self._lock:
            self.faults = _Faults()
            self.requests.clear()

    def actions(self) -> list[str]:
        return [r.action for r in self.requests]

    # -------------------------------------------------------------------------- answering
    def answer(self, method: str, path: str, product: str | None, action: str,
               params: dict[str, str]) -> tuple[int, dict[str, Any]]:  # fmt: skip
        """The status and JSON body for one request, faults included."""
        if self.latency:
            time.sleep(self.latency)
        if self.faults.hang and self._release.wait(self.faults.hang):
            return 503, _error(product, "ServiceUnavailable", "the test server is stopping")
        with self._lock:
            faults = self.faults
            if faults.forbid_all or action in faults.forbid:
                message = f"User not authorized to operate on the specified resource: {action}."
                return 403, _error(product, "Forbidden.RAM", message)
            if faults.fail_left > 0 and faults.fail_action in (None, action):
                faults.fail_left -= 1
                return faults.fail_status, _error(
                    product,
                    faults.fail_code,
                    _MESSAGES.get(
                        faults.fail_code, f"the test server was told to fail with {faults.fail_code}"
                    ),
                )
        if method not in ("GET", "POST"):
            return 405, _error(product, "UnsupportedHTTPMethod", f"{method} is not an OpenAPI method here")
        if product is None:
            return 404, _error(product, "InvalidVersion", "x-acs-version names no product this server knows")
        try:
            return 200, self.cloud.call(product, action, params)
        except SourceError as error:
            code = str(getattr(error, "code", "InvalidAction.NotFound"))
            status = int(getattr(error, "status", 404))
            text = re.sub(rf"^{re.escape(code)}: | \(HTTP \d+\)$", "", error.reason)
            return status, _error(product, code, text)


def _error(product: str | None, code: str, message: str) -> dict[str, Any]:
    request_id = str(uuid.uuid4()).upper()
    if product is not None and PRODUCTS[product].style == "ROA":
        return {"requestId": request_id, "code": code, "message": message}
    return {"RequestId": request_id, "HostId": "127.0.0.1", "Code": code, "Message": message,
            "Recommend": "https://api.aliyun.com/troubleshoot"}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    server_version = "ackwb-openapi-peer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _handle(self) -> None:
        peer: OpenApiPeer = self.server.peer  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        query = {k: v for k, v in parse_qsl(url.query, keep_blank_values=True) if k not in _PROTOCOL_PARAMS}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        form: dict[str, str] = {}
        if raw and "x-www-form-urlencoded" in (self.headers.get("content-type") or ""):
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        action = self.headers.get("x-acs-action") or ""
        version = self.headers.get("x-acs-version") or ""
        params = {**query, **form}
        product = product_of_version(version)
        path = unquote(url.path)
        route: dict[str, str] = {}
        for route_product, route_action, pattern in ROUTES:
            found = pattern.match(url.path)
            if found and route_product == product and route_action == action:
                route = {k: unquote(v) for k, v in found.groupdict().items()}
        params.update(route)
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        record = Recorded(
            self.command,
            path,
            action,
            version,
            product,
            params,
            headers,
            self.headers.get("authorization", ""),
            len(raw) + len(self.path),
            form=form,
        )
        with peer._lock:
            peer.requests.append(record)
        refused = self._refuse(peer, url.path, url.query, raw, product, action, query, form)
        if refused is not None:
            status, body = refused
        else:
            status, body = peer.answer(self.command, path, product, action, dict(params))
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        record.status, record.bytes_out = status, len(data)
        request_id = body.get("RequestId") or body.get("requestId") or str(uuid.uuid4()).upper()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-acs-request-id", str(request_id))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def _refuse(
        self, peer: OpenApiPeer, path: str, raw_query: str, raw: bytes, product: str | None, action: str,
        query: dict[str, str], form: dict[str, str],
    ) -> tuple[int, dict[str, Any]] | None:  # fmt: skip
        """The gateway's error for a request it would reject, or None: signature, then parameters."""
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        try:
            verify(self.command, path, raw_query, headers, raw, peer.keys)
        except AuthFailure as failure:
            return failure.status, _error(product, failure.code, failure.message)
        where = placement(product, action) if product else None
        if where is None:  # the product's SDK is not installed here: nothing to check against
            return None
        for name, sent_in, allowed in (("query", query, where.query), ("body", form, where.body)):
            for key in sent_in:
                base = key.split(".")[0]
                if base not in allowed:
                    other = {"query": "the form body", "body": "the query string"}[name]
                    known = base in where.body or base in where.query
                    reason = f"it belongs in {other}" if known else f"{action} has no such parameter"
                    return 400, _error(product, "InvalidParameter", f"{key} sent in the {name}: {reason}")
        return None

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle
