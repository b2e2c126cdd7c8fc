"""Records of Gateway API objects: GatewayClass, Gateway (listeners and status), HTTPRoute
(parentRefs, hostnames, rules with matches, filters and backendRefs, per-parent status) and
ReferenceGrant, with the CRDs' defaults already applied (``ackwb.parse.gateway_api`` reads them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GROUP = "gateway.networking.k8s.io"


@dataclass(frozen=True)
class Condition:
    type: str
    status: str  # True, False, Unknown
    reason: str
    message: str
    locator: str = ""


@dataclass(frozen=True)
class Meta:
    namespace: str
    name: str
    created: str  # metadata.creationTimestamp (RFC 3339 sorts as text)
    labels: dict[str, str] = field(compare=False, default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class GatewayClassRecord:
    meta: Meta
    controller: str  # spec.controllerName
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Listener:
    name: str
    hostname: str | None
    port: int
    protocol: str
    allowed_from: str  # Same, All, Selector
    selector: dict[str, Any]  # allowedRoutes.namespaces.selector (a LabelSelector)
    allowed_kinds: tuple[tuple[str, str], ...]  # (group, kind); empty: by protocol
    locator: str = ""


@dataclass(frozen=True)
class ListenerStatus:
    name: str
    attached_routes: int | None
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class GatewayRecord:
    meta: Meta
    class_name: str
    listeners: tuple[Listener, ...]
    addresses: tuple[tuple[str, str], ...]  # status.addresses (type, value)
    conditions: tuple[Condition, ...]
    listener_status: tuple[ListenerStatus, ...]


@dataclass(frozen=True)
class ParentRef:
    group: str
    kind: str
    namespace: str
    name: str
    section_name: str | None
    port: int | None
    locator: str = ""


@dataclass(frozen=True)
class PathMatch:
    type: str  # Exact, PathPrefix, RegularExpression
    value: str


@dataclass(frozen=True)
class ValueMatch:
    type: str  # Exact, RegularExpression
    name: str
    value: str


@dataclass(frozen=True)
class RouteMatch:
    path: PathMatch
    headers: tuple[ValueMatch, ...] = ()
    query: tuple[ValueMatch, ...] = ()
    method: str | None = None
    locator: str = ""


@dataclass(frozen=True)
class RouteFilter:
    type: str  # RequestRedirect, URLRewrite, RequestHeaderModifier, ResponseHeaderModifier, ...
    config: dict[str, Any]  # the filter's own object (requestRedirect, urlRewrite, ...)
    locator: str = ""


@dataclass(frozen=True)
class BackendRef:
    group: str
    kind: str
    namespace: str
    name: str
    port: int | None
    weight: int
    locator: str = ""


@dataclass(frozen=True)
class RouteRule:
    name: str
    matches: tuple[RouteMatch, ...]
    filters: tuple[RouteFilter, ...]
    backends: tuple[BackendRef, ...]
    locator: str = ""


@dataclass(frozen=True)
class ParentStatus:
    parent: ParentRef
    controller: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class HTTPRouteRecord:
    meta: Meta
    hostnames: tuple[str, ...]
    parents: tuple[ParentRef, ...]
    rules: tuple[RouteRule, ...]
    status: tuple[ParentStatus, ...]


@dataclass(frozen=True)
class ReferenceGrantRecord:
    meta: Meta
    from_: tuple[tuple[str, str, str], ...]  # (group, kind, namespace)
    to: tuple[tuple[str, str, str | None], ...]  # (group, kind, name or None for any)
