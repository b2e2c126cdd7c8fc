"""Broken scenarios at the edge of the cluster: DNS, the load balancer, the ingress controller.

Each function takes a ``Draft`` of the healthy world and makes one realistic change to
it, touching every artefact the real systems would change with it (a health status that
follows a stopped listener, an nginx.conf the controller re-rendered after an Ingress
edit, and so on). ``tools/demo_world/scenarios.py`` lists them with their descriptions.
"""

from __future__ import annotations

from typing import Any

from tools.demo_world import cloud_nlb, nginx
from tools.demo_world.designs import healthy as f
from tools.demo_world.draft import NOW, Draft, applied_service
from tools.demo_world.ids import epoch_ms, later
from tools.demo_world.kube_meta import metadata

Obj = dict[str, Any]
LB_PREFIX = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
OLD_LB_ADDRESS = "203.0.113.15"  # the CLB app2 had before it moved to public-lb (released)
OLD_NODE_PORT = 30080  # the http NodePort nginx-ingress-lb had before it was recreated
TYPO_HOST = "app1.qsa.abc.com"
ALB_HOSTNAME = "alb-3n1fmubqkvy0a8xd2q.cn-hangzhou.alb.aliyuncsslb.com"


# ------------------------------------------------------------------------------------------- dns
def dns_record_deleted(d: Draft) -> None:
    """app1's A record was deleted in Alidns while cleaning up old records: NXDOMAIN everywhere."""
    zone = d.cloud(f"alidns/DescribeDomainRecords/{f.DNS_ZONE}.json")
    records = zone["DomainRecords"]["Record"]
    records[:] = [r for r in records if r["RR"] != "app1.qas"]
    zone["TotalCount"] = len(records)
    public = d.files["dns/public.json"]
    public[:] = [r for r in public if r["name"] != "app1.qas.abc.com."]


def dns_stale_answer(d: Draft) -> None:
    """app2's Alidns record was moved to public-lb; resolvers still answer the released CLB's IP."""
    zone = d.cloud(f"alidns/DescribeDomainRecords/{f.DNS_ZONE}.json")
    record = next(r for r in zone["DomainRecords"]["Record"] if r["RR"] == "app2.qas")
    record["UpdateTimestamp"] = epoch_ms(later(NOW, -1800))
    record["Remark"] = "qas ingress via public-lb (moved from app2-lb)"
    for answer in d.files["dns/public.json"]:
        if answer["name"] == "app2.qas.abc.com.":
            answer["value"] = OLD_LB_ADDRESS


# --------------------------------------------------------------------------------- load balancer
def _health_rows(d: Draft, lb: f.LoadBalancer) -> list[Obj]:
    return d.cloud(f"slb/DescribeHealthStatus/{lb.id}.json")["BackendServers"]["BackendServer"]


def lb_listener_stopped(d: Draft) -> None:
    """Listener 80 of public-lb was stopped in the console; CLB no longer health-checks it."""
    for listener in d.cloud("slb/DescribeLoadBalancerListeners.json")["Listeners"]:
        if listener["LoadBalancerId"] == f.PUBLIC_LB.id and listener["ListenerPort"] == 80:
            listener["Status"] = "stopped"
    for row in _health_rows(d, f.PUBLIC_LB):
        if row["ListenerPort"] == 80:
            row["ServerHealthStatus"] = "unavailable"


def lb_acl_entry_removed(d: Draft) -> None:
    """The office range 192.0.2.0/24 was removed from private-lb's whitelist ACL."""
    acl = d.cloud(f"slb/DescribeAccessControlListAttribute/{f.ACL_ID}.json")
    entries = acl["AclEntrys"]["AclEntry"]
    entries[:] = [e for e in entries if e["AclEntryIP"] != "192.0.2.0/24"]
    acl["TotalAclEntry"] = len(entries)


def lb_backends_unhealthy(d: Draft) -> None:
    """A security group change dropped CLB health checks to the nodes: every backend is abnormal."""
    for row in _health_rows(d, f.PUBLIC_LB):
        row["ServerHealthStatus"] = "abnormal"


def lb_nodeport_mismatch(d: Draft) -> None:
    """public-lb's port-80 group sends to ECS NodePort 30080, but the Service's NodePort is 31523.

    The Service reuses the CLB (``loadbalancer-id``) without letting CCM override its
    listeners, and someone pointed the groups at the nodes by hand with the NodePorts of
    the Service as it was before it was recreated. The 443 group got the current NodePort.
    """
    service = d.get("services", "nginx-ingress-lb", f.INGRESS_NAMESPACE)
    notes = service["metadata"]["annotations"]
    del notes["service.beta.kubernetes.io/backend-type"]
    notes[f"{LB_PREFIX}id"] = f.PUBLIC_LB.id
    notes[f"{LB_PREFIX}force-override-listeners"] = "false"
    d.touched(service, "nodeport")
    node_ports = {p.port: p.node_port for p in f.INGRESS_PORTS_PUBLIC}
    node_ports[80] = OLD_NODE_PORT
    for port, node_port in node_ports.items():
        group = d.cloud(f"slb/DescribeVServerGroupAttribute/{f.PUBLIC_LB.vserver_group_id(port)}.json")
        for backend in group["BackendServers"]["BackendServer"]:
            ip = backend["ServerIp"]
            backend.update({"Port": node_port, "ServerId": f.NODE_BY_IP[ip].instance_id, "Type": "ecs"})
    for row in _health_rows(d, f.PUBLIC_LB):
        port = row["ListenerPort"]
        row.update({"Port": node_ports[port], "ServerId": f.NODE_BY_IP[row["ServerIp"]].instance_id})
        row["ServerHealthStatus"] = "abnormal" if port == 80 else "normal"


def nlb_security_group_closed(d: Draft) -> None:
    """To push clients to HTTPS, a Drop rule for TCP 80/80 from 0.0.0.0/0 was added to the security
    group of public-nlb, at priority 1 like the Accept rule for port 80.

    At equal priority a Drop rule wins, so no client reaches listener 80 any more, while the
    NLB, its listeners and its servers are all still healthy.
    """
    group = d.cloud(f"ecs/DescribeSecurityGroupAttribute/{f.NLB_SECURITY_GROUP_ID}.json")
    rule = cloud_nlb.permission(80, policy="Drop")
    rule.update({"CreateTime": later(NOW, -5400), "Description": "force https: no plain http"})
    group["Permissions"]["Permission"].append(rule)


# --------------------------------------------------------------------------------------- ingress
def _reapply_ingress(d: Draft, ingress: Obj) -> None:
    notes = {k: v for k, v in ingress["metadata"].get("annotations", {}).items() if k != LAST_APPLIED}
    meta = ingress["metadata"]
    applied = {
        "apiVersion": ingress["apiVersion"],
        "kind": ingress["kind"],
        "metadata": {"annotations": notes, "name": meta["name"], "namespace": meta["namespace"]},
        "spec": ingress["spec"],
    }
    d.reapplied(ingress, applied)
    d.touched(ingress, "ingress", spec_changed=True)


def _rules_without(*hosts: str) -> list[f.IngressRule]:
    return [rule for rule in f.INGRESSES if rule.host not in hosts]


def _render_nginx(d: Draft, rules: list[f.IngressRule]) -> None:
    conf = nginx.nginx_conf(d.design, rules)
    for folder in d.controller_folders():
        d.files[f"{folder}/nginx.conf"] = conf


def ingress_host_typo(d: Draft) -> None:
    """app1's Ingress was re-applied with host app1.qsa.abc.com; nginx serves that name instead."""
    ingress = d.get("ingresses", "app1-service-ingress", "app")
    ingress["spec"]["rules"][0]["host"] = TYPO_HOST
    _reapply_ingress(d, ingress)
    app1 = next(r for r in f.INGRESSES if r.name == "app1-service-ingress")
    typo = f.IngressRule(app1.name, TYPO_HOST, app1.service, app1.service_upstream, app1.namespace, app1.port)
    _render_nginx(d, [*_rules_without(app1.host), typo])


def ingress_class_not_served(d: Draft) -> None:
    """app2's Ingress was re-applied from an ALB manifest (ingressClassName alb): nginx ignores it."""
    alb_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": metadata("IngressClass", "alb", None, "2024-05-28T07:41:19Z", generation=1),
        "spec": {
            "controller": "ingress.k8s.alibabacloud/alb",
            "parameters": {"apiGroup": "alibabacloud.com", "kind": "AlbConfig", "name": "alb"},
        },
    }
    classes = d.items("ingressclasses")
    classes.append(alb_class)
    classes.sort(key=lambda c: c["metadata"]["name"])
    ingress = d.get("ingresses", "app2-service-ingress", "app")
    ingress["spec"]["ingressClassName"] = "alb"
    ingress["status"] = {"loadBalancer": {"ingress": [{"hostname": ALB_HOSTNAME}]}}
    _reapply_ingress(d, ingress)
    _render_nginx(d, _rules_without("app2.qas.abc.com"))
    for folder in d.controller_folders():
        backends = d.files[f"{folder}/backends.json"]
        backends[:] = [b for b in backends if b["name"] != "app-app2-service-8080"]


def ingress_out_of_sync(d: Draft) -> None:
    """app1-service and its Ingress moved to port 80, but the controller's reloads have failed
    since, so its nginx.conf and dynamic backends still name port 8080."""
    service = d.get("services", "app1-service", "app")
    service["spec"]["ports"][0]["port"] = 80
    d.reapplied(service, applied_service(service))
    d.touched(service, "port 80")
    ingress = d.get("ingresses", "app1-service-ingress", "app")
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] = 80
    _reapply_ingress(d, ingress)
    d.refresh_node_tables()  # kube-proxy follows the Service; the controller does not


def ingress_backend_empty(d: Draft) -> None:
    """A chart upgrade dropped the controller's RBAC on EndpointSlices: it sees no endpoints for
    app1, so its dynamic backend is empty (nginx answers 503) while the slice lists a ready Pod."""
    for folder in d.controller_folders():
        for backend in d.files[f"{folder}/backends.json"]:
            if backend["name"] == "app-app1-service-8080":
                backend.pop("endpoints", None)
