"""Build a big world for tests: the demo world with many more hosts, each a consistent copy of app1.

Every artefact that mentions app1 is cloned per new host, with its names and addresses
rewritten: the Ingress, Service, EndpointSlice and Pod objects, the public and cluster
DNS records, the Alidns record, the nginx.conf server block and the dynamic backend of
both controller pods, the Pod IP on its ENI, and the IPVS virtual service and its
kube-ipvs0 address on every node. The new hosts are spread over several namespaces and
both load balancers, so the result reads like a real cluster that grew.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ackwb.demo import demo_world_root

NAMESPACES = ("shop", "billing", "search", "media", "ops")
# app1 as it is in the demo world: the template of every new host.
TEMPLATE_NAME = "app1-service"
TEMPLATE_HOST = "app1.qas.abc.com"
TEMPLATE_RR = "app1.qas"
TEMPLATE_NAMESPACE = "app"
TEMPLATE_CLUSTER_IP = "192.168.195.85"
TEMPLATE_POD_IP = "10.17.10.91"
PUBLIC_LB_IP, PRIVATE_LB_IP = "203.0.113.10", "198.51.100.20"
DEMO_DOMAINS = sorted(
    {
        rule["host"]
        for ingress in json.loads(demo_world_root().joinpath("kube", "ingresses.json").read_text())["items"]
        for rule in ingress["spec"]["rules"]
    }
)


@dataclass(frozen=True)
class Host:
    """One generated host and everything that names it."""

    number: int
    namespace: str
    on_private_lb: bool

    @property
    def name(self) -> str:
        return f"web{self.number:02d}"

    @property
    def domain(self) -> str:
        return f"{self.name}.qas.abc.com"

    @property
    def cluster_ip(self) -> str:
        return f"192.168.200.{self.number + 1}"

    @property
    def pod_ip(self) -> str:
        return f"10.17.10.{20 + self.number}"  # free addresses of the demo vSwitch

    def rewrite(self, text: str) -> str:
        """``text`` (from an app1 artefact) about this host instead."""
        pairs = [
            (f"{TEMPLATE_NAMESPACE}-{TEMPLATE_NAME}", f"{self.namespace}-{self.name}"),  # nginx upstream
            (f"{TEMPLATE_NAME}.{TEMPLATE_NAMESPACE}.svc", f"{self.name}.{self.namespace}.svc"),
            (TEMPLATE_HOST, self.domain),
            (TEMPLATE_RR, f"{self.name}.qas"),
            (TEMPLATE_NAME, self.name),
            (TEMPLATE_CLUSTER_IP, self.cluster_ip),
            (TEMPLATE_POD_IP, self.pod_ip),
            (f'"namespace":"{TEMPLATE_NAMESPACE}"', f'"namespace":"{self.namespace}"'),
        ]
        if self.on_private_lb:
            pairs.append((PUBLIC_LB_IP, PRIVATE_LB_IP))
        for old, new in pairs:
            text = text.replace(old, new)
        return re.sub(r'(set \$namespace\s+)"app";', rf'\1"{self.namespace}";', text)

    def rewrite_json(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.rewrite_json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite_json(v) for v in value]
        if isinstance(value, str):
            return (
                self.namespace if key == "namespace" and value == TEMPLATE_NAMESPACE else self.rewrite(value)
            )
        return value


def build_big_world(root: Path, domains: int = 50) -> list[str]:
    """Write a world with ``domains`` hosts (the demo's own plus generated ones) at ``root``.

    Returns the generated domains.
    """
    shutil.copytree(str(demo_world_root()), root)
    hosts = [
        Host(number, NAMESPACES[number % len(NAMESPACES)], on_private_lb=number % 4 == 3)
        for number in range(domains - len(DEMO_DOMAINS))
    ]
    for resource in ("ingresses", "services", "endpointslices", "pods"):
        _clone_in(root / "kube" / f"{resource}.json", hosts, lambda d: d["items"], _names_template)
    for zone in ("public", "cluster"):
        _clone_in(root / "dns" / f"{zone}.json", hosts, lambda d: d, lambda r: r["name"].startswith("app1"))
    _clone_in(
        root / "cloud" / "alidns" / "DescribeDomainRecords" / "abc.com.json",
        hosts,
        lambda d: d["DomainRecords"]["Record"],
        lambda r: r["RR"] == TEMPLATE_RR,
    )
    for ecs in (root / "cloud" / "ecs").glob("*.json"):
        _add_pod_ips(ecs, hosts)
    for controller in (root / "pods").glob("*/*"):
        _clone_in(
            controller / "backends.json",
            hosts,
            lambda d: d,
            lambda b: b["name"] == f"{TEMPLATE_NAMESPACE}-{TEMPLATE_NAME}-8080",
        )
        _clone_server_block(controller / "nginx.conf", hosts)
    for node in (root / "nodes").iterdir():
        _clone_lines(node / "ipvsadm.txt", hosts, ipvs_block=True)
        _clone_lines(node / "ip-addr.txt", hosts, ipvs_block=False)
    return [h.domain for h in hosts]


def _names_template(item: dict[str, Any]) -> bool:
    return item["metadata"]["name"].startswith(TEMPLATE_NAME)


def _clone_in(
    path: Path,
    hosts: list[Host],
    listing: Callable[[Any], list[Any]],
    is_template: Callable[[Any], bool],
) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = listing(data)
    templates = [item for item in items if is_template(item)]
    assert templates, f"{path}: no app1 artefact to copy"
    items.extend(host.rewrite_json(item) for host in hosts for item in templates)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _add_pod_ips(path: Path, hosts: list[Host]) -> None:
    """Every ``PrivateIpSet`` entry holding app1's Pod IP gets a sibling per new Pod IP."""
    data = json.loads(path.read_text(encoding="utf-8"))

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in list(value):
                walk(inner)
            if any(isinstance(v, dict) and v.get("PrivateIpAddress") == TEMPLATE_POD_IP for v in value):
                value.extend({"Primary": False, "PrivateIpAddress": h.pod_ip} for h in hosts)

    walk(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _clone_server_block(path: Path, hosts: list[Host]) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\t## start server {TEMPLATE_HOST}\n")
    end_marker = f"\t## end server {TEMPLATE_HOST}\n"
    end = text.index(end_marker) + len(end_marker)
    block = text[start:end]
    copies = "".join("\n" + host.rewrite(block) for host in hosts)
    path.write_text(text[:end] + copies + text[end:], encoding="utf-8")


def _clone_lines(path: Path, hosts: list[Host], ipvs_block: bool) -> None:
    """Copy app1's lines: the IPVS virtual service with its real servers, or the kube-ipvs0 address."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if TEMPLATE_CLUSTER_IP in line)
    stop = index + 1
    if ipvs_block:
        while stop < len(lines) and lines[stop].startswith("  ->"):
            stop += 1
    block = "".join(lines[index:stop])
    copies = [host.rewrite(block) for host in hosts]
    path.write_text("".join(lines[:stop] + copies + lines[stop:]), encoding="utf-8")
