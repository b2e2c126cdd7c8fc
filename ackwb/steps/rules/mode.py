"""kube-proxy's mode on one node, read once per trace: which rules turn a ClusterIP or a
NodePort into Pod IPs there (``curl -s 127.0.0.1:10249/proxyMode``: ipvs, iptables, nftables,
or kernelspace on Windows). The mode is a property of each node, not of the cluster: a node
restarted with another configuration runs another mode.
"""

from __future__ import annotations

from ackwb.model import Evidence
from ackwb.parse.proxy_mode import parse_proxy_mode
from ackwb.sources import Sources, commands
from ackwb.steps.cluster import Cluster


def proxy_mode(sources: Sources, cluster: Cluster, node_ip: str) -> tuple[str, Evidence]:
    """The node's mode and the answer that says so; raises ``SourceError`` or ``ParseError``."""

    def read() -> tuple[str, Evidence]:
        command = commands.proxy_mode()
        mode = parse_proxy_mode(sources.node.run(node_ip, command).stdout)
        return mode, Evidence(f"node {node_ip}: {command}", "stdout", mode)

    return cluster.remember(("proxy-mode", node_ip), read)
