"""Branch: a backend whose address is a Pod IP (an NLB server group of type Ip, a CLB ENI
backend holding a Pod's address with Terway). The load balancer sends to the controller Pod
itself: no node, no NodePort, no kube-proxy in between. The Pod's node is a detail.
"""

from __future__ import annotations

from ackwb.model import Evidence, Finding, Severity
from ackwb.steps.common import sh
from ackwb.steps.ecs.context import Context
from ackwb.steps.ecs.l4 import not_a_pod as l4_not_a_pod
from ackwb.steps.ecs.result import Branch
from ackwb.steps.slb.records import Backend


def follow(context: Context, backend: Backend) -> Branch:
    arriving = context.lb.to_backend(backend)
    if context.controllers_unseen(backend.hop_id, backend.server_ip, f"Pod IP {backend.server_ip}"):
        return Branch(backend, "pod", None, (), carries=context.carries(backend))
    pods = [context.controller(p) for p in context.controllers_at(backend.server_ip)]
    evidence = context.eni_evidence(backend)
    if evidence is not None:
        context.result.evidence.append(evidence)
    for pod in pods:
        context.draw_controller(pod, backend.hop_id, f"Pod IP {backend.server_ip}:{backend.port}", arriving)
    if not pods and context.own_pods:  # the Service's own Pods: an L4 Service's or Envoy's
        context.result.findings.append(l4_not_a_pod(context, backend))
    elif not pods:
        settings = context.sources.settings
        context.result.findings.append(
            Finding(
                "LB_BACKEND_NO_CONTROLLER",
                Severity.ERROR if context.carries(backend) else Severity.WARNING,
                backend.hop_id,
                f"Backend {backend.server_ip}:{backend.port} is a Pod IP, but no ingress controller Pod "
                f"({settings.ingress_selector} in {settings.ingress_namespace}) has that IP: the Pod was "
                "replaced and the server group still names the old one, or it belongs to something else.",
                (
                    Evidence(
                        "kube:pods",
                        f"-n {settings.ingress_namespace} -l {settings.ingress_selector} status.podIP",
                        "(none is " + backend.server_ip + ")",
                    ),
                ),
                check=f"kubectl get pods -A -o wide --field-selector status.podIP={sh(backend.server_ip)}",
            )
        )
    return Branch(
        backend, "pod", None, tuple(pods), carries=context.carries(backend), controller_port=backend.port
    )
