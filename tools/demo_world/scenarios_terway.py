"""Broken scenarios of the Terway design worlds: what only their designs can break.

terway-nlb: a pod vSwitch without an SNAT entry (its Pods cannot leave while the other
zone's can, and the nodes' own egress is fine), and a NetworkPolicy whose namespace selector
names a label the controllers' namespace does not carry (the default deny wins).
terway-eni-https: the Pod security group of the exclusive ENIs loses its Accept rule for the
controllers' port, and an HTTPS listener's traffic sent to nginx's TLS port.
"""

from __future__ import annotations

from tools.demo_world.designs import terway_eni_https as tee
from tools.demo_world.designs import terway_nlb as tnl
from tools.demo_world.draft import NOW, Draft
from tools.demo_world.ids import later
from tools.demo_world.kube_meta import last_applied
from tools.demo_world.scenario import Scenario

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def podvsw_no_snat(d: Draft) -> None:
    """The SNAT entry of pod vSwitch tnl-pod-i (zone cn-hangzhou-i) was deleted when the vSwitch was
    rebuilt; the nodes' vSwitches and zone h's pod vSwitch keep theirs. Pods with an IP on
    tnl-pod-i (a shop Pod among them) cannot reach the internet."""
    table = d.cloud(f"vpc/DescribeSnatTableEntries/{d.design.snat_table_id}.json")
    entries = table["SnatTableEntries"]["SnatTableEntry"]
    entries[:] = [e for e in entries if e["SourceVSwitchId"] != tnl.POD_I.id]
    table["TotalCount"] = len(entries)


def netpol_denies(d: Draft) -> None:
    """allow-ingress-nginx in namespace shop was re-applied from a chart written for another cluster:
    its namespaceSelector asks for name=ingress-nginx, a label namespace kube-system does not carry,
    so no rule admits the controller Pods and default-deny-ingress drops their traffic to shop's Pods."""
    policy = d.get("networkpolicies", "allow-ingress-nginx", "shop")
    peer = policy["spec"]["ingress"][0]["from"][0]
    peer["namespaceSelector"] = {"matchLabels": {"name": "ingress-nginx"}}
    meta = policy["metadata"]
    applied = {
        "apiVersion": policy["apiVersion"],
        "kind": policy["kind"],
        "metadata": {"annotations": {}, "name": meta["name"], "namespace": meta["namespace"]},
        "spec": policy["spec"],
    }
    meta["annotations"][LAST_APPLIED] = last_applied(applied)
    d.touched(policy, "namespace selector", spec_changed=True)


TNL = "terway-nlb"
SCENARIOS = [
    Scenario(
        name="terway-podvsw-no-snat",
        family="egress",
        summary="pod vSwitch tnl-pod-i has no SNAT entry: Pods in zone cn-hangzhou-i cannot reach "
        "the internet",
        expect="EGRESS_NO_SNAT_ENTRY for vSwitch tnl-pod-i (shop's Pod 10.30.80.21); the Pods on tnl-pod-h "
        "leave by 203.0.113.220",
        domain="shop.tnl.abc.com",
        edit=podvsw_no_snat,
        base=TNL,
    ),
    Scenario(
        name="terway-netpol-denies",
        family="pod",
        summary="allow-ingress-nginx selects namespaces labelled name=ingress-nginx: the default deny "
        "drops the controllers' traffic to shop",
        expect="the hop from the controller Pods into shop's Pods is blocked by NetworkPolicy: "
        "default-deny-ingress selects them and allow-ingress-nginx's namespaceSelector name=ingress-nginx "
        "does not match namespace kube-system",
        domain="shop.tnl.abc.com",
        edit=netpol_denies,
        base=TNL,
    ),
]


def pod_sg_denies(d: Draft) -> None:
    """The Pod security group tee-pod-eni lost its Accept rule for TCP 80 from the VPC (a cleanup of
    "unused" rules): for the controllers' port its Drop-all rule (priority 100) now decides. Every
    request, masqueraded by kube-proxy to a node address, is dropped at the controller Pod's ENI,
    and so are the CLB's TCP health checks, which take the same way: every backend is abnormal."""
    group = d.cloud(f"ecs/DescribeSecurityGroupAttribute/{tee.POD_SG.id}.json")
    rules = group["Permissions"]["Permission"]
    rules[:] = [r for r in rules if not (r["Policy"] == "Accept" and r["PortRange"] == "80/80")]
    lb = tee.LB
    for row in d.cloud(f"slb/DescribeHealthStatus/{lb.id}.json")["BackendServers"]["BackendServer"]:
        row["ServerHealthStatus"] = "abnormal"


def https_to_tls_port(d: Draft) -> None:
    """nginx-ingress-lb's https port was edited to targetPort 443, the controller's TLS port (nginx's
    listen 443 ssl), "to match the container". TLS already ends at the CLB's HTTPS listener, which
    sends plain HTTP to NodePort 30443 (unchanged); kube-proxy now DNATs it to port 443 of the
    controller Pods, and nginx answers 400 "The plain HTTP request was sent to HTTPS port". The
    TCP health checks still connect, so the backends stay normal."""
    service = d.get("services", "nginx-ingress-lb", "kube-system")
    for port in service["spec"]["ports"]:
        if port["name"] == "https":
            port["targetPort"] = 443
    d.touched(service, "https target port", spec_changed=True)
    endpoint_slice = d.slice_of("kube-system", "nginx-ingress-lb")
    for port in endpoint_slice["ports"]:
        if port["name"] == "https":
            port["port"] = 443
    endpoint_slice["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] = later(
        NOW, -1500
    )
    d.touched(endpoint_slice, "https target port")
    endpoint_slice["metadata"]["generation"] += 1
    d.refresh_node_tables()


TEE = "terway-eni-https"
SCENARIOS += [
    Scenario(
        name="tee-pod-sg-denies",
        family="pod",
        summary="the Pod security group lost its Accept rule for TCP 80: the controllers' ENIs drop "
        "every request and health check",
        expect="the hop into the controller Pods is blocked by security group tee-pod-eni: no Accept rule "
        "for TCP 80 from the VPC, rule Drop ALL -1/-1 0.0.0.0/0 (priority 100) decides; the CLB reports "
        "every backend abnormal",
        domain="www.tee.abc.com",
        edit=pod_sg_denies,
        base=TEE,
    ),
    Scenario(
        name="tee-https-to-tls-port",
        family="service",
        summary="nginx-ingress-lb's https port targets 443: the HTTPS listener's plain HTTP reaches "
        "nginx's TLS port (400)",
        expect="on port 443: the HTTPS listener terminates TLS and kube-proxy sends plain HTTP to port 443 "
        "of the controller Pods (targetPort 443), where nginx listens with ssl and answers 400",
        domain="www.tee.abc.com",
        edit=https_to_tls_port,
        base=TEE,
        port=443,
    ),
]
