"""NetworkPolicy: whether the Pods a request reaches accept it from the hop before them.

Kubernetes' rules: a Pod that no policy of its namespace selects (for Ingress) accepts
everything; once one does, it accepts only what some ingress rule of a selecting policy
allows: a rule with no ``from`` allows every source, else one of its peers must match the
source (``podSelector`` in the policy's namespace, ``namespaceSelector`` — with a
``podSelector`` beside it, both must match — or an ``ipBlock`` CIDR minus its ``except``), and
a rule with ``ports`` must name the port (a number, or a container port's name). A source on
the host network (a controller Pod with ``hostNetwork``) is its node's address to the
policy: only ``ipBlock`` peers can match it. So is a sender outside the cluster known only by a
range (an ALB connects from addresses of its vSwitches): an ``ipBlock`` holding the whole range
matches, one holding none of it does not, and one holding a part leaves the answer unknown.

Pure functions over the objects as the API returns them; the Pod step reads them and decides
whether the plugin enforces policies at all.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ackwb.parse.common import selector_matches

Obj = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """Who sends: a Pod with its labels and its namespace's labels, or an address only."""

    address: str  # an address, or a CIDR: some address of that range (which one is not known)
    namespace: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    namespace_labels: tuple[tuple[str, str], ...] = ()
    host_network: bool = False  # the policy sees the node's address, never the Pod's labels


@dataclass(frozen=True)
class PolicyDecision:
    allowed: bool | None  # None: it depends on which address of the source's range sends
    selecting: tuple[str, ...]  # namespace/name of the policies that select the Pod for Ingress
    allowing: str  # "namespace/name ingress[i]" of the rule that allows, "" when none does
    reason: str


def _ingress_policy(policy: Obj) -> bool:
    spec = policy.get("spec") or {}
    types = spec.get("policyTypes")
    return "Ingress" in types if types else True  # absent: Ingress (and Egress only if egress is set)


def _name(policy: Obj) -> str:
    meta = policy.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def _peer_matches(peer: Obj, policy_namespace: str, source: Source) -> bool | None:
    """Whether the peer matches the source; None when it matches only part of a source range."""
    block = peer.get("ipBlock")
    if block:
        try:
            return _block_holds(block, source.address)
        except ValueError:
            return False
    if source.host_network or "/" in source.address:
        return False  # selectors match Pods by labels; an address-only sender has none
    if "namespaceSelector" in peer:
        if not selector_matches(peer.get("namespaceSelector") or {}, dict(source.namespace_labels)):
            return False
    elif source.namespace != policy_namespace:
        return False
    return (
        selector_matches(peer.get("podSelector") or {}, dict(source.labels))
        if "podSelector" in peer
        else True
    )


def _block_holds(block: Obj, address: str) -> bool | None:
    """Whether an ``ipBlock`` (cidr minus except) holds the address, or every address of a range
    (None: some of them)."""
    wanted = ipaddress.ip_network(address, strict=False)
    cidr = ipaddress.ip_network(block.get("cidr", ""), strict=False)
    excepted = [ipaddress.ip_network(e, strict=False) for e in block.get("except") or []]
    if wanted.version != cidr.version or not wanted.overlaps(cidr):
        return False
    if any(wanted.version == e.version and wanted.subnet_of(e) for e in excepted):
        return False
    whole = wanted.subnet_of(cidr) and not any(
        wanted.version == e.version and wanted.overlaps(e) for e in excepted
    )
    return True if whole else None


def _port_matches(rule: Obj, port: int, port_name: str, protocol: str) -> bool:
    ports = rule.get("ports") or []
    if not ports:
        return True
    for entry in ports:
        if str(entry.get("protocol", "TCP")).upper() != protocol.upper():
            continue
        wanted = entry.get("port")
        end = entry.get("endPort")
        if wanted is None or wanted == port or (port_name and wanted == port_name):
            return True
        if isinstance(wanted, int) and isinstance(end, int) and wanted <= port <= end:
            return True
    return False


def decide(
    policies: list[Obj], pod: Obj, source: Source, port: int, port_name: str = "", protocol: str = "TCP"
) -> PolicyDecision:
    """Whether ``pod`` accepts ``source`` on ``port`` under the policies of its namespace."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    selecting = [
        p
        for p in policies
        if (p.get("metadata") or {}).get("namespace") == namespace
        and _ingress_policy(p)
        and selector_matches((p.get("spec") or {}).get("podSelector") or {}, labels)
    ]
    names = tuple(sorted(_name(p) for p in selecting))
    if not selecting:
        return PolicyDecision(True, (), "", "no NetworkPolicy selects the Pod: it accepts every source")
    partly = ""  # the first rule that allows part of a source range
    for policy in sorted(selecting, key=_name):
        for index, rule in enumerate((policy.get("spec") or {}).get("ingress") or []):
            peers = rule.get("from")
            matched = [_peer_matches(peer, namespace, source) for peer in peers] if peers else [True]
            if not any(m is not False for m in matched) or not _port_matches(rule, port, port_name, protocol):
                continue
            where = f"{_name(policy)} ingress[{index}]"
            if True in matched:
                return PolicyDecision(True, names, where, f"{where} allows it")
            partly = partly or where
    if partly:
        reason = (
            f"{partly} allows only part of {source.address} on {protocol} {port}: whether the request is "
            "allowed depends on which of those addresses sends it"
        )
        return PolicyDecision(None, names, partly, reason)
    who = f"host-network source {source.address}" if source.host_network else f"source {source.address}"
    return PolicyDecision(
        False,
        names,
        "",
        f"{', '.join(names)} select the Pod and no ingress rule allows {who} on {protocol} {port}",
    )
