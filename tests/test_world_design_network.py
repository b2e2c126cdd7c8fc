"""The design worlds' networks agree with themselves: Pod addresses, routes, egress, guards, plugin.

Each test joins artefacts stored apart (Pods and Nodes, ENIs, the route table, SNAT entries,
security groups, the plugin's DaemonSet and ConfigMap, the CS cluster detail) the way a
step would, and fails when they tell different stories for the world's network plugin.
"""

from __future__ import annotations

import json

import pytest
from design_worlds import NEW_DESIGNS, View, inside

from ackwb.demo import DESIGNS

PLUGIN_DAEMONSET = {"terway-eniip": "terway-eniip", "terway-eni": "terway-eni", "flannel": "kube-flannel-ds"}
EXPECTED_PLUGIN = {"healthy": "terway-eniip", "flannel-nodeport": "flannel", "terway-nlb": "terway-eniip",
                   "terway-eni-https": "terway-eni", "alb-gateway": "terway-eniip"}  # fmt: skip


@pytest.mark.parametrize("world", DESIGNS)
def test_pod_ips_are_where_the_network_plugin_puts_them(world: str) -> None:
    v = View(world)
    assert v.network == EXPECTED_PLUGIN[world]
    nodes = {n["metadata"]["name"]: n for n in v.items("nodes")}
    enis = v.enis
    checked = 0
    for pod in v.items("pods"):
        ip, node = pod["status"]["podIP"], pod["spec"]["nodeName"]
        if pod["spec"].get("hostNetwork"):
            assert ip == v.node_ips[node]
            continue
        checked += 1
        if v.network == "flannel":
            assert inside(ip, nodes[node]["spec"]["podCIDR"]), (pod["metadata"]["name"], ip)
            assert not any(inside(ip, vsw["CidrBlock"]) for vsw in v.vswitches.values())
            continue
        if v.network == "terway-eniip":  # a secondary IP of a secondary ENI of the node
            sets = [(e, s) for e in enis for s in e["PrivateIpSets"]["PrivateIpSet"]]
            (eni,) = [e for e, s in sets if s["PrivateIpAddress"] == ip and not s["Primary"]]
        else:  # terway-eni: the primary IP of an ENI of its own
            (eni,) = [e for e in enis if e["PrivateIpAddress"] == ip]
            assert eni["PrivateIpSets"]["PrivateIpSet"] == [{"Primary": True, "PrivateIpAddress": ip}]
            assert eni["Attachment"]["InstanceId"] == v.instance_of[node]
        assert eni["Type"] == "Secondary" and eni["InstanceId"] == v.instance_of[node]
        vsw = v.vswitches[eni["VSwitchId"]]
        assert inside(ip, vsw["CidrBlock"]) and vsw["ZoneId"] == eni["ZoneId"]
        assert vsw["ZoneId"] == nodes[node]["metadata"]["labels"]["topology.kubernetes.io/zone"]
    assert checked >= 5


def test_terway_puts_pods_on_the_pod_vswitches_eni_config_lists() -> None:
    for world in ("terway-nlb", "terway-eni-https"):
        v = View(world)
        (config,) = [c for c in v.items("configmaps") if c["metadata"]["name"] == "eni-config"]
        listed = json.loads(config["data"]["eni_conf"])["vswitches"]
        pod_enis = {e["VSwitchId"] for e in v.enis if e["Type"] == "Secondary"}
        instances = v.cloud("ecs/DescribeInstances.json", "Instances", "Instance")
        node_vswitches = {i["VpcAttributes"]["VSwitchId"] for i in instances}
        assert pod_enis == {vsw for ids in listed.values() for vsw in ids}
        assert not pod_enis & node_vswitches, "Pods live on vSwitches of their own"
        assert {v.vswitches[vsw]["ZoneId"] for vsw in pod_enis} == set(listed)


def test_flannel_has_one_vpc_route_per_node_pod_cidr() -> None:
    v = View("flannel-nodeport")
    (table,) = v.bodies("vpc/DescribeRouteEntryList").values()
    routes = {r["DestinationCidrBlock"]: r for r in table["RouteEntrys"]["RouteEntry"]}
    cidrs = []
    for node in v.items("nodes"):
        route = routes[node["spec"]["podCIDR"]]
        (hop,) = route["NextHops"]["NextHop"]
        assert (route["Type"], hop["NextHopType"]) == ("Custom", "Instance")
        assert hop["NextHopId"] == v.instance_of[node["metadata"]["name"]]
        cidrs.append(node["spec"]["podCIDR"])
    assert len(set(cidrs)) == 4 and all(inside(c.split("/")[0], "172.20.0.0/16") for c in cidrs)
    assert routes["0.0.0.0/0"]["NextHops"]["NextHop"][0]["NextHopType"] == "NatGateway"
    (detail,) = v.bodies("cs/DescribeClusterDetail").values()
    assert detail["container_cidr"] == "172.20.0.0/16"


@pytest.mark.parametrize("world", DESIGNS)
def test_every_vswitch_pods_leave_from_has_an_snat_entry_to_a_nat_eip(world: str) -> None:
    v = View(world)
    (nat,) = v.cloud("vpc/DescribeNatGateways.json", "NatGateways", "NatGateway")
    table_id = nat["SnatTableIds"]["SnatTableId"][0]
    snat = v.cloud(f"vpc/DescribeSnatTableEntries/{table_id}.json", "SnatTableEntries", "SnatTableEntry")
    entries = {e["SourceVSwitchId"]: e for e in snat}
    eips = {e["IpAddress"]: e for e in v.cloud("vpc/DescribeEipAddresses.json", "EipAddresses", "EipAddress")}
    # Flannel masquerades Pods to their node: the node's vSwitch; Terway: the vSwitch of the Pod's ENI
    sources = {
        i["VpcAttributes"]["VSwitchId"]
        for i in v.cloud("ecs/DescribeInstances.json", "Instances", "Instance")
    }
    sources |= {e["VSwitchId"] for e in v.enis}
    for vsw in sources:
        entry = entries[vsw]
        assert entry["SourceCIDR"] == v.vswitches[vsw]["CidrBlock"]
        eip = eips[entry["SnatIp"]]
        assert (eip["InstanceType"], eip["InstanceId"]) == ("Nat", nat["NatGatewayId"])
        (table,) = v.bodies("vpc/DescribeRouteEntryList").values()
        (default,) = [
            r for r in table["RouteEntrys"]["RouteEntry"] if r["DestinationCidrBlock"] == "0.0.0.0/0"
        ]
        assert v.vswitches[vsw]["RouteTable"]["RouteTableId"] == default["RouteTableId"]
    if world == "terway-nlb":  # pod vSwitches leave by one EIP, node vSwitches by another
        by_name = {v.vswitches[vsw]["VSwitchName"]: e["SnatIp"] for vsw, e in entries.items()}
        assert by_name == {"tnl-node-h": "203.0.113.221", "tnl-node-i": "203.0.113.221",
                           "tnl-pod-h": "203.0.113.220", "tnl-pod-i": "203.0.113.220"}  # fmt: skip


@pytest.mark.parametrize("world", DESIGNS)
def test_every_security_group_named_is_stored_with_its_rules(world: str) -> None:
    v = View(world)
    groups = v.bodies("ecs/DescribeSecurityGroupAttribute")
    named = {g for e in v.enis for g in e["SecurityGroupIds"]["SecurityGroupId"]}
    instances = v.cloud("ecs/DescribeInstances.json", "Instances", "Instance")
    named |= {g for i in instances for g in i["SecurityGroupIds"]["SecurityGroupId"]}
    named |= {
        g for n in v.cloud("nlb/ListLoadBalancers.json", "LoadBalancers") for g in n["SecurityGroupIds"]
    }
    assert named == set(groups)
    for group_id, body in groups.items():
        assert body["SecurityGroupId"] == group_id and body["VpcId"] == v.vpc_id
        for rule in body["Permissions"]["Permission"]:
            assert rule["Direction"] == "ingress" and rule["Policy"] in ("Accept", "Drop")
            assert 1 <= int(rule["Priority"]) <= 100 and rule["SecurityGroupRuleId"].startswith("sgr-")
            low, high = (int(p) for p in rule["PortRange"].split("/"))
            assert (low, high) == (-1, -1) or 1 <= low <= high <= 65535
    if world == "terway-eni-https":  # the Pod group: Accept the controllers' port from the VPC, Drop the rest
        (pod_group,) = {
            g for e in v.enis if e["Type"] == "Secondary" for g in e["SecurityGroupIds"]["SecurityGroupId"]
        }
        rules = {
            (r["Policy"], r["IpProtocol"], r["PortRange"], r["SourceCidrIp"], r["Priority"])
            for r in groups[pod_group]["Permissions"]["Permission"]
        }
        assert ("Accept", "TCP", "80/80", "10.40.0.0/16", "1") in rules
        assert ("Drop", "ALL", "-1/-1", "0.0.0.0/0", "100") in rules


@pytest.mark.parametrize("world", DESIGNS)
def test_the_plugin_daemonset_and_configmap_match_the_cluster(world: str) -> None:
    v = View(world)
    daemonsets = {d["metadata"]["name"]: d for d in v.items("daemonsets")}
    assert set(daemonsets) == {PLUGIN_DAEMONSET[v.network], "kube-proxy-worker"}
    for ds in daemonsets.values():
        assert ds["status"]["desiredNumberScheduled"] == len(v.items("nodes")) == ds["status"]["numberReady"]
        owned = [p for p in v.items("pods") if p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"]
        pods = [p for p in owned if p["metadata"]["ownerReferences"][0]["name"] == ds["metadata"]["name"]]
        assert len(pods) == len(v.items("nodes"))
        assert all(
            ds["spec"]["selector"]["matchLabels"].items() <= p["metadata"]["labels"].items() for p in pods
        )
    (config,) = v.items("configmaps")
    data = config["data"]
    if v.network == "flannel":
        assert config["metadata"]["name"] == "kube-flannel-cfg"
        net = json.loads(data["net-conf.json"])
        assert net == {"Network": "172.20.0.0/16", "Backend": {"Type": "ali-vpc"}}
        json.loads(data["cni-conf.json"])
    else:
        assert config["metadata"]["name"] == "eni-config"
        conf = json.loads(data["eni_conf"])
        assert (conf["access_key"], conf["access_secret"]) == ("", "")  # the node's RAM role provides them
        (detail,) = v.bodies("cs/DescribeClusterDetail").values()
        assert conf["service_cidr"] == detail["service_cidr"]
        # terway-nlb enforces NetworkPolicy; alb-gateway is terway-nlb's cluster with an ALB beside it
        enforced = world in ("terway-nlb", "alb-gateway")
        assert data["disable_network_policy"] == ("false" if enforced else "true")
        assert json.loads(data["10-terway.conf"])["type"] == "terway"


def test_namespaces_carry_their_name_label_and_policies_select_them() -> None:
    for world in NEW_DESIGNS:
        for ns in View(world).items("namespaces"):
            assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == ns["metadata"]["name"]
    v = View("terway-nlb")
    namespaces = {n["metadata"]["name"]: n["metadata"]["labels"] for n in v.items("namespaces")}
    assert namespaces["shop"]["team"] == "shop"
    policies = {p["metadata"]["name"]: p["spec"] for p in v.items("networkpolicies")}
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    (rule,) = policies["allow-ingress-nginx"]["ingress"]
    (peer,) = rule["from"]
    wanted = peer["namespaceSelector"]["matchLabels"].items()
    selected = [name for name, labels in namespaces.items() if wanted <= labels.items()]
    assert selected == ["kube-system"]
    pods = peer["podSelector"]["matchLabels"].items()
    assert v.controllers() and all(pods <= p["metadata"]["labels"].items() for p in v.controllers())
    declared = {  # container port name → number, in shop's Pods (a targetPort may be a name)
        c["name"]: c["containerPort"]
        for p in v.items("pods")
        if p["metadata"]["namespace"] == "shop"
        for container in p["spec"]["containers"]
        for c in container.get("ports", [])
        if c.get("name")
    }
    shop_ports = {  # the policy lets the controllers reach every port of shop's Pods
        declared.get(port["targetPort"], port["targetPort"])
        for s in v.items("services")
        if s["metadata"]["namespace"] == "shop" and s["spec"].get("selector")
        for port in s["spec"]["ports"]
    }
    assert {p["port"] for p in rule["ports"]} == shop_ports == {8080, 9090, 9200, 50051}
    assert {p["protocol"] for p in rule["ports"]} == {"TCP"}
