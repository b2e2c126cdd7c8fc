"""Read Kubernetes Service objects into the addresses kube-proxy programs for each port.

kube-proxy turns every Service port into several ways in: the ClusterIP(s), each
``externalIPs`` entry, each load-balancer ingress IP (``status.loadBalancer.ingress[].ip``)
and, for NodePort and LoadBalancer Services, the node port on node addresses. To say which
IPVS virtual server or which iptables rule stands for which Service, the kube-proxy readers
need that list. Input: Service objects as the API returns them (dicts), a List object
(``kubectl get svc -A -o json``), or that JSON as text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ackwb.errors import ParseError
from ackwb.parse.common import decode_json


@dataclass(frozen=True)
class ServicePortAddresses:
    namespace: str
    name: str
    port_name: str  # "" for an unnamed port
    protocol: str  # TCP, UDP, SCTP
    port: int
    node_port: int | None
    cluster_ips: tuple[str, ...]  # empty for headless ("None") and ExternalName Services
    external_ips: tuple[str, ...]
    load_balancer_ips: tuple[str, ...]
    local_traffic_policy: bool  # externalTrafficPolicy: Local
    session_affinity_seconds: int | None  # sessionAffinity: ClientIP

    @property
    def service_port_name(self) -> str:
        """kube-proxy's name for the port: "ns/svc:port", or "ns/svc" for an unnamed port."""
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port_name}" if self.port_name else base


def _field(value: Any, kind: type | tuple[type, ...], where: str, source: str, default: Any = None) -> Any:
    if value is None:
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ParseError(
            source, f"{where} is {json.dumps(value)[:60]}, expected {getattr(kind, '__name__', kind)}"
        )
    return value


def _strings(value: Any, where: str, source: str) -> tuple[str, ...]:
    items = _field(value, list, where, source, [])
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ParseError(source, f"{where}[{i}] is {json.dumps(item)[:60]}, expected an address")
    return tuple(items)


def _service(raw: Any, index: int, source: str) -> list[ServicePortAddresses]:
    if not isinstance(raw, Mapping):
        raise ParseError(source, f"Service [{index}] is not an object")
    meta = _field(raw.get("metadata"), Mapping, f"Service [{index}].metadata", source, {})
    name = _field(meta.get("name"), str, f"Service [{index}].metadata.name", source, "")
    namespace = _field(meta.get("namespace"), str, f"Service {name}.metadata.namespace", source, "default")
    where = f"Service {namespace}/{name}"
    spec = _field(raw.get("spec"), Mapping, f"{where}.spec", source, {})
    status = _field(raw.get("status"), Mapping, f"{where}.status", source, {})
    cluster_ips = _strings(spec.get("clusterIPs"), f"{where}.spec.clusterIPs", source)
    if not cluster_ips and spec.get("clusterIP"):
        cluster_ips = (_field(spec.get("clusterIP"), str, f"{where}.spec.clusterIP", source),)
    cluster_ips = tuple(ip for ip in cluster_ips if ip and ip != "None")
    balancer = _field(status.get("loadBalancer"), Mapping, f"{where}.status.loadBalancer", source, {})
    ingress = _field(balancer.get("ingress"), list, f"{where}.status.loadBalancer.ingress", source, [])
    lb_ips = tuple(
        _field(item.get("ip"), str, f"{where}.status.loadBalancer.ingress[{i}].ip", source)
        for i, item in enumerate(ingress)
        if isinstance(item, Mapping) and item.get("ip")
    )
    affinity = None
    if spec.get("sessionAffinity") == "ClientIP":
        config = _field(
            spec.get("sessionAffinityConfig"), Mapping, f"{where}.spec.sessionAffinityConfig", source, {}
        )
        client = _field(
            config.get("clientIP"), Mapping, f"{where}.spec.sessionAffinityConfig.clientIP", source, {}
        )
        affinity = _field(client.get("timeoutSeconds"), int, f"{where}...timeoutSeconds", source, 10800)
    ports = []
    for i, port in enumerate(_field(spec.get("ports"), list, f"{where}.spec.ports", source, [])):
        here = f"{where}.spec.ports[{i}]"
        if not isinstance(port, Mapping):
            raise ParseError(source, f"{here} is not an object")
        number = _field(port.get("port"), int, f"{here}.port", source)
        if number is None or not 0 < number < 65536:
            raise ParseError(source, f"{here}.port is missing or out of range")
        ports.append(
            ServicePortAddresses(
                namespace=namespace,
                name=name,
                port_name=_field(port.get("name"), str, f"{here}.name", source, ""),
                protocol=_field(port.get("protocol"), str, f"{here}.protocol", source, "TCP").upper(),
                port=number,
                node_port=_field(port.get("nodePort"), int, f"{here}.nodePort", source),
                cluster_ips=cluster_ips,
                external_ips=_strings(spec.get("externalIPs"), f"{where}.spec.externalIPs", source),
                load_balancer_ips=lb_ips,
                local_traffic_policy=spec.get("externalTrafficPolicy") == "Local",
                session_affinity_seconds=affinity,
            )
        )
    return ports


def service_ports(services: Any, source: str = "services") -> tuple[ServicePortAddresses, ...]:
    """Every port of every Service, with the addresses kube-proxy serves it on."""
    if isinstance(services, (str, bytes)):
        services = decode_json(services, source, "empty input: no Service JSON")
    if isinstance(services, Mapping):
        services = services.get("items") or [] if "items" in services else [services]
    if not isinstance(services, (list, tuple)):
        raise ParseError(source, f"expected a list of Services, got {type(services).__name__}")
    return tuple(port for i, raw in enumerate(services) for port in _service(raw, i, source))
