"""The CLBs' vServer groups and backend health, as ``DescribeVServerGroups``,
``DescribeVServerGroupAttribute`` and ``DescribeHealthStatus`` answer.

One group per listener, named like its backends' ``Description``:
``k8s/<vgroupPort>/<svc>/<ns>/<clusterId>``, where vgroupPort is the targetPort for ENI
backends and the NodePort for ECS backends. ENI backends are the nodes running a
host-network Pod the Service selects (the controller's); ECS backends are node instances on
the NodePort, in the group order the design gives. Health follows the Service: with ``externalTrafficPolicy:
Local`` a node passes only when it runs a ready Pod the Service selects.
"""

from __future__ import annotations

from typing import Any

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


def _backend(d: Design, lb: LoadBalancer, port: int, n: Node) -> Obj:
    ecs = d.lb_service(lb).backend_type == "ecs"
    return {
        "Description": group_name(d, lb, port),
        "Port": backend_port(d, lb, port),
        "ServerId": n.instance_id if ecs else n.primary_eni,
        "ServerIp": n.ip,
        "Type": "ecs" if ecs else "eni",
        "Weight": 100,
    }


def vserver_group_attribute(d: Design, lb: LoadBalancer, port: int) -> Obj:
    return {
        "BackendServers": {"BackendServer": [_backend(d, lb, port, n) for n in backend_nodes(d, lb)]},
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
            "ServerId": n.instance_id if d.lb_service(lb).backend_type == "ecs" else n.primary_eni,
            "ServerIp": n.ip,
        }
        for port, protocol in lb.protocols
        for n in backend_nodes(d, lb)
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
