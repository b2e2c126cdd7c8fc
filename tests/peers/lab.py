"""All four real peers at once, serving one world, and a profile pointing ackwb at them.

The Kubernetes API server, the Alibaba Cloud OpenAPI server, OpenSSH (a node and a jump
host) and dnsmasq run on loopback; ``profiles.toml`` in the lab folder names them as
profile ``lab``. Used by the end-to-end tests and by benchmarks/requests_per_trace.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ackwb.sources.world import World
from peers.dnsmasq import DnsPeer, dnsmasq
from peers.kube_api import KubeApiPeer, running_kube_api
from peers.latency import DelayedDns
from peers.openapi import OpenApiPeer
from peers.sshd import SshLab, ssh_lab

FAKE_KEY_ID, FAKE_SECRET = "LTAI5tLabKeyId000", "lab-secret-never-stored"


@dataclass
class Lab:
    kube: KubeApiPeer
    cloud: OpenApiPeer
    ssh: SshLab
    dns: DnsPeer
    profiles: Path
    forwarder: DelayedDns | None = None  # in front of dnsmasq when the lab was made with latency

    def delay(self, seconds: float) -> None:
        """Make every peer answer ``seconds`` late (0: at once); DNS only with a latency lab."""
        self.kube.delay = seconds
        self.cloud.delay(seconds)
        self.ssh.node.hang(seconds or None)
        if self.forwarder is not None:
            self.forwarder.delay = seconds

    def env(self) -> dict[str, str]:
        """Environment for an ``ackwb`` process using the lab (fake cloud keys, no metadata service)."""
        return {
            **os.environ,
            "ACKWB_PROFILES": str(self.profiles),
            "ALIBABA_CLOUD_ACCESS_KEY_ID": FAKE_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": FAKE_SECRET,
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        }


def _profile(world: World, kubeconfig: Path, cloud: OpenApiPeer, ssh: SshLab, dns_port: int) -> str:
    settings = world.settings
    return f"""\
[profiles.lab]
region = "{settings.region}"
cluster_id = "{settings.cluster_id}"
kubeconfig = "{kubeconfig}"

[profiles.lab.ssh]
config_file = "{ssh.config}"
known_hosts = "{ssh.known_hosts}"
command_timeout = 10.0

[profiles.lab.dns]
resolvers = ["127.0.0.1:{dns_port}"]
cluster_dns = "127.0.0.1"  # stands in for kube-dns, reached through a node over SSH
cluster_dns_port = {dns_port}

[profiles.lab.cloud]
endpoint = "{cloud.endpoint}"
protocol = "http"
connect_timeout = 2.0
read_timeout = 5.0
"""


@contextmanager
def live_lab(world: World, workdir: Path, latency: bool = False) -> Iterator[Lab]:
    """The peers serving ``world``; ``latency``: DNS goes through a forwarder that can answer late
    (``Lab.delay``), so that every peer can be given the same round trip."""
    workdir.mkdir(parents=True, exist_ok=True)
    records = [*json.loads(world.files.text("dns/public.json") or "[]"),
               *json.loads(world.files.text("dns/cluster.json") or "[]")]  # fmt: skip
    with ExitStack() as stack:
        kube, kubeconfig = stack.enter_context(running_kube_api(world, workdir))
        cloud = stack.enter_context(OpenApiPeer(world.sources().cloud))
        ssh = stack.enter_context(ssh_lab(world, workdir / "ssh"))
        dns = stack.enter_context(dnsmasq(records, workdir / "dns"))
        forwarder = DelayedDns(dns.port).start() if latency else None
        if forwarder is not None:
            stack.callback(forwarder.stop)
        profiles = workdir / "profiles.toml"
        port = forwarder.port if forwarder else dns.port
        profiles.write_text(_profile(world, kubeconfig, cloud, ssh, port), encoding="utf-8")
        yield Lab(kube, cloud, ssh, dns, profiles, forwarder)
