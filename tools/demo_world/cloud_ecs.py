"""ECS response bodies of a design world: the node instances and their ENIs.

Every node has its primary ENI (the node IP). The network plugin decides the rest:
Terway ENIIP gives each node one secondary ENI (on the node's vSwitch or the zone's pod
vSwitch) whose secondary private IPs are the Pod IPs; Terway exclusive ENI gives every Pod
an ENI of its own whose primary IP is the Pod IP, in the Pod security group; Flannel adds
none (Pod IPs are not VPC addresses).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.ids import ACCOUNT_ID, REGION, ali_id, later, mac, uid
from tools.demo_world.model import Node, Workload

Obj = dict[str, Any]


def eni_ips(d: Design, node: Node) -> list[str]:
    """Terway ENIIP: the secondary ENI's primary IP, then the Pod IPs on it."""
    return [node.secondary_eni_ip] + [ip for _w, ip in d.pods_on(node.ip)]


def pod_eni_id(d: Design, pod_ip: str) -> str:
    """Terway exclusive ENI: the ENI of the Pod with this IP."""
    return ali_id("eni", f"{d.cluster_name} pod {pod_ip}")


def _pod_enis(d: Design, node: Node) -> list[tuple[str, str, Workload]]:
    """(ENI id, Pod IP, workload) of the exclusive ENIs attached to a node, in attach order."""
    return [(pod_eni_id(d, ip), ip, w) for w, ip in d.pods_on(node.ip)]


def _common(d: Design, n: Node) -> Obj:
    return {
        "DeleteOnRelease": True,
        "InstanceId": n.instance_id,
        "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
        "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
        "Ipv6Sets": {"Ipv6Set": []},
        "NetworkInterfaceName": "",
        "NetworkInterfaceTrafficMode": "Standard",
        "OwnerId": ACCOUNT_ID,
        "QueueNumber": 4,
        "ResourceGroupId": "",
        "SecurityGroupIds": {"SecurityGroupId": [d.node_sg.id]},
        "ServiceManaged": False,
        "SourceDestCheck": False,
        "Status": "InUse",
        "VSwitchId": n.vswitch.id,
        "VpcId": d.vpc_id,
        "ZoneId": n.zone,
    }


def _terway_eni(d: Design, n: Node, eni: str, ips: list[str], index: int, created: str, group: str) -> Obj:
    return dict(
        _common(d, n),
        Attachment={
            "DeviceIndex": index,
            "InstanceId": n.instance_id,
            "NetworkCardIndex": 0,
            "TrunkNetworkInterfaceId": "",
        },
        CreationTime=created,
        Description="interface create by terway",
        MacAddress=mac(eni if d.network == "terway-eni" else "terway " + n.ip),
        NetworkInterfaceId=eni,
        PrivateIpAddress=ips[0],
        PrivateIpSets={"PrivateIpSet": [{"Primary": ip == ips[0], "PrivateIpAddress": ip} for ip in ips]},
        SecurityGroupIds={"SecurityGroupId": [group]},
        Tags={
            "Tag": [
                {"TagKey": "ack.aliyun.com", "TagValue": d.cluster_id},
                {"TagKey": "creator", "TagValue": "terway"},
                {"TagKey": "node-name", "TagValue": n.name},
            ]
        },
        Type="Secondary",
        VSwitchId=n.eni_vswitch.id,
    )


def node_enis(d: Design, n: Node) -> list[Obj]:
    items = [
        dict(
            _common(d, n),
            CreationTime=d.at(511),
            Description="",
            MacAddress=mac(n.ip),
            NetworkInterfaceId=n.primary_eni,
            PrivateIpAddress=n.ip,
            PrivateIpSets={"PrivateIpSet": [{"Primary": True, "PrivateIpAddress": n.ip}]},
            Tags={"Tag": []},
            Type="Primary",
        )
    ]
    if d.network == "terway-eniip":
        items.append(_terway_eni(d, n, n.secondary_eni, eni_ips(d, n), 1, d.at(667), d.node_sg.id))
    elif d.network == "terway-eni":
        assert d.pod_sg is not None
        for index, (eni, ip, w) in enumerate(_pod_enis(d, n), 1):
            created = later(w.created or d.created, 17 + 7 * [r[0] for r in w.replicas].index(ip))
            items.append(_terway_eni(d, n, eni, [ip], index, created, d.pod_sg.id))
    return items


def network_interfaces(d: Design) -> Obj:
    items = [eni for n in d.nodes for eni in node_enis(d, n)]
    return {
        "NetworkInterfaceSets": {"NetworkInterfaceSet": items},
        "NextToken": "",
        "RequestId": d.rid("enis"),
        "TotalCount": len(items),
    }


def _embedded(eni: Obj) -> Obj:
    """An ENI as DescribeInstances embeds it in ``NetworkInterfaces``."""
    return {
        "MacAddress": eni["MacAddress"],
        "NetworkInterfaceId": eni["NetworkInterfaceId"],
        "PrimaryIpAddress": eni["PrivateIpAddress"],
        "PrivateIpSets": eni["PrivateIpSets"],
        "Type": eni["Type"],
    }


def instance(d: Design, n: Node) -> Obj:
    started = d.at(439)[:16] + "Z"  # DescribeInstances prints minutes only
    return {
        "Cpu": 4,
        "CreationTime": started,
        "DeletionProtection": False,
        "Description": "",
        "EipAddress": {"AllocationId": "", "InternetChargeType": "", "IpAddress": ""},
        "ExpiredTime": "2099-12-31T15:59Z",
        "HostName": n.hostname,
        "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
        "InnerIpAddress": {"IpAddress": []},
        "InstanceChargeType": "PostPaid",
        "InstanceId": n.instance_id,
        "InstanceName": f"worker-k8s-for-cs-{d.cluster_id}",
        "InstanceNetworkType": "vpc",
        "InstanceType": "ecs.g7.xlarge",
        "InstanceTypeFamily": "ecs.g7",
        "InternetChargeType": "PayByTraffic",
        "InternetMaxBandwidthIn": 100,
        "InternetMaxBandwidthOut": 0,
        "IoOptimized": True,
        "Memory": 16384,
        "NetworkInterfaces": {"NetworkInterface": [_embedded(eni) for eni in node_enis(d, n)]},
        "OSName": "Alibaba Cloud Linux  3.2104 LTS 64位",
        "OSNameEn": "Alibaba Cloud Linux  3.2104 LTS 64 bit",
        "OSType": "linux",
        "OperationLocks": {"LockReason": []},
        "PublicIpAddress": {"IpAddress": []},
        "RegionId": REGION,
        "ResourceGroupId": "",
        "SecurityGroupIds": {"SecurityGroupId": [d.node_sg.id]},
        "SerialNumber": uid("serial " + n.ip),
        "StartTime": started,
        "Status": "Running",
        "StoppedMode": "Not-applicable",
        "Tags": {
            "Tag": [
                {"TagKey": "ack.aliyun.com", "TagValue": d.cluster_id},
                {"TagKey": "ack.alibabacloud.com/nodepool-id", "TagValue": d.nodepool_id},
            ]
        },
        "VpcAttributes": {
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [n.ip]},
            "VSwitchId": n.vswitch.id,
            "VpcId": d.vpc_id,
        },
        "ZoneId": n.zone,
    }


def instances(d: Design) -> Obj:
    items = [instance(d, n) for n in d.nodes]
    return {
        "Instances": {"Instance": items},
        "NextToken": "",
        "RequestId": d.rid("instances"),
        "TotalCount": len(items),
    }
