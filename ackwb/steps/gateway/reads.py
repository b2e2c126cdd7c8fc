"""The Kubernetes objects the Envoy Gateway front door is evaluated from, read through ``sources``.

Behind a load balancer owned by an Envoy proxy Service, what answers is the Gateway that
Service was made for (its ``gateway.envoyproxy.io/owning-gateway-name`` and ``-namespace``
labels), the GatewayClass it names, the HTTPRoutes and ReferenceGrants of every namespace
(a route in any namespace may attach, a grant in the backend's namespace may allow it), the
Namespaces' labels when a listener admits routes by a namespace selector, and the Services
the chosen rule names. A read that fails is kept with its error, so the step can say what
could not be seen (unknown), never that the object does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import AckwbError, SourceError
from ackwb.parse.gateway_records import BackendRef
from ackwb.sources import Sources
from ackwb.steps.common import attempt, dig

Obj = dict[str, Any]


@dataclass
class GatewayReads:
    """What was read for one Gateway; ``errors`` maps what could not be read to why."""

    namespace: str
    name: str
    gateway: Obj | None = None
    gateway_class: Obj | None = None
    routes: list[Obj] = field(default_factory=list)
    grants: list[Obj] = field(default_factory=list)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name → labels
    proxy_service: Obj | None = None  # the load balancer's Envoy proxy Service
    services: dict[str, Obj] = field(default_factory=dict)  # "namespace/name" → Service (the rule's)
    missing_services: set[str] = field(default_factory=set)  # read, and not there
    errors: dict[str, SourceError] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def known_services(self) -> set[str] | None:
        """The Services that exist among those asked for, or None when one could not be read (then
        a missing one is not known to be missing)."""
        if any(what.startswith("Service ") for what in self.errors):
            return None
        return set(self.services)


def _failed(answer: object) -> bool:
    """True when a read failed on its source; any other error is a bug or a bad answer, raised."""
    if isinstance(answer, SourceError):
        return True
    if isinstance(answer, AckwbError):
        raise answer
    return False


def read_gateway(sources: Sources, namespace: str, name: str, proxy: str) -> GatewayReads:
    """The Gateway, its class, every HTTPRoute and ReferenceGrant, the proxy Service (``proxy``:
    namespace/name) and, for ``from: Selector`` listeners, the Namespaces; independent reads are
    made at once."""
    found = GatewayReads(namespace, name)
    proxy_namespace, _, proxy_name = proxy.partition("/")
    gateway, routes, grants, service = sources.gather(
        [
            attempt(lambda: sources.kube.get("gateways", name, namespace)),
            attempt(lambda: sources.kube.list("httproutes")),
            attempt(lambda: sources.kube.list("referencegrants")),
            attempt(lambda: sources.kube.get("services", proxy_name, proxy_namespace)),
        ]
    )
    if not _failed(service):
        found.proxy_service = service  # type: ignore[assignment]
    if _failed(gateway):
        found.errors[f"Gateway {namespace}/{name}"] = gateway  # type: ignore[assignment]
        return found
    found.gateway = gateway  # type: ignore[assignment]
    if _failed(routes):
        found.errors["the HTTPRoutes"] = routes  # type: ignore[assignment]
    else:
        found.routes = list(routes)  # type: ignore[arg-type]
    if _failed(grants):
        found.errors["the ReferenceGrants"] = grants  # type: ignore[assignment]
    else:
        found.grants = list(grants)  # type: ignore[arg-type]
    if found.gateway is None:
        return found
    class_name = str(dig(found.gateway, "spec", "gatewayClassName") or "")
    selectors = any(
        dig(x, "allowedRoutes", "namespaces", "from") == "Selector"
        for x in dig(found.gateway, "spec", "listeners") or []
        if isinstance(x, dict)
    )
    reads = [attempt(lambda: sources.kube.get("gatewayclasses", class_name))]
    if selectors:
        reads.append(attempt(lambda: sources.kube.list("namespaces")))
    answers = sources.gather(reads)
    if _failed(answers[0]):
        found.errors[f"GatewayClass {class_name}"] = answers[0]  # type: ignore[assignment]
    else:
        found.gateway_class = answers[0]  # type: ignore[assignment]
    if selectors:
        if _failed(answers[1]):
            found.errors["the Namespaces"] = answers[1]  # type: ignore[assignment]
        else:
            for obj in answers[1]:  # type: ignore[union-attr]
                meta = obj.get("metadata") or {}
                found.namespaces[str(meta.get("name", ""))] = dict(meta.get("labels") or {})
    return found


def read_services(sources: Sources, found: GatewayReads, refs: tuple[BackendRef, ...]) -> None:
    """The Services a rule's backendRefs name (core Services only), into ``found``."""
    wanted = sorted({(r.namespace, r.name) for r in refs if (r.group, r.kind) == ("", "Service")})
    answers = sources.gather(
        [attempt(lambda ns=ns, n=n: sources.kube.get("services", n, ns)) for ns, n in wanted]
    )
    for (namespace, name), answer in zip(wanted, answers, strict=True):
        key = f"{namespace}/{name}"
        if _failed(answer):
            found.errors[f"Service {key}"] = answer  # type: ignore[assignment]
        elif answer is None:
            found.missing_services.add(key)
        else:
            found.services[key] = answer  # type: ignore[assignment]


def endpoint_slices(sources: Sources, namespace: str, name: str) -> list[Obj] | SourceError:
    """The Service's EndpointSlices (the same query the Service step makes, so it is read once)."""
    selector = f"kubernetes.io/service-name={name}"
    answer = attempt(lambda: sources.kube.list("endpointslices", namespace, label_selector=selector))()
    return answer if _failed(answer) else list(answer)  # type: ignore[return-value,arg-type]
