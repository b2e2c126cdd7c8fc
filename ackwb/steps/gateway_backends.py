"""Where an HTTPRoute rule's ``backendRefs`` send requests, and which of them may not.

From kubernetes-sigs/gateway-api ``apis/v1``: each backendRef's share is its ``weight`` (default
1) over the sum of the rule's weights; weight 0 gets nothing. A reference to another namespace
is allowed only by a ReferenceGrant in the target namespace whose ``from`` names (group
gateway.networking.k8s.io, kind HTTPRoute, the route's namespace) and whose ``to`` names the
kind (core group "", Service) and either no name or this name; otherwise the route's
``ResolvedRefs`` is False with reason RefNotPermitted. A kind other than a core Service is
InvalidKind, a Service that does not exist BackendNotFound. Requests whose share falls on an
invalid backend get a 500 ("BackendRefs" in HTTPRouteRule). Findings:
``GATEWAY_BACKEND_NOT_PERMITTED``, ``GATEWAY_BACKEND_INVALID_KIND``, ``GATEWAY_BACKEND_NOT_FOUND``,
``GATEWAY_BACKENDS_ZERO_WEIGHT`` (all errors). Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.gateway_api import read_reference_grant
from ackwb.parse.gateway_records import GROUP, BackendRef, HTTPRouteRecord, ReferenceGrantRecord, RouteRule

CODES = {
    "RefNotPermitted": "GATEWAY_BACKEND_NOT_PERMITTED",
    "InvalidKind": "GATEWAY_BACKEND_INVALID_KIND",
    "BackendNotFound": "GATEWAY_BACKEND_NOT_FOUND",
}


@dataclass(frozen=True)
class BackendShare:
    ref: BackendRef
    share: float  # of the rule's requests, 0 to 1
    reason: str = ""  # "" when valid, else RefNotPermitted, InvalidKind or BackendNotFound
    message: str = ""
    grant: str = ""  # the ReferenceGrant that allows a cross-namespace reference

    @property
    def valid(self) -> bool:
        return not self.reason

    @property
    def target(self) -> str:
        return f"{self.ref.namespace}/{self.ref.name}:{self.ref.port}"


def grants_of(objects: Sequence[Any]) -> list[ReferenceGrantRecord]:
    return [g if isinstance(g, ReferenceGrantRecord) else read_reference_grant(g) for g in objects]


def permitting_grant(
    route: HTTPRouteRecord, ref: BackendRef, grants: Sequence[ReferenceGrantRecord]
) -> str | None:
    """The ReferenceGrant (namespace/name) that lets ``route`` reach ``ref`` in another namespace."""
    for grant in grants:
        if grant.meta.namespace != ref.namespace:
            continue
        allowed_from = (GROUP, "HTTPRoute", route.meta.namespace) in grant.from_
        allowed_to = any(
            group == ref.group and kind == ref.kind and name in (None, ref.name)
            for group, kind, name in grant.to
        )
        if allowed_from and allowed_to:
            return grant.meta.key
    return None


def resolve_backends(
    route: HTTPRouteRecord,
    rule: RouteRule,
    grants: Sequence[Any] | None = (),
    services: Collection[str] | None = None,
) -> list[BackendShare]:
    """Each backendRef of ``rule`` with its share and, when it cannot be used, the reason.

    ``grants``: the ReferenceGrants; None when they could not be read (then a reference across
    namespaces is not reported as not permitted). ``services``: "namespace/name" of the Services
    that exist; None when not known (then a missing Service is not reported)."""
    records = grants_of(grants or ())
    total = sum(ref.weight for ref in rule.backends)
    found = []
    for ref in rule.backends:
        share = ref.weight / total if total else 0.0
        reason, message, grant = "", "", ""
        if (ref.group, ref.kind) != ("", "Service"):
            reason, message = "InvalidKind", f"{ref.group or 'core'}/{ref.kind} is not a Service"
        elif ref.namespace != route.meta.namespace and grants is None:
            message = "whether a ReferenceGrant permits this reference could not be read"
        elif ref.namespace != route.meta.namespace:
            grant = permitting_grant(route, ref, records) or ""
            if not grant:
                reason = "RefNotPermitted"
                message = (
                    f"no ReferenceGrant in namespace {ref.namespace} lets HTTPRoutes from namespace "
                    f"{route.meta.namespace} refer to Service {ref.name}"
                )
        if not reason and services is not None and f"{ref.namespace}/{ref.name}" not in services:
            reason, message = "BackendNotFound", f"Service {ref.namespace}/{ref.name} does not exist"
        found.append(BackendShare(ref, share, reason, message, grant))
    return found


def backend_findings(
    route: HTTPRouteRecord, rule: RouteRule, shares: Sequence[BackendShare], hop: str = "gateway"
) -> list[Finding]:
    """Findings about the backends a matched rule sends requests to."""
    found = []
    for item in shares:
        if item.valid:
            continue
        evidence = (
            Evidence(
                "kube:httproutes",
                f"{route.meta.key} {item.ref.locator}",
                f"{item.ref.kind} {item.target} weight {item.ref.weight}",
            ),
        )
        found.append(
            Finding(
                CODES[item.reason],
                Severity.ERROR,
                hop,
                f"HTTPRoute {route.meta.key} sends {item.share:.0%} of the requests of this rule to "
                f"{item.target}, which cannot be used ({item.reason}: {item.message}); they get a 500.",
                evidence,
            )
        )
    if shares and all(s.share == 0 for s in shares):
        found.append(
            Finding(
                "GATEWAY_BACKENDS_ZERO_WEIGHT",
                Severity.ERROR,
                hop,
                f"HTTPRoute {route.meta.key} gives every backendRef of the rule weight 0: none receives "
                "requests.",
                (Evidence("kube:httproutes", f"{route.meta.key} {rule.locator}", "weights: 0"),),
            )
        )
    return found
