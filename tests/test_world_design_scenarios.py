"""The design worlds' broken scenarios hold the break they describe, and nothing else breaks with it.

These are checks of the stored data (what a trace of each scenario should find is another
test's business): the deleted route entry is gone and only it, the rescheduled controllers
left every backend of the CLB without a local endpoint, node 4's kube-proxy lost the
NodePort, the pod vSwitch lost its SNAT entry, the policy's selector misses kube-system,
the Pod security group lost its Accept rule, the https port targets the TLS port.
"""

from __future__ import annotations

import pytest
from design_worlds import View, is_ready

from ackwb.parse.kube_iptables import parse_kube_iptables
from ackwb.parse.kube_nftables import parse_kube_nftables


def routes(v: View) -> dict[str, dict]:
    (table,) = v.bodies("vpc/DescribeRouteEntryList").values()
    return {r["DestinationCidrBlock"]: r for r in table["RouteEntrys"]["RouteEntry"]}


def test_flannel_route_missing_lost_exactly_node_3s_route() -> None:
    base, broken = routes(View("flannel-nodeport")), routes(View("flannel-route-missing"))
    assert set(base) - set(broken) == {"172.20.2.0/24"}
    shop = [p for p in View("flannel-route-missing").items("pods") if p["metadata"]["namespace"] == "shop"]
    assert [(p["status"]["podIP"], p["spec"]["nodeName"]) for p in shop] == [
        ("172.20.2.5", "cn-hangzhou.10.20.1.13")
    ]


def test_flannel_local_no_endpoint_leaves_every_backend_without_a_local_controller() -> None:
    v = View("flannel-local-no-endpoint")
    nodes = {p["spec"]["nodeName"] for p in v.controllers()}
    assert nodes == {"cn-hangzhou.10.20.1.13"} and len(v.controllers()) == 3
    assert all(is_ready(p) for p in v.controllers())
    health = _controller_health(v)
    rows = health["BackendServers"]["BackendServer"]
    assert {r["ServerIp"] for r in rows} == {"10.20.1.11", "10.20.1.12", "10.20.1.14"}
    assert {r["ServerHealthStatus"] for r in rows} == {"abnormal"}
    (node3,) = [n for n in v.items("nodes") if n["metadata"]["name"] == "cn-hangzhou.10.20.1.13"]
    assert "node.kubernetes.io/exclude-from-external-load-balancers" in node3["metadata"]["labels"]
    controller_ports = {30581, 31862}
    for ip in ("10.20.1.11", "10.20.1.12", "10.20.1.14"):
        text = v.files.text(f"nodes/{ip}/iptables-save.txt")
        rules = parse_kube_iptables(text, check=True)
        for port in controller_ports:
            entry = rules.find_node_port(port)
            assert entry is not None and rules.endpoints(entry) == ()
        assert not [
            c for c in rules.service_chains() if c.local and c.service and "nginx-ingress-lb" in c.service
        ]
    rules3 = parse_kube_iptables(v.files.text("nodes/10.20.1.13/iptables-save.txt"), check=True)
    assert {e.address for e in rules3.endpoints(rules3.find_node_port(30581))} == {
        p["status"]["podIP"] for p in v.controllers()
    }


def test_flannel_nodeport_stale_keeps_node_4_healthy_without_the_nodeport() -> None:
    v = View("flannel-nodeport-stale")
    stale = parse_kube_iptables(v.files.text("nodes/10.20.1.14/iptables-save.txt"), check=True)
    assert stale.find_node_port(30581) is None and stale.find_node_port(31080) is not None
    assert stale.find_node_port(31862) is not None  # https kept its port
    fresh = parse_kube_iptables(v.files.text("nodes/10.20.1.11/iptables-save.txt"), check=True)
    assert fresh.find_node_port(30581) is not None
    health = _controller_health(v)
    node4 = {
        r["ServerHealthStatus"]
        for r in health["BackendServers"]["BackendServer"]
        if r["ServerIp"] == "10.20.1.14"
    }
    assert node4 == {"normal"}
    (svc,) = [s for s in v.items("services") if s["metadata"]["name"] == "nginx-ingress-lb"]
    assert {p["nodePort"] for p in svc["spec"]["ports"]} == {30581, 31862}


def test_terway_podvsw_no_snat_lost_only_pod_vswitch_i() -> None:
    def entries(world: str) -> dict[str, str]:
        v = View(world)
        (table,) = v.bodies("vpc/DescribeSnatTableEntries").values()
        names = {vsw: body["VSwitchName"] for vsw, body in v.vswitches.items()}
        return {names[e["SourceVSwitchId"]]: e["SnatIp"] for e in table["SnatTableEntries"]["SnatTableEntry"]}

    base, broken = entries("terway-nlb"), entries("terway-podvsw-no-snat")
    assert set(base) - set(broken) == {"tnl-pod-i"} and broken["tnl-pod-h"] == "203.0.113.220"
    v = View("terway-podvsw-no-snat")
    on_i = [
        p
        for p in v.items("pods")
        if p["status"]["podIP"].startswith("10.30.8") and not p["spec"].get("hostNetwork")
    ]
    assert "shop" in {p["metadata"]["namespace"] for p in on_i}


def test_terway_netpol_denies_selects_a_label_kube_system_lacks() -> None:
    v = View("terway-netpol-denies")
    (policy,) = [p for p in v.items("networkpolicies") if p["metadata"]["name"] == "allow-ingress-nginx"]
    selector = policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert selector == {"name": "ingress-nginx"}
    labels = {n["metadata"]["name"]: n["metadata"]["labels"] for n in v.items("namespaces")}
    assert not [n for n, have in labels.items() if selector.items() <= have.items()]
    assert (
        '"name":"ingress-nginx"'
        in policy["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert policy["metadata"]["generation"] == 2
    assert {p["metadata"]["name"] for p in v.items("networkpolicies")} == {
        "allow-ingress-nginx",
        "default-deny-ingress",
    }


def test_tee_pod_sg_denies_lost_the_accept_rule_for_port_80() -> None:
    def rules(world: str) -> set[tuple[str, str, str]]:
        v = View(world)
        group = next(
            b
            for b in v.bodies("ecs/DescribeSecurityGroupAttribute").values()
            if b["SecurityGroupName"] == "tee-pod-eni"
        )
        return {(r["Policy"], r["PortRange"], r["SourceCidrIp"]) for r in group["Permissions"]["Permission"]}

    assert rules("terway-eni-https") - rules("tee-pod-sg-denies") == {("Accept", "80/80", "10.40.0.0/16")}
    assert ("Drop", "-1/-1", "0.0.0.0/0") in rules("tee-pod-sg-denies")
    health = _controller_health(View("tee-pod-sg-denies"))
    assert {r["ServerHealthStatus"] for r in health["BackendServers"]["BackendServer"]} == {"abnormal"}


@pytest.mark.parametrize("node", ["10.40.1.11", "10.40.1.12", "10.40.1.13"])
def test_tee_https_to_tls_port_sends_the_https_nodeport_to_port_443(node: str) -> None:
    for world, target in (("terway-eni-https", 80), ("tee-https-to-tls-port", 443)):
        v = View(world)
        (svc,) = [s for s in v.items("services") if s["metadata"]["name"] == "nginx-ingress-lb"]
        https = next(p for p in svc["spec"]["ports"] if p["name"] == "https")
        assert (https["nodePort"], https["targetPort"]) == (30443, target)
        rules = parse_kube_nftables(v.files.text(f"nodes/{node}/nft.txt"), check=True)
        entry = rules.find_node_port(30443)
        assert {(e.address, e.port) for e in rules.endpoints(entry)} == {
            (p["status"]["podIP"], target) for p in v.controllers()
        }
        (lb,) = [
            x
            for x in v.cloud("slb/DescribeLoadBalancers.json", "LoadBalancers", "LoadBalancer")
            if x["LoadBalancerName"] == "tee-public-lb"  # the Envoy Gateway's CLB is tee-eg-lb
        ]
        listeners = {
            li["ListenerPort"]: li
            for li in v.cloud("slb/DescribeLoadBalancerListeners.json", "Listeners")
            if li["LoadBalancerId"] == lb["LoadBalancerId"]
        }
        assert listeners[443]["ListenerProtocol"] == "https" and listeners[443]["BackendServerPort"] == 30443
        health = _controller_health(v)
        assert {r["ServerHealthStatus"] for r in health["BackendServers"]["BackendServer"]} == {"normal"}
        assert lb["Address"] == "203.0.113.80"


def _controller_health(v: View) -> dict:
    """The health answer of the CLB in front of the controllers (an L4 Service has a CLB of its own)."""
    (lb_id,) = [i for i, s in v.services_with_lb().items() if s["metadata"]["name"] == "nginx-ingress-lb"]
    return v.bodies("slb/DescribeHealthStatus")[lb_id]
