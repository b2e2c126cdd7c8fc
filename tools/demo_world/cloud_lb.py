"""CLB response bodies of a design world: load balancers, listeners and the whitelist ACL.

Each CLB is what ACK's cloud-controller-manager creates for a LoadBalancer Service: one
listener per Service port, described ``k8s/<port>/<svc>/<ns>/<clusterId>``, TCP by
default or HTTP/HTTPS where the ``protocol-port`` annotation says so (an HTTPS listener
terminates TLS with the ``cert-id`` certificate). With ``externalTrafficPolicy: Local``
and ECS backends, a TCP listener checks health over HTTP on the Service's health check
NodePort, which kube-proxy answers 200 only on nodes with a ready local endpoint.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.ids import REGION, epoch_ms, later, resource_group, uid
from tools.demo_world.model import LoadBalancer, Service, ServicePort

Obj = dict[str, Any]


def description(d: Design, lb: LoadBalancer, port: int) -> str:
    svc = d.lb_service(lb)
    return f"k8s/{port}/{svc.name}/{svc.namespace}/{d.cluster_id}"


def service_port(svc: Service, port: int) -> ServicePort:
    return next(p for p in svc.ports if p.port == port)


def backend_port(d: Design, lb: LoadBalancer, port: int) -> int:
    """The port backends receive on: the NodePort (ECS backends) or the targetPort (ENI backends)."""
    svc = d.lb_service(lb)
    p = service_port(svc, port)
    return int(p.node_port or 0) if svc.backend_type == "ecs" else p.target_port


def _tags(d: Design, lb: LoadBalancer) -> list[Obj]:
    svc = d.lb_service(lb)
    svc_uid = uid(f"Service {svc.namespace} {svc.name}")
    return [
        {"TagKey": "ack.aliyun.com", "TagValue": d.cluster_id},
        {"TagKey": "kubernetes.do.not.delete", "TagValue": ("a" + svc_uid.replace("-", ""))[:32]},
    ]


def load_balancers(d: Design) -> Obj:
    items = []
    for lb in d.clbs:
        created = later(d.lb_service(lb).created or d.created, 4)
        master = lb.vswitch.zone if lb.vswitch else d.zones[0]
        items.append(
            {
                "Address": lb.address,
                "AddressIPVersion": "ipv4",
                "AddressType": lb.address_type,
                "Bandwidth": 5120,
                "CreateTime": created,
                "CreateTimeStamp": epoch_ms(created),
                "DeleteProtection": "off",
                "InstanceChargeType": "PayBySpec",
                "InternetChargeType": "paybytraffic",
                "LoadBalancerId": lb.id,
                "LoadBalancerName": lb.name,
                "LoadBalancerSpec": "slb.s2.small",
                "LoadBalancerStatus": "active",
                "MasterZoneId": master,
                "ModificationProtectionReason": "ManagedInstance",
                "ModificationProtectionStatus": "ConsoleProtection",
                "NetworkType": "vpc",
                "PayType": "PayOnDemand",
                "RegionId": REGION,
                "RegionIdAlias": REGION,
                "ResourceGroupId": resource_group(),
                "SlaveZoneId": "cn-hangzhou-j" if master != "cn-hangzhou-j" else "cn-hangzhou-k",
                "Tags": {"Tag": _tags(d, lb)},
                "VSwitchId": lb.vswitch.id if lb.vswitch else "",
                "VpcId": d.vpc_id,
            }
        )
    return {
        "LoadBalancers": {"LoadBalancer": items},
        "PageNumber": 1,
        "PageSize": 100,
        "RequestId": d.rid("lbs"),
        "TotalCount": len(items),
    }


def _tcp_config(d: Design, lb: LoadBalancer) -> Obj:
    config: Obj = {
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
    }
    svc = d.lb_service(lb)
    if svc.backend_type == "ecs" and svc.traffic_policy == "Local":  # kube-proxy's health check server
        config.update(
            {
                "HealthCheckConnectPort": svc.health_check_node_port,
                "HealthCheckDomain": "",
                "HealthCheckHttpCode": "http_2xx",
                "HealthCheckType": "http",
                "HealthCheckURI": "/healthz",
            }
        )
    return config


def _http_config(d: Design, lb: LoadBalancer, protocol: str) -> Obj:
    config: Obj = {
        "Cookie": "",
        "CookieTimeout": 0,
        "Gzip": "on",
        "HealthCheck": "on",
        "HealthCheckConnectPort": 0,
        "HealthCheckDomain": "",
        "HealthCheckHttpCode": "http_2xx",
        "HealthCheckHttpVersion": "HTTP1.1",
        "HealthCheckInterval": 2,
        "HealthCheckMethod": "head",
        "HealthCheckTimeout": 5,
        "HealthCheckType": "http",
        "HealthCheckURI": "/healthz",  # ingress-nginx answers it in its default server
        "HealthyThreshold": 3,
        "IdleTimeout": 15,
        "RequestTimeout": 60,
        "StickySession": "off",
        "UnhealthyThreshold": 3,
        "XForwardedFor": "on",
        "XForwardedFor_ClientSrcPort": "off",
        "XForwardedFor_SLBID": "on",
        "XForwardedFor_SLBIP": "on",
        "XForwardedFor_SLBPORT": "off",
        "XForwardedFor_proto": "on",
    }
    notes = d.lb_service(lb).annotations
    if notes.get("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-health-check-type") == "tcp":
        for key in ("HealthCheckDomain", "HealthCheckHttpCode", "HealthCheckHttpVersion", "HealthCheckMethod",
                    "HealthCheckURI"):  # fmt: skip
            del config[key]
        config["HealthCheckType"] = "tcp"  # a TCP connect to the backend port
    if protocol == "http":
        config.update({"ForwardPort": 0, "ListenerForward": "off"})
    else:
        config.update(
            {
                "CACertificateId": "",
                "EnableHttp2": "on",
                "ServerCertificateId": lb.certificate_id,
                "TLSCipherPolicy": "tls_cipher_policy_1_0",
            }
        )
    return config


def listener(d: Design, lb: LoadBalancer, port: int, protocol: str) -> Obj:
    config = _tcp_config(d, lb) if protocol == "tcp" else _http_config(d, lb, protocol)
    item: Obj = {
        "AclStatus": "on" if lb.acl else "off",
        "BackendServerPort": backend_port(d, lb, port),
        "Bandwidth": -1,
        "Description": description(d, lb, port),
        "ListenerPort": port,
        "ListenerProtocol": protocol,
        "LoadBalancerId": lb.id,
        "Scheduler": "wrr",
        "Status": "running",
        "Tags": [],
        f"{protocol.upper()}ListenerConfig": config,
        "VServerGroupId": lb.vserver_group_id(port),
    }
    if lb.acl and d.acl is not None:
        item.update({"AclId": d.acl.id, "AclIds": [d.acl.id], "AclType": "white"})
    return item


def listeners(d: Design) -> Obj:
    items = [listener(d, lb, port, protocol) for lb in d.clbs for port, protocol in lb.protocols]
    return {
        "Listeners": items,
        "MaxResults": 100,
        "NextToken": "",
        "RequestId": d.rid("listeners"),
        "TotalCount": len(items),
    }


def acl_attribute(d: Design) -> Obj:
    assert d.acl is not None
    related = [
        {"AclType": "white", "ListenerPort": port, "LoadBalancerId": lb.id, "Protocol": protocol}
        for lb in d.clbs
        if lb.acl
        for port, protocol in lb.protocols
    ]
    entries = [{"AclEntryComment": c, "AclEntryIP": ip} for ip, c in d.acl.entries]
    return {
        "AclEntrys": {"AclEntry": entries},
        "AclId": d.acl.id,
        "AclName": d.acl.name,
        "AddressIPVersion": "ipv4",
        "CreateTime": d.acl.created,
        "RelatedListeners": {"RelatedListener": related},
        "RequestId": d.rid("acl"),
        "ResourceGroupId": resource_group(),
        "Tags": {"Tag": []},
        "TotalAclEntry": len(entries),
    }
