"""Every file of one design world, as the generator writes it under ackwb/demo/worlds/<name>/.

``world.json`` names the world and the settings a trace needs (region, cluster, cluster
DNS, where the ingress controller runs); then the Kubernetes Lists, the OpenAPI bodies,
the DNS answers, the node command outputs and each ingress controller's nginx.conf and
dynamic backends, all built from the same ``Design``.
"""

from __future__ import annotations

import json

from tools.demo_world import cloud, kube, nginx, nginx_backends, node
from tools.demo_world.cloud_dns import cluster_dns, public_dns
from tools.demo_world.design import INGRESS_CONTAINER, INGRESS_LABELS, INGRESS_NAMESPACE, Design
from tools.demo_world.ids import REGION


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def world_files(d: Design) -> dict[str, str]:
    """Relative path → file content of a design world."""
    files: dict[str, str] = {}
    meta = {
        "name": d.name,
        "description": d.description,
        "region": REGION,
        "cluster_id": d.cluster_id,
        "cluster_domain": "cluster.local",
        "cluster_dns": d.cluster_dns,
        "ingress_controller": {
            "namespace": INGRESS_NAMESPACE,
            "label_selector": ",".join(f"{k}={v}" for k, v in INGRESS_LABELS.items()),
            "container": INGRESS_CONTAINER,
        },
    }
    files["world.json"] = _json(meta)
    lists = kube.resources(d)
    for resource, listing in lists.items():
        files[f"kube/{resource}.json"] = kube.dump(listing)
    for path, body in cloud.responses(d).items():
        files[f"cloud/{path}"] = _json(body)
    files["dns/public.json"] = json.dumps(public_dns(d), indent=2) + "\n"
    files["dns/cluster.json"] = json.dumps(cluster_dns(d), indent=2) + "\n"
    for path, text in node.outputs(d, lists["services"]["items"], lists["endpointslices"]["items"]).items():
        files[f"nodes/{path}"] = text
    pods = lists["pods"]["items"]
    conf, backends = nginx.nginx_conf(d), nginx_backends.backends_json(d, pods)
    for p in pods:
        if p["metadata"]["labels"].get("app") == "ingress-nginx":
            folder = f"pods/{p['metadata']['namespace']}/{p['metadata']['name']}"
            files[f"{folder}/nginx.conf"] = conf
            files[f"{folder}/backends.json"] = backends
    return files
