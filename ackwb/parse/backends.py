"""Read ingress-nginx's dynamic backends: the endpoints its Lua balancer really uses.

``nginx.conf`` holds no endpoints: every location names a backend (``set
$proxy_upstream_name``) and the Lua balancer looks that name up in the JSON the
controller POSTs to ``127.0.0.1:10246/configuration/backends``. ``/dbg backends all``
prints the same JSON. This module turns it into records so the ingress step can say
which Pod IPs (or, with ``service-upstream``, which ClusterIP) a request goes to, and
whether a canary takes part (``alternativeBackends``, ``noServer``,
``trafficShapingPolicy``).

Format facts: a JSON array of backends; ``port`` is the Service port, a number or a
port name; endpoint ``port`` is a string; ``endpoints`` is missing when empty (the
balancer then answers 503); ``service`` holds only the Service ``spec`` (no name or
namespace: join on the backend name) and is missing or null for the default backend;
for an ExternalName Service the endpoint address is a DNS name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.errors import ParseError
from ackwb.parse.common import decode_json, refuse_redacted


@dataclass(frozen=True)
class BackendEndpoint:
    address: str  # Pod IP, ClusterIP (service-upstream) or a DNS name (ExternalName)
    port: int


@dataclass(frozen=True)
class TrafficShaping:
    """A canary backend's ``trafficShapingPolicy``; weight 0 and no header/cookie = unused."""

    weight: int
    weight_total: int  # 0 when the JSON omits it (the balancer then uses 100)
    header: str
    header_value: str
    header_pattern: str
    cookie: str


@dataclass(frozen=True)
class Backend:
    name: str  # "<namespace>-<service>-<port>", the location's $proxy_upstream_name
    service_port: str  # the backend's "port": a Service port number or name, as text
    service_type: str | None  # ClusterIP, NodePort, LoadBalancer, ExternalName; None: no service
    cluster_ip: str | None
    external_name: str | None
    endpoints: tuple[BackendEndpoint, ...]
    no_server: bool  # a canary backend: reachable only through another's alternativeBackends
    alternative_backends: tuple[str, ...]
    traffic_shaping: TrafficShaping | None


def _fail(source: str, where: str, message: str) -> ParseError:
    return ParseError(source, f"{where}: {message}")


def _decode(text: str | bytes, source: str) -> Any:
    return decode_json(text, source, "empty answer: the controller returned no backends JSON")


def _string(value: Any, where: str, source: str, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise _fail(source, where, f"expected a string, got {json.dumps(value)}")
    return value


def _port(value: Any, where: str, source: str) -> int:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isdigit() or not 0 <= int(text) <= 65535:
        raise _fail(source, where, f"port {json.dumps(value)} is not a port number")
    return int(text)


def _endpoints(raw: Any, where: str, source: str) -> tuple[BackendEndpoint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(source, f"{where}.endpoints", "expected a list")
    endpoints = []
    for i, item in enumerate(raw):
        here = f"{where}.endpoints[{i}]"
        if not isinstance(item, dict):
            raise _fail(source, here, "expected an object")
        address = _string(item.get("address"), f"{here}.address", source)
        if not address:
            raise _fail(source, f"{here}.address", "is empty")
        refuse_redacted(address, source)
        endpoints.append(BackendEndpoint(address, _port(item.get("port"), f"{here}.port", source)))
    return tuple(endpoints)


def _int(value: Any, where: str, source: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(source, where, f"expected a number, got {json.dumps(value)}")
    return value


def _traffic_shaping(raw: Any, where: str, source: str) -> TrafficShaping | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(source, where, "expected an object")
    text = {
        key: _string(raw.get(key), f"{where}.{key}", source, default="")
        for key in ("header", "headerValue", "headerPattern", "cookie")
    }
    return TrafficShaping(
        weight=_int(raw.get("weight"), f"{where}.weight", source),
        weight_total=_int(raw.get("weightTotal"), f"{where}.weightTotal", source),
        header=text["header"],
        header_value=text["headerValue"],
        header_pattern=text["headerPattern"],
        cookie=text["cookie"],
    )


def _backend(raw: Any, index: int, source: str) -> Backend:
    if not isinstance(raw, dict):
        raise _fail(source, f"backend [{index}]", "expected an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(source, f"backend [{index}]", "has no name")
    where = f"backend {name!r}"
    port = raw.get("port", 0)
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise _fail(source, f"{where}.port", f"expected a number or a port name, got {json.dumps(port)}")
    service = raw.get("service")
    spec: dict[str, Any] = {}
    if service is not None:
        spec = service.get("spec") if isinstance(service, dict) else None
        if not isinstance(spec, dict):
            raise _fail(source, f"{where}.service", "expected an object with a 'spec'")
    alternatives = raw.get("alternativeBackends") or []
    if not isinstance(alternatives, list) or not all(isinstance(a, str) for a in alternatives):
        raise _fail(source, f"{where}.alternativeBackends", "expected a list of backend names")
    no_server = raw.get("noServer", False)
    if not isinstance(no_server, bool):
        raise _fail(source, f"{where}.noServer", f"expected true or false, got {json.dumps(no_server)}")
    optional = {
        key: None if spec.get(key) is None else _string(spec[key], f"{where}.service.spec.{key}", source)
        for key in ("type", "clusterIP", "externalName")
    }
    shaping = _traffic_shaping(raw.get("trafficShapingPolicy"), f"{where}.trafficShapingPolicy", source)
    return Backend(
        name=name,
        service_port=str(port),
        service_type=(optional["type"] or "ClusterIP") if service is not None else None,
        cluster_ip=optional["clusterIP"],
        external_name=optional["externalName"],
        endpoints=_endpoints(raw.get("endpoints"), where, source),
        no_server=no_server,
        alternative_backends=tuple(alternatives),
        traffic_shaping=shaping,
    )


def parse_backends(
    text: str | bytes | Sequence[Any], source: str = "/configuration/backends"
) -> tuple[Backend, ...]:
    """Parse the backends JSON (text, or the already decoded list); the one object ``/dbg backends get
    NAME`` prints is read as a list of one."""
    data = _decode(text, source) if isinstance(text, (str, bytes)) else text
    if data is None:
        message = "the backends JSON is null: the controller has not sent its configuration yet"
        raise ParseError(source, message)
    if isinstance(data, dict) and isinstance(data.get("name"), str):  # /dbg backends get NAME: one backend
        data = [data]
    if not isinstance(data, list):
        raise ParseError(source, f"expected a JSON array of backends, got {type(data).__name__}")
    backends = tuple(_backend(raw, i, source) for i, raw in enumerate(data))
    seen: set[str] = set()
    for backend in backends:
        if backend.name in seen:
            raise _fail(source, f"backend {backend.name!r}", "is listed twice")
        seen.add(backend.name)
    return backends


def find_backend(backends: Sequence[Backend], name: str) -> Backend | None:
    """The backend a location's ``$proxy_upstream_name`` points at, if the balancer has it."""
    return next((b for b in backends if b.name == name), None)
