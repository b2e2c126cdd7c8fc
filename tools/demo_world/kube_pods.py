"""Pods of a design world, shaped as ``kubectl get pods -A -o json`` prints them.

Pods are Deployment replicas (owned by a ReplicaSet, with a pod-template-hash) or DaemonSet
replicas, each with containerPorts, Ready conditions and container statuses; host-network
Pods have the node's IP. A replica listed in ``Workload.not_ready`` runs but fails its
readiness probe: Ready and ContainersReady are False and its container has restarted.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import ids
from tools.demo_world.design import Design
from tools.demo_world.ids import NOW, later
from tools.demo_world.kube_meta import by_key, metadata
from tools.demo_world.model import Workload

Obj = dict[str, Any]
UNREADY_SINCE = later(NOW, -1260)  # when the failing readiness probes turned those Pods not ready


def _seed(w: Workload, prefix: str = "") -> str:
    """What a Deployment's pod-template-hash and its Pods' suffixes derive from."""
    return prefix + (w.name if w.revision == 1 else f"{w.name} revision {w.revision}")


def pod_name(w: Workload, index: int, prefix: str = "") -> str:
    """``prefix``: the design's seed prefix, so that each world names its Pods differently."""
    if w.kind == "DaemonSet":
        return f"{w.name}-{ids.k8s_suffix(prefix + w.name + str(index))}"
    seed = _seed(w, prefix)
    return f"{w.name}-{ids.k8s_suffix(seed, 10)}-{ids.k8s_suffix(seed + str(index))}"


def _probe(path: str, port: int) -> Obj:
    return {
        "failureThreshold": 3,
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }


def _tcp_probe(port: int) -> Obj:
    return {
        "failureThreshold": 3,
        "periodSeconds": 10,
        "successThreshold": 1,
        "tcpSocket": {"port": port},
        "timeoutSeconds": 1,
    }


def _container(w: Workload) -> Obj:
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
        c["readinessProbe"] = _probe("/healthz", 10254)
    elif w.ports and w.namespace != "kube-system":
        port = w.ports[0].port  # an HTTP app answers /ready on 8080; others are probed by a TCP connect
        c["readinessProbe"] = _probe("/ready", 8080) if port == 8080 else _tcp_probe(port)
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


def _owner(w: Workload, labels: dict[str, str], prefix: str) -> tuple[str, str]:
    if w.kind == "DaemonSet":
        revision = ids.k8s_suffix(prefix + w.name + " rev", 10)
        labels.update({"controller-revision-hash": revision, "pod-template-generation": "1"})
        return "DaemonSet", w.name
    template_hash = ids.k8s_suffix(_seed(w, prefix), 10)
    labels["pod-template-hash"] = template_hash
    return "ReplicaSet", f"{w.name}-{template_hash}"


def _status(w: Workload, index: int, name: str, started: str, container: str) -> Obj:
    pod_ip, node_ip = w.replicas[index]
    ready = index not in w.not_ready
    conditions = []
    for kind, delay in [
        ("PodReadyToStartContainers", 3),
        ("Initialized", 0),
        ("Ready", 12),
        ("ContainersReady", 12),
        ("PodScheduled", 0),
    ]:
        condition: Obj = {
            "lastProbeTime": None,
            "lastTransitionTime": later(started, delay),
            "status": "True",
        }
        if not ready and kind in ("Ready", "ContainersReady"):
            condition.update(
                lastTransitionTime=UNREADY_SINCE,
                message=f"containers with unready status: [{container}]",
                reason="ContainersNotReady",
                status="False",
            )
        conditions.append(dict(condition, type=kind))
    state: Obj = {
        "containerID": "containerd://" + ids.hexid("container " + name, 64),
        "image": w.image,
        "imageID": w.image.rsplit(":", 1)[0] + "@sha256:" + ids.hexid("image " + w.image, 64),
        "lastState": {},
        "name": container,
        "ready": ready,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": later(started, 4)}},
    }
    if not ready:  # the liveness probe restarted it too; it runs again, still failing readiness
        restarted = later(UNREADY_SINCE, 420)
        state.update(
            lastState={
                "terminated": {
                    "containerID": "containerd://" + ids.hexid("before restart " + name, 64),
                    "exitCode": 143,
                    "finishedAt": restarted,
                    "reason": "Error",
                    "startedAt": later(started, 4),
                }
            },
            restartCount=3,
            state={"running": {"startedAt": later(restarted, 1)}},
        )
    return {
        "conditions": conditions,
        "containerStatuses": [state],
        "hostIP": node_ip,
        "hostIPs": [{"ip": node_ip}],
        "phase": "Running",
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "qosClass": "Burstable",
        "startTime": started,
    }


def pod(d: Design, w: Workload, index: int) -> Obj:
    _pod_ip, node_ip = w.replicas[index]
    name, started = pod_name(w, index, d.seed_prefix), later(w.created or d.created, 20 + 7 * index)
    labels = dict(w.labels)
    owner = _owner(w, labels, d.seed_prefix)
    container = _container(w)
    spec: Obj = {
        "containers": [container],
        "dnsPolicy": "ClusterFirstWithHostNet" if w.host_network else "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": d.node(node_ip).name,
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
    if w.node_selector:
        spec["nodeSelector"] = dict(w.node_selector)
    token = f"kube-api-access-{ids.k8s_suffix('token ' + name)}"
    container["volumeMounts"] = [
        {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": token, "readOnly": True}
    ]
    spec["volumes"] = [service_account_volume(token)]
    reference = {
        "apiVersion": "apps/v1",
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": owner[0],
        "name": owner[1],
        "uid": ids.uid(f"{owner[0]} {w.namespace} {owner[1]}"),
    }
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
            ownerReferences=[reference],
        ),
        "spec": spec,
        "status": _status(w, index, name, started, container["name"]),
    }


def all_pods(d: Design) -> list[tuple[Workload, int, Obj]]:
    return [(w, i, pod(d, w, i)) for w in d.workloads for i in range(len(w.replicas))]


def pods(d: Design) -> list[Obj]:
    return by_key([p for _w, _i, p in all_pods(d)])
