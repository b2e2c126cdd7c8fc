"""What kube-proxy's iptables or nftables rules say, in one shape for both modes.

A Service port has several ways in (``Entry``): its ClusterIP, external IPs, load-balancer
IPs and node port. Each way in leads, possibly through dispatch chains (KUBE-EXT, KUBE-FW,
KUBE-XLB; ``external-``, ``firewall-``), to a chain that picks an endpoint
(``ServiceChain``: KUBE-SVC / KUBE-SVL, ``service-`` / ``local-``). The path can fork on the
client: pod traffic and node-local traffic short-circuit to the cluster-wide chain, sources
outside ``loadBalancerSourceRanges`` are dropped. Each fork is a ``Branch`` saying whom it
applies to; ``Entry.service_chain`` is where an allowed client from outside the cluster lands.

Endpoint chains are read when first asked for (``ProxyRules.chain``/``endpoints``), so that
a node with 100,000 endpoints parses quickly; ``ProxyRules.check()`` reads them all. Either
may raise ``ParseError`` for a rule that cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ackwb.parse.common import ParseWarning, normal_address

ENTRY_KINDS = ("cluster-ip", "external-ip", "load-balancer", "external", "node-port")
# whom a branch applies to: every client, pods (the cluster CIDR short-circuit), processes on
# the node itself, clients inside / outside loadBalancerSourceRanges, or a condition not known
AUDIENCES = ("all", "pods", "node", "allowed-sources", "other-sources", "other")


@dataclass(frozen=True)
class RuleEndpoint:
    address: str  # IPv6 without brackets
    port: int
    share: float  # the fraction of new connections this endpoint gets
    probability: float | None  # iptables: the rule's --probability (None on the last rule); nftables: None
    chain: str  # KUBE-SEP-… / endpoint-…
    line: int | None  # line of the DNAT rule (iptables-save); None for JSON


@dataclass(frozen=True)
class ServiceChain:
    chain: str
    service: str | None  # "ns/svc:port" when the rules name it
    local: bool  # the Local traffic policy chain: node-local endpoints only
    endpoints: tuple[RuleEndpoint, ...]
    affinity_seconds: int | None  # sessionAffinity ClientIP timeout
    drops: bool  # the chain drops what it gets (no local endpoints, pre-1.24 layout)
    warnings: tuple[ParseWarning, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Branch:
    audience: str  # one of AUDIENCES
    condition: str  # the match as written in the rules ("" when unconditional)
    target: str  # a service chain, or DROP / REJECT
    line: int | None


@dataclass(frozen=True)
class Entry:
    kind: str  # one of ENTRY_KINDS
    address: str | None  # None for a node port (every node address)
    protocol: str  # TCP, UDP, SCTP
    port: int
    service: str | None
    chain: str  # the first chain jumped to
    branches: tuple[Branch, ...]
    source_ranges: tuple[str, ...]  # loadBalancerSourceRanges, when a firewall chain applies
    line: int | None

    @property
    def service_chain(self) -> str | None:
        """Where an allowed client from outside the cluster lands (None: dropped or rejected)."""
        for branch in self.branches:
            if branch.audience in ("all", "allowed-sources"):
                return None if branch.target in ("DROP", "REJECT") else branch.target
        return None


@dataclass(frozen=True)
class NoEndpoints:
    """A way in that kube-proxy rejects (no endpoints) or drops (Local policy, none on this node)."""

    kind: str  # cluster-ip, external (external or load-balancer IP) or node-port
    address: str | None
    protocol: str
    port: int
    service: str | None
    reason: str  # "no-endpoints" or "no-local-endpoints"
    line: int | None


def address_key(address: str | None) -> str | None:
    """An address without its host prefix length and in one spelling."""
    if address is None:
        return None
    for suffix in ("/32", "/128"):
        address = address.removesuffix(suffix)
    return normal_address(address)


@dataclass(frozen=True)
class ProxyRules:
    mode: str  # iptables or nftables
    entries: tuple[Entry, ...]
    no_endpoints: tuple[NoEndpoints, ...]
    backend: str | None  # iptables: nf_tables or legacy (from iptables-save's header); nftables: the family
    source: str
    warnings: tuple[ParseWarning, ...]
    read_chain: Callable[[str], ServiceChain | None] = field(repr=False, compare=False)
    _cache: dict[str, ServiceChain | None] = field(default_factory=dict, repr=False, compare=False)

    def chain(self, name: str) -> ServiceChain | None:
        """The endpoint-picking chain ``name``, read on first use."""
        if name not in self._cache:
            self._cache[name] = self.read_chain(name)
        return self._cache[name]

    def endpoints(self, entry: Entry) -> tuple[RuleEndpoint, ...]:
        """The endpoints an allowed outside client (or any client of a ClusterIP) reaches."""
        name = entry.service_chain
        found = self.chain(name) if name else None
        return found.endpoints if found else ()

    def find(self, address: str, port: int, protocol: str = "TCP") -> Entry | None:
        wanted = (address_key(address), port, protocol.upper())
        return next((e for e in self.entries if (address_key(e.address), e.port, e.protocol) == wanted), None)

    def find_node_port(self, port: int, protocol: str = "TCP") -> Entry | None:
        matches = [
            e
            for e in self.entries
            if e.kind == "node-port" and (e.port, e.protocol) == (port, protocol.upper())
        ]
        return next((e for e in matches if e.address is None), matches[0] if matches else None)

    def for_service(self, name: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.service == name)

    def service_chains(self) -> tuple[ServiceChain, ...]:
        """Every chain some entry leads to, read now."""
        names = dict.fromkeys(
            b.target for e in self.entries for b in e.branches if b.target not in ("DROP", "REJECT")
        )
        return tuple(c for c in (self.chain(n) for n in names) if c is not None)

    def check(self) -> tuple[ParseWarning, ...]:
        """Read every chain; every warning of the rules (raises ``ParseError`` on a broken rule)."""
        return self.warnings + tuple(w for c in self.service_chains() for w in c.warnings)
