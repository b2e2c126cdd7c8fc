"""nginx balances over its own copy of the endpoints: each serving controller's dynamic backend
is compared with the Service's ready endpoints.

A controller that lags (it missed an update: its RBAC, a failed sync, a crash loop of its
own) keeps balancing to endpoints that are gone, or misses new ones. When the first
controller (the one the trace shows in full) disagrees, the Ingress hop says so; another
controller that disagrees is named on its own hop, because it serves its share of requests.
"""

from __future__ import annotations

from ackwb.model import Evidence, Finding, Severity
from ackwb.steps.common import sh
from ackwb.steps.ingress.result import ControllerView, IngressResult
from ackwb.steps.pod.result import PodResult
from ackwb.steps.service.result import ServiceResult


def compare_dynamic_backends(result: PodResult, ing: IngressResult, svc: ServiceResult) -> None:
    if ing.service_upstream or not svc.endpoints_seen:
        return
    ready = {f"{e.address}:{e.port}" for e in svc.ready_endpoints}
    for view in ing.views:
        if view.backend is None or not view.backends_read or view.route != ing.views[0].route:
            continue
        balanced = set(view.endpoints)
        if balanced == ready:
            continue
        primary = view.controller == ing.controller
        result.findings.append(_stale(view, ing, svc, ready, balanced, primary))
        if primary and ready and not balanced & ready:
            result.dead_end = result.dead_end or result.findings[-1].message


def _stale(
    view: ControllerView,
    ing: IngressResult,
    svc: ServiceResult,
    ready: set[str],
    balanced: set[str],
    primary: bool,
) -> Finding:
    controller, backend = view.controller, view.backend
    assert backend is not None
    message = (
        f"nginx in {controller.name} balances {backend.name} over "
        f"{', '.join(sorted(balanced)) or 'nothing'}, "
        f"but the ready endpoints of {svc.name} are {', '.join(sorted(ready)) or 'none'}: the controller's "
        "dynamic backends are stale (it does not receive endpoint updates; its logs and RBAC say why)."
    )
    evidence = (
        Evidence(
            view.backends_source, f"[name={backend.name}].endpoints", ", ".join(view.endpoints) or "(none)"
        ),
        Evidence(
            "kube:endpointslices", f"{svc.namespace}/{svc.name} ready endpoints", ", ".join(sorted(ready))
        ),
    )
    check = (
        f"kubectl -n {sh(controller.namespace)} exec {sh(controller.name)} -- "
        f"/dbg backends get {sh(backend.name)}"
    )
    blocked = not (balanced & ready)
    severity = Severity.ERROR if blocked else Severity.WARNING
    return Finding(
        "INGRESS_BACKENDS_STALE",
        severity,
        ing.hop_id if primary else controller.hop_id,
        message,
        evidence,
        check,
    )
