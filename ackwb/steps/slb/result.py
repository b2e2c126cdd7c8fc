"""What the load balancer step found, and the packet it hands to the backends.

``LoadBalancerResult`` lives apart from the step so that the judgements (``checks``,
``security_groups``) can take it without importing the step that calls them.

Which source address a backend sees is the load balancer's business: a CLB TCP/UDP
listener passes the client's address through; a CLB HTTP/HTTPS listener ends the client's
connection and opens its own from the CLB's reserved range 100.64.0.0/10, with the client in
``X-Forwarded-For``; an NLB keeps the client's address when its server group preserves it
(``PreserveClientIpEnabled``), else it connects from its own addresses in its vSwitches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ackwb.model import Client, Packet, StepResult
from ackwb.steps.guards import SecurityRule
from ackwb.steps.slb.records import CLB, NLB, Backend, LbApi, Listener

CLB_LOCAL_RANGE = "100.64.0.0/10"  # CLB's health checks and layer-7 connections come from here


@dataclass(kw_only=True)
class LoadBalancerResult(StepResult):
    client: Client = field(default_factory=Client)
    address: str = ""
    load_balancer_id: str = ""
    load_balancer_name: str = ""
    api: LbApi = CLB  # which product owns the address: CLB or NLB
    listeners: list[Listener] = field(default_factory=list)
    listener: Listener | None = None  # the one the client's port reaches
    backends: list[Backend] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)  # NLB only
    security_rules: list[SecurityRule] = field(default_factory=list)  # their ingress rules
    preserves_client_ip: bool | None = None  # None: the server group's setting could not be read
    nlb_local_ranges: tuple[str, ...] = ()  # an NLB's vSwitch CIDRs (where it connects from)
    alb: Any = None  # an ALB front door (``ackwb.steps.slb.alb.AlbFront``): its rules are the next hop

    @property
    def front_door(self) -> str:
        """What answers behind the listener, as the world says: "alb" (its forwarding rules), else
        "controller" (an ingress controller behind a CLB or NLB)."""
        return "alb" if self.alb is not None else "controller"

    @property
    def hop_id(self) -> str:
        return f"lb:{self.load_balancer_id}"

    @property
    def client_text(self) -> str:
        return self.client.ip or "client"

    @property
    def source_seen(self) -> str:
        """The source address a backend sees: the client's, or the load balancer's own."""
        if self.preserves_client_ip:
            return self.client_text
        if self.preserves_client_ip is None:
            return f"{self.client_text} (if the server group keeps client addresses)"
        if self.alb is not None:
            return "an ALB address"
        if self.api is NLB:
            return f"the NLB's own address ({', '.join(self.nlb_local_ranges) or 'in its vSwitches'})"
        return f"a CLB address in {CLB_LOCAL_RANGE}"

    def arriving(self) -> Packet:
        port = self.listener.port if self.listener else self.client.port
        return Packet(f"{self.client_text}:*", f"{self.address}:{port}")

    def to_backend(self, backend: Backend) -> Packet:
        return Packet(f"{self.source_seen}:*", f"{backend.server_ip}:{backend.port}")

    def rewrite(self) -> str:
        """What the listener does to the client's packet on its way to a backend."""
        listener = self.listener
        if listener is None:
            return ""
        tls = f"TLS ends here (certificate {listener.certificate}); " if listener.terminates_tls else ""
        if listener.layer7:
            return (
                f"{tls}a new connection from {CLB_LOCAL_RANGE} to the backend; the client's address "
                "travels in X-Forwarded-For"
            )
        if self.preserves_client_ip is False:
            return f"{tls}a new connection from the load balancer's own address (client address lost)"
        return f"{tls}destination rewritten to the backend; the client's address is kept"
