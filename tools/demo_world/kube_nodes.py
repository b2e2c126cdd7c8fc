"""Node objects of a design world, shaped as ``kubectl get nodes -o json`` prints them.

Every node is an ECS instance of the cluster's default node pool, Ready, with the labels
ACK and the cloud-controller-manager put on it (zone, region, instance type, node pool).
Under Flannel a node also carries its Pod CIDR (``spec.podCIDR``) and the annotations the
flannel daemon writes (backend ``ali-vpc``: the VPC routes Pod traffic, no overlay).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import ids
from tools.demo_world.design import K8S_VERSION, Design
from tools.demo_world.ids import NOW, REGION, later
from tools.demo_world.kube_meta import metadata
from tools.demo_world.model import Node

Obj = dict[str, Any]
CONDITIONS = [
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
]


def _annotations(d: Design, n: Node) -> dict[str, str]:
    notes = {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    if d.network == "flannel":
        notes.update(
            {
                "flannel.alpha.coreos.com/backend-data": "null",
                "flannel.alpha.coreos.com/backend-type": "ali-vpc",
                "flannel.alpha.coreos.com/kube-subnet-manager": "true",
                "flannel.alpha.coreos.com/public-ip": n.ip,
            }
        )
    return notes


def node(d: Design, n: Node) -> Obj:
    capacity = {
        "cpu": "4",
        "ephemeral-storage": "123722704Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "15824244Ki",
        "pods": "64",
    }
    allocatable = dict(capacity, cpu="3900m", memory="13208436Ki", **{"ephemeral-storage": "114022843818"})
    labels = {
        "alibabacloud.com/nodepool-id": d.nodepool_id,
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "ecs.g7.xlarge",
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": REGION,
        "failure-domain.beta.kubernetes.io/zone": n.zone,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "ecs.g7.xlarge",
        "topology.kubernetes.io/region": REGION,
        "topology.kubernetes.io/zone": n.zone,
        **dict(n.labels),
    }
    created = d.at(540 + int(n.ip.rsplit(".", 1)[1]))
    spec: Obj = {"providerID": f"{REGION}.{n.instance_id}"}
    if n.pod_cidr:
        spec.update({"podCIDR": n.pod_cidr, "podCIDRs": [n.pod_cidr]})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata("Node", n.name, None, created, labels=labels, annotations=_annotations(d, n)),
        "spec": spec,
        "status": {
            "addresses": [{"address": n.ip, "type": "InternalIP"}, {"address": n.name, "type": "Hostname"}],
            "allocatable": allocatable,
            "capacity": capacity,
            "conditions": [
                {
                    "lastHeartbeatTime": NOW,
                    "lastTransitionTime": later(created, 35),
                    "message": message,
                    "reason": reason,
                    "status": status,
                    "type": kind,
                }
                for kind, status, reason, message in CONDITIONS
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": ids.uid("boot " + n.ip),
                "containerRuntimeVersion": "containerd://1.6.34",
                "kernelVersion": "5.10.134-17.3.al8.x86_64",
                "kubeProxyVersion": f"v{K8S_VERSION}",
                "kubeletVersion": f"v{K8S_VERSION}",
                "machineID": ids.hexid("machine " + n.ip, 32),
                "operatingSystem": "linux",
                "osImage": "Alibaba Cloud Linux 3.2104 U10 (OpenAnolis Edition)",
                "systemUUID": ids.uid("system " + n.ip).upper(),
            },
        },
    }


def nodes(d: Design) -> list[Obj]:
    return [node(d, n) for n in sorted(d.nodes, key=lambda n: n.name)]
