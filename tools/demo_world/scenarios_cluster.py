"""Broken scenarios inside the cluster and on the way out: Service, kube-proxy, Pod, egress.

Each function takes a ``Draft`` of the healthy world and makes one realistic change, with
what Kubernetes derives from it: a Pod that is not ready also changes its EndpointSlice
condition, the IPVS tables of every node and the ingress controller's dynamic backends.
``tools/demo_world/scenarios.py`` lists them with their descriptions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tools.demo_world import ids, node_rules
from tools.demo_world.designs import healthy as f
from tools.demo_world.draft import NOW, Draft, applied_service
from tools.demo_world.ids import later

Obj = dict[str, Any]
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"
STALE_POD_IP = "10.17.10.95"  # an app2 Pod IP from before the last rollout
STALE_APP1_POD_IP = "10.17.10.90"  # app1's Pod IP before the Pod was recreated
SICK_NODE = f.NODE_BY_IP["10.17.10.13"]


def _slice_changed(d: Draft, endpoint_slice: Obj, at: str) -> None:
    endpoint_slice["metadata"]["annotations"][TRIGGER] = at
    d.touched(endpoint_slice, "slice " + at)
    endpoint_slice["metadata"]["generation"] += 1


def _set_conditions(
    d: Draft, namespace: str, service: str, address: str, at: str, **conditions: bool
) -> None:
    endpoint_slice = d.slice_of(namespace, service)
    for endpoint in endpoint_slice["endpoints"]:
        if address in endpoint["addresses"]:
            endpoint["conditions"] = conditions
    _slice_changed(d, endpoint_slice, at)


def _pod_condition(pod: Obj, kind: str, status: str, at: str, reason: str = "", message: str = "") -> None:
    for condition in pod["status"]["conditions"]:
        if condition["type"] == kind:
            condition.update({"status": status, "lastTransitionTime": at})
            if reason:
                condition.update({"reason": reason, "message": message})


def _after_endpoints_change(d: Draft) -> None:
    """kube-proxy on every node and the ingress controllers follow the EndpointSlices."""
    d.refresh_node_tables()
    d.refresh_backends()


# --------------------------------------------------------------------------------------- service
def service_selector_typo(d: Draft) -> None:
    """app1-service was re-applied with selector app=app1-srvice, which no Pod carries."""
    service = d.get("services", "app1-service", "app")
    service["spec"]["selector"] = {"app": "app1-srvice"}
    d.reapplied(service, applied_service(service))
    d.touched(service, "selector")
    endpoint_slice = d.slice_of("app", "app1-service")
    endpoint_slice["endpoints"] = None  # the EndpointSlice controller writes an empty list as null
    _slice_changed(d, endpoint_slice, later(NOW, -600))
    _after_endpoints_change(d)


def service_target_port(d: Draft) -> None:
    """app2-service's targetPort was set to 80 (the old image's port); the Pods listen on 8080."""
    service = d.get("services", "app2-service", "app")
    service["spec"]["ports"][0]["targetPort"] = 80
    d.reapplied(service, applied_service(service))
    d.touched(service, "target port")
    endpoint_slice = d.slice_of("app", "app2-service")
    endpoint_slice["ports"][0]["port"] = 80
    _slice_changed(d, endpoint_slice, later(NOW, -900))
    _after_endpoints_change(d)


# ------------------------------------------------------------------------------------ kube-proxy
def _edit_ipvs_block(text: str, virtual_server: str, edit: Callable[[str], str]) -> str:
    """Apply ``edit`` to the real-server lines under one virtual server of ``ipvsadm -Ln``."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if not line.startswith("  ->"):
            inside = line.split()[:2] == virtual_server.split()
        elif inside:
            line = edit(line)
        out.append(line)
    return "".join(out)


def ipvs_stale_real_server(d: Draft) -> None:
    """kube-proxy on node 10.17.10.11 lost its API watch before app2's last rollout: IPVS still
    sends app2's ClusterIP to the old Pod IP 10.17.10.95 instead of 10.17.10.93."""
    service = f.SERVICE_BY_NAME[("app", "app2-service")]
    text = d.node_text("10.17.10.11", "ipvsadm.txt")
    fresh = _edit_ipvs_block(
        text, f"TCP {service.cluster_ip}:8080", lambda line: line.replace("10.17.10.93:", STALE_POD_IP + ":")
    )
    assert fresh != text, "the app2 real server to replace is not in the table"
    d.set_node_text("10.17.10.11", "ipvsadm.txt", fresh)


def ipvs_weight_zero(d: Draft) -> None:
    """An app2 Pod is being deleted and drains for up to an hour: its endpoint is terminating and
    IPVS keeps it with weight 0 while its connections finish; the other Pod serves."""
    for pod in d.items("pods"):
        if pod["metadata"]["name"].startswith("app2-service-"):
            pod["spec"]["terminationGracePeriodSeconds"] = 3600
    pod = next(p for p in d.items("pods") if p["status"]["podIP"] == "10.17.10.93")
    deleted = later(NOW, -300)
    pod["metadata"].update({"deletionGracePeriodSeconds": 3600, "deletionTimestamp": deleted})
    d.touched(pod, "deleting")
    _set_conditions(
        d, "app", "app2-service", "10.17.10.93", deleted, ready=False, serving=True, terminating=True
    )
    _after_endpoints_change(d)


def proxy_mode_differs(d: Draft) -> None:
    """kube-proxy on node 10.17.10.13 was restarted with a local config in iptables mode: it
    cleaned up IPVS and kube-ipvs0 there, while the other nodes run IPVS."""
    d.set_proxy_mode(SICK_NODE.ip, "iptables")


def iptables_stale_dnat(d: Draft) -> None:
    """kube-proxy on node 10.17.10.11 runs in iptables mode and lost its API watch before app1's
    Pod was recreated: its rules still DNAT app1's ClusterIP to the old Pod IP 10.17.10.90 (a
    stale KUBE-SEP chain) and have none for the current Pod 10.17.10.91."""
    controller_node = f.NODE_BY_IP["10.17.10.11"]
    d.set_proxy_mode(controller_node.ip, "iptables")
    seen = copy.deepcopy(d.items("endpointslices"))  # the EndpointSlices as kube-proxy last saw them
    (app1,) = [s for s in seen if s["metadata"]["labels"].get(node_rules.SERVICE_NAME) == "app1-service"]
    for endpoint in app1["endpoints"]:
        endpoint["addresses"] = [
            STALE_APP1_POD_IP if a == "10.17.10.91" else a for a in endpoint["addresses"]
        ]
    rules = node_rules.iptables_save(d.design, controller_node, d.items("services"), seen)
    assert STALE_APP1_POD_IP in rules, "app1's endpoint to make stale is not in the rules"
    d.set_node_text(controller_node.ip, "iptables-save.txt", rules)


# ------------------------------------------------------------------------------------------- pod
def pod_crashloop(d: Draft) -> None:
    """app1's Pod crashes at start-up (a bad config value): CrashLoopBackOff after 7 restarts."""
    pod = next(p for p in d.items("pods") if p["metadata"]["name"].startswith("app1-service-"))
    name, crashed = pod["metadata"]["name"], later(NOW, -200)
    message = "containers with unready status: [app1-service]"
    for kind in ("Ready", "ContainersReady"):
        _pod_condition(pod, kind, "False", later(NOW, -2400), "ContainersNotReady", message)
    status = pod["status"]["containerStatuses"][0]
    status.update(
        {
            "lastState": {
                "terminated": {
                    "containerID": "containerd://" + ids.hexid("crash " + name, 64),
                    "exitCode": 1,
                    "finishedAt": crashed,
                    "reason": "Error",
                    "startedAt": later(crashed, -3),
                }
            },
            "ready": False,
            "restartCount": 7,
            "started": False,
            "state": {
                "waiting": {
                    "message": f"back-off 5m0s restarting failed container=app1-service pod={name}_app"
                    f"({pod['metadata']['uid']})",
                    "reason": "CrashLoopBackOff",
                }
            },
        }
    )
    d.touched(pod, "crashloop")
    _set_conditions(
        d, "app", "app1-service", pod["status"]["podIP"], later(NOW, -2400),
        ready=False, serving=False, terminating=False,
    )  # fmt: skip
    _after_endpoints_change(d)


def node_not_ready(d: Draft) -> None:
    """The kubelet on node 10.17.10.13 stopped posting status: the node is NotReady (Unknown), its
    Pods are marked not ready and leave every Service's ready endpoints."""
    lost, heartbeat = later(NOW, -560), later(NOW, -600)
    node_obj = d.get("nodes", SICK_NODE.name)
    for condition in node_obj["status"]["conditions"]:
        condition.update(
            {
                "lastHeartbeatTime": heartbeat,
                "lastTransitionTime": lost,
                "message": "Kubelet stopped posting node status.",
                "reason": "NodeStatusUnknown",
                "status": "Unknown",
            }
        )
    node_obj["spec"]["taints"] = [
        {"effect": effect, "key": "node.kubernetes.io/unreachable", "timeAdded": lost}
        for effect in ("NoSchedule", "NoExecute")
    ]
    d.touched(node_obj, "unreachable")
    for pod in d.items("pods"):
        if pod["spec"]["nodeName"] == SICK_NODE.name:
            _pod_condition(pod, "Ready", "False", lost)
            d.touched(pod, "node lost")
            for endpoint_slice in d.items("endpointslices"):
                for endpoint in endpoint_slice.get("endpoints") or []:
                    if endpoint.get("targetRef", {}).get("name") == pod["metadata"]["name"]:
                        endpoint["conditions"] = {"ready": False, "serving": False, "terminating": False}
                        _slice_changed(d, endpoint_slice, lost)
    _after_endpoints_change(d)


# ---------------------------------------------------------------------------------------- egress
def egress_no_default_route(d: Draft) -> None:
    """The custom route 0.0.0.0/0 → NAT gateway was deleted from the vSwitch's route table."""
    table = d.cloud(f"vpc/DescribeRouteEntryList/{f.DESIGN.route_table_id}.json")
    entries = table["RouteEntrys"]["RouteEntry"]
    entries[:] = [e for e in entries if e["DestinationCidrBlock"] != "0.0.0.0/0"]
    table["TotalCount"] = len(entries)


def egress_snat_removed(d: Draft) -> None:
    """The SNAT entry of the vSwitch was deleted: the NAT gateway no longer translates Pod traffic."""
    table = d.cloud(f"vpc/DescribeSnatTableEntries/{f.DESIGN.snat_table_id}.json")
    table["SnatTableEntries"]["SnatTableEntry"] = []
    table["TotalCount"] = 0
    gateway = d.cloud("vpc/DescribeNatGateways.json")["NatGateways"]["NatGateway"][0]
    for ip in gateway["IpLists"]["IpList"]:
        ip["UsingStatus"] = "Idle"
