"""NLB and security-group response bodies of the demo world, plus the NLB's EIPs.

``public-nlb`` is what ACK's cloud-controller-manager creates for the LoadBalancer Service
``kube-system/nginx-ingress-lb-nlb`` (``loadBalancerClass: alibabacloud.com/nlb``): an
internet NLB with one zone mapping per vSwitch of the ``zone-maps`` annotation (an EIP in
front of a private address), TCP listeners 80 and 443, one server group per port whose
servers are the ENIs of the nodes running a host-network controller Pod, and a security
group that lets everyone in on 80 and 443. NLB bodies use plain arrays (no
plural/singular wrappers); the security group is ECS's RPC shape. Descriptions follow the
CLB naming of CCM, ``k8s/<port>/<svc>/<ns>/<clusterId>`` (UNCONFIRMED for NLB).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import facts as f
from tools.demo_world.cloud_lb import controller_nodes
from tools.demo_world.facts import later, request_id

Obj = dict[str, Any]
NLB = f.PUBLIC_NLB
PORTS = (80, 443)
RESOURCE_GROUP = "rg-acfm" + f.encode("rg", 11, f.BASE36)


def _service() -> f.Service:
    return next(s for s in f.SERVICES if s.load_balancer == NLB)


def _description(port: int) -> str:
    svc = _service()
    return f"k8s/{port}/{svc.name}/{svc.namespace}/{f.CLUSTER_ID}"


def _created(seconds: int) -> str:
    return later(_service().created, seconds)


def load_balancers() -> Obj:
    svc = _service()
    svc_uid = f.uid(f"Service {svc.namespace} {svc.name}")
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
        for z in NLB.zones
    ]
    item = {
        "AddressIpVersion": "ipv4",
        "AddressType": "Internet",
        "BandwidthPackageId": "",
        "CreateTime": _created(6),
        "CrossZoneEnabled": True,
        "DNSName": NLB.dns_name,
        "DeletionProtectionConfig": {"Enabled": False},
        "Ipv6AddressType": "",
        "LoadBalancerBillingConfig": {"PayType": "PostPay"},
        "LoadBalancerBusinessStatus": "Normal",
        "LoadBalancerId": NLB.id,
        "LoadBalancerName": NLB.name,
        "LoadBalancerStatus": "Active",
        "LoadBalancerType": "Network",
        "ModificationProtectionConfig": {"Reason": "managed by ACK", "Status": "ConsoleProtection"},
        "OperationLocks": [],
        "RegionId": f.REGION,
        "ResourceGroupId": RESOURCE_GROUP,
        "SecurityGroupIds": [NLB.security_group_id],
        "Tags": [
            {"Key": "ack.aliyun.com", "Value": f.CLUSTER_ID},
            {"Key": "kubernetes.do.not.delete", "Value": ("a" + svc_uid.replace("-", ""))[:32]},
        ],
        "VpcId": f.VPC_ID,
        "ZoneMappings": zones,
    }
    return {
        "LoadBalancers": [item],
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": request_id("nlbs"),
        "TotalCount": 1,
    }


def listeners() -> Obj:
    items = [
        {
            "Cps": 0,
            "IdleTimeout": 900,
            "ListenerDescription": _description(port),
            "ListenerId": NLB.listener_id(port),
            "ListenerPort": port,
            "ListenerProtocol": "TCP",
            "ListenerStatus": "Running",
            "LoadBalancerId": NLB.id,
            "Mss": 0,
            "ProxyProtocolEnabled": False,
            "RegionId": f.REGION,
            "SecSensorEnabled": False,
            "ServerGroupId": NLB.server_group_id(port),
            "Tags": [],
        }
        for port in PORTS
    ]
    return {
        "Listeners": items,
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": request_id("nlb listeners"),
        "TotalCount": len(items),
    }


def server_group_servers(port: int) -> Obj:
    # backend-type eni + hostNetwork controller pods: each server is the node's primary ENI and IP.
    servers = [
        {
            "Description": _description(port),
            "Port": port,
            "ServerGroupId": NLB.server_group_id(port),
            "ServerId": n.primary_eni,
            "ServerIp": n.ip,
            "ServerType": "Eni",
            "Status": "Available",
            "Weight": 100,
            "ZoneId": f.ZONE,
        }
        for n in controller_nodes()
    ]
    return {
        "MaxResults": 20,
        "NextToken": "",
        "RequestId": request_id(f"nlb servers {port}"),
        "Servers": servers,
        "TotalCount": len(servers),
    }


def listener_health(port: int) -> Obj:
    """Every server passes its check, so no server is listed as not normal."""
    status = {
        "ListenerId": NLB.listener_id(port),
        "ListenerPort": port,
        "ListenerProtocol": "TCP",
        "ServerGroupInfos": [
            {"HeathCheckEnabled": True, "NonNormalServers": [], "ServerGroupId": NLB.server_group_id(port)}
        ],
    }
    return {
        "ListenerHealthStatus": [status],
        "MaxResults": 20,
        "NextToken": "",
        "RequestId": request_id(f"nlb health {port}"),
        "TotalCount": 1,
    }


def permission(port: int, policy: str = "Accept", priority: int = 1, source: str = "0.0.0.0/0") -> Obj:
    """One ingress rule as DescribeSecurityGroupAttribute lists it (Priority is a string there)."""
    seed = f"{policy} {port} {priority} {source}"
    return {
        "CreateTime": _created(40),
        "Description": f"{'allow' if policy == 'Accept' else 'deny'} {port} for {NLB.name}",
        "DestCidrIp": "",
        "DestGroupId": "",
        "DestGroupName": "",
        "DestGroupOwnerAccount": "",
        "DestPrefixListId": "",
        "DestPrefixListName": "",
        "Direction": "ingress",
        "IpProtocol": "TCP",
        "Ipv6DestCidrIp": "",
        "Ipv6SourceCidrIp": "",
        "NicType": "intranet",
        "Policy": policy,
        "PortRange": f"{port}/{port}",
        "PortRangeListId": "",
        "PortRangeListName": "",
        "Priority": str(priority),
        "SecurityGroupRuleId": f.ali_id("sgr", seed, 18),
        "SourceCidrIp": source,
        "SourceGroupId": "",
        "SourceGroupName": "",
        "SourceGroupOwnerAccount": "",
        "SourcePortRange": "",
        "SourcePrefixListId": "",
        "SourcePrefixListName": "",
    }


def security_group() -> Obj:
    return {
        "Description": f"ingress rules of {NLB.name}",
        "InnerAccessPolicy": "Accept",
        "NextToken": "",
        "Permissions": {"Permission": [permission(port) for port in PORTS]},
        "RegionId": f.REGION,
        "RequestId": request_id("sg nlb"),
        "SecurityGroupId": NLB.security_group_id,
        "SecurityGroupName": "qas-ingress-nlb",
        "VpcId": f.VPC_ID,
    }


def eips() -> list[Obj]:
    """What differs between the EIPs of the zone mappings (``cloud_vpc.eip_record`` adds the rest).
    The InstanceType an EIP bound to an NLB reports is UNCONFIRMED."""
    return [
        {
            "AllocationId": z.eip_id,
            "AllocationTime": _created(2),
            "InstanceId": NLB.id,
            "InstanceType": "Nlb",
            "IpAddress": z.public_ip,
            "Name": f"{NLB.name}-{z.zone}",
            "PrivateIpAddress": z.private_ip,
            "ServiceManaged": 1,
            "VpcId": f.VPC_ID,
            "Zone": z.zone,
        }
        for z in NLB.zones
    ]


def responses() -> dict[str, Obj]:
    """Relative path under cloud/ → body, for the NLB and its security group."""
    out = {
        "nlb/ListLoadBalancers.json": load_balancers(),
        "nlb/ListListeners.json": listeners(),
        f"ecs/DescribeSecurityGroupAttribute/{NLB.security_group_id}.json": security_group(),
    }
    for port in PORTS:
        out[f"nlb/ListServerGroupServers/{NLB.server_group_id(port)}.json"] = server_group_servers(port)
        out[f"nlb/GetListenerHealthStatus/{NLB.listener_id(port)}.json"] = listener_health(port)
    return out
