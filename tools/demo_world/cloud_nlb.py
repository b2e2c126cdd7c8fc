"""NLB and NLB security-group response bodies of a design world (their EIPs: cloud_vpc).

An NLB is what ACK's cloud-controller-manager creates for a LoadBalancer Service with
``loadBalancerClass: alibabacloud.com/nlb``: one zone mapping per vSwitch of the
``zone-maps`` annotation (an EIP in front of a private address), TCP listeners per Service
port, one server group per port, and a security group that lets everyone in on the
listener ports. Server groups of type Instance hold the ENIs of the nodes running a
host-network controller Pod; groups of type Ip hold the controller Pod IPs themselves.
NLB bodies use plain arrays (no plural/singular wrappers); the security group is ECS's
RPC shape. Descriptions follow the CLB naming of CCM,
``k8s/<port>/<svc>/<ns>/<clusterId>`` (UNCONFIRMED for NLB).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.cloud_sg import rule_body
from tools.demo_world.design import Design, SgRule
from tools.demo_world.ids import ACCOUNT_ID, REGION, ali_id, later, resource_group, uid
from tools.demo_world.model import NetworkLoadBalancer

Obj = dict[str, Any]
RESOURCE_GROUP = resource_group()


def _description(d: Design, nlb: NetworkLoadBalancer, port: int) -> str:
    svc = d.lb_service(nlb)
    return f"k8s/{port}/{svc.name}/{svc.namespace}/{d.cluster_id}"


def _created(d: Design, nlb: NetworkLoadBalancer, seconds: int) -> str:
    return later(d.lb_service(nlb).created or d.created, seconds)


def _ports(d: Design, nlb: NetworkLoadBalancer) -> list[int]:
    return [p.port for p in d.lb_service(nlb).ports]


def _seed(d: Design, nlb: NetworkLoadBalancer, text: str) -> str:
    """Request ID seeds: the healthy world's single NLB keeps its historical ones."""
    return d.rid(text if nlb.name == "public-nlb" else f"{text} {nlb.name}")


def load_balancer(d: Design, nlb: NetworkLoadBalancer) -> Obj:
    svc = d.lb_service(nlb)
    svc_uid = uid(f"Service {svc.namespace} {svc.name}")
    zones = [
        {
            "LoadBalancerAddresses": [
                {
                    "AllocationId": z.eip_id,
                    "EniId": z.eni_id,
                    "PrivateIPv4Address": z.private_ip,
                    "PrivateIPv4HcStatus": "Healthy",
                    "PublicIPv4Address": z.public_ip,
                }
            ],
            "Status": "Active",
            "VSwitchId": z.vswitch_id,
            "ZoneId": z.zone,
        }
        for z in nlb.zones
    ]
    return {
        "AddressIpVersion": "ipv4",
        "AddressType": "Internet",
        "BandwidthPackageId": "",
        "CreateTime": _created(d, nlb, 6),
        "CrossZoneEnabled": True,
        "DNSName": nlb.dns_name,
        "DeletionProtectionConfig": {"Enabled": False},
        "Ipv6AddressType": "",
        "LoadBalancerBillingConfig": {"PayType": "PostPay"},
        "LoadBalancerBusinessStatus": "Normal",
        "LoadBalancerId": nlb.id,
        "LoadBalancerName": nlb.name,
        "LoadBalancerStatus": "Active",
        "LoadBalancerType": "Network",
        "ModificationProtectionConfig": {"Reason": "managed by ACK", "Status": "ConsoleProtection"},
        "OperationLocks": [],
        "RegionId": REGION,
        "ResourceGroupId": RESOURCE_GROUP,
        "SecurityGroupIds": [nlb.security_group_id],
        "Tags": [
            {"Key": "ack.aliyun.com", "Value": d.cluster_id},
            {"Key": "kubernetes.do.not.delete", "Value": ("a" + svc_uid.replace("-", ""))[:32]},
        ],
        "VpcId": d.vpc_id,
        "ZoneMappings": zones,
    }


def load_balancers(d: Design) -> Obj:
    items = [load_balancer(d, nlb) for nlb in d.nlbs]
    return {
        "LoadBalancers": items,
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": d.rid("nlbs"),
        "TotalCount": len(items),
    }


def listeners(d: Design) -> Obj:
    items = [
        {
            "Cps": 0,
            "IdleTimeout": 900,
            "ListenerDescription": _description(d, nlb, port),
            "ListenerId": nlb.listener_id(port),
            "ListenerPort": port,
            "ListenerProtocol": "TCP",
            "ListenerStatus": "Running",
            "LoadBalancerId": nlb.id,
            "Mss": 0,
            "ProxyProtocolEnabled": False,
            "RegionId": REGION,
            "SecSensorEnabled": False,
            "ServerGroupId": nlb.server_group_id(port),
            "Tags": [],
        }
        for nlb in d.nlbs
        for port in _ports(d, nlb)
    ]
    return {
        "Listeners": items,
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": d.rid("nlb listeners"),
        "TotalCount": len(items),
    }


def _servers(d: Design, nlb: NetworkLoadBalancer, port: int) -> list[Obj]:
    svc = d.lb_service(nlb)
    target = next(p.target_port for p in svc.ports if p.port == port)
    rows = []
    for pod_ip, node_ip in nlb.servers or d.lb_workload(nlb).replicas:
        n = d.node(node_ip)
        if nlb.server_group_type == "Ip":  # the controller Pod itself, by its IP
            server = {"ServerId": pod_ip, "ServerIp": pod_ip, "ServerType": "Ip"}
        else:  # backend-type eni + hostNetwork controller pods: the node's primary ENI and IP
            server = {"ServerId": n.primary_eni, "ServerIp": n.ip, "ServerType": "Eni"}
        rows.append(
            {
                "Description": _description(d, nlb, port),
                "Port": target,
                "ServerGroupId": nlb.server_group_id(port),
                **server,
                "Status": "Available",
                "Weight": 100,
                "ZoneId": n.zone,
            }
        )
    return rows


def server_group_servers(d: Design, nlb: NetworkLoadBalancer, port: int) -> Obj:
    servers = _servers(d, nlb, port)
    return {
        "MaxResults": 20,
        "NextToken": "",
        "RequestId": _seed(d, nlb, f"nlb servers {port}"),
        "Servers": servers,
        "TotalCount": len(servers),
    }


def server_groups(d: Design) -> Obj:
    """ListServerGroups: one group per listener, as CCM creates them (HealthCheck on TCP)."""
    groups = []
    for nlb in d.nlbs:
        for port in _ports(d, nlb):
            health = {
                "HealthCheckConnectPort": 0,
                "HealthCheckConnectTimeout": 5,
                "HealthCheckEnabled": True,
                "HealthCheckInterval": 10,
                "HealthCheckType": "TCP",
                "HealthyThreshold": 2,
                "UnhealthyThreshold": 2,
            }
            groups.append(
                {
                    "AddressIPVersion": "ipv4",
                    "AliUid": int(ACCOUNT_ID),
                    "AnyPortEnabled": False,
                    "ConnectionDrainEnabled": False,
                    "ConnectionDrainTimeout": 10,
                    "HealthCheck": health,
                    "PreserveClientIpEnabled": True,
                    "Protocol": "TCP",
                    "RegionId": REGION,
                    "RelatedLoadBalancerIds": [nlb.id],
                    "ResourceGroupId": RESOURCE_GROUP,
                    "Scheduler": "Wrr",
                    "ServerCount": len(_servers(d, nlb, port)),
                    "ServerGroupId": nlb.server_group_id(port),
                    "ServerGroupName": _description(d, nlb, port),
                    "ServerGroupStatus": "Available",
                    "ServerGroupType": nlb.server_group_type,
                    "Tags": [{"Key": "ack.aliyun.com", "Value": d.cluster_id}],
                    "VpcId": d.vpc_id,
                }
            )
    return {
        "MaxResults": 20,
        "NextToken": "",
        "RequestId": d.rid("nlb groups"),
        "ServerGroups": groups,
        "TotalCount": len(groups),
    }


def listener_health(d: Design, nlb: NetworkLoadBalancer, port: int) -> Obj:
    """Every server that is a Pod of the Service passes its check; a server whose address no Pod
    holds any more (its Pod was rescheduled) fails the TCP check and is listed as not normal."""
    pods = {pod_ip for pod_ip, _node in d.lb_workload(nlb).replicas}
    gone = [
        {"Port": s["Port"], "ServerId": s["ServerId"], "ServerIp": s["ServerIp"], "Status": "Unhealthy"}
        for s in _servers(d, nlb, port)
        if nlb.server_group_type == "Ip" and s["ServerIp"] not in pods
    ]
    status = {
        "ListenerId": nlb.listener_id(port),
        "ListenerPort": port,
        "ListenerProtocol": "TCP",
        "ServerGroupInfos": [
            {"HeathCheckEnabled": True, "NonNormalServers": gone, "ServerGroupId": nlb.server_group_id(port)}
        ],
    }
    return {
        "ListenerHealthStatus": [status],
        "MaxResults": 20,
        "NextToken": "",
        "RequestId": _seed(d, nlb, f"nlb health {port}"),
        "TotalCount": 1,
    }


def permission(
    port: int,
    policy: str = "Accept",
    priority: int = 1,
    source: str = "0.0.0.0/0",
    *,
    design: Design | None = None,
    nlb: NetworkLoadBalancer | None = None,
) -> Obj:
    """One ingress rule of an NLB's group for a listener port (default: the healthy world's NLB)."""
    if design is None:
        from tools.demo_world.designs.healthy import DESIGN as design
    nlb = nlb or design.nlbs[0]
    verb = "allow" if policy == "Accept" else "deny"
    rule = SgRule(policy, "TCP", f"{port}/{port}", source, priority, f"{verb} {port} for {nlb.name}")
    seed = f"{policy} {port} {priority} {source}"
    if nlb.name != "public-nlb":
        seed = f"{nlb.name} {seed}"
    return rule_body(rule, _created(design, nlb, 40), ali_id("sgr", seed, 18))


def security_group(d: Design, nlb: NetworkLoadBalancer) -> Obj:
    return {
        "Description": f"ingress rules of {nlb.name}",
        "InnerAccessPolicy": "Accept",
        "NextToken": "",
        "Permissions": {"Permission": [permission(port, design=d, nlb=nlb) for port in _ports(d, nlb)]},
        "RegionId": REGION,
        "RequestId": _seed(d, nlb, "sg nlb"),
        "SecurityGroupId": nlb.security_group_id,
        "SecurityGroupName": f"{d.cluster_name}-ingress-nlb",
        "VpcId": d.vpc_id,
    }


def responses(d: Design) -> dict[str, Obj]:
    """Relative path under cloud/ → body, for the NLBs and their security groups. A world without
    NLBs lists none: it is complete, so every listing a query reads is there (empty)."""
    out = {
        "nlb/ListLoadBalancers.json": load_balancers(d),
        "nlb/ListListeners.json": listeners(d),
        "nlb/ListServerGroups.json": server_groups(d),
    }
    for nlb in d.nlbs:
        out[f"ecs/DescribeSecurityGroupAttribute/{nlb.security_group_id}.json"] = security_group(d, nlb)
        for port in _ports(d, nlb):
            out[f"nlb/ListServerGroupServers/{nlb.server_group_id(port)}.json"] = server_group_servers(
                d, nlb, port
            )
            out[f"nlb/GetListenerHealthStatus/{nlb.listener_id(port)}.json"] = listener_health(d, nlb, port)
    return out
