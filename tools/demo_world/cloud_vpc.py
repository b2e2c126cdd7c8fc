"""VPC and CS response bodies of the demo world.

Egress goes vSwitch → route 0.0.0.0/0 → NAT gateway → SNAT entry for the vSwitch → EIP
(an address distinct from every load balancer's; the NLB's own EIPs are listed beside it).
CS answers in ROA snake_case, with ``meta_data`` as a JSON string.
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world import cloud_nlb
from tools.demo_world import facts as f
from tools.demo_world.facts import request_id

Obj = dict[str, Any]


# ------------------------------------------------------------------------------------------ vpc
def vswitch_attributes() -> Obj:
    return {
        "AvailableIpAddressCount": 236,
        "CidrBlock": f.VSWITCH_CIDR,
        "CreationTime": "2024-03-11T02:20:16Z",
        "Description": "",
        "EnabledIpv6": False,
        "Ipv6CidrBlock": "",
        "IsDefault": False,
        "NetworkAclId": "",
        "OwnerId": int(f.ACCOUNT_ID),
        "RequestId": request_id("vsw"),
        "ResourceGroupId": "",
        "RouteTable": {"RouteTableId": f.ROUTE_TABLE_ID, "RouteTableType": "System"},
        "ShareType": "",
        "Status": "Available",
        "Tags": {"Tag": []},
        "VSwitchId": f.VSWITCH_ID,
        "VSwitchName": "qas-k",
        "VpcId": f.VPC_ID,
        "ZoneId": f.ZONE,
    }


def route_entries() -> Obj:
    def entry(cidr: str, kind: str, hops: list[Obj], name: str = "") -> Obj:
        return {
            "Description": "",
            "DestinationCidrBlock": cidr,
            "GmtModified": "2024-03-11T02:24:51Z",
            "IpVersion": "ipv4",
            "NextHops": {"NextHop": hops},
            "Origin": "",
            "RouteEntryId": f.ali_id("rte", cidr),
            "RouteEntryName": name,
            "RouteTableId": f.ROUTE_TABLE_ID,
            "ServiceType": "",
            "Status": "Available",
            "Type": kind,
        }

    nat_hop = {
        "Enabled": 1,
        "NextHopId": f.NAT_GATEWAY_ID,
        "NextHopRegionId": f.REGION,
        "NextHopRelatedInfo": {"InstanceId": "", "InstanceType": "", "RegionId": ""},
        "NextHopType": "NatGateway",
        "Weight": 0,
    }
    entries = [
        entry("0.0.0.0/0", "Custom", [nat_hop], "qas-egress"),
        entry(f.VSWITCH_CIDR, "System", []),
        entry("100.64.0.0/10", "System", []),
    ]
    return {
        "NextToken": "",
        "RequestId": request_id("routes"),
        "RouteEntrys": {"RouteEntry": entries},
        "TotalCount": len(entries),
    }


def nat_gateways() -> Obj:
    gateway = {
        "AutoPay": False,
        "BusinessStatus": "Normal",
        "CreationTime": "2024-03-11T02:22:37Z",
        "DeletionProtection": False,
        "Description": "",
        "EcsMetricEnabled": False,
        "EipBindMode": "MULTI_BINDED",
        "ExpiredTime": "",
        "ForwardTableIds": {"ForwardTableId": [f.FORWARD_TABLE_ID]},
        "IcmpReplyEnabled": True,
        "InstanceChargeType": "PostPaid",
        "InternetChargeType": "PayByLcu",
        "IpLists": {
            "IpList": [
                {
                    "AllocationId": f.EGRESS_EIP_ID,
                    "IpAddress": f.EGRESS_EIP,
                    "PrivateIpAddress": "",
                    "SnatEntryEnabled": True,
                    "UsingStatus": "UsedBySnatTable",
                }
            ]
        },
        "Name": "qas-nat",
        "NatGatewayId": f.NAT_GATEWAY_ID,
        "NatGatewayPrivateInfo": {
            "EniInstanceId": f.NAT_ENI_ID,
            "EniType": "indirect",
            "IzNo": f.ZONE,
            "MaxBandwidth": 5120,
            "PrivateIpAddress": f.NAT_PRIVATE_IP,
            "VswitchId": f.VSWITCH_ID,
        },
        "NatType": "Enhanced",
        "NetworkType": "internet",
        "PrivateLinkEnabled": False,
        "RegionId": f.REGION,
        "ResourceGroupId": "",
        "SecurityProtectionEnabled": False,
        "SnatTableIds": {"SnatTableId": [f.SNAT_TABLE_ID]},
        "Spec": "",
        "Status": "Available",
        "Tags": {"Tag": []},
        "VpcId": f.VPC_ID,
    }
    return {
        "NatGateways": {"NatGateway": [gateway]},
        "PageNumber": 1,
        "PageSize": 50,
        "RequestId": request_id("nat"),
        "TotalCount": 1,
    }


def snat_entries() -> Obj:
    entry = {
        "EipAffinity": "0",
        "NatGatewayId": f.NAT_GATEWAY_ID,
        "NetworkInterfaceId": "",
        "SnatEntryId": f.SNAT_ENTRY_ID,
        "SnatEntryName": "qas-k-egress",
        "SnatIp": f.EGRESS_EIP,
        "SnatTableId": f.SNAT_TABLE_ID,
        "SourceCIDR": f.VSWITCH_CIDR,
        "SourceVSwitchId": f.VSWITCH_ID,
        "Status": "Available",
    }
    return {
        "PageNumber": 1,
        "PageSize": 50,
        "RequestId": request_id("snat"),
        "SnatTableEntries": {"SnatTableEntry": [entry]},
        "TotalCount": 1,
    }


def eip_record(fields: Obj) -> Obj:
    """One DescribeEipAddresses item: ``fields`` (what tells this EIP apart) over the shared
    defaults, keys in the API's (alphabetical) order."""
    defaults = {
        "Bandwidth": "200",
        "BandwidthPackageBandwidth": "",
        "BandwidthPackageId": "",
        "BandwidthPackageType": "",
        "BizType": "",
        "BusinessStatus": "Normal",
        "ChargeType": "PostPaid",
        "DeletionProtection": False,
        "Description": "",
        "EipBandwidth": "",
        "ExpiredTime": "",
        "HDMonitorStatus": "OFF",
        "HasReservationData": "false",
        "ISP": "BGP",
        "InstanceRegionId": f.REGION,
        "InternetChargeType": "PayByTraffic",
        "Mode": "NAT",
        "Netmode": "public",
        "OperationLocks": {"LockReason": []},
        "PrivateIpAddress": "",
        "RegionId": f.REGION,
        "ResourceGroupId": "",
        "SecondLimited": False,
        "ServiceManaged": 0,
        "Status": "InUse",
        "Tags": {"Tag": []},
        "VpcId": "",
        "Zone": "",
    }
    return dict(sorted({**defaults, **fields}.items()))


def eip_addresses() -> Obj:
    eip = {
        "AllocationId": f.EGRESS_EIP_ID,
        "AllocationTime": "2024-03-11T02:22:52Z",
        "InstanceId": f.NAT_GATEWAY_ID,
        "InstanceType": "Nat",
        "IpAddress": f.EGRESS_EIP,
        "Name": "qas-nat-eip",
    }
    found = [eip_record(fields) for fields in (eip, *cloud_nlb.eips())]
    return {
        "EipAddresses": {"EipAddress": found},
        "PageNumber": 1,
        "PageSize": 100,
        "RequestId": request_id("eips"),
        "TotalCount": len(found),
    }


# ------------------------------------------------------------------------------------------- cs
def cluster_detail() -> Obj:
    meta = {
        "Capabilities": {
            "AnyAZ": True,
            "ConfigEncryption": True,
            "IngressLoadBalancer": True,
            "Network": "terway-eniip",
            "NodeCIDRMask": "",
            "NodeDepends": True,
            "Nodepool": True,
            "ProxyMode": "ipvs",
        },
        "KubernetesVersion": f.K8S_VERSION,
        "ServiceCIDR": f.SERVICE_CIDR,
        "VersionSafe": [],
        "ExtraSANs": [],
        "Timezone": "Asia/Shanghai",
        "VpcId": f.VPC_ID,
    }
    master_url = {
        "api_server_endpoint": "",
        "intranet_api_server_endpoint": "https://{}:{}".format(*f.API_SERVER_ENDPOINT),
    }
    return {
        "cluster_domain": f.CLUSTER_DOMAIN,
        "cluster_id": f.CLUSTER_ID,
        "cluster_spec": "ack.pro.small",
        "cluster_type": "ManagedKubernetes",
        "container_cidr": "",
        "created": "2024-03-11T10:26:41+08:00",
        "current_version": f.K8S_VERSION,
        "deletion_protection": True,
        "init_version": "1.28.9-aliyun.1",
        "ip_stack": "ipv4",
        "master_url": json.dumps(master_url),
        "meta_data": json.dumps(meta),
        "name": f.CLUSTER_NAME,
        "network_mode": "vpc",
        "next_version": "",
        "parameters": {
            "ProxyMode": "ipvs",
            "ServiceCIDR": f.SERVICE_CIDR,
            "VpcId": f.VPC_ID,
            "WorkerVSwitchIds": f.VSWITCH_ID,
        },
        "profile": "Default",
        "proxy_mode": "ipvs",
        "region_id": f.REGION,
        "resource_group_id": "",
        "security_group_id": f.SECURITY_GROUP_ID,
        "service_cidr": f.SERVICE_CIDR,
        "size": len(f.NODES),
        "state": "running",
        "tags": [{"key": "ack.aliyun.com", "value": f.CLUSTER_ID}],
        "timezone": "Asia/Shanghai",
        "updated": "2024-06-01T09:12:03+08:00",
        "vpc_id": f.VPC_ID,
        "vswitch_ids": [f.VSWITCH_ID],
        "zone_id": f.ZONE,
    }
