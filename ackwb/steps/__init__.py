"""One module per section of the article, each a function ``step(sources, previous_result)``.

Steps are pure logic over the ``Sources`` seam: they read, parse, compare and return a
``StepResult`` subclass carrying what the next step needs.
"""

from ackwb.steps.dns import DnsResult, dns
from ackwb.steps.ecs import NodeResult, ecs
from ackwb.steps.egress import EgressResult, egress
from ackwb.steps.ingress import IngressResult, ingress
from ackwb.steps.kube_proxy import KubeProxyResult, kube_proxy
from ackwb.steps.pod import PodResult, pod
from ackwb.steps.service import ServiceResult, service
from ackwb.steps.slb import LoadBalancerResult, slb

__all__ = [
    "DnsResult",
    "EgressResult",
    "IngressResult",
    "KubeProxyResult",
    "LoadBalancerResult",
    "NodeResult",
    "PodResult",
    "ServiceResult",
    "dns",
    "ecs",
    "egress",
    "ingress",
    "kube_proxy",
    "pod",
    "service",
    "slb",
]
