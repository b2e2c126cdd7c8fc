"""Broken scenarios of the design world "flannel-nodeport": what only Flannel and NodePorts can break.

A missing VPC route entry for a node's Pod CIDR (Pods there are unreachable from other
nodes), controllers that all moved to a node the CLB does not use (every backend fails
the Local health check), and a node whose kube-proxy lost the controller's NodePort (the
backend passes its health check yet refuses requests).
"""

from __future__ import annotations

import copy
from dataclasses import replace

from tools.demo_world import node_rules
from tools.demo_world.designs import flannel_nodeport as fln
from tools.demo_world.draft import Draft
from tools.demo_world.scenario import Scenario

BASE = "flannel-nodeport"
EXCLUDE = "node.kubernetes.io/exclude-from-external-load-balancers"
OLD_HTTP_NODE_PORT = 31080  # nginx-ingress-lb's http NodePort before the Service was recreated
MOVED = (("172.20.2.6", fln.N3), ("172.20.2.7", fln.N3), ("172.20.2.8", fln.N3))


def route_missing(d: Draft) -> None:
    """The VPC route entry for node 10.20.1.13's Pod CIDR 172.20.2.0/24 was deleted (by hand, while
    cleaning up the route table); shop's only Pod 172.20.2.5 runs there, and the controllers on
    nodes 1 and 4 send to it through the VPC, which no longer knows where 172.20.2.0/24 is."""
    table = d.cloud(f"vpc/DescribeRouteEntryList/{d.design.route_table_id}.json")
    entries = table["RouteEntrys"]["RouteEntry"]
    entries[:] = [e for e in entries if e["DestinationCidrBlock"] != d.design.node(fln.N3).pod_cidr]
    table["TotalCount"] = len(entries)


def local_no_endpoint(d: Draft) -> None:
    """The controller Deployment got a nodeSelector for node 10.20.1.13 (a new ReplicaSet): all three
    controller Pods now run there, and nodes 1, 2 and 4 run none. Node 3 carries the label
    node.kubernetes.io/exclude-from-external-load-balancers, so CCM keeps it out of the vServer
    groups, which hold nodes 1, 2 and 4: with externalTrafficPolicy Local their health check
    NodePort answers 503 and their kube-proxy has no KUBE-SVL chain for the controller Service."""
    nodes = tuple(replace(n, labels=((EXCLUDE, ""),)) if n.ip == fln.N3 else n for n in fln.NODES)
    lb = replace(fln.LB, backend_order=(fln.N1, fln.N2, fln.N4))
    pinned = (("kubernetes.io/hostname", d.design.node(fln.N3).name),)
    d.rebuild(fln.design(fln.controller(MOVED, not_ready=(), revision=2, node_selector=pinned), nodes, lb))


def nodeport_stale(d: Draft) -> None:
    """kube-proxy on node 10.20.1.14 lost its watch on Services before nginx-ingress-lb was recreated
    with new NodePorts: its KUBE-NODEPORTS still sends the old http NodePort 31080 to the controller
    and has no rule for 30581, the port the CLB uses. Its health check server still counts the
    local controller Pod, so the CLB keeps node 4 healthy while requests it sends there are refused."""
    node = d.design.node(fln.N4)
    seen = copy.deepcopy(d.items("services"))  # the Services as kube-proxy on node 4 last saw them
    for service in seen:
        if service["metadata"]["name"] == "nginx-ingress-lb":
            for port in service["spec"]["ports"]:
                if port["name"] == "http":
                    port["nodePort"] = OLD_HTTP_NODE_PORT
    rules = node_rules.iptables_save(d.design, node, seen, d.items("endpointslices"))
    assert f"--dport {OLD_HTTP_NODE_PORT} " in rules
    d.set_node_text(node.ip, "iptables-save.txt", rules)


STALE_ADDRESS = "203.0.113.59"  # the CLB fln-public-lb replaced; released since


def pvtz_record_stale(d: Draft) -> None:
    """The PrivateZone record web in zone fln.abc.com, which clients inside the VPC resolve, still
    says 203.0.113.59, the address of the CLB that fln-public-lb replaced; only the public Alidns
    record was moved to 203.0.113.60. Internet clients reach the site, VPC clients an address no
    load balancer owns."""
    zone = d.design.private_zones[0]
    body = d.cloud(f"pvtz/DescribeZoneRecords/{zone.id}.json")
    for record in body["Records"]["Record"]:
        if record["Rr"] == "web":
            record["Value"] = STALE_ADDRESS


SCENARIOS = [
    Scenario(
        name="flannel-route-missing",
        family="pod",
        summary="the VPC route entry for node 10.20.1.13's Pod CIDR was deleted: "
        "shop's only Pod is unreachable",
        expect="a blocked cross-node hop from the controllers on nodes 1 and 4 to shop's Pod 172.20.2.5: "
        "the route table has no entry for 172.20.2.0/24 (node cn-hangzhou.10.20.1.13)",
        domain="shop.fln.abc.com",
        edit=route_missing,
        base=BASE,
    ),
    Scenario(
        name="flannel-local-no-endpoint",
        family="load balancer",
        summary="all controller Pods moved to node 10.20.1.13, which is not a CLB backend: "
        "every backend fails the Local health check",
        expect="LB_BACKENDS_UNHEALTHY on listener 80 of fln-public-lb: nodes 1, 2 and 4 have no local "
        "controller endpoint (no KUBE-SVL chain; health check NodePort 32147 answers 503)",
        domain="web.fln.abc.com",
        edit=local_no_endpoint,
        base=BASE,
    ),
    Scenario(
        name="flannel-nodeport-stale",
        family="kube-proxy",
        summary="kube-proxy on node 10.20.1.14 still has the old http NodePort 31080, not 30581",
        expect="the NodePort hop on node cn-hangzhou.10.20.1.14 is blocked (no KUBE-NODEPORTS rule for "
        "30581) although the CLB reports it healthy; the request gets through node 10.20.1.11",
        domain="web.fln.abc.com",
        edit=nodeport_stale,
        base=BASE,
    ),
    Scenario(
        name="pvtz-record-stale",
        family="dns",
        summary="the PrivateZone record of web.fln.abc.com still points at the old CLB address "
        "203.0.113.59: VPC clients go nowhere, internet clients are fine",
        expect="INGRESS_STATUS_ADDRESS_DIFFERS on the DNS hop for a client inside the VPC: Ingress app/web "
        "publishes 203.0.113.60 but web.fln.abc.com resolves to 203.0.113.59 (PrivateZone zone fln.abc.com "
        "record web); no load balancer owns 203.0.113.59 (LB_NOT_FOUND_FOR_IP)",
        domain="web.fln.abc.com",
        edit=pvtz_record_stale,
        client_ip="10.20.1.50",
        base=BASE,
    ),
]
