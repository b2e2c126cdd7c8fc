"""The reads step 3 makes before it follows any backend, made at once where they are independent.

The ENIs the backends name (by ID, or by address for backends that are Pod IPs), the ECS
instances behind them, the Node objects, the ingress controller Pods and the Service that
owns the load balancer (CCM labels it with the load balancer's ID) with its EndpointSlices.
Node objects are read without listing every node of a big cluster: ACK names a node
``<region>.<internal IP>``, so a backend's node is read by name and checked by its
``providerID``; only a backend that matches no node read that way makes the step list them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ackwb.errors import SourceError
from ackwb.sources import Sources
from ackwb.steps.common import attempt, cloud_items, dig, unwrap
from ackwb.steps.enis import enis_holding
from ackwb.steps.slb.checks import LB_ID_LABEL
from ackwb.steps.slb.records import Backend

Obj = dict[str, Any]
ENI_TYPES = ("eni", "ip", "eci")  # backends named by an address (CLB eni, NLB Eni / Ip / Eci)


@dataclass
class Seen:
    """Everything read about the backends, keyed for the branches."""

    enis: dict[str, Obj] = field(default_factory=dict)  # ENI ID → ENI
    enis_by_ip: dict[str, Obj] = field(default_factory=dict)  # backend address → the ENI holding it
    instances: dict[str, Obj] = field(default_factory=dict)  # instance ID → instance
    nodes: list[Obj] = field(default_factory=list)
    controllers: list[Obj] = field(default_factory=list)  # the ingress controller Pods
    controllers_error: SourceError | None = None  # why they could not be listed
    service: Obj | None = None  # the Service that owns the load balancer
    slices: list[Obj] = field(default_factory=list)  # its EndpointSlices


def read_all(sources: Sources, lb_id: str, backends: list[Backend]) -> Seen:
    """Raises ``SourceError`` when the ENIs, instances or Nodes cannot be read; the controller Pods
    and the owning Service are best effort (their steps say when they could not be read)."""
    settings = sources.settings
    eni_ids = sorted({b.server_id for b in backends if b.type == "eni" and b.server_id.startswith("eni-")})
    addressed = sorted({b.server_ip for b in backends if b.type in ENI_TYPES and b.server_ip})
    enis, by_ip, controllers, owner = sources.gather(
        [
            lambda: _enis(sources, eni_ids),
            lambda: enis_holding(sources, addressed),
            attempt(lambda: sources.kube.list("pods", settings.ingress_namespace, settings.ingress_selector)),
            attempt(lambda: sources.kube.list("services", label_selector=f"{LB_ID_LABEL}={lb_id}")),
        ]
    )
    seen = Seen(enis=enis, enis_by_ip=by_ip)
    if isinstance(controllers, SourceError):
        seen.controllers_error = controllers
    else:
        seen.controllers = unwrap(controllers)
    services = [] if isinstance(owner, Exception) else unwrap(owner)
    seen.service = services[0] if services else None
    instance_ids = {b.server_id for b in backends if b.type == "ecs"}
    instance_ids |= {e["InstanceId"] for e in [*enis.values(), *by_ip.values()] if e.get("InstanceId")}
    seen.instances = _instances(sources, sorted(instance_ids))
    seen.nodes = _nodes(sources, seen)
    if seen.service is not None:
        meta = seen.service.get("metadata") or {}
        selector = f"kubernetes.io/service-name={meta.get('name', '')}"
        answer = attempt(lambda: sources.kube.list("endpointslices", meta.get("namespace"), selector))()
        seen.slices = [] if isinstance(answer, Exception) else answer
    return seen


def read_nodes_of(sources: Sources, seen: Seen, instance_ids: list[str]) -> None:
    """The ECS instances named by ID (an ALB Instance group's Ecs servers) and their Nodes, into
    ``seen``. Raises ``SourceError`` when they cannot be read."""
    seen.instances = _instances(sources, sorted(set(instance_ids)))
    seen.nodes = _nodes(sources, seen)


def _enis(sources: Sources, eni_ids: list[str]) -> dict[str, Obj]:
    if not eni_ids:
        return {}
    params: dict[str, Any] = {"RegionId": sources.settings.region, "MaxResults": 100}
    params.update({f"NetworkInterfaceId.{i}": eni for i, eni in enumerate(eni_ids, start=1)})
    items = cloud_items(
        sources, "ecs", "DescribeNetworkInterfaces", params, "NetworkInterfaceSets", "NetworkInterfaceSet"
    )
    return {item["NetworkInterfaceId"]: item for item in items}


def _instances(sources: Sources, instance_ids: list[str]) -> dict[str, Obj]:
    if not instance_ids:
        return {}
    params = {"RegionId": sources.settings.region, "InstanceIds": json.dumps(instance_ids), "MaxResults": 100}
    items = cloud_items(sources, "ecs", "DescribeInstances", params, "Instances", "Instance")
    return {item["InstanceId"]: item for item in items}


def instance_ips(instance: Obj) -> list[str]:
    return [str(ip) for ip in dig(instance, "VpcAttributes", "PrivateIpAddress", "IpAddress") or []]


def _nodes(sources: Sources, seen: Seen) -> list[Obj]:
    """The Nodes of the controller Pods and of the instances, read by name; every Node when one of
    the instances is none of them."""
    region = sources.settings.region
    names = {dig(p, "spec", "nodeName") for p in seen.controllers if dig(p, "spec", "nodeName")}
    names |= {f"{region}.{ip}" for i in seen.instances.values() for ip in instance_ips(i)[:1]}
    reads = [attempt(lambda name=name: sources.kube.get("nodes", name)) for name in sorted(names)]
    nodes = [n for n in sources.gather(reads) if isinstance(n, dict)]
    if all(node_of(instance_id, "", nodes) for instance_id in seen.instances):
        return nodes
    return sources.kube.list("nodes")


def node_of(instance_id: str, ip: str, nodes: list[Obj]) -> Obj | None:
    """The Node whose providerID ends with the instance ID, or that has the address."""
    for node in nodes:
        provider = dig(node, "spec", "providerID") or ""
        addresses = {a.get("address") for a in dig(node, "status", "addresses") or []}
        if (instance_id and provider.endswith(instance_id)) or (ip and ip in addresses):
            return node
    return None
