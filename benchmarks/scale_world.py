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


LOAD_BALANCERS = ("203.0.113.10", "198.51.100.20")  # public-lb and private-lb of the healthy world


def add_hosts(target: Path, hosts: int) -> Path:
    """Give the first ``hosts`` bulk Services an Ingress host each (``h00000.bulk.abc.com``, on the two
    load balancers in turn): the Ingress object, its server block in every controller's nginx.conf
    and its public A record. The zone's Alidns records are left alone: such hosts share a wildcard
    record in real clusters, so Alidns has none of their own."""
    kube = json.loads((target / "kube" / "ingresses.json").read_text())
    public = json.loads((target / "dns" / "public.json").read_text())
    blocks = []
    confs = list(target.glob("pods/*/*/nginx.conf"))
    model = _server_block(confs[0].read_text(), "app1.qas.abc.com")
    for number in range(hosts):
        name, host = f"bulk-{number:05d}", f"h{number:05d}.bulk.abc.com"
        address = LOAD_BALANCERS[number % len(LOAD_BALANCERS)]
        backend = {"service": {"name": name, "port": {"number": 8080}}}
        paths = [{"path": "/", "pathType": "Prefix", "backend": backend}]
        kube["items"].append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": f"{name}-ingress", "namespace": "bulk", "uid": f"ing-{name}"},
                "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": paths}}]},
                "status": {"loadBalancer": {"ingress": [{"ip": address}]}},
            }
        )
        public.append({"name": f"{host}.", "type": "A", "ttl": 600, "value": address})
        block = model.replace("app1.qas.abc.com", host).replace('"app"', '"bulk"')
        block = block.replace("app-app1-service-8080", f"bulk-{name}-8080").replace("app1-service", name)
        blocks.append(block)
    (target / "kube" / "ingresses.json").write_text(json.dumps(kube))
    (target / "dns" / "public.json").write_text(json.dumps(public))
    for conf in confs:
        text = conf.read_text()
        cut = text.rindex("## end server")
        cut = text.index("\n", cut) + 1
        conf.write_text(text[:cut] + "".join(blocks) + text[cut:])
    return target


def _server_block(conf: str, host: str) -> str:
    start = conf.index(f"## start server {host}")
    start = conf.rindex("\n", 0, start) + 1
    end = conf.index("\n", conf.index(f"## end server {host}")) + 1
    return conf[start:end]
