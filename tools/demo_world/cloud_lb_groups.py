"""The CLBs' vServer groups and backend health, as ``DescribeVServerGroups``,
``DescribeVServerGroupAttribute`` and ``DescribeHealthStatus`` answer.

One group per listener, named like its backends' ``Description``:
``k8s/<vgroupPort>/<svc>/<ns>/<clusterId>``, where vgroupPort is the targetPort for ENI
backends and the NodePort for ECS backends. ENI backends are the nodes running a
host-network Pod the Service selects (the controller's), or, with Terway exclusive ENI, the
Pods' own ENIs and IPs (an Envoy Gateway proxy's); ECS backends are node instances on
the NodePort, in the group order the design gives. Health follows the Service: with ``externalTrafficPolicy:
Local`` a node passes only when it runs a ready Pod the Service selects.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.cloud_ecs import pod_eni_id
from tools.demo_world.cloud_lb import backend_port
from tools.demo_world.design import Design
from tools.demo_world.ids import later
from tools.demo_world.model import LoadBalancer, Node

Obj = dict[str, Any]


def group_name(d: Design, lb: LoadBalancer, port: int) -> str:
    svc = d.lb_service(lb)
    return f"k8s/{backend_port(d, lb, port)}/{svc.name}/{svc.namespace}/{d.cluster_id}"


def backend_nodes(d: Design, lb: LoadBalancer) -> list[Node]:
    if d.lb_service(lb).backend_type == "ecs":
        return [d.node(ip) for ip in lb.backend_order] if lb.backend_order else list(d.nodes)
    return [d.node(node_ip) for _pod_ip, node_ip in d.lb_workload(lb).replicas]


def servers(d: Design, lb: LoadBalancer) -> list[tuple[str, str, Node]]:
    """(ServerId, ServerIp, node) of each backend: an ECS instance, a node's ENI (host-network Pods),
    or a Pod's own ENI (Terway exclusive ENI, Pods off the host network)."""
    if d.lb_service(lb).backend_type == "ecs":
        return [(n.instance_id, n.ip, n) for n in backend_nodes(d, lb)]
    workload = d.lb_workload(lb)
    if workload.host_network or d.network != "terway-eni":
        return [(n.primary_eni, n.ip, n) for n in backend_nodes(d, lb)]
    return [(pod_eni_id(d, pod_ip), pod_ip, d.node(node_ip)) for pod_ip, node_ip in workload.replicas]


def _groups_created(d: Design, lb: LoadBalancer) -> str:
    return lb.groups_created or later(d.lb_service(lb).created or d.created, 9)


def vserver_groups(d: Design, lb: LoadBalancer) -> Obj:
    groups = [
        {
            "AssociatedObjects": {
                "Listeners": {"Listener": [{"Port": port, "Protocol": protocol}]},
                "Rules": {"Rule": []},
            },
            "CreateTime": _groups_created(d, lb),
            "ServerCount": len(backend_nodes(d, lb)),
            "Tags": {"Tag": []},
            "VServerGroupId": lb.vserver_group_id(port),
            "VServerGroupName": group_name(d, lb, port),
        }
        for port, protocol in lb.protocols
    ]
    return {"RequestId": d.rid("groups " + lb.name), "VServerGroups": {"VServerGroup": groups}}


def _backend(d: Design, lb: LoadBalancer, port: int, server: tuple[str, str, Node]) -> Obj:
    ecs = d.lb_service(lb).backend_type == "ecs"
    return {
        "Description": group_name(d, lb, port),
        "Port": backend_port(d, lb, port),
        "ServerId": server[0],
        "ServerIp": server[1],
        "Type": "ecs" if ecs else "eni",
        "Weight": 100,
    }


def vserver_group_attribute(d: Design, lb: LoadBalancer, port: int) -> Obj:
    return {
        "BackendServers": {"BackendServer": [_backend(d, lb, port, x) for x in servers(d, lb)]},
        "CreateTime": _groups_created(d, lb),
        "LoadBalancerId": lb.id,
        "RequestId": d.rid(f"group {lb.name} {port}"),
        "Tags": {"Tag": []},
        "VServerGroupId": lb.vserver_group_id(port),
        "VServerGroupName": group_name(d, lb, port),
    }


def healthy(d: Design, lb: LoadBalancer, n: Node) -> bool:
    svc = d.lb_service(lb)
    local_ecs = svc.traffic_policy == "Local" and svc.backend_type == "ecs"
    return not local_ecs or n.ip in d.ready_nodes(d.lb_workload(lb))


def health_status(d: Design, lb: LoadBalancer) -> Obj:
    rows = [
        {
            "ListenerPort": port,
            "Port": backend_port(d, lb, port),
            "Protocol": protocol,
            "ServerHealthStatus": "normal" if healthy(d, lb, n) else "abnormal",
            "ServerId": server_id,
            "ServerIp": server_ip,
        }
        for port, protocol in lb.protocols
        for server_id, server_ip, n in servers(d, lb)
    ]
    return {"BackendServers": {"BackendServer": rows}, "RequestId": d.rid("health " + lb.name)}


def responses(d: Design) -> dict[str, Obj]:
    out: dict[str, Obj] = {}
    for lb in d.clbs:
        out[f"slb/DescribeVServerGroups/{lb.id}.json"] = vserver_groups(d, lb)
        out[f"slb/DescribeHealthStatus/{lb.id}.json"] = health_status(d, lb)
        for port in lb.ports:
            out[f"slb/DescribeVServerGroupAttribute/{lb.vserver_group_id(port)}.json"] = (
                vserver_group_attribute(d, lb, port)
            )
    return out
