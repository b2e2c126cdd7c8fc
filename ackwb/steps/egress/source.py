"""Which address and vSwitch a Pod's traffic leaves from, by network plugin.

With Terway the Pod keeps its own VPC address: its ENI's vSwitch (a pod vSwitch, not
necessarily the node's) decides the route table and the SNAT entry. With Flannel, and for
Pods on the host network, the node masquerades the traffic to its own address: the node's
vSwitch decides. An address no ENI holds, on a plugin that is not known, is not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ackwb.errors import SourceError
from ackwb.model import Evidence
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, node_object
from ackwb.steps.common import cloud_evidence, dig
from ackwb.steps.enis import enis_holding, is_primary
from ackwb.steps.pod.result import PodInfo
from ackwb.steps.vpc import instance, instance_id_of


@dataclass(frozen=True)
class Leaving:
    """How one Pod leaves: from which address and vSwitch, and how that was found."""

    pod: PodInfo
    address: str  # the source address the VPC sees: the Pod's or its node's
    vswitch_id: str  # "" when it could not be found
    how: str  # "its ENI eni-… (shared)", "masqueraded to node 10.20.1.11 (Flannel)"
    evidence: tuple[Evidence, ...] = ()
    problem: str = ""  # why it is not known


def leaving(sources: Sources, cluster: Cluster, pods: list[PodInfo]) -> list[Leaving]:
    """Raises ``SourceError`` when the ENIs or instances cannot be read."""
    plugin = cluster.plugin
    by_eni = [p for p in pods if not p.host_network and plugin.name != "flannel"]
    enis = enis_holding(sources, [p.ip for p in by_eni]) if by_eni else {}
    found = []
    for pod in pods:
        eni = enis.get(pod.ip)
        if eni is not None:
            kind = "exclusive ENI" if is_primary(eni, pod.ip) else "shared ENI"
            asked = "PrimaryIpAddress" if kind == "exclusive ENI" else "PrivateIpAddress.1"
            evidence = cloud_evidence(
                "ecs", "DescribeNetworkInterfaces", f"{asked}={pod.ip} VSwitchId", eni.get("VSwitchId")
            )
            how = f"its own address, on {kind} {eni.get('NetworkInterfaceId')}"
            found.append(Leaving(pod, pod.ip, str(eni.get("VSwitchId") or ""), how, (evidence,)))
        elif pod.host_network or plugin.name == "flannel":
            found.append(_through_node(sources, cluster, pod))
        else:
            why = (
                "no ENI holds its address"
                if plugin.name == "terway"
                else f"no ENI holds its address and the network plugin is not known ({plugin.why_unknown})"
            )
            found.append(Leaving(pod, pod.ip, "", "", problem=why))
    return found


def _through_node(sources: Sources, cluster: Cluster, pod: PodInfo) -> Leaving:
    """The node masquerades the Pod's traffic: its instance's vSwitch decides."""
    why = "host network" if pod.host_network else cluster.plugin.label
    node = node_object(sources, cluster, pod.node) if pod.node else None
    instance_id = instance_id_of(node or {})
    if not instance_id:
        return Leaving(pod, "", "", "", problem=f"its node {pod.node or '?'} is not known ({why})")
    try:
        found = instance(sources, cluster, instance_id) or {}
    except SourceError as error:
        return Leaving(pod, "", "", "", problem=f"its node's instance could not be read: {error}")
    addresses = dig(found, "VpcAttributes", "PrivateIpAddress", "IpAddress") or []
    address = str(addresses[0]) if addresses else ""
    vswitch = str(dig(found, "VpcAttributes", "VSwitchId") or "")
    evidence = cloud_evidence(
        "ecs", "DescribeInstances", f"InstanceId={instance_id} VpcAttributes", dig(found, "VpcAttributes")
    )
    return Leaving(pod, address, vswitch, f"masqueraded to its node's address {address} ({why})", (evidence,))
