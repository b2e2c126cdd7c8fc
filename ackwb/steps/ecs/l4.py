"""The L4 Service front door in step 3: the load balancer's own Service answers, with its Pods.

When ``front_door.decide`` finds that the Service owning the load balancer is neither the
ingress-nginx controller's nor an Envoy proxy's, the backends lead to that Service's Pods:
a NodePort backend through kube-proxy's NodePort rule on the node (``externalTrafficPolicy``
Local keeps to the node's own Pods and the client's address; Cluster may cross nodes and
masquerades), a Pod-IP backend (an NLB server group of type Ip, a CLB ENI backend) straight
to the Pod. The branch modules draw those hops as they do for a controller; this module reads
the Service's Pods, and checks what only an L4 door has: a backend whose address is no Pod of
the Service (the server group kept a rescheduled Pod's old IP), and a ready Pod that no
backend leads to.
"""

from __future__ import annotations

from ackwb.errors import SourceError
from ackwb.model import Evidence, Finding, Severity
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, dig, kube_evidence, sh
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.reads import Seen
from ackwb.steps.ecs.result import Branch
from ackwb.steps.slb.records import Backend


def read_service_pods(sources: Sources, seen: Seen) -> None:
    """The Pods the owning Service selects take the controllers' place in ``seen``."""
    assert seen.service is not None
    meta = seen.service.get("metadata") or {}
    selector: dict[str, str] = dig(seen.service, "spec", "selector") or {}
    seen.controllers, seen.controllers_error = [], None
    if not selector:  # no selector: no Pods (its endpoints are managed by hand)
        return
    text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    try:
        seen.controllers = sources.kube.list("pods", meta.get("namespace"), text)
    except SourceError as error:
        seen.controllers_error = error


def not_a_pod(context: Context, backend: Backend) -> Finding:
    """A Pod-IP backend that no Pod of the Service holds: the Pod moved, the server group did not."""
    service = context.result.service
    namespace, _, name = service.partition("/")
    selector = dig(context.seen.service or {}, "spec", "selector") or {}
    text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    severity = Severity.ERROR if context.carries(backend) else Severity.WARNING
    return Finding(
        "L4_BACKEND_NOT_A_POD",
        severity,
        backend.hop_id,
        f"Backend {backend.server_ip}:{backend.port} is a Pod IP, but no Pod of Service {service} has "
        "that address any more: the Pod was rescheduled and the server group still names its old IP, so "
        "connections sent there find nothing.",
        (Evidence("kube:pods", f"-n {namespace} -l {text} status.podIP", f"(none is {backend.server_ip})"),),
        check=f"kubectl -n {sh(namespace)} get pods -l {sh(text)} -o wide",
    )


def pods_not_backends(context: Context) -> None:
    """Ready Pods of the Service that no backend leads to: the load balancer never sends them a
    connection (its server group lags behind the Pods, or their node is not a backend)."""
    result = context.result
    reached = {link.dst for link in result.links}
    lb = context.lb
    for pod in (context.controller(p) for p in context.seen.controllers):
        hop = f"pod:{pod.namespace}/{pod.name}"
        if not pod.ready or hop in reached:
            continue
        group = lb.listener.server_group_id if lb.listener else ""
        servers = ", ".join(f"{b.server_ip}:{b.port}" for b in lb.backends)
        carried = carrying(result.branches)
        result.findings.append(
            Finding(
                "L4_POD_NOT_A_BACKEND",
                Severity.WARNING if carried else Severity.ERROR,
                hop,
                f"Pod {pod.name} ({pod.pod_ip}) of Service {result.service} is ready, but no backend of the "
                f"load balancer leads to it (the server group holds {servers or 'nothing'}): it gets no "
                "connection until the cloud-controller-manager updates the server group.",
                (
                    kube_evidence("pods", pod.namespace, pod.name, "status.podIP", pod.pod_ip),
                    cloud_evidence(
                        lb.api.product,
                        lb.api.group,
                        lb.api.group_locator.format(group=group),
                        servers or "(empty)",
                    ),
                ),
                check=lb.api.check(lb.api.group_command, region=context.sources.settings.region, group=group),
            )
        )


def carrying(branches: list[Branch]) -> bool:
    return any(b.carries and any(c.ready for c in b.controllers) for b in branches)
