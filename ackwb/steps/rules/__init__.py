"""Step 6 in iptables and nftables mode: the rules one node's kube-proxy wrote for a ClusterIP:port.

This lives beside ``kube_proxy`` (the step: the proxy mode, IPVS, the hop) because reading
these rules is a job of its own: run ``iptables-save -t nat`` or ``nft -j list table ip
kube-proxy`` on the node, parse it (``parse.kube_iptables`` / ``parse.kube_nftables``), find
the way in for the ClusterIP, follow it to the endpoints kube-proxy DNATs to with their shares,
and quote the exact rules as evidence: the KUBE-SERVICES line, each KUBE-SVC → KUBE-SEP jump and
DNAT line with its line number; for nft's JSON listing the ``service-ips`` element, the
``service-`` chain and each ``endpoint-`` chain's ``dnat``. The judgement of those targets
against the ready endpoints (``stale_rules``) is here too, and the step applies it to IPVS
real servers as well, as ``Target``s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.errors import ParseError
from ackwb.model import Evidence
from ackwb.parse.kube_iptables import parse_kube_iptables
from ackwb.parse.kube_nftables import parse_kube_nftables
from ackwb.parse.kube_rules import Entry, NoEndpoints, ProxyRules, RuleEndpoint, ServiceChain, address_key
from ackwb.sources import Sources, commands
from ackwb.sources.commands import Command
from ackwb.steps.common import sh

RULE_MODES = ("iptables", "nftables")


@dataclass(frozen=True)
class Target:
    """Where kube-proxy sends new connections for the ClusterIP: an IPVS real server or a DNAT target."""

    address: str
    port: int
    forwarding: bool  # weight > 0 (IPVS) or a share > 0 (iptables, nftables)
    evidence: tuple[Evidence, ...]

    @property
    def hostport(self) -> str:
        return f"{self.address}:{self.port}"


@dataclass(frozen=True)
class RuleLookup:
    """What one node's iptables or nftables rules do with one ClusterIP:port."""

    mode: str  # iptables or nftables
    where: str  # "node 10.17.10.11: iptables-save -t nat": the evidence source
    entry: Entry | None  # the way in for the ClusterIP; None when the rules have none
    chain: ServiceChain | None  # the KUBE-SVC / service- chain it leads to
    endpoints: tuple[RuleEndpoint, ...]
    rejected: NoEndpoints | None  # the "has no endpoints" reject rule for the ClusterIP
    evidence: tuple[Evidence, ...]  # the way in (or the reject rule) and the chain's own rule
    targets: tuple[Target, ...]

    @property
    def rule(self) -> str:
        """The rule that picks the endpoint, for a hop label: ``iptables KUBE-SVC-…``."""
        return f"{self.mode} {self.chain.chain if self.chain else self.entry.chain if self.entry else '?'}"


def command(mode: str) -> Command:
    return commands.iptables_save_nat() if mode == "iptables" else commands.nft_kube_proxy()


def check(mode: str, address: str, port: int, protocol: str, chain: str | None) -> str:
    """A command that shows the same rules by hand (every word from the rules quoted for a shell)."""
    if mode == "iptables":
        host = f"{address}/{128 if ':' in address else 32}"
        wanted = (f"-d {host} ", f"-A {chain or 'KUBE-SERVICES'} ")
        return "iptables-save -t nat | grep " + " ".join(f"-e {sh(w)}" for w in wanted)
    element = f"{address} . {protocol.lower()} . {port}"
    by_hand = f"nft list map ip kube-proxy service-ips | grep {sh(element)}"
    return f"{by_hand}; nft list chain ip kube-proxy {sh(chain)}" if chain else by_hand


def affinity(mode: str, seconds: int, endpoints: Sequence[RuleEndpoint]) -> str:
    """How the rules pin a client and where they remember its endpoint: one ``recent`` list per
    KUBE-SEP chain (iptables), one ``affinity-…`` set per endpoint chain (nftables)."""
    chains = ", ".join(e.chain for e in endpoints[:3]) + (", …" if len(endpoints) > 3 else "")
    if mode == "iptables":
        how = f"-m recent --rcheck --seconds {seconds} --reap --name KUBE-SEP-…"  # as iptables-save prints it
    else:
        how = f"ip saddr @affinity-… goto endpoint-… (timeout {seconds} s)"
    return (
        f"{mode} {how}: a client address keeps its endpoint for {seconds} s, remembered per endpoint "
        f"chain ({chains or 'none listed'})"
    )


def read_rules(
    sources: Sources,
    node_ip: str,
    mode: str,
    address: str | None,
    port: int,
    protocol: str,
    remember: Callable[[Any, Callable[[], Any]], Any] | None = None,
) -> RuleLookup:
    """Run the mode's command on ``node_ip`` and follow ``address:port`` (``address`` None: the
    node port ``port``); raises ``SourceError`` when the node cannot be read and ``ParseError``
    when a rule on the way cannot be read. ``remember`` (a trace's memo) reads and parses a
    node's rules once for every lookup of the trace."""
    cmd = command(mode)
    where = f"node {node_ip}: {cmd}"

    def fetch() -> tuple[str, ProxyRules]:
        output = sources.node.run(node_ip, cmd)
        if output.exit_status != 0 and not output.stdout.strip():
            detail = output.stderr.strip() or "no output"
            raise ParseError(where, f"exit status {output.exit_status}: {detail}")
        parse = parse_kube_iptables if mode == "iptables" else parse_kube_nftables
        return output.stdout, parse(output.stdout, where)

    text, rules = remember(("rules", node_ip, mode), fetch) if remember else fetch()
    entry = rules.find(address, port, protocol) if address else rules.find_node_port(port, protocol)
    rejected = None if entry else _rejected(rules, address, port, protocol)
    chain = rules.chain(entry.service_chain) if entry and entry.service_chain else None
    endpoints = chain.endpoints if chain else ()
    if mode == "iptables":
        quote = _IptablesQuotes(text, where)
        evidence = quote.entry(entry, rejected, chain)
        targets = tuple(Target(e.address, e.port, e.share > 0, quote.endpoint(chain, e)) for e in endpoints)
    else:
        evidence = _nft_entry(where, entry, rejected, chain)
        targets = tuple(Target(e.address, e.port, e.share > 0, _nft_endpoint(where, e)) for e in endpoints)
    return RuleLookup(mode, where, entry, chain, endpoints, rejected, evidence, targets)


def rows(lookup: RuleLookup, node: str) -> list[dict[str, object]]:
    """One row per endpoint the rules pick, with its share of new connections."""
    return [
        {
            "node": node,
            "mode": lookup.mode,
            "rule": lookup.chain.chain if lookup.chain else "",
            "endpoint": f"{e.address}:{e.port}",
            "share": f"{e.share * 100:.1f} %",
            "endpoint rule": e.chain,
            "line": e.line if e.line is not None else "",
        }
        for e in lookup.endpoints
    ]


def _rejected(rules: ProxyRules, address: str | None, port: int, protocol: str) -> NoEndpoints | None:
    """The reject (no endpoints) or drop (no local endpoints) rule for a way in."""
    if address is None:
        wanted = (None, port, protocol.upper())
        return next(
            (n for n in rules.no_endpoints if n.kind == "node-port" and (None, n.port, n.protocol) == wanted),
            None,
        )
    wanted = (address_key(address), port, protocol.upper())
    return next(
        (n for n in rules.no_endpoints if (address_key(n.address), n.port, n.protocol) == wanted), None
    )


class _IptablesQuotes:
    """The exact ``iptables-save`` lines behind a lookup, each with its line number."""

    def __init__(self, text: str, where: str) -> None:
        self.lines = text.replace("\r\n", "\n").split("\n")
        self.where = where

    def line(self, number: int | None) -> tuple[Evidence, ...]:
        if number is None or not 0 < number <= len(self.lines):
            return ()
        return (Evidence(self.where, f"line {number}", self.lines[number - 1]),)

    def entry(
        self, entry: Entry | None, rejected: NoEndpoints | None, chain: ServiceChain | None
    ) -> tuple[Evidence, ...]:
        if entry is None:
            return self.line(rejected.line) if rejected else ()
        return self.line(entry.line) + (self._masquerade(chain) if chain else ())

    def _masquerade(self, chain: ServiceChain) -> tuple[Evidence, ...]:
        """The chain's first rule (kube-proxy's "! -s <pod CIDR> … KUBE-MARK-MASQ")."""
        first = self.line(chain.line)
        return first if first and "KUBE-MARK-MASQ" in first[0].excerpt else ()

    def endpoint(self, chain: ServiceChain | None, endpoint: RuleEndpoint) -> tuple[Evidence, ...]:
        """The chain's jump to the endpoint's KUBE-SEP chain, then that chain's DNAT rule."""
        jump = None
        if chain is not None and chain.line is not None:
            prefix, target = f"-A {chain.chain} ", f"-j {endpoint.chain}"
            number = chain.line
            while number <= len(self.lines) and self.lines[number - 1].startswith(prefix):
                text = self.lines[number - 1]
                if text.endswith(target) and "--rcheck" not in text:
                    jump = number
                    break
                number += 1
        return self.line(jump) + self.line(endpoint.line)


def _nft_entry(
    where: str, entry: Entry | None, rejected: NoEndpoints | None, chain: ServiceChain | None
) -> tuple[Evidence, ...]:
    """The map element that leads to the Service (or rejects it) and the chain's balancing rule."""
    if entry is None:
        if rejected is None:
            return ()
        key = {"concat": [rejected.address, rejected.protocol.lower(), rejected.port]}
        verdict = (
            {"drop": None}
            if rejected.reason == "no-local-endpoints"
            else {"goto": {"target": "reject-chain"}}
        )
        element = [{"elem": {"val": key, "comment": rejected.service}}, verdict]
        return (Evidence(where, "map no-endpoint-services", json.dumps(element)),)
    if entry.address is None:  # a node port: kube-proxy keys it by protocol . port alone
        key, table = [entry.protocol.lower(), entry.port], "map service-nodeports"
    else:
        key, table = [entry.address, entry.protocol.lower(), entry.port], "map service-ips"
    element = [{"concat": key}, {"goto": {"target": entry.chain}}]
    found = [Evidence(where, table, json.dumps(element))]
    if chain is not None and chain.endpoints:
        targets = ", ".join(f"goto {e.chain} ({e.share:.1%})" for e in chain.endpoints)
        found.append(Evidence(where, f"chain {chain.chain}", f"numgen random vmap {{ {targets} }}"))
    return tuple(found)


def _nft_endpoint(where: str, endpoint: RuleEndpoint) -> tuple[Evidence, ...]:
    dnat = {"dnat": {"addr": endpoint.address, "port": endpoint.port}}
    return (Evidence(where, f"chain {endpoint.chain}", json.dumps(dnat)),)
