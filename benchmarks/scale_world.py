"""Grow the demo world into a big cluster, for benchmarks that must not grow with it.

``build_scaled_world(target, services, pods_per_service)`` copies the healthy demo world and
adds ``services`` ClusterIP Services in namespace ``bulk``, each with ``pods_per_service``
ready Pods, their EndpointSlices, cluster DNS records, IPVS virtual servers on every node
and dynamic backends in the ingress controller. The demo's apps stay as they are, so a trace
of app1 must read the same amount whatever the size.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path

from ackwb.demo import demo_world_root

BULK_SERVICE_NET = ipaddress.ip_network("192.168.128.0/17")
BULK_POD_NET = ipaddress.ip_network("10.18.0.0/16")


def _pod(name: str, ip: str, node: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "bulk",
            "labels": {"app": name.rsplit("-", 1)[0]},
            "uid": name,
        },
        "spec": {
            "nodeName": node,
            "containers": [{"name": "app", "image": "app:1", "ports": [{"containerPort": 8080}]}],
        },
        "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]},
    }


def build_scaled_world(target: Path, services: int, pods_per_service: int) -> Path:
    shutil.copytree(str(demo_world_root()), target)
    kube = {
        name: json.loads((target / "kube" / f"{name}.json").read_text())
        for name in ("services", "pods", "endpointslices")
    }
    nodes = [n["metadata"]["name"] for n in json.loads((target / "kube" / "nodes.json").read_text())["items"]]
    cluster_dns = json.loads((target / "dns" / "cluster.json").read_text())
    vips = BULK_SERVICE_NET.hosts()
    pod_ips = BULK_POD_NET.hosts()
    ipvs_lines: list[str] = []
    backends: list[dict] = []
    for number in range(services):
        name, vip = f"bulk-{number:05d}", str(next(vips))
        kube["services"]["items"].append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "bulk", "uid": f"svc-{name}"},
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": vip,
                    "clusterIPs": [vip],
                    "selector": {"app": name},
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}],
                },
            }
        )
        endpoints = []
        ipvs_lines.append(f"TCP  {vip}:8080 rr")
        for replica in range(pods_per_service):
            ip, node, pod_name = str(next(pod_ips)), nodes[replica % len(nodes)], f"{name}-{replica}"
            kube["pods"]["items"].append(_pod(pod_name, ip, node))
            endpoints.append(
                {
                    "addresses": [ip],
                    "conditions": {"ready": True},
                    "nodeName": node,
                    "targetRef": {"kind": "Pod", "name": pod_name, "namespace": "bulk"},
                }
            )
            ipvs_lines.append(f"  -> {f'{ip}:8080':<28} {'Masq':<7} {1:<6} {0:<10} {0:<10}")
        kube["endpointslices"]["items"].append(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "addressType": "IPv4",
                "metadata": {
                    "name": f"{name}-abcde",
                    "namespace": "bulk",
                    "labels": {"kubernetes.io/service-name": name},
                },
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                "endpoints": endpoints,
            }
        )
        cluster_dns.append({"name": f"{name}.bulk.svc.cluster.local.", "type": "A", "ttl": 5, "value": vip})
        backends.append(
            {
                "name": f"bulk-{name}-8080",
                "port": 8080,
                "noServer": False,
                "endpoints": [{"address": e["addresses"][0], "port": "8080"} for e in endpoints],
            }
        )
    for name, data in kube.items():
        (target / "kube" / f"{name}.json").write_text(json.dumps(data))
    (target / "dns" / "cluster.json").write_text(json.dumps(cluster_dns))
    for listing in target.glob("nodes/*/ipvsadm.txt"):
        listing.write_text(listing.read_text() + "\n".join(ipvs_lines) + "\n")
    for file in target.glob("pods/*/*/backends.json"):
        file.write_text(json.dumps(json.loads(file.read_text()) + backends, indent=2))
    meta = json.loads((target / "world.json").read_text())
    meta.update(name=f"scaled-{services}", description=f"demo world with {services} extra Services")
    (target / "world.json").write_text(json.dumps(meta, indent=2))
    return target
