"""The Service step's checks of a Service against its Pods and endpoints: whether the
selector matches any Pod, whether the selected Pods expose the targetPort, and which
endpoints are not ready or terminating.
"""

from __future__ import annotations

import json
from typing import Any

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Evidence, Finding, Severity
from ackwb.sources import Sources
from ackwb.steps.common import dig, kube_evidence, sh, source_finding, unwrap
from ackwb.steps.service.result import ServiceResult


def selector_text(obj: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((dig(obj, "spec", "selector") or {}).items()))


def read_selected_pods(sources: Sources, namespace: str, obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The Pods the Service's selector matches in its namespace; None when it has no selector."""
    selector = selector_text(obj)
    if not selector:
        return None  # endpoints managed by hand: nothing to compare
    return sources.kube.list("pods", namespace, label_selector=selector)


def selected_pods(
    result: ServiceResult, obj: dict[str, Any], answer: list[dict[str, Any]] | None | AckwbError
) -> list[dict[str, Any]] | None:
    """The answer of ``read_selected_pods``, with a finding when the selector matches no Pod."""
    selector = selector_text(obj)
    try:
        pods = unwrap(answer)
    except SourceError as error:
        result.findings.append(source_finding(error, result.hop_id, f"the Pods selected by {selector}"))
        return None
    if pods is None:
        return None  # endpoints managed by hand: nothing to compare
    if not pods:
        message = (
            f"The selector {selector} of Service {result.namespace}/{result.name} matches no Pod in "
            f"namespace {result.namespace}: the Service has no endpoints and nginx answers 503. Compare it "
            "with the labels of the Pods that should serve it."
        )
        evidence = (
            kube_evidence(
                "services", result.namespace, result.name, "spec.selector", obj["spec"]["selector"]
            ),
        )
        check = f"kubectl -n {sh(result.namespace)} get pods -l {sh(selector)}; "
        check += f"kubectl -n {sh(result.namespace)} get pods --show-labels"
        result.findings.append(
            Finding(
                "SERVICE_SELECTOR_MATCHES_NOTHING", Severity.ERROR, result.hop_id, message, evidence, check
            )
        )
        result.dead_end = result.dead_end or (
            f"Service {result.namespace}/{result.name} selects {selector}, which matches no Pod"
        )
    return pods


def _declared_ports(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        port
        for pod in pods
        for container in dig(pod, "spec", "containers") or []
        for port in container.get("ports") or []
    ]


def check_target_port(result: ServiceResult, obj: dict[str, Any], pods: list[dict[str, Any]] | None) -> None:
    """A targetPort that none of the selected Pods declares (by number or by name)."""
    port = result.port
    declared = _declared_ports(pods or [])
    if port is None or not declared:
        return  # no Pod, or Pods that declare no ports: nothing to compare
    target = port.target_port
    if target.isdigit():
        exposed = any(
            p.get("containerPort") == int(target) and p.get("protocol", "TCP") == port.protocol
            for p in declared
        )
    else:
        exposed = any(p.get("name") == target for p in declared)
    if exposed:
        return
    listed = sorted(
        {f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" + (f" ({p['name']})" if p.get("name") else "")
         for p in declared}
    )  # fmt: skip
    names = ", ".join(p["metadata"]["name"] for p in pods or [])
    message = (
        f"Service {result.name} sends port {port.port} to targetPort {target}, but its Pods ({names}) expose "
        f"only {', '.join(listed)}: connections to {target} are refused (nginx answers 502), unless the "
        "container listens there without declaring it."
    )
    spec_port = next(
        (
            p
            for p in dig(obj, "spec", "ports") or []
            if p.get("port") == port.port and p.get("name", "") == port.name
        ),
        {},
    )
    first = (pods or [])[0]
    evidence = (
        kube_evidence("services", result.namespace, result.name, f"spec.ports[port={port.port}]", spec_port),
        kube_evidence(
            "pods",
            result.namespace,
            first["metadata"]["name"],
            "spec.containers[].ports",
            _declared_ports([first]),
        ),
    )
    selector = ",".join(f"{k}={v}" for k, v in sorted((dig(obj, "spec", "selector") or {}).items()))
    check = (
        f"kubectl -n {sh(result.namespace)} get pods -l {sh(selector)} "
        "-o jsonpath='{.items[*].spec.containers[*].ports}'"
    )
    result.findings.append(
        Finding("SERVICE_TARGET_PORT_NOT_EXPOSED", Severity.ERROR, result.hop_id, message, evidence, check)
    )
    result.dead_end = (
        result.dead_end or f"Service {result.name}'s targetPort {target} is not a port its Pods expose"
    )


def check_readiness(result: ServiceResult) -> None:
    """Endpoints that are listed but get no traffic: not ready, or terminating."""
    waiting = [e for e in result.endpoints if not e.ready]
    if not waiting:
        return
    described, evidence = [], []
    for e in waiting:
        state = "terminating" if e.terminating else "not ready"
        described.append(f"{e.address} ({state}{', Pod ' + e.pod if e.pod else ''})")
        conditions = {"ready": e.ready, "serving": e.serving, "terminating": e.terminating}
        evidence.append(
            Evidence(
                "kube:endpointslices",
                f"{result.namespace}/{e.slice_name} endpoints[addresses={e.address}].conditions",
                json.dumps(conditions, sort_keys=True),
            )
        )
    ready = len(result.endpoints) - len(waiting)
    message = (
        f"{len(waiting)} of the {len(result.endpoints)} endpoints of Service {result.name} get no new "
        f"traffic: {'; '.join(described)}. {ready} ready endpoint{'s' if ready != 1 else ''} remain."
    )
    check = f"kubectl -n {sh(result.namespace)} get endpointslices "
    check += f"-l kubernetes.io/service-name={result.name} -o yaml"
    result.evidence += evidence
    result.findings.append(
        Finding(
            "SERVICE_ENDPOINTS_NOT_READY", Severity.WARNING, result.hop_id, message, tuple(evidence), check
        )
    )
