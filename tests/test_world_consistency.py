"""The demo world agrees with itself: DNS, load balancers, ENIs, Kubernetes, IPVS and nginx.

Each test joins two independently stored artefacts the way a step would, and fails when
they tell different stories. The last test proves the committed files are exactly what
tools/build_demo_world.py generates.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from ackwb.demo import demo_world_root

WORLD = Path(str(demo_world_root()))
ROOT = Path(__file__).resolve().parent.parent


def load(relative: str) -> Any:
    return json.loads((WORLD / relative).read_text())


def items(resource: str) -> list[dict[str, Any]]:
    return load(f"kube/{resource}.json")["items"]


def cloud_items(relative: str, *path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for file in sorted(WORLD.glob(f"cloud/{relative}")):
        body = json.loads(file.read_text())
        for key in path:
            body = body[key]
        found.extend(body)
    return found


def node_ips() -> dict[str, str]:
    addresses = {n["metadata"]["name"]: n["status"]["addresses"] for n in items("nodes")}
    return {
        name: next(a["address"] for a in rows if a["type"] == "InternalIP")
        for name, rows in addresses.items()
    }


LBS = cloud_items("slb/DescribeLoadBalancers.json", "LoadBalancers", "LoadBalancer")
NLBS = cloud_items("nlb/ListLoadBalancers.json", "LoadBalancers")
NLB_ADDRESSES = {
    a["PublicIPv4Address"]: nlb
    for nlb in NLBS
    for zone in nlb["ZoneMappings"]
    for a in zone["LoadBalancerAddresses"]
}
ENIS = cloud_items("ecs/DescribeNetworkInterfaces.json", "NetworkInterfaceSets", "NetworkInterfaceSet")


def test_every_a_record_points_at_a_load_balancer() -> None:
    addresses = {lb["Address"] for lb in LBS} | set(NLB_ADDRESSES)
    public = [r for r in load("dns/public.json") if r["type"] == "A"]
    alidns = [
        r
        for r in cloud_items("alidns/DescribeDomainRecords/*.json", "DomainRecords", "Record")
        if r["Type"] == "A"
    ]
    assert public and alidns
    assert {r["value"] for r in public} <= addresses and {r["Value"] for r in alidns} <= addresses
    assert {(r["name"], r["value"]) for r in public} == {
        (f"{r['RR']}.{r['DomainName']}.", r["Value"]) for r in alidns
    }


def test_backends_are_node_enis() -> None:
    nodes, enis = node_ips(), {e["NetworkInterfaceId"]: e for e in ENIS}
    instance_of = {n["metadata"]["name"]: n["spec"]["providerID"].split(".", 1)[1] for n in items("nodes")}
    backends = cloud_items("slb/DescribeVServerGroupAttribute/*.json", "BackendServers", "BackendServer")
    assert backends
    for backend in backends:
        assert backend["ServerIp"] in nodes.values()
        eni = enis[backend["ServerId"]]
        assert eni["PrivateIpAddress"] == backend["ServerIp"] and eni["Type"] == "Primary"
        node = next(name for name, ip in nodes.items() if ip == backend["ServerIp"])
        assert eni["InstanceId"] == instance_of[node]
    health = cloud_items("slb/DescribeHealthStatus/*.json", "BackendServers", "BackendServer")
    assert {(h["ServerId"], h["Port"]) for h in health} == {(b["ServerId"], b["Port"]) for b in backends}


def test_listeners_groups_and_services_agree() -> None:
    services = {
        s["metadata"].get("labels", {}).get("service.k8s.alibaba/loadbalancer-id"): s
        for s in items("services")
    }
    cluster_id = load("world.json")["cluster_id"]
    for listener in cloud_items("slb/DescribeLoadBalancerListeners.json", "Listeners"):
        svc = services[listener["LoadBalancerId"]]
        assert (
            listener["Description"]
            == f"k8s/{listener['ListenerPort']}/{svc['metadata']['name']}/kube-system/{cluster_id}"
        )
        group = load(f"cloud/slb/DescribeVServerGroupAttribute/{listener['VServerGroupId']}.json")
        assert group["LoadBalancerId"] == listener["LoadBalancerId"]
        lb = next(lb for lb in LBS if lb["LoadBalancerId"] == listener["LoadBalancerId"])
        assert svc["status"]["loadBalancer"]["ingress"][0]["ip"] == lb["Address"]
        annotations = svc["metadata"]["annotations"]
        acl = annotations.get("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-acl-id")
        assert listener.get("AclId") == acl and (listener["AclStatus"] == "on") == bool(acl)


def test_nlb_servers_listeners_and_service_agree() -> None:
    """The NLB as CCM made it for its Service: listeners per Service port, servers are the ENIs of
    the nodes that run a host-network controller Pod, health per listener, EIPs bound to it."""
    services = {
        s["metadata"].get("labels", {}).get("service.k8s.alibaba/loadbalancer-id"): s
        for s in items("services")
    }
    nodes, enis = node_ips(), {e["NetworkInterfaceId"]: e for e in ENIS}
    controllers = {
        p["status"]["hostIP"] for p in items("pods") if p["metadata"]["labels"].get("app") == "ingress-nginx"
    }
    cluster_id = load("world.json")["cluster_id"]
    (nlb,) = NLBS
    svc = services[nlb["LoadBalancerId"]]
    assert svc["spec"]["loadBalancerClass"] == "alibabacloud.com/nlb"
    assert svc["status"]["loadBalancer"]["ingress"][0]["hostname"] == nlb["DNSName"]
    listeners = [
        li
        for li in cloud_items("nlb/ListListeners.json", "Listeners")
        if li["LoadBalancerId"] == nlb["LoadBalancerId"]
    ]
    assert sorted(li["ListenerPort"] for li in listeners) == sorted(p["port"] for p in svc["spec"]["ports"])
    for listener in listeners:
        name = svc["metadata"]["name"]
        assert (
            listener["ListenerDescription"]
            == f"k8s/{listener['ListenerPort']}/{name}/kube-system/{cluster_id}"
        )
        servers = load(f"cloud/nlb/ListServerGroupServers/{listener['ServerGroupId']}.json")["Servers"]
        assert {s["ServerIp"] for s in servers} == controllers and controllers <= set(nodes.values())
        for server in servers:
            eni = enis[server["ServerId"]]
            assert eni["PrivateIpAddress"] == server["ServerIp"] and server["ServerType"] == "Eni"
            assert server["Port"] == listener["ListenerPort"]
        (health,) = load(f"cloud/nlb/GetListenerHealthStatus/{listener['ListenerId']}.json")[
            "ListenerHealthStatus"
        ]
        assert health["ListenerId"] == listener["ListenerId"]
        assert {g["ServerGroupId"] for g in health["ServerGroupInfos"]} == {listener["ServerGroupId"]}
    (group,) = nlb["SecurityGroupIds"]
    assert load(f"cloud/ecs/DescribeSecurityGroupAttribute/{group}.json")["VpcId"] == nlb["VpcId"]
    eips = {
        e["IpAddress"]: e for e in cloud_items("vpc/DescribeEipAddresses.json", "EipAddresses", "EipAddress")
    }
    for zone in nlb["ZoneMappings"]:
        (address,) = zone["LoadBalancerAddresses"]
        eip = eips[address["PublicIPv4Address"]]
        assert (eip["AllocationId"], eip["InstanceId"]) == (address["AllocationId"], nlb["LoadBalancerId"])
        assert eip["PrivateIpAddress"] == address["PrivateIPv4Address"]


def test_endpoint_slice_addresses_are_pod_ips() -> None:
    pods = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in items("pods")}
    checked = 0
    for eps in items("endpointslices"):
        for endpoint in eps["endpoints"]:
            ref = endpoint.get("targetRef")
            if ref is None:  # default/kubernetes: the API server's own endpoint, not a Pod
                assert eps["metadata"]["name"] == "kubernetes"
                continue
            pod = pods[(ref["namespace"], ref["name"])]
            assert endpoint["addresses"] == [pod["status"]["podIP"]] and ref["uid"] == pod["metadata"]["uid"]
            assert endpoint["nodeName"] == pod["spec"]["nodeName"]
            checked += 1
    assert checked >= 10


def test_pod_ips_are_secondary_ips_of_their_nodes_enis() -> None:
    instance_of = {n["metadata"]["name"]: n["spec"]["providerID"].split(".", 1)[1] for n in items("nodes")}
    secondary = {s["PrivateIpAddress"]: e["InstanceId"] for e in ENIS if e["Type"] == "Secondary"
                 for s in e["PrivateIpSets"]["PrivateIpSet"] if not s["Primary"]}  # fmt: skip
    for pod in items("pods"):
        ip, node = pod["status"]["podIP"], pod["spec"]["nodeName"]
        if pod["spec"].get("hostNetwork"):
            assert ip == node_ips()[node]
        else:
            assert secondary[ip] == instance_of[node]
            assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.17.10.0/24")


def ready_endpoints(service: dict[str, Any], port: dict[str, Any]) -> set[str]:
    out = set()
    for eps in items("endpointslices"):
        meta = eps["metadata"]
        if meta["namespace"] != service["metadata"]["namespace"]:
            continue
        if meta["labels"].get("kubernetes.io/service-name") != service["metadata"]["name"]:
            continue
        target = next(p["port"] for p in eps["ports"] if p["name"] == port.get("name", ""))
        out |= {
            f"{a}:{target}"
            for e in eps["endpoints"]
            if e["conditions"].get("ready", True)
            for a in e["addresses"]
        }
    return out


def ipvs_table(text: str) -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines()[3:]:
        if line.startswith("  ->"):
            table[current].add(line.split()[1])
        else:
            proto, vip = line.split()[:2]
            current = f"{proto} {vip}"
            table[current] = set()
    return table


@pytest.mark.parametrize("node", sorted(node_ips().values()))
def test_ipvs_real_servers_are_the_ready_endpoints(node: str) -> None:
    table = ipvs_table((WORLD / "nodes" / node / "ipvsadm.txt").read_text())
    for service in items("services"):
        for port in service["spec"]["ports"]:
            key = f"{port['protocol']} {service['spec']['clusterIP']}:{port['port']}"
            assert table.pop(key) == ready_endpoints(service, port), key
            if port.get("nodePort"):
                assert f"TCP {node}:{port['nodePort']}" in table
    leftovers = {key.split()[1].rsplit(":", 1)[0] for key in table}
    lb_ips = {  # an NLB Service is published by hostname: kube-proxy programs no IP for it
        i["ip"]
        for s in items("services")
        for i in s["status"]["loadBalancer"].get("ingress", [])
        if "ip" in i
    }
    assert leftovers <= {node} | lb_ips  # only NodePorts and load-balancer IPs remain


def test_cluster_dns_answers_cluster_ips() -> None:
    records = {r["name"]: r["value"] for r in load("dns/cluster.json")}
    for service in items("services"):
        meta = service["metadata"]
        assert (
            records[f"{meta['name']}.{meta['namespace']}.svc.cluster.local."] == service["spec"]["clusterIP"]
        )


def test_dynamic_backends_follow_endpoints_or_cluster_ip() -> None:
    ingresses = {i["metadata"]["name"]: i for i in items("ingresses")}
    services = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in items("services")}
    for folder in sorted((WORLD / "pods" / "kube-system").iterdir()):
        conf = (folder / "nginx.conf").read_text()
        backends = {b["name"]: b for b in json.loads((folder / "backends.json").read_text())}
        for name, ingress in ingresses.items():
            rule = ingress["spec"]["rules"][0]
            backend_ref = rule["http"]["paths"][0]["backend"]["service"]
            service = services[(ingress["metadata"]["namespace"], backend_ref["name"])]
            port = next(p for p in service["spec"]["ports"] if p["port"] == backend_ref["port"]["number"])
            block = conf.split(f"## start server {rule['host']}\n")[1].split(f"## end server {rule['host']}")[
                0
            ]
            upstream = re.search(r'set \$proxy_upstream_name "([^"]+)";', block.split("location / {")[1])[1]
            got = {f"{e['address']}:{e['port']}" for e in backends[upstream]["endpoints"]}
            annotations = ingress["metadata"].get("annotations", {})
            if annotations.get("nginx.ingress.kubernetes.io/service-upstream") == "true":
                assert got == {f"{service['spec']['clusterIP']}:{port['port']}"}, name
            else:
                assert got == ready_endpoints(service, port), name


def test_egress_leaves_through_an_eip_that_is_no_load_balancer() -> None:
    (vsw_body,) = [
        json.loads(p.read_text()) for p in WORLD.glob("cloud/vpc/DescribeVSwitchAttributes/*.json")
    ]
    routes = load(f"cloud/vpc/DescribeRouteEntryList/{vsw_body['RouteTable']['RouteTableId']}.json")
    (default,) = [r for r in routes["RouteEntrys"]["RouteEntry"] if r["DestinationCidrBlock"] == "0.0.0.0/0"]
    (hop,) = default["NextHops"]["NextHop"]
    (nat,) = [g for g in cloud_items("vpc/DescribeNatGateways.json", "NatGateways", "NatGateway")
              if g["NatGatewayId"] == hop["NextHopId"]]  # fmt: skip
    entries = cloud_items("vpc/DescribeSnatTableEntries/*.json", "SnatTableEntries", "SnatTableEntry")
    (entry,) = [e for e in entries if e["SourceVSwitchId"] == vsw_body["VSwitchId"]
                and e["SnatTableId"] in nat["SnatTableIds"]["SnatTableId"]]  # fmt: skip
    (eip,) = [e for e in cloud_items("vpc/DescribeEipAddresses.json", "EipAddresses", "EipAddress")
              if e["IpAddress"] == entry["SnatIp"]]  # fmt: skip
    assert (eip["InstanceType"], eip["InstanceId"]) == ("Nat", nat["NatGatewayId"])
    assert eip["IpAddress"] not in {lb["Address"] for lb in LBS} | set(NLB_ADDRESSES)
    assert {e["VSwitchId"] for e in ENIS} == {vsw_body["VSwitchId"]}


def test_world_json_matches_the_cluster() -> None:
    meta = load("world.json")
    detail = load(f"cloud/cs/DescribeClusterDetail/{meta['cluster_id']}.json")
    assert (detail["cluster_id"], detail["region_id"]) == (meta["cluster_id"], meta["region"])
    dns = next(s for s in items("services") if s["metadata"]["name"] == "kube-dns")
    assert dns["spec"]["clusterIP"] == meta["cluster_dns"]
    controller = meta["ingress_controller"]
    pods = [p for p in items("pods") if p["metadata"]["namespace"] == controller["namespace"]
            and p["metadata"]["labels"].get("app") == controller["label_selector"].split("=")[1]]  # fmt: skip
    assert sorted(p["metadata"]["name"] for p in pods) == sorted(
        d.name for d in (WORLD / "pods" / "kube-system").iterdir()
    )
    assert all(p["spec"]["containers"][0]["name"] == controller["container"] for p in pods)


def test_committed_world_is_what_the_generator_writes() -> None:
    builder = ROOT / "tools" / "build_demo_world.py"
    if not builder.is_file():
        pytest.skip("not a checkout: tools/ is absent")
    sys.path.insert(0, str(ROOT))
    try:
        from tools.build_demo_world import differences
    finally:
        sys.path.remove(str(ROOT))
    assert differences(WORLD) == [], "run: python tools/build_demo_world.py"
