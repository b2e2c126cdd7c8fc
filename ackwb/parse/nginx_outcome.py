"""The records of one request's way through nginx: the request, the outcome, its notes.

``ackwb.steps.nginx_request`` fills them; the ingress step reads them. They live in the
parse layer so that any step (and the tests) can use them without importing another step.
``normalize_uri`` computes ``$uri`` as nginx does before it looks for a location.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from ackwb.model import Evidence, Severity
from ackwb.parse.nginx_access import ClientAddress
from ackwb.parse.nginx_conf import Location


@dataclass(frozen=True)
class NginxRequest:
    host: str  # the Host header as the client sends it
    path: str = "/"  # path and query string
    scheme: str = "http"  # http or https, as nginx receives it
    port: int = 80
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    client: ClientAddress = ClientAddress(None, "no client address was given")
    certificate: bool | None = None  # does the controller hold a certificate for the host (Ingress tls)?


@dataclass(frozen=True)
class NginxNote:
    code: str
    severity: Severity
    message: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class CanaryChoice:
    backend: str
    canary: bool
    share: float  # 1.0 when the header or cookie decides
    reason: str


@dataclass(frozen=True)
class UpstreamRequest:
    upstream_name: str  # $proxy_upstream_name, the dynamic backend's name
    path: str  # the URI (and query) the upstream receives
    host_header: str
    protocol: str  # http, https, grpc, grpcs, fastcgi
    pass_directive: str  # proxy_pass, grpc_pass, fastcgi_pass
    timeouts: tuple[tuple[str, str], ...]  # (connect|send|read, "60s")
    targets: tuple[CanaryChoice, ...] = ()  # empty when no backends were given


@dataclass(frozen=True)
class NginxOutcome:
    kind: str  # answered, proxied or depends
    status: int | None  # the status nginx answers with (None when proxied or undecided)
    redirect_to: str | None
    code: str  # the finding code of what decided ("" for a plain proxy)
    decided_by: Evidence | None
    sentence: str
    upstream: UpstreamRequest | None  # the request the upstream gets (also when it depends)
    notes: tuple[NginxNote, ...]
    location: Location | None
    client: ClientAddress
    also: tuple[Evidence, ...] = ()  # lines that decided with ``decided_by`` (a deny's allow rules)


def normalize_uri(path: str) -> str | None:
    """``$uri`` as nginx computes it: decoded, slashes merged, dot segments resolved; None
    when ``..`` climbs above the root (nginx answers 400)."""
    decoded = unquote(path)
    merged = "/" + "/".join(p for p in decoded.split("/") if p)
    if decoded.endswith("/") and merged != "/":
        merged += "/"
    parts = [p for p in decoded.split("/") if p]
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return None
    resolved = posixpath.normpath(merged)
    return resolved + ("/" if merged.endswith("/") and resolved != "/" else "")
