"""The request that leaves the cluster: an Ingress whose Service is an ExternalName.

nginx resolves the external name and opens the connection itself, so the Pod that goes out
is the controller Pod, not a Pod of the Service: its way out (its own ENI's vSwitch with
Terway, its node's vSwitch when it runs on the host network or with Flannel) decides the SNAT
entry and the egress IP the outside host sees. The outside host is the last hop of the
request: reached when some controller gets out, blocked when none does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ackwb.model import Edge, Evidence, Finding, Hop, Packet, Path, Severity, StepResult, Verdict
from ackwb.steps.common import details, sh
from ackwb.steps.ecs.result import ControllerPod
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.pod.result import PodInfo
from ackwb.steps.service.result import ServiceResult


@dataclass(frozen=True)
class ControllerLeaving(PodInfo):
    """A controller Pod taken as the Pod that goes out: its hop is the controller's."""

    @property
    def hop_id(self) -> str:
        return f"controller:{self.namespace}/{self.name}"


def external_service(step: StepResult) -> ServiceResult | None:
    """The Service of the trace when it is an ExternalName that resolved, else None."""
    svc = step.earlier("service")
    if isinstance(svc, ServiceResult) and svc.external_name and svc.external_ips:
        return svc
    return None


def controllers_going_out(step: StepResult) -> list[PodInfo]:
    """The serving controller Pods, as the Pods whose way out the request takes."""
    ing = step.earlier("ingress")
    controllers: list[ControllerPod] = (
        [v.controller for v in ing.views] if isinstance(ing, IngressResult) else []
    )
    return [
        ControllerLeaving(
            c.namespace, c.name, c.pod_ip, 0, c.node, "Running", c.ready, 0, host_network=c.host_network
        )
        for c in controllers
    ]


def outside_host(
    svc: ServiceResult, hops: list[Hop], edges: list[Edge], findings: list[Finding], egress_ips: list[str]
) -> None:
    """Draw the outside host at the end of the request, seen from the egress IPs."""
    name, address = svc.external_name, svc.external_ips[0]
    port = svc.port.port if svc.port else 80
    hop_id = f"external:{name}"
    out = sorted(egress_ips)
    verdict = Verdict.OK if out else Verdict.BLOCKED
    seen_from = ", ".join(out) or "nothing: no controller Pod gets out"
    hops.append(
        Hop(
            hop_id,
            "external",
            f"{name}\n{address}:{port}",
            Path.REQUEST,
            verdict,
            details(
                outside_host=f"{name} → {', '.join(svc.external_ips)}",
                sees_the_request_from=seen_from,
                via="the controller Pod's way out (SNAT on its vSwitch)",
            ),
            arrives=Packet(f"{out[0]}:*", f"{address}:{port}") if out else None,
            rewrite=f"source NAT to {', '.join(out)}: the outside host never sees a cluster address"
            if out
            else "",
        )
    )
    edges.append(Edge(svc.hop_id, hop_id, f"{address}:{port}", Path.REQUEST))
    if out:
        return
    message = (
        f"nginx connects to {name} ({address}) for Service {svc.namespace}/{svc.name}, but no serving "
        "controller Pod has a way out to the internet: the request cannot leave the cluster (nginx "
        "answers 502 or 504)."
    )
    findings.append(
        Finding(
            "SERVICE_EXTERNAL_NAME_NO_WAY_OUT",
            Severity.ERROR,
            hop_id,
            message,
            (Evidence("egress step", "controller Pods' egress IPs", "(none)"),),
            check=f"kubectl -n <controller namespace> exec <controller pod> -- curl -sv -m 5 "
            f"{sh(name)}:{port}",
        )
    )
