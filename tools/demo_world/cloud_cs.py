"""The CS (ACK) answer of a design world: ``DescribeClusterDetail`` in ROA snake_case.

``meta_data`` and ``master_url`` are JSON strings, as the API sends them. The network plugin
is ``Capabilities.Network``; ``container_cidr`` and ``node_cidr_mask`` are only set under
Flannel; ``proxy_mode`` is the mode chosen when the cluster was created (the nodes may run
another since, which is why traces read each node's own).
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world.design import K8S_VERSION, Design
from tools.demo_world.ids import REGION

Obj = dict[str, Any]


def cluster_detail(d: Design) -> Obj:
    proxy = d.cs_proxy_mode or d.proxy_mode
    mask = "24" if d.pod_cidr else ""
    meta = {
        "Capabilities": {
            "AnyAZ": True,
            "ConfigEncryption": True,
            "IngressLoadBalancer": True,
            "Network": d.network,
            "NodeCIDRMask": mask,
            "NodeDepends": True,
            "Nodepool": True,
            "ProxyMode": proxy,
        },
        "KubernetesVersion": K8S_VERSION,
        "ServiceCIDR": d.service_cidr,
        "VersionSafe": [],
        "ExtraSANs": [],
        "Timezone": "Asia/Shanghai",
        "VpcId": d.vpc_id,
    }
    master_url = {
        "api_server_endpoint": "",
        "intranet_api_server_endpoint": "https://{}:{}".format(*d.api_server),
    }
    node_vswitches = [v.id for v in d.node_vswitches]
    parameters = {
        "ProxyMode": proxy,
        "ServiceCIDR": d.service_cidr,
        "VpcId": d.vpc_id,
        "WorkerVSwitchIds": ",".join(node_vswitches),
    }
    pod_vswitches = [v.id for v in d.vswitches if v.id not in node_vswitches]
    if pod_vswitches:
        parameters["PodVswitchIds"] = ",".join(pod_vswitches)
    if d.pod_cidr:
        parameters.update({"ContainerCIDR": d.pod_cidr, "NodeCIDRMask": mask})
    detail = {
        "cluster_domain": "cluster.local",
        "cluster_id": d.cluster_id,
        "cluster_spec": "ack.pro.small",
        "cluster_type": "ManagedKubernetes",
        "container_cidr": d.pod_cidr,
        "created": d.local_time(d.created),
        "current_version": K8S_VERSION,
        "deletion_protection": True,
        "init_version": d.init_version,
        "ip_stack": "ipv4",
        "master_url": json.dumps(master_url),
        "meta_data": json.dumps(meta),
        "name": d.cluster_name,
        "network_mode": "vpc",
        "next_version": "",
        "parameters": parameters,
        "profile": "Default",
        "proxy_mode": proxy,
        "region_id": REGION,
        "resource_group_id": "",
        "security_group_id": d.node_sg.id,
        "service_cidr": d.service_cidr,
        "size": len(d.nodes),
        "state": "running",
        "tags": [{"key": "ack.aliyun.com", "value": d.cluster_id}],
        "timezone": "Asia/Shanghai",
        "updated": "2024-06-01T09:12:03+08:00",
        "vpc_id": d.vpc_id,
        "vswitch_ids": node_vswitches,
        "zone_id": d.zones[0],
    }
    if d.pod_cidr:
        detail["node_cidr_mask"] = mask
    return dict(sorted(detail.items()))  # the API's (alphabetical) order
