"""Reading the built-in design worlds in tests: one stored world's files, joined the way steps join them.

``View`` opens a built-in world (an overlay reads through to its design world) and answers
the questions the consistency tests ask: a Kubernetes List's items, every item of a cloud
action's stored bodies, a node's address, which Pods are ready. It reads the stored files
only, never the generator, so a generator bug cannot hide behind itself.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import Any

from ackwb.demo import DESIGNS, WORLDS, demo_world_root
from ackwb.sources.world import World, load_world

Obj = dict[str, Any]
NEW_DESIGNS = [d for d in DESIGNS if d != "healthy"]
SERVICE_NAME = "kubernetes.io/service-name"
NGINX = "k8s.io/ingress-nginx"  # IngressClass spec.controller of ingress-nginx
ALB = "ingress.k8s.alibaba/alb"  # and of the ALB Ingress controller
LB_ID = "service.k8s.alibaba/loadbalancer-id"


class View:
    def __init__(self, name: str) -> None:
        self.name = name
        self.world: World = load_world(demo_world_root(name))
        self.files = self.world.files

    def json(self, relative: str) -> Any:
        found = self.files.json(relative)
        assert found is not None, f"{self.name} holds no {relative}"
        return found

    def items(self, resource: str) -> list[Obj]:
        return self.json(f"kube/{resource}.json")["items"]

    def bodies(self, folder: str) -> dict[str, Obj]:
        """Per-id bodies of one action: id → body."""
        return {
            n.removesuffix(".json"): self.json(f"cloud/{folder}/{n}")
            for n in self.files.names(f"cloud/{folder}")
        }

    def cloud(self, relative: str, *path: str) -> list[Obj]:
        body = self.files.json(f"cloud/{relative}")
        if body is None:
            return []
        for key in path:
            body = body[key]
        return list(body)

    @cached_property
    def meta(self) -> Obj:
        return self.world.meta

    @cached_property
    def node_ips(self) -> dict[str, str]:
        return {
            n["metadata"]["name"]: next(
                a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP"
            )
            for n in self.items("nodes")
        }

    @cached_property
    def instance_of(self) -> dict[str, str]:
        """Node name → ECS instance ID (from the provider ID)."""
        return {n["metadata"]["name"]: n["spec"]["providerID"].split(".", 1)[1] for n in self.items("nodes")}

    @cached_property
    def network(self) -> str:
        import json

        (detail,) = self.bodies("cs/DescribeClusterDetail").values()
        return json.loads(detail["meta_data"])["Capabilities"]["Network"]

    @cached_property
    def vpc_id(self) -> str:
        (detail,) = self.bodies("cs/DescribeClusterDetail").values()
        return str(detail["vpc_id"])

    @cached_property
    def enis(self) -> list[Obj]:
        return self.cloud("ecs/DescribeNetworkInterfaces.json", "NetworkInterfaceSets", "NetworkInterfaceSet")

    @cached_property
    def vswitches(self) -> dict[str, Obj]:
        return self.bodies("vpc/DescribeVSwitchAttributes")

    def services_with_lb(self) -> dict[str, Obj]:
        """Load balancer ID → the Service CCM bound to it."""
        return {
            s["metadata"]["labels"][LB_ID]: s
            for s in self.items("services")
            if LB_ID in s["metadata"].get("labels", {})
        }

    def ingresses_of(self, controller: str) -> list[Obj]:
        """The Ingresses whose IngressClass names ``controller`` (``NGINX`` or ``ALB``): only
        those does that controller serve."""
        listed = self.items("ingressclasses")
        classes = {c["metadata"]["name"] for c in listed if c["spec"]["controller"] == controller}
        return [i for i in self.items("ingresses") if i["spec"].get("ingressClassName") in classes]

    def albs(self) -> dict[str, Obj]:
        """ALB DNS name → its ``GetLoadBalancerAttribute`` answer (zone mappings with addresses)."""
        found = self.bodies("alb/GetLoadBalancerAttribute") if self.files.names("cloud/alb") else {}
        return {body["DNSName"]: body for body in found.values()}

    def controllers(self) -> list[Obj]:
        return [p for p in self.items("pods") if p["metadata"]["labels"].get("app") == "ingress-nginx"]

    def service_slices(self, namespace: str, name: str) -> list[Obj]:
        return [
            s
            for s in self.items("endpointslices")
            if s["metadata"]["namespace"] == namespace and s["metadata"]["labels"].get(SERVICE_NAME) == name
        ]

    def ready_endpoints(self, service: Obj, port_name: str) -> set[tuple[str, str, int]]:
        """(address, nodeName, target port) of the ready endpoints of one Service port."""
        found = set()
        for s in self.service_slices(service["metadata"]["namespace"], service["metadata"]["name"]):
            target = next(p["port"] for p in s["ports"] if p["name"] == port_name)
            for e in s.get("endpoints") or []:
                if e["conditions"].get("ready", True):
                    found |= {(a, e.get("nodeName", ""), target) for a in e["addresses"]}
        return found


def is_ready(pod: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])


def inside(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)


def scenarios_of(design: str) -> list[str]:
    return [name for name, w in WORLDS.items() if w.design == design and name != design]
