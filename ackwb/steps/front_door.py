"""What answers behind a CLB or NLB listener: a decision the world makes, never a flag.

ACK's cloud-controller-manager labels the Service that owns a load balancer with the load
balancer's ID (``service.k8s.alibaba/loadbalancer-id``); that Service says who answers:

- its selector picks the ingress-nginx controller Pods → the nginx front door (nginx.conf,
  Ingress, dynamic backends);
- it is an Envoy Gateway proxy Service (the ``gateway.envoyproxy.io/owning-gateway-name`` and
  ``-namespace`` labels Envoy Gateway puts on the Service it creates for a Gateway) → the
  Gateway API front door on Envoy;
- any other Service → an L4 Service front door: the load balancer hands TCP (or UDP)
  connections to the Service's NodePort or its Pods; nothing looks at HTTP.

When no Service owns the load balancer the decision falls back to the nginx door (what every
world before the decision held), and says so. The kinds are an Enum so a new front door (ALB,
decided in the slb step) is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ackwb.model import Evidence
from ackwb.steps.common import dig, kube_evidence

Obj = dict[str, Any]
ENVOY_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name"
ENVOY_GATEWAY_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace"


class Door(Enum):
    """Who answers behind the listener (the value is how a trace names it)."""

    NGINX = "ingress-nginx controller"
    ENVOY_GATEWAY = "Envoy Gateway proxy"
    L4_SERVICE = "L4 Service"
    ALB = "ALB Ingress"  # decided in the slb step: the ALB's forwarding rules answer
    ALB_GATEWAY = "Gateway API on ALB"  # an ALB a Gateway of class alb was programmed on (steps.alb_gateway)


@dataclass(frozen=True)
class Decision:
    door: Door
    service: str = ""  # namespace/name of the Service that owns the load balancer ("" if none)
    why: str = ""  # one sentence a newcomer understands
    evidence: tuple[Evidence, ...] = ()
    gateway: str = ""  # Envoy Gateway: namespace/name of the Gateway the proxy Service belongs to


def decide(service: Obj | None, controllers: list[Obj], controller_selector: str) -> Decision:
    """The front door behind a load balancer owned by ``service`` (None: no Service found).

    ``controllers`` are the ingress controller Pods as listed (empty when they could not be
    read); ``controller_selector`` is the label selector they are listed by, which stands for
    them when none were seen."""
    if service is None:
        return Decision(
            Door.NGINX,
            why="no Service carries the load balancer's ID label, so the ingress-nginx controller is "
            "taken to answer behind it",
        )
    meta = service.get("metadata") or {}
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    owner = f"{namespace}/{name}"
    labels: dict[str, str] = meta.get("labels") or {}
    selector: dict[str, str] = dig(service, "spec", "selector") or {}
    if ENVOY_GATEWAY_NAME in labels:
        gateway = f"{labels.get(ENVOY_GATEWAY_NAMESPACE, '?')}/{labels[ENVOY_GATEWAY_NAME]}"
        said = kube_evidence("services", namespace, name, f"metadata.labels[{ENVOY_GATEWAY_NAME}]", gateway)
        why = f"Service {owner} is the Envoy proxy Service of Gateway {gateway}"
        return Decision(Door.ENVOY_GATEWAY, owner, why, (said,), gateway)
    said = kube_evidence("services", namespace, name, "spec.selector", selector)
    if selector and _selects(namespace, selector, controllers, controller_selector):
        why = f"Service {owner} selects the ingress-nginx controller Pods"
        return Decision(Door.NGINX, owner, why, (said,))
    return Decision(
        Door.L4_SERVICE,
        owner,
        f"Service {owner} selects no ingress controller Pod, so the load balancer passes connections to "
        "its Pods as they are and nothing evaluates HTTP",
        (said,),
    )


def _selects(
    namespace: str, selector: dict[str, str], controllers: list[Obj], controller_selector: str
) -> bool:
    if controllers:
        return any(
            selector.items() <= (dig(p, "metadata", "labels") or {}).items()
            and dig(p, "metadata", "namespace") == namespace
            for p in controllers
        )
    wanted = dict(part.split("=", 1) for part in controller_selector.split(",") if "=" in part)
    return bool(wanted) and selector.items() <= wanted.items()
