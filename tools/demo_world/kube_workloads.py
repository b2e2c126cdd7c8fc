"""Nodes and Pods of the demo world, shaped as `kubectl get nodes|pods -A -o json` prints them.

Pods are Deployment replicas (owned by a ReplicaSet, with a pod-template-hash) or
DaemonSet replicas, each with containerPorts, Ready conditions and container statuses;
host-network Pods (the ingress controller, kube-proxy, Terway) have the node's IP.
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world import facts as f
from tools.demo_world.facts import later

Obj = dict[str, Any]


def metadata(kind: str, name: str, namespace: str | None, created: str, **extra: Any) -> Obj:
    meta: Obj = {
        "creationTimestamp": created,
        "name": name,
        "resourceVersion": f.resource_version(kind + name),
        "uid": f.uid(f"{kind} {namespace} {name}"),
    }
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update({k: v for k, v in extra.items() if v})
    return meta


def kube_list(items: list[Obj]) -> Obj:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def dump(obj: Any) -> str:
    """kubectl's JSON printer: four spaces, keys sorted (objects are unstructured maps)."""
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------------------- nodes
def node(n: f.Node) -> Obj:
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
        "alibabacloud.com/nodepool-id": "np" + f.hexid("nodepool default", 32),
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "ecs.g7.xlarge",
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": f.REGION,
        "failure-domain.beta.kubernetes.io/zone": f.ZONE,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "ecs.g7.xlarge",
        "topology.kubernetes.io/region": f.REGION,
        "topology.kubernetes.io/zone": f.ZONE,
    }
    created = later(f.CLUSTER_CREATED, 540 + int(n.ip.rsplit(".", 1)[1]))
    conditions = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata(
            "Node",
            n.name,
            None,
            created,
            labels=labels,
            annotations={
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        ),
        "spec": {"providerID": f"{f.REGION}.{n.instance_id}"},
        "status": {
            "addresses": [{"address": n.ip, "type": "InternalIP"}, {"address": n.name, "type": "Hostname"}],
            "allocatable": allocatable,
            "capacity": capacity,
            "conditions": [
                {
                    "lastHeartbeatTime": "2024-06-03T08:14:52Z",
                    "lastTransitionTime": later(created, 35),
                    "message": message,
                    "reason": reason,
                    "status": status,
                    "type": kind,
                }
                for kind, status, reason, message in conditions
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f.uid("boot " + n.ip),
                "containerRuntimeVersion": "containerd://1.6.34",
                "kernelVersion": "5.10.134-17.3.al8.x86_64",
                "kubeProxyVersion": f"v{f.K8S_VERSION}",
                "kubeletVersion": f"v{f.K8S_VERSION}",
                "machineID": f.hexid("machine " + n.ip, 32),
                "operatingSystem": "linux",
                "osImage": "Alibaba Cloud Linux 3.2104 U10 (OpenAnolis Edition)",
                "systemUUID": f.uid("system " + n.ip).upper(),
            },
        },
    }


# ------------------------------------------------------------------------------------------ pods
def pod_name(w: f.Workload, index: int) -> str:
    if w.kind == "DaemonSet":
        return f"{w.name}-{f.k8s_suffix(w.name + str(index))}"
    return f"{w.name}-{f.k8s_suffix(w.name, 10)}-{f.k8s_suffix(w.name + str(index))}"


def pod_uid(w: f.Workload, index: int) -> str:
    return f.uid(f"Pod {w.namespace} {pod_name(w, index)}")


def _container(w: f.Workload) -> Obj:
    c: Obj = {
        "image": w.image,
        "imagePullPolicy": "IfNotPresent",
        "name": w.container_name,
        "resources": {"requests": {"cpu": "100m", "memory": "70Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if w.ports:
        c["ports"] = [
            dict(
                {"containerPort": p.port, "name": p.name, "protocol": p.protocol},
                **({"hostPort": p.port} if w.host_network else {}),
            )
            for p in w.ports
        ]
    if w.name == "nginx-ingress-controller":
        c["args"] = [
            "/nginx-ingress-controller",
            "--configmap=$(POD_NAMESPACE)/nginx-configuration",
            "--ingress-class=nginx",
            "--publish-service=$(POD_NAMESPACE)/nginx-ingress-lb",
            "--annotations-prefix=nginx.ingress.kubernetes.io",
            "--enable-metrics=false",
            "--v=2",
        ]
        c["readinessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/healthz", "port": 10254, "scheme": "HTTP"},
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    elif w.ports and w.namespace == "app":
        c["readinessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"},
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    return c


def service_account_volume(name: str) -> Obj:
    """The projected token volume the API server adds to every Pod."""
    field = {"apiVersion": "v1", "fieldPath": "metadata.namespace"}
    namespace_file = {"fieldRef": field, "path": "namespace"}
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [namespace_file]}},
            ],
        },
    }


def pod(w: f.Workload, index: int) -> Obj:
    pod_ip, node_ip = w.replicas[index]
    name, started = pod_name(w, index), later(w.created, 20 + 7 * index)
    labels = dict(w.labels)
    if w.kind == "DaemonSet":
        owner = ("DaemonSet", w.name)
        labels.update(
            {"controller-revision-hash": f.k8s_suffix(w.name + " rev", 10), "pod-template-generation": "1"}
        )
    else:
        template_hash = f.k8s_suffix(w.name, 10)
        owner = ("ReplicaSet", f"{w.name}-{template_hash}")
        labels["pod-template-hash"] = template_hash
    container = _container(w)
    conditions = [
        (kind, later(started, delay))
        for kind, delay in [
            ("PodReadyToStartContainers", 3),
            ("Initialized", 0),
            ("Ready", 12),
            ("ContainersReady", 12),
            ("PodScheduled", 0),
        ]
    ]
    spec: Obj = {
        "containers": [container],
        "dnsPolicy": "ClusterFirstWithHostNet" if w.host_network else "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": f.NODE_BY_IP[node_ip].name,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}
            for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
        ],
    }
    if w.host_network:
        spec["hostNetwork"] = True
    token = f"kube-api-access-{f.k8s_suffix('token ' + name)}"
    container["volumeMounts"] = [
        {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": token, "readOnly": True}
    ]
    spec["volumes"] = [service_account_volume(token)]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata(
            "Pod",
            name,
            w.namespace,
            started,
            labels=labels,
            generateName=name.rsplit("-", 1)[0] + "-",
            ownerReferences=[
                {
                    "apiVersion": "apps/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": owner[0],
                    "name": owner[1],
                    "uid": f.uid(f"{owner[0]} {w.namespace} {owner[1]}"),
                }
            ],
        ),
        "spec": spec,
        "status": {
            "conditions": [
                {"lastProbeTime": None, "lastTransitionTime": at, "status": "True", "type": kind}
                for kind, at in conditions
            ],
            "containerStatuses": [
                {
                    "containerID": "containerd://" + f.hexid("container " + name, 64),
                    "image": w.image,
                    "imageID": w.image.rsplit(":", 1)[0] + "@sha256:" + f.hexid("image " + w.image, 64),
                    "lastState": {},
                    "name": container["name"],
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": later(started, 4)}},
                }
            ],
            "hostIP": node_ip,
            "hostIPs": [{"ip": node_ip}],
            "phase": "Running",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "qosClass": "Burstable",
            "startTime": started,
        },
    }


def all_pods() -> list[tuple[f.Workload, int, Obj]]:
    return [(w, i, pod(w, i)) for w in f.WORKLOADS for i in range(len(w.replicas))]
