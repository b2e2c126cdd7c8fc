"""ECS response bodies of the demo world: the three node instances and their ENIs.

Terway ENIIP: every node has its primary ENI (the node IP) and one secondary ENI whose
secondary private IPs are the Pod IPs of the Pods scheduled on that node.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import facts as f
from tools.demo_world.facts import request_id

Obj = dict[str, Any]


# ------------------------------------------------------------------------------------------ ecs
def _eni_ips(node: f.Node) -> list[str]:
    return [node.secondary_eni_ip] + [ip for _w, ip in f.pods_on(node.ip)]


def _mac(seed: str) -> str:
    h = f.hexid("mac " + seed, 10)
    return "00:16:3e:" + ":".join(h[i : i + 2] for i in (0, 2, 4))


def network_interfaces() -> Obj:
    items: list[Obj] = []
    for n in f.NODES:
        common = {
            "DeleteOnRelease": True,
            "InstanceId": n.instance_id,
            "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
            "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
            "Ipv6Sets": {"Ipv6Set": []},
            "NetworkInterfaceName": "",
            "NetworkInterfaceTrafficMode": "Standard",
            "OwnerId": f.ACCOUNT_ID,
            "QueueNumber": 4,
            "ResourceGroupId": "",
            "SecurityGroupIds": {"SecurityGroupId": [f.SECURITY_GROUP_ID]},
            "ServiceManaged": False,
            "SourceDestCheck": False,
            "Status": "InUse",
            "VSwitchId": f.VSWITCH_ID,
            "VpcId": f.VPC_ID,
            "ZoneId": f.ZONE,
        }
        items.append(
            dict(
                common,
                CreationTime="2024-03-11T02:35:12Z",
                Description="",
                MacAddress=_mac(n.ip),
                NetworkInterfaceId=n.primary_eni,
                PrivateIpAddress=n.ip,
                PrivateIpSets={"PrivateIpSet": [{"Primary": True, "PrivateIpAddress": n.ip}]},
                Tags={"Tag": []},
                Type="Primary",
            )
        )
        ips = _eni_ips(n)
        items.append(
            dict(
                common,
                Attachment={
                    "DeviceIndex": 1,
                    "InstanceId": n.instance_id,
                    "NetworkCardIndex": 0,
                    "TrunkNetworkInterfaceId": "",
                },
                CreationTime="2024-03-11T02:37:48Z",
                Description="interface create by terway",
                MacAddress=_mac("terway " + n.ip),
                NetworkInterfaceId=n.secondary_eni,
                PrivateIpAddress=ips[0],
                PrivateIpSets={
                    "PrivateIpSet": [{"Primary": ip == ips[0], "PrivateIpAddress": ip} for ip in ips]
                },
                Tags={
                    "Tag": [
                        {"TagKey": "ack.aliyun.com", "TagValue": f.CLUSTER_ID},
                        {"TagKey": "creator", "TagValue": "terway"},
                        {"TagKey": "node-name", "TagValue": n.name},
                    ]
                },
                Type="Secondary",
            )
        )
    return {
        "NetworkInterfaceSets": {"NetworkInterfaceSet": items},
        "NextToken": "",
        "RequestId": request_id("enis"),
        "TotalCount": len(items),
    }


def instances() -> Obj:
    items = []
    for n in f.NODES:
        enis = [
            {
                "MacAddress": _mac(n.ip),
                "NetworkInterfaceId": n.primary_eni,
                "PrimaryIpAddress": n.ip,
                "PrivateIpSets": {"PrivateIpSet": [{"Primary": True, "PrivateIpAddress": n.ip}]},
                "Type": "Primary",
            },
            {
                "MacAddress": _mac("terway " + n.ip),
                "NetworkInterfaceId": n.secondary_eni,
                "PrimaryIpAddress": n.secondary_eni_ip,
                "PrivateIpSets": {
                    "PrivateIpSet": [
                        {"Primary": ip == n.secondary_eni_ip, "PrivateIpAddress": ip} for ip in _eni_ips(n)
                    ]
                },
                "Type": "Secondary",
            },
        ]
        items.append(
            {
                "Cpu": 4,
                "CreationTime": "2024-03-11T02:34Z",
                "DeletionProtection": False,
                "Description": "",
                "EipAddress": {"AllocationId": "", "InternetChargeType": "", "IpAddress": ""},
                "ExpiredTime": "2099-12-31T15:59Z",
                "HostName": n.hostname,
                "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
                "InnerIpAddress": {"IpAddress": []},
                "InstanceChargeType": "PostPaid",
                "InstanceId": n.instance_id,
                "InstanceName": f"worker-k8s-for-cs-{f.CLUSTER_ID}",
                "InstanceNetworkType": "vpc",
                "InstanceType": "ecs.g7.xlarge",
                "InstanceTypeFamily": "ecs.g7",
                "InternetChargeType": "PayByTraffic",
                "InternetMaxBandwidthIn": 100,
                "InternetMaxBandwidthOut": 0,
                "IoOptimized": True,
                "Memory": 16384,
                "NetworkInterfaces": {"NetworkInterface": enis},
                "OSName": "Alibaba Cloud Linux  3.2104 LTS 64位",
                "OSNameEn": "Alibaba Cloud Linux  3.2104 LTS 64 bit",
                "OSType": "linux",
                "OperationLocks": {"LockReason": []},
                "PublicIpAddress": {"IpAddress": []},
                "RegionId": f.REGION,
                "ResourceGroupId": "",
                "SecurityGroupIds": {"SecurityGroupId": [f.SECURITY_GROUP_ID]},
                "SerialNumber": f.uid("serial " + n.ip),
                "StartTime": "2024-03-11T02:34Z",
                "Status": "Running",
                "StoppedMode": "Not-applicable",
                "Tags": {
                    "Tag": [
                        {"TagKey": "ack.aliyun.com", "TagValue": f.CLUSTER_ID},
                        {
                            "TagKey": "ack.alibabacloud.com/nodepool-id",
                            "TagValue": "np" + f.hexid("nodepool default", 32),
                        },
                    ]
                },
                "VpcAttributes": {
                    "NatIpAddress": "",
                    "PrivateIpAddress": {"IpAddress": [n.ip]},
                    "VSwitchId": f.VSWITCH_ID,
                    "VpcId": f.VPC_ID,
                },
                "ZoneId": f.ZONE,
            }
        )
    return {
        "Instances": {"Instance": items},
        "NextToken": "",
        "RequestId": request_id("instances"),
        "TotalCount": len(items),
    }
