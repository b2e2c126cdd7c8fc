"""What a trace learns once about the cluster before it follows a request: the network plugin
and whether it enforces NetworkPolicy, plus a memo of reads the steps share.

The path depends on how the cluster is built (DESIGN.md section 7): the network plugin
decides whether a Pod IP is a VPC address (Terway) or lives in a per-node Pod CIDR behind a
VPC route (Flannel), which way a Pod leaves for the internet, and whether NetworkPolicies
are enforced at all. It is read, never assumed: the plugin's DaemonSet in kube-system
(``terway-eniip``, ``terway-eni``, ``kube-flannel-ds``), else its Pods; Terway's
``eni-config`` ConfigMap says whether policy enforcement is off. What cannot be read is
"unknown", with the reason, and the steps then say what they could not decide.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Evidence
from ackwb.sources import Sources
from ackwb.steps.common import dig, kube_evidence

T = TypeVar("T")
_MISSING = object()
SYSTEM = "kube-system"
# DaemonSet (or Pod label app=) of each plugin, as ACK names them → (plugin, how Pods get their IP)
PLUGINS: dict[str, tuple[str, str]] = {
    "terway-eniip": ("terway", "shared ENI"),
    "terway-eni": ("terway", "exclusive ENI"),
    "terway": ("terway", "shared ENI"),
    "kube-flannel-ds": ("flannel", "Pod CIDR per node"),
    "flannel": ("flannel", "Pod CIDR per node"),
}
PLUGIN_NAMES = {"terway": "Terway", "flannel": "Flannel", "unknown": "network plugin unknown"}


@dataclass(frozen=True)
class NetworkPlugin:
    """The cluster's network plugin as read: ``name`` terway, flannel or unknown."""

    name: str
    mode: str = ""  # shared ENI, exclusive ENI, Pod CIDR per node
    policy: str = "unknown"  # NetworkPolicy: enforced, not enforced, unknown
    why_unknown: str = ""
    evidence: tuple[Evidence, ...] = ()

    @property
    def label(self) -> str:
        name = PLUGIN_NAMES.get(self.name, self.name)
        return f"{name} ({self.mode})" if self.mode else name

    @property
    def pod_ips_in_vpc(self) -> bool | None:
        """True with Terway (a Pod IP is an ENI address), False with Flannel, None when unknown."""
        return {"terway": True, "flannel": False}.get(self.name)


@dataclass
class Cluster:
    """The cluster facts one trace reads once, and reads its steps share (security groups,
    node proxy modes): ``remember`` runs a read the first time a key is asked for."""

    plugin: NetworkPlugin
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def remember(self, key: Any, read: Callable[[], T]) -> T:
        """``read()`` the first time ``key`` is asked for, its answer (or its error) after that."""
        with self._lock:
            found = self._memo.get(key, _MISSING)
        if found is _MISSING:
            try:
                found = read()
            except AckwbError as error:
                found = error
            with self._lock:
                found = self._memo.setdefault(key, found)
        if isinstance(found, AckwbError):
            raise found
        return found


def read_cluster(sources: Sources) -> Cluster:
    return Cluster(read_plugin(sources))


def read_plugin(sources: Sources) -> NetworkPlugin:
    """The plugin from kube-system's DaemonSets, else its Pods; its NetworkPolicy enforcement."""
    try:
        found = _from_daemonsets(sources) or _from_pods(sources)
    except SourceError as error:
        return NetworkPlugin("unknown", why_unknown=f"{error.source} could not be read: {error.reason}")
    if found is None:
        return NetworkPlugin(
            "unknown",
            why_unknown="kube-system has no DaemonSet or Pod of Terway or Flannel (another plugin, "
            "or they could not be listed)",
        )
    (name, mode), evidence = found
    if name == "flannel":
        return NetworkPlugin(name, mode, "not enforced", evidence=(evidence,))
    policy, policy_evidence = _terway_policy(sources)
    return NetworkPlugin(name, mode, policy, evidence=(evidence, *policy_evidence))


def _from_daemonsets(sources: Sources) -> tuple[tuple[str, str], Evidence] | None:
    for item in sources.kube.list("daemonsets", SYSTEM):
        name = dig(item, "metadata", "name") or ""
        if name in PLUGINS:
            return PLUGINS[name], kube_evidence("daemonsets", SYSTEM, name, "metadata.name", name)
    return None


def _from_pods(sources: Sources) -> tuple[tuple[str, str], Evidence] | None:
    selector = f"app in ({','.join(sorted(PLUGINS))})"
    for item in sources.kube.list("pods", SYSTEM, label_selector=selector):
        app = dig(item, "metadata", "labels", "app") or ""
        if app in PLUGINS:
            pod = dig(item, "metadata", "name") or "?"
            return PLUGINS[app], kube_evidence("pods", SYSTEM, pod, "metadata.labels.app", app)
    return None


def _terway_policy(sources: Sources) -> tuple[str, tuple[Evidence, ...]]:
    """Terway enforces NetworkPolicy unless ``eni-config`` says ``disable_network_policy: "true"``."""
    try:
        config = sources.kube.get("configmaps", "eni-config", SYSTEM)
    except SourceError:
        return "unknown", ()
    value = dig(config or {}, "data", "disable_network_policy")
    if value is None:
        return "unknown", ()
    evidence = kube_evidence("configmaps", SYSTEM, "eni-config", "data.disable_network_policy", value)
    return ("not enforced" if str(value).strip().lower() == "true" else "enforced"), (evidence,)


def node_object(sources: Sources, cluster: Cluster, name: str) -> dict[str, Any] | None:
    """A Node object, read once per trace (None when there is no such node)."""
    return cluster.remember(("node", name), lambda: sources.kube.get("nodes", name))


def node_ip_of(sources: Sources, cluster: Cluster, name: str) -> str:
    """A node's InternalIP ("" when it has none); raises ``SourceError`` when it cannot be read."""
    addresses = dig(node_object(sources, cluster, name) or {}, "status", "addresses") or []
    return next((str(a.get("address")) for a in addresses if a.get("type") == "InternalIP"), "")
