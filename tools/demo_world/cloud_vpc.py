"""VPC response bodies of a design world: the VPC, vSwitches, route table, NAT gateway, SNAT, EIPs.

Egress goes vSwitch → route 0.0.0.0/0 → NAT gateway → the SNAT entry of the vSwitch → EIP
(addresses distinct from every load balancer's; the NLBs' own EIPs are listed beside them).
Under Flannel the route table also holds one custom entry per node, Pod CIDR → the node's
ECS instance, as CCM's route controller writes it (no name, no description).
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design, Eip
from tools.demo_world.ids import ACCOUNT_ID, REGION, ali_id, later
from tools.demo_world.model import VSwitch

Obj = dict[str, Any]


def vswitch_attributes(d: Design, vsw: VSwitch) -> Obj:
    return {
        "AvailableIpAddressCount": vsw.free_ips,
        "CidrBlock": vsw.cidr,
        "CreationTime": vsw.created,
        "Description": "",
        "EnabledIpv6": False,
        "Ipv6CidrBlock": "",
        "IsDefault": False,
        "NetworkAclId": "",
        "OwnerId": int(ACCOUNT_ID),
        "RequestId": d.rid("vsw" if vsw == d.vswitches[0] else f"vsw {vsw.name}"),
        "ResourceGroupId": "",
        "RouteTable": {"RouteTableId": d.route_table_id, "RouteTableType": "System"},
        "ShareType": "",
        "Status": "Available",
        "Tags": {"Tag": []},
        "VSwitchId": vsw.id,
        "VSwitchName": vsw.name,
        "VpcId": d.vpc_id,
        "ZoneId": vsw.zone,
    }


def vpcs(d: Design) -> Obj:
    """DescribeVpcs: the cluster's VPC with its CIDR block (a client in it asks the VPC's resolver)."""
    vpc = {
        "CenStatus": "Detached",
        "CidrBlock": d.vpc_cidr,
        "CreationTime": later(d.created, -3600),  # the VPC came an hour before the cluster
        "Description": "",
        "DhcpOptionsSetId": "",
        "DhcpOptionsSetStatus": "",
        "DnsHostnameStatus": "DISABLED",
        "IsDefault": False,
        "NatGatewayIds": {"NatGatewayIds": [d.nat_id]},
        "OwnerId": int(ACCOUNT_ID),
        "RegionId": REGION,
        "ResourceGroupId": "",
        "RouterTableIds": {"RouterTableIds": [d.route_table_id]},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
        "Status": "Available",
        "Tags": {"Tag": []},
        "UserCidrs": {"UserCidr": []},
        "VRouterId": ali_id("vrt", d.cluster_name),
        "VSwitchIds": {"VSwitchId": [v.id for v in (*d.vswitches, *d.other_vswitches)]},
        "VpcId": d.vpc_id,
        "VpcName": f"{d.cluster_name}-vpc",
    }
    listed = {"Vpcs": {"Vpc": [vpc]}, "TotalCount": 1}
    return {"PageNumber": 1, "PageSize": 10, "RequestId": d.rid("vpcs"), **listed}


def _hop(kind: str, target: str) -> Obj:
    return {
        "Enabled": 1,
        "NextHopId": target,
        "NextHopRegionId": REGION,
        "NextHopRelatedInfo": {"InstanceId": "", "InstanceType": "", "RegionId": ""},
        "NextHopType": kind,
        "Weight": 0,
    }


def route_entry(d: Design, cidr: str, kind: str, hops: list[Obj], name: str = "", modified: str = "") -> Obj:
    return {
        "Description": "",
        "DestinationCidrBlock": cidr,
        "GmtModified": modified or d.at(-110),
        "IpVersion": "ipv4",
        "NextHops": {"NextHop": hops},
        "Origin": "",
        "RouteEntryId": ali_id("rte", d.seed_prefix + cidr),
        "RouteEntryName": name,
        "RouteTableId": d.route_table_id,
        "ServiceType": "",
        "Status": "Available",
        "Type": kind,
    }


def node_route(d: Design, node_ip: str) -> Obj:
    """Flannel: the node's Pod CIDR → its ECS instance (CCM's route controller)."""
    n = d.node(node_ip)
    return route_entry(
        d,
        n.pod_cidr,
        "Custom",
        [_hop("Instance", n.instance_id)],
        modified=d.at(600 + int(n.ip.rsplit(".", 1)[1])),
    )


def route_entries(d: Design) -> Obj:
    entries = [
        route_entry(d, "0.0.0.0/0", "Custom", [_hop("NatGateway", d.nat_id)], f"{d.cluster_name}-egress")
    ]
    entries += [route_entry(d, vsw.cidr, "System", []) for vsw in (*d.vswitches, *d.other_vswitches)]
    entries.append(route_entry(d, "100.64.0.0/10", "System", []))
    entries += [node_route(d, n.ip) for n in d.nodes if n.pod_cidr]
    return {
        "NextToken": "",
        "RequestId": d.rid("routes"),
        "RouteEntrys": {"RouteEntry": entries},
        "TotalCount": len(entries),
    }


def nat_gateways(d: Design) -> Obj:
    gateway = {
        "AutoPay": False,
        "BusinessStatus": "Normal",
        "CreationTime": d.at(-244),
        "DeletionProtection": False,
        "Description": "",
        "EcsMetricEnabled": False,
        "EipBindMode": "MULTI_BINDED",
        "ExpiredTime": "",
        "ForwardTableIds": {"ForwardTableId": [d.forward_table_id]},
        "IcmpReplyEnabled": True,
        "InstanceChargeType": "PostPaid",
        "InternetChargeType": "PayByLcu",
        "IpLists": {
            "IpList": [
                {
                    "AllocationId": eip.id,
                    "IpAddress": eip.address,
                    "PrivateIpAddress": "",
                    "SnatEntryEnabled": True,
                    "UsingStatus": "UsedBySnatTable",
                }
                for eip in d.eips
            ]
        },
        "Name": f"{d.cluster_name}-nat",
        "NatGatewayId": d.nat_id,
        "NatGatewayPrivateInfo": {
            "EniInstanceId": d.nat_eni_id,
            "EniType": "indirect",
            "IzNo": d.vswitches[0].zone,
            "MaxBandwidth": 5120,
            "PrivateIpAddress": d.nat_private_ip,
            "VswitchId": d.vswitches[0].id,
        },
        "NatType": "Enhanced",
        "NetworkType": "internet",
        "PrivateLinkEnabled": False,
        "RegionId": REGION,
        "ResourceGroupId": "",
        "SecurityProtectionEnabled": False,
        "SnatTableIds": {"SnatTableId": [d.snat_table_id]},
        "Spec": "",
        "Status": "Available",
        "Tags": {"Tag": []},
        "VpcId": d.vpc_id,
    }
    return {
        "NatGateways": {"NatGateway": [gateway]},
        "PageNumber": 1,
        "PageSize": 50,
        "RequestId": d.rid("nat"),
        "TotalCount": 1,
    }


def snat_entries(d: Design) -> Obj:
    entries = [
        {
            "EipAffinity": "0",
            "NatGatewayId": d.nat_id,
            "NetworkInterfaceId": "",
            "SnatEntryId": entry.id,
            "SnatEntryName": entry.name,
            "SnatIp": entry.eip.address,
            "SnatTableId": d.snat_table_id,
            "SourceCIDR": entry.vswitch.cidr,
            "SourceVSwitchId": entry.vswitch.id,
            "Status": "Available",
        }
        for entry in d.snat
    ]
    return {
        "PageNumber": 1,
        "PageSize": 50,
        "RequestId": d.rid("snat"),
        "SnatTableEntries": {"SnatTableEntry": entries},
        "TotalCount": len(entries),
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
        "InstanceRegionId": REGION,
        "InternetChargeType": "PayByTraffic",
        "Mode": "NAT",
        "Netmode": "public",
        "OperationLocks": {"LockReason": []},
        "PrivateIpAddress": "",
        "RegionId": REGION,
        "ResourceGroupId": "",
        "SecondLimited": False,
        "ServiceManaged": 0,
        "Status": "InUse",
        "Tags": {"Tag": []},
        "VpcId": "",
        "Zone": "",
    }
    return dict(sorted({**defaults, **fields}.items()))


def _nat_eip(d: Design, eip: Eip) -> Obj:
    return {
        "AllocationId": eip.id,
        "AllocationTime": eip.allocated,
        "InstanceId": d.nat_id,
        "InstanceType": "Nat",
        "IpAddress": eip.address,
        "Name": eip.name,
    }


def nlb_eips(d: Design) -> list[Obj]:
    """What differs between the EIPs of the NLBs' zone mappings (``eip_record`` adds the rest).
    The InstanceType an EIP bound to an NLB reports is UNCONFIRMED."""
    return [
        {
            "AllocationId": z.eip_id,
            "AllocationTime": later(d.lb_service(nlb).created or d.created, 2),
            "InstanceId": nlb.id,
            "InstanceType": "Nlb",
            "IpAddress": z.public_ip,
            "Name": f"{nlb.name}-{z.zone}",
            "PrivateIpAddress": z.private_ip,
            "ServiceManaged": 1,
            "VpcId": d.vpc_id,
            "Zone": z.zone,
        }
        for nlb in d.nlbs
        for z in nlb.zones
    ]


def eip_addresses(d: Design) -> Obj:
    found = [eip_record(fields) for fields in (*(_nat_eip(d, e) for e in d.eips), *nlb_eips(d))]
    return {
        "EipAddresses": {"EipAddress": found},
        "PageNumber": 1,
        "PageSize": 100,
        "RequestId": d.rid("eips"),
        "TotalCount": len(found),
    }


def responses(d: Design) -> dict[str, Obj]:
    every = (*d.vswitches, *d.other_vswitches)
    out = {f"vpc/DescribeVSwitchAttributes/{vsw.id}.json": vswitch_attributes(d, vsw) for vsw in every}
    out.update(
        {
            f"vpc/DescribeRouteEntryList/{d.route_table_id}.json": route_entries(d),
            "vpc/DescribeVpcs.json": vpcs(d),
            "vpc/DescribeNatGateways.json": nat_gateways(d),
            f"vpc/DescribeSnatTableEntries/{d.snat_table_id}.json": snat_entries(d),
            "vpc/DescribeEipAddresses.json": eip_addresses(d),
        }
    )
    return out
