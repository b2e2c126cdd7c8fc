"""Cluster-level objects of a design world: Namespaces, NetworkPolicies, DaemonSets, ConfigMaps.

They say how the cluster is built: the network plugin's DaemonSet (``terway-eniip`` for
shared ENI, ``terway-eni`` for exclusive ENI, ``kube-flannel-ds``) beside ``kube-proxy-worker``,
the plugin's ConfigMap (``eni-config`` with ``disable_network_policy``, or
``kube-flannel-cfg`` with the Pod CIDR and the ``ali-vpc`` backend), the Namespaces with the
labels NetworkPolicies select on, and the policies themselves. Shapes are the API's.
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world.design import Design, NetworkPolicy
from tools.demo_world.kube_meta import by_key, last_applied, metadata
from tools.demo_world.kube_pods import _container
from tools.demo_world.model import Workload

Obj = dict[str, Any]
TERWAY_CNI = """{
  "cniVersion": "0.4.0",
  "name": "terway",
  "capabilities": {"bandwidth": true},
  "network_policy_provider": "ebpf",
  "type": "terway"
}
"""
FLANNEL_CNI = """{
  "name": "cb0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "isDefaultGateway": true,
        "hairpinMode": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      },
      "externalSetMarkChain": "KUBE-MARK-MASQ"
    }
  ]
}
"""


def namespaces(d: Design) -> list[Obj]:
    out = []
    for ns in sorted(d.namespaces, key=lambda n: n.name):
        labels = {"kubernetes.io/metadata.name": ns.name, **ns.labels}
        annotations = {}
        if ns.applied:
            applied = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"annotations": {}, "labels": dict(ns.labels), "name": ns.name},
            }
            annotations["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(applied)
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": metadata(
                    "Namespace", ns.name, None, ns.created, labels=labels, annotations=annotations
                ),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )
    return out


def _selector(labels: dict[str, str]) -> Obj:
    return {"matchLabels": dict(labels)} if labels else {}


def policy_spec(p: NetworkPolicy) -> Obj:
    spec: Obj = {"podSelector": _selector(p.pod_selector), "policyTypes": ["Ingress"]}
    if p.peers:
        peers = []
        for peer in p.peers:
            entry: Obj = {"ipBlock": {"cidr": peer.ip_block}} if peer.ip_block else {}
            if peer.namespaces is not None:
                entry["namespaceSelector"] = _selector(peer.namespaces)
            if peer.pods is not None:
                entry["podSelector"] = _selector(peer.pods)
            peers.append(entry)
        rule: Obj = {"from": peers}
        if p.ports:
            rule["ports"] = [{"port": port, "protocol": protocol} for protocol, port in p.ports]
        spec["ingress"] = [rule]
    return spec


def network_policy(d: Design, p: NetworkPolicy) -> Obj:
    spec = policy_spec(p)
    applied = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"annotations": {}, "name": p.name, "namespace": p.namespace},
        "spec": spec,
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(
            "NetworkPolicy",
            p.name,
            p.namespace,
            p.created or d.created,
            generation=1,
            annotations={"kubectl.kubernetes.io/last-applied-configuration": last_applied(applied)},
        ),
        "spec": spec,
    }


def daemon_set(d: Design, w: Workload, ready: int | None = None) -> Obj:
    count = len(w.replicas)
    ready = count if ready is None else ready
    template: Obj = {
        "containers": [_container(w)],
        "dnsPolicy": "ClusterFirstWithHostNet" if w.host_network else "ClusterFirst",
        "hostNetwork": w.host_network,
        "priorityClassName": "system-node-critical",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",  # as its Pods say
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [{"operator": "Exists"}],
    }
    if w.name == "kube-proxy-worker":  # ACK replaces kube-proxy Pods by hand, node by node
        strategy: Obj = {"type": "OnDelete"}
    else:
        strategy = {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": metadata(
            "DaemonSet",
            w.name,
            w.namespace,
            w.created or d.created,
            annotations={"deprecated.daemonset.template.generation": "1"},
            generation=1,
            labels=dict(w.labels),
        ),
        "spec": {
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(w.labels)},
            "template": {"metadata": {"creationTimestamp": None, "labels": dict(w.labels)}, "spec": template},
            "updateStrategy": strategy,
        },
        "status": {
            "currentNumberScheduled": count,
            "desiredNumberScheduled": count,
            "numberAvailable": ready,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "observedGeneration": 1,
            "updatedNumberScheduled": count,
        },
    }


def eni_conf(d: Design) -> str:
    """``eni_conf`` as ACK ships it: credentials come from the node's RAM role, so the keys are empty."""
    vswitches: dict[str, list[str]] = {}
    for n in d.nodes:
        vswitches.setdefault(n.zone, [])
        if n.eni_vswitch.id not in vswitches[n.zone]:
            vswitches[n.zone].append(n.eni_vswitch.id)
    group = d.pod_sg or d.node_sg
    lines = [
        '"version": "1"',
        '"max_pool_size": 5',
        '"min_pool_size": 0',
        '"access_key": ""',
        '"access_secret": ""',
        f'"vswitches": {json.dumps(vswitches, separators=(",", ":"))}',
        f'"eni_tags": {json.dumps({"ack.aliyun.com": d.cluster_id}, separators=(",", ":"))}',
        f'"service_cidr": "{d.service_cidr}"',
        f'"security_group": "{group.id}"',
        '"ip_stack": "ipv4"',
        '"vswitch_selection_policy": "ordered"',
    ]
    return "{\n" + ",\n".join("  " + line for line in lines) + "\n}\n"


def config_maps(d: Design) -> list[Obj]:
    if d.network == "flannel":
        net_conf = json.dumps({"Network": d.pod_cidr, "Backend": {"Type": "ali-vpc"}}, indent=2) + "\n"
        name, data, labels = (
            "kube-flannel-cfg",
            {"cni-conf.json": FLANNEL_CNI, "net-conf.json": net_conf},
            {
                "app": "flannel",
                "tier": "node",
            },
        )
    else:
        policy = "false" if d.enforce_policies else "true"
        name, labels = "eni-config", {}
        data = {"10-terway.conf": TERWAY_CNI, "disable_network_policy": policy, "eni_conf": eni_conf(d)}
    return [
        {
            "apiVersion": "v1",
            "data": data,
            "kind": "ConfigMap",
            "metadata": metadata("ConfigMap", name, "kube-system", d.created, labels=labels),
        }
    ]


def daemon_sets(d: Design) -> list[Obj]:
    return by_key([daemon_set(d, w) for w in d.workloads if w.kind == "DaemonSet"])


def network_policies(d: Design) -> list[Obj]:
    return by_key([network_policy(d, p) for p in d.policies])
