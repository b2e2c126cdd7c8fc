"""The Ingress step's look at canaries: what share of a location's requests another Service takes.

A canary Ingress (``nginx.ingress.kubernetes.io/canary: "true"``) renders no location of its
own, so nginx.conf does not show it. Its backend is listed in the main backend's
``alternativeBackends`` with a ``trafficShapingPolicy`` (weight, header, cookie), and the Lua
balancer sends part of the requests there. The step reads the canary's dynamic backend, says
which share it takes and what else decides (header, cookie), and warns when it takes every
request, because the rest of the trace follows the main Service.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.backends import Backend, find_backend, parse_backends
from ackwb.parse.canary import TrafficTarget, traffic_split
from ackwb.sources import Sources, commands
from ackwb.steps.common import sh, source_finding
from ackwb.steps.ingress.result import IngressResult


def check_canary(sources: Sources, result: IngressResult, backends: list[Backend], source: str) -> None:
    """Add the canary's share of the location's requests (``result.traffic``) and its findings."""
    main, controller = result.backend, result.controller
    if main is None or controller is None or not main.alternative_backends:
        return
    name = main.alternative_backends[0]  # the balancer only ever considers the first one
    if find_backend(backends, name) is None:  # /dbg backends get printed the main backend only
        command = commands.nginx_backend(name)
        container = sources.settings.ingress_container
        try:
            output = sources.pod_exec.run(controller.namespace, controller.name, container, command)
            if output.exit_status == 0 and output.stdout.strip():
                backends = [*backends, *parse_backends(f"[{output.stdout}]", f"{controller.name}: {command}")]
        except SourceError as error:
            result.findings.append(source_finding(error, result.hop_id, f"the canary backend {name}"))
            return
        except AckwbError as error:
            result.findings.append(
                Finding("INGRESS_BACKENDS_UNREADABLE", Severity.WARNING, result.hop_id, str(error))
            )
            return
    result.traffic = traffic_split(backends, main.name)
    canary = next((t for t in result.traffic if t.canary), None)
    evidence = [
        Evidence(source, f"[name={main.name}].alternativeBackends", json.dumps(main.alternative_backends))
    ]
    found = find_backend(backends, name)
    if found is not None and found.traffic_shaping is not None:
        policy = json.dumps(asdict(found.traffic_shaping), sort_keys=True)
        evidence.append(Evidence(source, f"[name={name}].trafficShapingPolicy", policy))
    check = (
        f"kubectl -n {sh(controller.namespace)} exec {sh(controller.name)} -- /dbg backends get {sh(name)}"
    )
    if canary is None:
        reason = result.traffic[0].reason if result.traffic else f"canary backend {name!r} takes nothing"
        message = f"A canary backend is configured for {main.name} but takes no request: {reason}."
        result.findings.append(
            Finding("INGRESS_CANARY", Severity.INFO, result.hop_id, message, tuple(evidence), check)
        )
        return
    result.findings.append(_canary_finding(result, main, canary, tuple(evidence), check))


def _canary_finding(
    result: IngressResult, main: Backend, canary: TrafficTarget, evidence: tuple[Evidence, ...], check: str
) -> Finding:
    policy = canary.backend.traffic_shaping if canary.backend else None
    also = []
    if policy and policy.header:
        also.append(f"header {policy.header}" + (f": {policy.header_value}" if policy.header_value else ""))
    if policy and policy.cookie:
        also.append(f"cookie {policy.cookie}=always")
    decided = f"; requests with {' or '.join(also)} go there whatever the weight" if also else ""
    where = f"canary backend {canary.name} ({canary.reason})"
    if canary.share >= 1.0:
        message = (
            f"Every request for this location goes to the {where}, not to {main.name}: the trace below "
            f"follows {result.namespace}/{result.service_name}, which gets only requests whose canary "
            f"header or cookie says 'never'{decided}. A canary left at full weight after a rollout is the "
            "usual cause."
        )
        return Finding("INGRESS_CANARY_TAKES_ALL", Severity.WARNING, result.hop_id, message, evidence, check)
    message = (
        f"{canary.share:.0%} of the requests for this location go to the {where}; the trace below follows "
        f"the main backend {main.name}{decided}."
    )
    return Finding("INGRESS_CANARY", Severity.INFO, result.hop_id, message, evidence, check)
