"""The design worlds' request paths agree with themselves: DNS, load balancers, kube-proxy, nginx.

A domain resolves (through a CNAME chain where the zone says so) to a load balancer of its
world; every CLB backend is a node on the port its Service says (the NodePort for ECS
backends); health follows ``externalTrafficPolicy`` (Local: only nodes with a ready
controller pass); NLB Ip server groups hold the controller Pod IPs; every node's kube-proxy
rules parse with ackwb's parsers and lead from the NodePort and the ClusterIP to the right
endpoints; the controllers' dynamic backends are the ready endpoints.
"""

from __future__ import annotations

import pytest
from design_worlds import NEW_DESIGNS, NGINX, View, inside, is_ready

from ackwb.demo import DESIGNS
from ackwb.parse.ipvsadm import parse_ipvsadm
from ackwb.parse.kube_iptables import parse_kube_iptables
from ackwb.parse.kube_nftables import parse_kube_nftables
from ackwb.parse.kube_rules import ProxyRules
from ackwb.sources import commands
from ackwb.sources.base import NodeSource

NODE_WORLDS = [(w, n) for w in DESIGNS for n in sorted(View(w).node_ips.values())]


def lb_addresses(v: View) -> set[str]:
    clbs = {
        lb["Address"] for lb in v.cloud("slb/DescribeLoadBalancers.json", "LoadBalancers", "LoadBalancer")
    }
    zones = [z for n in v.cloud("nlb/ListLoadBalancers.json", "LoadBalancers") for z in n["ZoneMappings"]]
    alb_zones = [z for b in v.albs().values() for z in b["ZoneMappings"]]
    albs = {a["Address"] for z in alb_zones for a in z["LoadBalancerAddresses"]}
    return clbs | {a["PublicIPv4Address"] for z in zones for a in z["LoadBalancerAddresses"]} | albs


def zone_addresses(v: View, dns_name: str) -> tuple[set[str], int]:
    """The public addresses of the NLB or ALB with this DNS name (one per zone) and its zone count."""
    nlbs = {n["DNSName"]: n for n in v.cloud("nlb/ListLoadBalancers.json", "LoadBalancers")}
    if dns_name in nlbs:
        zones = nlbs[dns_name]["ZoneMappings"]
        return {a["PublicIPv4Address"] for z in zones for a in z["LoadBalancerAddresses"]}, len(zones)
    zones = v.albs()[dns_name]["ZoneMappings"]
    return {a["Address"] for z in zones for a in z["LoadBalancerAddresses"]}, len(zones)


@pytest.mark.parametrize("world", NEW_DESIGNS)
def test_every_domain_resolves_to_a_load_balancer_as_alidns_says(world: str) -> None:
    v = View(world)
    dns = v.world.sources().dns
    (zone,) = v.bodies("alidns/DescribeDomainRecords").values()
    records = {f"{r['RR']}.{r['DomainName']}": r for r in zone["DomainRecords"]["Record"]}
    hosts = {i["spec"]["rules"][0]["host"] for i in v.items("ingresses")}
    l4 = {
        s["metadata"]["name"]
        for s in v.services_with_lb().values()
        if s["metadata"]["namespace"] != "kube-system"
    }
    hosts |= {host for host in records if host.split(".")[0] in l4}  # an L4 Service's own name
    routes = (v.files.json("kube/httproutes.json") or {}).get("items", [])  # Gateway API hosts
    hosts |= {host for route in routes for host in route["spec"].get("hostnames", [])}
    assert set(records) == hosts
    for host, record in records.items():
        answer = dns.resolve(host)
        final = {r.value for r in answer if r.type == "A"}
        assert final and final <= lb_addresses(v), host
        if record["Type"] == "CNAME":  # the chain: host → the NLB's or ALB's DNS name → one address per zone
            assert [(r.type, r.value.rstrip(".")) for r in answer if r.type == "CNAME"] == [
                ("CNAME", record["Value"])
            ]
            addresses, zones = zone_addresses(v, record["Value"])
            assert final == addresses
            assert len(final) == zones == 2
        else:
            assert final == {record["Value"]}


@pytest.mark.parametrize("world", DESIGNS)
def test_clb_backends_are_nodes_on_the_services_ports(world: str) -> None:
    v = View(world)
    services = v.services_with_lb()
    groups = v.bodies("slb/DescribeVServerGroupAttribute")
    cluster = v.meta["cluster_id"]
    instances = {i: name for name, i in v.instance_of.items()}
    for listener in v.cloud("slb/DescribeLoadBalancerListeners.json", "Listeners"):
        svc = services[listener["LoadBalancerId"]]
        port = next(p for p in svc["spec"]["ports"] if p["port"] == listener["ListenerPort"])
        group = groups[listener["VServerGroupId"]]
        backends = group["BackendServers"]["BackendServer"]
        assert backends
        for backend in backends:
            if backend["Type"] == "ecs":
                assert backend["Port"] == port["nodePort"] and backend["ServerId"] in instances
                assert v.node_ips[instances[backend["ServerId"]]] == backend["ServerIp"]
            else:
                assert backend["Type"] == "eni" and backend["Port"] == port["targetPort"]
                selector = svc["spec"].get("selector") or {}
                own_pods = {  # Terway exclusive ENI: the Service's Pods' own ENIs (an Envoy proxy's)
                    p["status"].get("podIP")
                    for p in v.items("pods")
                    if p["metadata"]["namespace"] == svc["metadata"]["namespace"]
                    and selector.items() <= p["metadata"].get("labels", {}).items()
                    and not p["spec"].get("hostNetwork")
                }
                assert backend["ServerIp"] in {*v.node_ips.values(), *own_pods}
            name = svc["metadata"]["name"]
            assert (
                backend["Description"]
                == group["VServerGroupName"]
                == f"k8s/{backend['Port']}/{name}/{svc['metadata']['namespace']}/{cluster}"
            )
        if listener["ListenerProtocol"] == "https":
            config = listener["HTTPSListenerConfig"]
            assert config["ServerCertificateId"].endswith("-cn-hangzhou") and config["XForwardedFor"] == "on"
            notes = svc["metadata"]["annotations"]
            assert (
                notes["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id"]
                == config["ServerCertificateId"]
            )


@pytest.mark.parametrize("world", DESIGNS)
def test_health_follows_the_external_traffic_policy(world: str) -> None:
    v = View(world)
    ready_nodes = {v.node_ips[p["spec"]["nodeName"]] for p in v.controllers() if is_ready(p)}
    services = v.services_with_lb()
    for lb_id, body in v.bodies("slb/DescribeHealthStatus").items():
        policy = services[lb_id]["spec"]["externalTrafficPolicy"]
        rows = body["BackendServers"]["BackendServer"]
        for row in rows:
            local_rule = policy == "Local" and row["ServerId"].startswith("i-")
            expected = row["ServerIp"] in ready_nodes if local_rule else True
            assert (row["ServerHealthStatus"] == "normal") is expected, (lb_id, row["ServerIp"])
        groups = v.bodies("slb/DescribeVServerGroupAttribute").values()
        for group in [g for g in groups if g["LoadBalancerId"] == lb_id]:
            first = group["BackendServers"]["BackendServer"][0]  # an unhealthy backend never comes first
            assert any(
                r["ServerId"] == first["ServerId"] and r["ServerHealthStatus"] == "normal" for r in rows
            )
    if world == "flannel-nodeport":
        assert sorted(ready_nodes) == ["10.20.1.11", "10.20.1.14"]


def test_nlb_ip_server_groups_hold_the_controller_pod_ips() -> None:
    v = View("terway-nlb")
    owners = v.services_with_lb()
    (nlb,) = [
        n
        for n in v.cloud("nlb/ListLoadBalancers.json", "LoadBalancers")
        if owners[n["LoadBalancerId"]]["metadata"]["name"] == "nginx-ingress-lb"
    ]  # the controllers' NLB (an L4 Service has its own)
    groups = {g["ServerGroupId"]: g for g in v.cloud("nlb/ListServerGroups.json", "ServerGroups")}
    pods = {p["status"]["podIP"]: p for p in v.controllers()}
    zone_of = {
        n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
        for n in v.items("nodes")
    }
    listeners = [
        li
        for li in v.cloud("nlb/ListListeners.json", "Listeners")
        if li["LoadBalancerId"] == nlb["LoadBalancerId"]
    ]
    assert sorted(li["ListenerPort"] for li in listeners) == [80, 443]
    for listener in listeners:
        group = groups[listener["ServerGroupId"]]
        assert (group["ServerGroupType"], group["PreserveClientIpEnabled"]) == ("Ip", True)
        assert group["RelatedLoadBalancerIds"] == [nlb["LoadBalancerId"]]
        servers = v.json(f"cloud/nlb/ListServerGroupServers/{group['ServerGroupId']}.json")["Servers"]
        assert group["ServerCount"] == len(servers) and {s["ServerIp"] for s in servers} == set(pods)
        for server in servers:
            assert server["ServerType"] == "Ip" and server["ServerId"] == server["ServerIp"]
            assert server["Port"] == listener["ListenerPort"]
            assert server["ZoneId"] == zone_of[pods[server["ServerIp"]]["spec"]["nodeName"]]
            assert not pods[server["ServerIp"]]["spec"].get("hostNetwork")
    assert {z["ZoneId"] for z in nlb["ZoneMappings"]} == set(zone_of.values())


def _rules(v: View, node: str) -> ProxyRules | None:
    mode = v.files.text(f"nodes/{node}/proxy-mode.txt")
    if mode == "iptables":
        return parse_kube_iptables(v.files.text(f"nodes/{node}/iptables-save.txt"), check=True)
    if mode == "nftables":
        return parse_kube_nftables(v.files.text(f"nodes/{node}/nft.txt"), check=True)
    return None


@pytest.mark.parametrize(("world", "node"), [(w, n) for w, n in NODE_WORLDS if w != "healthy"])
def test_kube_proxy_rules_lead_from_every_way_in_to_the_ready_endpoints(world: str, node: str) -> None:
    v = View(world)
    node_name = next(name for name, ip in v.node_ips.items() if ip == node)
    mode = v.files.text(f"nodes/{node}/proxy-mode.txt")
    modes = {"flannel-nodeport": "iptables", "terway-nlb": "ipvs", "terway-eni-https": "nftables",
             "alb-gateway": "ipvs"}  # fmt: skip
    assert mode == modes[world]
    rules = _rules(v, node)
    table = v.world.sources().node  # IPVS: compared through ipvsadm -Ln -t VIP:PORT as steps read it
    for svc in v.items("services"):
        if svc["spec"].get("clusterIP", "None") == "None":
            continue  # headless or ExternalName: no virtual IP (tests/test_world_service_kinds.py)
        for port in svc["spec"]["ports"]:
            ready = v.ready_endpoints(svc, port["name"])
            everywhere = {(a, t) for a, _, t in ready}
            local = {(a, t) for a, n, t in ready if n == node_name}
            ways = [(svc["spec"]["clusterIP"], port["port"], everywhere)]
            if port.get("nodePort"):
                policy = svc["spec"].get("externalTrafficPolicy")
                ways.append((None, port["nodePort"], local if policy == "Local" else everywhere))
            protocol = port["protocol"]
            for address, number, expected in ways:
                if rules is None:
                    found = _ipvs_reals(table, node, address or node, number, protocol)
                else:
                    entry = rules.find(address, number, protocol) if address else rules.find_node_port(number)
                    assert entry is not None or not expected, (address, number)
                    found = {(e.address, e.port) for e in rules.endpoints(entry)} if entry else set()
                assert found == expected, (svc["metadata"]["name"], address, number)


def _ipvs_reals(
    source: NodeSource, node: str, address: str, port: int, protocol: str
) -> set[tuple[str, int]]:
    output = source.run(node, commands.ipvsadm_service(address, port, protocol))
    assert output.exit_status == 0, (address, port)
    (service,) = parse_ipvsadm(output.stdout).services
    return {(r.address, r.port) for r in service.real_servers}


@pytest.mark.parametrize("world", NEW_DESIGNS)
def test_dynamic_backends_are_the_ready_endpoints_or_the_cluster_ip(world: str) -> None:
    v = View(world)
    services = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in v.items("services")}
    for pod in v.controllers():
        folder = f"pods/kube-system/{pod['metadata']['name']}"
        backends = {b["name"]: b for b in v.json(f"{folder}/backends.json")}
        conf = v.files.text(f"{folder}/nginx.conf")
        for ingress in v.ingresses_of(NGINX):  # an ALB Ingress has no upstream in nginx
            rule = ingress["spec"]["rules"][0]
            ref = rule["http"]["paths"][0]["backend"]["service"]
            svc = services[(ingress["metadata"]["namespace"], ref["name"])]
            key = ref["port"]["number"] if "number" in ref["port"] else ref["port"]["name"]  # by name too
            port = next(p for p in svc["spec"]["ports"] if key in (p["port"], p["name"]))
            name = f"{ingress['metadata']['namespace']}-{ref['name']}-{key}"
            assert (
                f"## start server {rule['host']}\n" in conf and f'set $proxy_upstream_name "{name}";' in conf
            )
            got = {(e["address"], int(e["port"])) for e in backends[name].get("endpoints", [])}
            annotations = ingress["metadata"].get("annotations", {})
            if svc["spec"]["type"] == "ExternalName":  # the balancer resolves the name itself
                assert got == {(svc["spec"]["externalName"], port["targetPort"])}
                assert not v.service_slices(svc["metadata"]["namespace"], svc["metadata"]["name"])
            elif annotations.get("nginx.ingress.kubernetes.io/service-upstream") == "true":
                assert got == {(svc["spec"]["clusterIP"], port["port"])}
            else:  # Pod IPs, for a headless Service too
                assert got == {(a, t) for a, _, t in v.ready_endpoints(svc, port["name"])}
                assert got and all(inside(a, "10.0.0.0/8") or inside(a, "172.16.0.0/12") for a, _ in got)
