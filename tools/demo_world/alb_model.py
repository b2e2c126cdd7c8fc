"""The ALB instances of a design world as values: server groups, forwarding rules, and the instance.

An ``AlbSpec`` is either what the ALB Ingress controller made for an AlbConfig (``albconfig``
set, one listener per port its rules use) or what the same controller made for a Gateway of
GatewayClass ``alb`` (``gateway`` set). ACK's documentation says a Gateway provisions an ALB
instance of its own and that its listeners become that instance's listeners (the GatewayClass's
controllerName ``gateways.alibabacloud.com/alb/v1``, ALB Standard Edition); an AlbConfig's ALB is
never shared with a Gateway, so the Gateway's instance carries no AlbConfig tag.

Tags the controller writes: ``ingress.k8s.alibaba/albconfig`` on an AlbConfig's instance and
listeners, ``ingress.k8s.alibaba/service_ns|service_name|service_port`` on every server group.
UNCONFIRMED (no public document shows them): the tags on a Gateway's resources,
``gateways.alibabacloud.com/gateway`` (namespace/name) on the instance, its listeners, rules and
groups, ``gateways.alibabacloud.com/listener`` (the Gateway listener's name) on listeners, and
``gateways.alibabacloud.com/httproute`` (namespace/name) with ``.../httproute-rule`` (the rule's
index) on rules and groups. ackwb never decides from them alone (``ackwb.steps.alb_gateway``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.demo_world.ids import ali_id, hexid
from tools.demo_world.model import VSwitch

TAG = "ingress.k8s.alibaba/"
GATEWAY_TAG = "gateways.alibabacloud.com/"  # UNCONFIRMED tag scheme, see above


@dataclass(frozen=True)
class AlbGroup:
    namespace: str
    service: str
    port: int
    servers: tuple[tuple[str, int], ...]  # (Pod IP, port); Instance: (node IP, the Service's NodePort)
    prefix: str = ""  # a Gateway's groups: "gw", so they are not an AlbConfig's groups of the Service
    type: str = "Ip"  # Ip (Terway: Pod IPs) or Instance (ECS nodes on the NodePort: Flannel)
    health_checks: bool = True  # off unless the Ingress asks (alb.ingress.kubernetes.io/healthcheck-enabled)

    @property
    def name(self) -> str:
        return (f"{self.prefix}-" if self.prefix else "") + f"{self.namespace}-{self.service}-{self.port}"

    @property
    def id(self) -> str:
        return "sgp-" + hexid(f"alb group {self.name}", 20)


@dataclass(frozen=True)
class AlbRuleSpec:
    port: int  # the listener's
    priority: int
    host: str
    paths: tuple[str, ...]
    forward: tuple[tuple[AlbGroup, int], ...] = ()  # (group, weight)
    redirect_to_port: int = 0  # a redirect to HTTPS on this port (301) instead of a forward
    route: str = ""  # the HTTPRoute (namespace/name) a Gateway's rule was made for
    route_rule: int = 0  # the index of that HTTPRoute's rule


@dataclass(frozen=True)
class AlbSpec:
    name: str
    albconfig: str  # "" for a Gateway's instance
    zones: tuple[tuple[VSwitch, str, str], ...]  # (vSwitch, public address, intranet address)
    certificate: str
    rules: tuple[AlbRuleSpec, ...]
    created: str
    gateway: str = ""  # the Gateway (namespace/name) this instance was made for
    gateway_listener: str = ""  # that Gateway's listener name (one listener: HTTP on the rules' port)

    @property
    def id(self) -> str:
        return ali_id("alb", self.name)

    @property
    def dns_name(self) -> str:
        return f"{self.id}.cn-hangzhou.alb.aliyuncsslb.com"

    def listener_id(self, port: int) -> str:
        return ali_id("lsn", f"{self.name} {port}")

    @property
    def ports(self) -> list[int]:
        return sorted({r.port for r in self.rules})

    @property
    def groups(self) -> list[AlbGroup]:
        return list({g.name: g for r in self.rules for g, _ in r.forward}.values())

    @property
    def default_group(self) -> AlbGroup:
        """The listeners' default server group: no Service behind it, no server in it."""
        return AlbGroup("", f"{self.albconfig or self.name}-default", 0, ())
