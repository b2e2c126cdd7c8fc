"""How a request crosses from the controller's node to the Pod's node, by network plugin.

On the same node it never leaves the host. With Terway a Pod IP is a VPC address (an ENI's),
so the VPC routes it natively. With Flannel (ACK's "ali-vpc" backend) a Pod IP lives in its
node's Pod CIDR, and the VPC carries it there only through a custom route entry the cloud
controller manager writes per node: Pod CIDR → that node's ECS instance. That entry is the
evidence; a missing one, or one pointing at another instance, is where the request stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Finding, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster
from ackwb.steps.common import cloud_evidence, dig, sh, source_finding
from ackwb.steps.vpc import instance, instance_id_of, next_hops, routes, vswitch

Obj = dict[str, Any]


@dataclass(frozen=True)
class Crossing:
    verdict: Verdict
    detail: str  # how the packet gets there, for the hop's details and the edge label
    finding: Finding | None = None


def crossing(
    sources: Sources,
    cluster: Cluster,
    hop_id: str,
    pod_node: Obj | None,
    sender_nodes: list[Obj],
    sender: str = "a controller",
    every_sender: bool = False,
) -> Crossing:
    """From the nodes the request leaves (the serving controllers', or ``sender``'s) to ``pod_node``;
    ``every_sender``: say how the senders on other nodes reach it too (NodePorts with Cluster)."""
    name = dig(pod_node or {}, "metadata", "name") or ""
    if not name:
        return Crossing(Verdict.UNKNOWN, "the Pod's node is not known")
    others = [n for n in sender_nodes if dig(n, "metadata", "name") != name]
    if len(others) < len(sender_nodes):
        if not others or not every_sender:
            return Crossing(Verdict.OK, f"same node as {sender}: it never leaves the host")
        # NodePorts on other nodes send here too (externalTrafficPolicy Cluster): the Pod is reached
        # from its own node whatever the route says; the route says whether the others reach it
        across = crossing(sources, cluster, hop_id, pod_node, others, sender)
        return Crossing(Verdict.OK, f"from {sender} on its own node; from the others: {across.detail}")
    plugin = cluster.plugin
    if plugin.name == "terway":
        return Crossing(Verdict.OK, "across the VPC: Pod IPs are VPC addresses (Terway), routed natively")
    if plugin.name != "flannel":
        return Crossing(
            Verdict.UNKNOWN, f"across nodes; how is not known ({plugin.why_unknown or plugin.label})"
        )
    return _flannel_route(sources, cluster, hop_id, pod_node or {}, sender_nodes)


def _flannel_route(
    sources: Sources, cluster: Cluster, hop_id: str, pod_node: Obj, sender_nodes: list[Obj]
) -> Crossing:
    cidr = str(dig(pod_node, "spec", "podCIDR") or "")
    name = dig(pod_node, "metadata", "name")
    target = instance_id_of(pod_node)
    if not cidr or not sender_nodes:
        return Crossing(Verdict.UNKNOWN, f"across nodes to {name}, whose Pod CIDR is not known")
    sender = instance_id_of(sender_nodes[0])
    try:
        found = instance(sources, cluster, sender) if sender else None
        switch = vswitch(sources, cluster, str(dig(found or {}, "VpcAttributes", "VSwitchId") or ""))
        table = str(dig(switch, "RouteTable", "RouteTableId") or "")
        entries = routes(sources, cluster, table, cidr)
    except SourceError as error:
        what = f"the VPC route to {name}'s Pod CIDR {cidr}"
        return Crossing(
            Verdict.UNKNOWN, f"across nodes to {cidr}: not seen", source_finding(error, hop_id, what)
        )
    hops = next_hops(entries)
    evidence = cloud_evidence(
        "vpc",
        "DescribeRouteEntryList",
        f"RouteTableId={table} DestinationCidrBlock={cidr} RouteEntrys.RouteEntry[].NextHops",
        hops,
    )
    if any(h.get("NextHopType") == "Instance" and h.get("NextHopId") == target for h in hops):
        return Crossing(Verdict.OK, f"VPC route {cidr} → {target} ({name})")
    wrong = f"it points at {', '.join(str(h.get('NextHopId')) for h in hops)}" if hops else "it has none"
    message = (
        f"The VPC route table {table} must send {name}'s Pod CIDR {cidr} to its instance {target} (Flannel "
        f"routes Pod traffic between nodes through the VPC), but {wrong}: controllers on other nodes cannot "
        "reach the Pods on this node. The cloud controller manager writes these routes; a deleted route or a "
        "full route table (its quota) is the usual cause."
    )
    check = (
        f"aliyun vpc DescribeRouteEntryList --RegionId {sh(sources.settings.region)} "
        f"--RouteTableId {sh(table)} --DestinationCidrBlock {sh(cidr)}"
    )
    finding = Finding("VPC_ROUTE_MISSING", Severity.ERROR, hop_id, message, (evidence,), check)
    return Crossing(Verdict.BLOCKED, f"VPC route {cidr}: missing", finding)
