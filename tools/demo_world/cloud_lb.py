"""Alidns and CLB response bodies of the demo world, plus the DNS answers that match them.

The two CLBs are what ACK's cloud-controller-manager creates for the LoadBalancer Services
``kube-system/nginx-ingress-lb`` and ``nginx-ingress-lb-private``: TCP listeners 80/443
described ``k8s/<port>/<svc>/<ns>/<clusterId>``, one vServer group per port whose ENI
backends are the nodes running a host-network controller Pod, and on private-lb an
office whitelist ACL. Bodies use the APIs' wire names and plural/singular wrappers.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import facts as f
from tools.demo_world.facts import epoch_ms, later, request_id

Obj = dict[str, Any]


def _ccm_description(lb: f.LoadBalancer, port: int) -> str:
    svc = _lb_service(lb)
    return f"k8s/{port}/{svc.name}/{svc.namespace}/{f.CLUSTER_ID}"


def _lb_service(lb: f.LoadBalancer) -> f.Service:
    return next(s for s in f.SERVICES if s.load_balancer == lb)


def _lb_named(address: str) -> str:
    return next(lb.name for lb in (f.PUBLIC_LB, f.PRIVATE_LB, f.PUBLIC_NLB) if lb.address == address)


# --------------------------------------------------------------------------------------- alidns
def domain_records() -> Obj:
    records = []
    for index, (rr, ip) in enumerate(f.DNS_RECORDS):
        stamp = 1716173528000 + index * 61_000
        records.append(
            {
                "DomainName": f.DNS_ZONE,
                "LbaStatus": False,
                "Line": "default",
                "Locked": False,
                "RR": rr,
                "RecordId": str(1891286346574329856 + index * 4096),
                "Status": "ENABLE",
                "TTL": 600,
                "Type": "A",
                "Value": ip,
                "Weight": 1,
                "CreateTimestamp": stamp,
                "UpdateTimestamp": stamp,
                "Remark": f"qas ingress via {_lb_named(ip)}",
            }
        )
    return {
        "DomainRecords": {"Record": records},
        "PageNumber": 1,
        "PageSize": 500,
        "RequestId": request_id("dns"),
        "TotalCount": len(records),
    }


def public_dns() -> list[Obj]:
    return [{"name": f"{rr}.{f.DNS_ZONE}.", "type": "A", "ttl": 600, "value": ip} for rr, ip in f.DNS_RECORDS]


def cluster_dns() -> list[Obj]:
    return [
        {
            "name": f"{s.name}.{s.namespace}.svc.{f.CLUSTER_DOMAIN}.",
            "type": "A",
            "ttl": 30,
            "value": s.cluster_ip,
        }
        for s in sorted(f.SERVICES, key=lambda s: (s.namespace, s.name))
    ]


# ------------------------------------------------------------------------------------------ slb
def _tags(lb: f.LoadBalancer) -> list[Obj]:
    svc_uid = f.uid(f"Service {_lb_service(lb).namespace} {_lb_service(lb).name}")
    return [
        {"TagKey": "ack.aliyun.com", "TagValue": f.CLUSTER_ID},
        {"TagKey": "kubernetes.do.not.delete", "TagValue": ("a" + svc_uid.replace("-", ""))[:32]},
    ]


def load_balancers() -> Obj:
    items = []
    for lb in (f.PUBLIC_LB, f.PRIVATE_LB):
        created = _lb_service(lb).created
        items.append(
            {
                "Address": lb.address,
                "AddressIPVersion": "ipv4",
                "AddressType": "internet",
                "Bandwidth": 5120,
                "CreateTime": later(created, 4),
                "CreateTimeStamp": epoch_ms(later(created, 4)),
                "DeleteProtection": "off",
                "InstanceChargeType": "PayBySpec",
                "InternetChargeType": "paybytraffic",
                "LoadBalancerId": lb.id,
                "LoadBalancerName": lb.name,
                "LoadBalancerSpec": "slb.s2.small",
                "LoadBalancerStatus": "active",
                "MasterZoneId": f.ZONE,
                "ModificationProtectionReason": "ManagedInstance",
                "ModificationProtectionStatus": "ConsoleProtection",
                "NetworkType": "vpc",
                "PayType": "PayOnDemand",
                "RegionId": f.REGION,
                "RegionIdAlias": f.REGION,
                "ResourceGroupId": "rg-acfm" + f.encode("rg", 11, f.BASE36),
                "SlaveZoneId": "cn-hangzhou-j",
                "Tags": {"Tag": _tags(lb)},
                "VSwitchId": "",
                "VpcId": f.VPC_ID,
            }
        )
    return {
        "LoadBalancers": {"LoadBalancer": items},
        "PageNumber": 1,
        "PageSize": 100,
        "RequestId": request_id("lbs"),
        "TotalCount": len(items),
    }


def _listener(lb: f.LoadBalancer, port: int) -> Obj:
    item: Obj = {
        "AclStatus": "on" if lb.acl else "off",
        "BackendServerPort": port,
        "Bandwidth": -1,
        "Description": _ccm_description(lb, port),
        "ListenerPort": port,
        "ListenerProtocol": "tcp",
        "LoadBalancerId": lb.id,
        "Scheduler": "wrr",
        "Status": "running",
        "Tags": [],
        "TCPListenerConfig": {
            "ConnectionDrain": "off",
            "EstablishedTimeout": 900,
            "HealthCheck": "on",
            "HealthCheckConnectTimeout": 5,
            "HealthCheckInterval": 2,
            "HealthCheckType": "tcp",
            "HealthyThreshold": 3,
            "PersistenceTimeout": 0,
            "ProxyProtocolV2Enabled": "false",
            "UnhealthyThreshold": 3,
        },
        "VServerGroupId": lb.vserver_group_id(port),
    }
    if lb.acl:
        item.update({"AclId": f.ACL_ID, "AclIds": [f.ACL_ID], "AclType": "white"})
    return item


def listeners() -> Obj:
    items = [_listener(lb, port) for lb in (f.PUBLIC_LB, f.PRIVATE_LB) for port in (80, 443)]
    return {
        "Listeners": items,
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": request_id("listeners"),
        "TotalCount": len(items),
    }


def acl_attribute() -> Obj:
    related = [
        {"AclType": "white", "ListenerPort": port, "LoadBalancerId": f.PRIVATE_LB.id, "Protocol": "tcp"}
        for port in (80, 443)
    ]
    return {
        "AclEntrys": {"AclEntry": [{"AclEntryComment": c, "AclEntryIP": ip} for ip, c in f.ACL_ENTRIES]},
        "AclId": f.ACL_ID,
        "AclName": f.ACL_NAME,
        "AddressIPVersion": "ipv4",
        "CreateTime": "2024-05-22T14:31:02+0800",
        "RelatedListeners": {"RelatedListener": related},
        "RequestId": request_id("acl"),
        "ResourceGroupId": "rg-acfm" + f.encode("rg", 11, f.BASE36),
        "Tags": {"Tag": []},
        "TotalAclEntry": len(f.ACL_ENTRIES),
    }


def controller_nodes() -> list[f.Node]:
    controller = next(w for w in f.WORKLOADS if w.name == "nginx-ingress-controller")
    return [f.NODE_BY_IP[node_ip] for _pod_ip, node_ip in controller.replicas]


def vserver_groups(lb: f.LoadBalancer) -> Obj:
    groups = [
        {
            "AssociatedObjects": {
                "Listeners": {"Listener": [{"Port": port, "Protocol": "tcp"}]},
                "Rules": {"Rule": []},
            },
            "CreateTime": "2024-03-11T10:35:27Z",
            "ServerCount": len(controller_nodes()),
            "Tags": {"Tag": []},
            "VServerGroupId": lb.vserver_group_id(port),
            "VServerGroupName": _ccm_description(lb, port),
        }
        for port in (80, 443)
    ]
    return {"RequestId": request_id("groups " + lb.name), "VServerGroups": {"VServerGroup": groups}}


def vserver_group_attribute(lb: f.LoadBalancer, port: int) -> Obj:
    # backend-type eni + hostNetwork controller pods: each backend is the node's primary ENI and IP.
    backends = [
        {
            "Description": _ccm_description(lb, port),
            "Port": port,
            "ServerId": n.primary_eni,
            "ServerIp": n.ip,
            "Type": "eni",
            "Weight": 100,
        }
        for n in controller_nodes()
    ]
    return {
        "BackendServers": {"BackendServer": backends},
        "CreateTime": "2024-03-11T10:35:27Z",
        "LoadBalancerId": lb.id,
        "RequestId": request_id(f"group {lb.name} {port}"),
        "Tags": {"Tag": []},
        "VServerGroupId": lb.vserver_group_id(port),
        "VServerGroupName": _ccm_description(lb, port),
    }


def health_status(lb: f.LoadBalancer) -> Obj:
    rows = [
        {
            "ListenerPort": port,
            "Port": port,
            "Protocol": "tcp",
            "ServerHealthStatus": "normal",
            "ServerId": n.primary_eni,
            "ServerIp": n.ip,
        }
        for port in (80, 443)
        for n in controller_nodes()
    ]
    return {"BackendServers": {"BackendServer": rows}, "RequestId": request_id("health " + lb.name)}
