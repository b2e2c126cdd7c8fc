"""Live mode: a ``Sources`` bundle of real clients built from a profile.

Kubernetes through the kubeconfig, Alibaba Cloud through the SDKs and the credential
chain, DNS through dnspython, nodes through SSH. Every client library is imported here,
when live mode is asked for, and never by ``import ackwb``.
"""

from __future__ import annotations

import threading
from typing import Any

from ackwb.errors import SourceError
from ackwb.profiles import Profile
from ackwb.sources.base import Sources
from ackwb.sources.shapes import checked

# Independent reads a step may run at once (a few nodes' proxy mode, a few Node objects).
# Small: a trace asks for a handful at a time, and API servers throttle bursts.
PARALLEL_READS = 4


def live_sources(profile: Profile) -> Sources:
    from ackwb.sources.live_cloud import LiveCloud
    from ackwb.sources.live_dns import LiveDns
    from ackwb.sources.live_kube import LiveKube
    from ackwb.sources.live_kube_exec import LivePodExec
    from ackwb.sources.live_ssh import LiveNodes

    kube = LiveKube(profile.kubeconfig, profile.context or None)
    nodes = LiveNodes.from_settings(profile.ssh)
    cloud = LiveCloud(
        profile.region,
        credential_profile=profile.credential_profile,
        endpoint=profile.cloud.endpoint,
        protocol=profile.cloud.protocol,
        connect_timeout=profile.cloud.connect_timeout,
        read_timeout=profile.cloud.read_timeout,
        rate_limits=profile.cloud.rate_limits,
    )
    relay = _Relay(kube)
    dns = LiveDns.from_settings(
        profile.dns,
        cluster_dns=lambda: _kube_dns_address(kube),
        open_channel=lambda address: relay.open(nodes, address),
    )
    return checked(
        Sources(
            kube=kube,
            cloud=cloud,
            dns=dns,
            node=nodes,
            pod_exec=LivePodExec(profile.kubeconfig, profile.context or None),
            description=f"live profile '{profile.name}' ({profile.region}, from {profile.file})",
            settings=profile.cluster_settings(),
            parallel=PARALLEL_READS,
        )
    )


class _Relay:
    """The node cluster DNS queries go through: found once, kept while channels through it open.

    Any node reaches kube-dns's ClusterIP, so which one relays changes no answer; a node that
    stops relaying (gone, unreachable) is forgotten and another is looked up."""

    def __init__(self, kube: Any) -> None:
        self.kube = kube
        self.node = ""
        self._lock = threading.Lock()

    def open(self, nodes: Any, address: tuple[str, int]) -> Any:
        with self._lock:
            node = self.node = self.node or _a_dns_node(self.kube)
        try:
            return nodes.open_channel(node, address)
        except SourceError:
            with self._lock:
                self.node = ""
            raise


def _kube_dns_address(kube: Any) -> str:
    service = kube.get("services", "kube-dns", "kube-system")
    if service is None:
        raise SourceError("kube:get services kube-system/kube-dns", "there is no kube-dns Service")
    return service["spec"]["clusterIP"]


def _a_dns_node(kube: Any) -> str:
    """A node that runs CoreDNS: queries to the cluster DNS go through it."""
    for pod in kube.list("pods", "kube-system", "k8s-app=kube-dns"):
        if pod.get("status", {}).get("hostIP"):
            return pod["status"]["hostIP"]
    raise SourceError("kube:list pods kube-system k8s-app=kube-dns", "no CoreDNS Pod has a node yet")
