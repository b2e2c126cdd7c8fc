"""Rebuild Service → endpoints from kube-proxy's nftables rules (``nft -j list table ip kube-proxy``).

kube-proxy's nftables mode keeps everything in ``table ip kube-proxy`` (``ip6`` for IPv6):
the verdict maps ``service-ips`` (address . protocol . port → ``goto`` a ``service-`` or
``external-`` chain) and ``service-nodeports`` (protocol . port → ``external-``), the maps
``no-endpoint-services`` / ``no-endpoint-nodeports`` (elements commented "ns/svc:port",
verdict ``goto reject-chain`` or ``drop``) and ``firewall-ips`` (→ ``firewall-`` chains that
drop sources outside loadBalancerSourceRanges). A ``service-``/``local-`` chain balances with
``numgen random mod N vmap { 0 : goto endpoint-…, … }``, each entry 1/N, after the
``ip saddr @affinity-…`` checks of ClientIP affinity; an ``endpoint-`` chain ends in
``dnat to addr:port``. Chain names carry the Service: ``service-<hash>-ns/svc/proto/port``.

Read the JSON listing: nft's text listing wraps element lists and does not keep their order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ackwb.errors import ParseError
from ackwb.parse.common import ParseWarning, decode_json
from ackwb.parse.kube_rules import Branch, Entry, NoEndpoints, ProxyRules, RuleEndpoint, ServiceChain
from ackwb.parse.nft_json import VERDICTS as _VERDICTS
from ackwb.parse.nft_json import NftListing as _Listing
from ackwb.parse.nft_json import verdict as _verdict

_NAME = re.compile(r"(?:service|local|external|firewall)-[A-Z0-9]+-([^/]+/[^/]+)/(tcp|udp|sctp)/(.*)")


def _service_name(chain: str) -> str | None:
    m = _NAME.fullmatch(chain)
    if m is None:
        return None
    return f"{m.group(1)}:{m.group(3)}" if m.group(3) else m.group(1)


def _describe(match: Mapping[str, Any]) -> tuple[str, str]:
    """(audience, text) of a match expression in an external- chain."""
    left, right, op = match.get("left"), match.get("right"), match.get("op", "==")
    if isinstance(left, Mapping) and isinstance(left.get("fib"), Mapping):
        flags = left["fib"].get("flags")
        flags = " ".join(map(str, flags)) if isinstance(flags, list) else str(flags)
        return "node", f"fib {flags} type {right}"
    if isinstance(left, Mapping) and isinstance(left.get("payload"), Mapping):
        payload = left["payload"]
        if isinstance(right, Mapping) and isinstance(right.get("prefix"), Mapping):
            right = f"{right['prefix'].get('addr')}/{right['prefix'].get('len')}"
        text = f"{payload.get('protocol')} {payload.get('field')} {'' if op == '==' else op + ' '}{right}"
        return ("pods" if payload.get("field") == "saddr" and op == "==" else "other"), text
    return "other", str(match)


def _port(value: Any, where: str, source: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
        raise ParseError(source, f"{where}: port {value!r} is not a port number")
    return value


class _Reader:
    def __init__(self, listing: _Listing) -> None:
        self.x = listing
        self.source = listing.source
        self.warnings: list[ParseWarning] = []
        cluster = listing.sets.get("cluster-ips", {}).get("elem") or []
        self.cluster_ips = {e for e in cluster if isinstance(e, str)}

    def entries(self) -> list[Entry]:
        firewalls = {
            tuple(parts): self._firewall(v[1], where)
            for parts, _, v, where in self.x.elements("firewall-ips")
            if v and v[0] in _VERDICTS
        }
        entries = []
        for parts, _, verdict, where in self.x.elements("service-ips"):
            if (
                len(parts) != 3
                or not isinstance(parts[0], str)
                or not isinstance(parts[1], str)
                or verdict is None
            ):
                raise ParseError(self.source, f"{where}: expected address . protocol . port : verdict")
            target = verdict[1]
            kind = (
                "cluster-ip"
                if target.startswith(("service-", "local-")) or parts[0] in self.cluster_ips
                else "external"
            )
            entries.append(
                self._entry(
                    kind,
                    parts[0],
                    parts[1],
                    _port(parts[2], where, self.source),
                    target,
                    firewalls.get(tuple(parts)),
                )
            )
        for parts, _, verdict, where in self.x.elements("service-nodeports"):
            if len(parts) != 2 or not isinstance(parts[0], str) or verdict is None:
                raise ParseError(self.source, f"{where}: expected protocol . port : verdict")
            entries.append(
                self._entry(
                    "node-port", None, parts[0], _port(parts[1], where, self.source), verdict[1], None
                )
            )
        return entries

    def _firewall(self, chain: str, where: str) -> tuple[str, ...]:
        ranges: list[str] = []
        for exprs, _ in self.x.rules.get(chain, []):
            for expr in exprs:
                match = expr.get("match") if isinstance(expr, Mapping) else None
                right = match.get("right") if isinstance(match, Mapping) else None
                items = (
                    right.get("set") if isinstance(right, Mapping) else [right] if right is not None else []
                )
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, Mapping) and isinstance(item.get("prefix"), Mapping):
                        ranges.append(f"{item['prefix'].get('addr')}/{item['prefix'].get('len')}")
                    elif isinstance(item, str):
                        ranges.append(item)
        if not ranges:
            self.warnings.append(ParseWarning(f"{where}: firewall chain {chain} lists no source ranges"))
        return tuple(ranges)

    def _entry(
        self,
        kind: str,
        address: str | None,
        protocol: str,
        port: int,
        target: str,
        ranges: tuple[str, ...] | None,
    ) -> Entry:
        audience = "allowed-sources" if ranges else "all"
        branches = self._walk(target, audience, "", {target})
        if ranges:
            branches.append(Branch("other-sources", f"saddr not in {{ {', '.join(ranges)} }}", "DROP", None))
        return Entry(
            kind,
            address,
            protocol.upper(),
            port,
            _service_name(target),
            target,
            tuple(branches),
            ranges or (),
            None,
        )

    def _walk(self, chain: str, audience: str, condition: str, seen: set[str]) -> list[Branch]:
        if chain.startswith(("service-", "local-")):
            return [Branch(audience, condition, chain, None)]
        if chain not in self.x.chains:
            raise ParseError(self.source, f"a map jumps to chain {chain!r}, which the table does not have")
        branches = []
        for exprs, where in self.x.rules.get(chain, []):
            verdicts = [v for v in map(_verdict, exprs) if v]
            matches = [
                e["match"] for e in exprs if isinstance(e, Mapping) and isinstance(e.get("match"), Mapping)
            ]
            if len(verdicts) != 1 or len(verdicts) + len(matches) != len(exprs):
                self.warnings.append(ParseWarning(f"{where} in {chain} not understood: {exprs}"))
                continue
            kind, target = verdicts[0]
            if target == "mark-for-masquerade":
                continue
            own, text = "all", ""
            for match in matches:
                own, text = _describe(match)
            here = " ".join(c for c in (condition, text) if c)
            narrowed = own if own != "all" else audience
            if kind in ("drop", "reject"):
                branches.append(Branch(narrowed, here, kind.upper(), None))
            elif target not in seen:
                branches += self._walk(target, narrowed, here, seen | {target})
            if own == "all" and kind in (*_VERDICTS, "drop", "reject"):
                break
        return branches

    def service_chain(self, name: str) -> ServiceChain | None:
        if name not in self.x.chains:
            return None
        warnings: list[ParseWarning] = []
        affinity = None
        endpoints: list[RuleEndpoint] = []
        for exprs, where in self.x.rules.get(name, []):
            verdicts = [v for v in map(_verdict, exprs) if v]
            vmap = next(
                (e["vmap"] for e in exprs if isinstance(e, Mapping) and isinstance(e.get("vmap"), Mapping)),
                None,
            )
            if verdicts and verdicts[-1][1] == "mark-for-masquerade":
                continue
            if verdicts and verdicts[-1][1].startswith("endpoint-"):  # ip saddr @affinity-… goto endpoint-…
                affinity = self._affinity(exprs) or affinity
            elif vmap is not None and isinstance(vmap.get("key"), Mapping) and "numgen" in vmap["key"]:
                endpoints = self._balance(vmap, where)
            else:
                warnings.append(ParseWarning(f"{where} in {name} not understood: {exprs}"))
        local = name.startswith("local-")
        return ServiceChain(
            name, _service_name(name), local, tuple(endpoints), affinity, False, tuple(warnings)
        )

    def _affinity(self, exprs: list[Any]) -> int | None:
        for expr in exprs:
            match = expr.get("match") if isinstance(expr, Mapping) else None
            right = match.get("right") if isinstance(match, Mapping) else None
            if isinstance(right, str) and right.startswith("@"):
                timeout = self.x.sets.get(right[1:], {}).get("timeout")
                if isinstance(timeout, int) and not isinstance(timeout, bool):
                    return timeout
        return None

    def _balance(self, vmap: Mapping[str, Any], where: str) -> list[RuleEndpoint]:
        numgen = vmap["key"]["numgen"]
        modulus = numgen.get("mod") if isinstance(numgen, Mapping) else None
        data = vmap.get("data")
        pairs = data.get("set") if isinstance(data, Mapping) else None
        if (
            not isinstance(modulus, int)
            or isinstance(modulus, bool)
            or modulus < 1
            or not isinstance(pairs, list)
        ):
            raise ParseError(self.source, f"{where}: numgen vmap not understood")
        counts: dict[str, int] = {}
        for pair in pairs:
            verdict = _verdict(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None
            key = pair[0] if verdict else None
            if isinstance(key, Mapping) and isinstance(key.get("range"), list) and len(key["range"]) == 2:
                low, high = key["range"]
                width = high - low + 1 if isinstance(low, int) and isinstance(high, int) else 0
            else:
                width = 1 if isinstance(key, int) and not isinstance(key, bool) else 0
            if verdict is None or width < 1:
                raise ParseError(self.source, f"{where}: numgen vmap entry {pair!r} not understood")
            counts[verdict[1]] = counts.get(verdict[1], 0) + width
        return [self._endpoint(chain, count / modulus, where) for chain, count in counts.items()]

    def _endpoint(self, chain: str, share: float, where: str) -> RuleEndpoint:
        for exprs, _ in self.x.rules.get(chain, []):
            for expr in exprs:
                dnat = expr.get("dnat") if isinstance(expr, Mapping) else None
                if isinstance(dnat, Mapping) and isinstance(dnat.get("addr"), str):
                    return RuleEndpoint(
                        dnat["addr"].lower(),
                        _port(dnat.get("port"), f"{chain} dnat", self.source),
                        share,
                        None,
                        chain,
                        None,
                    )
        raise ParseError(self.source, f"{where}: endpoint chain {chain!r} has no dnat rule")

    def no_endpoints(self) -> list[NoEndpoints]:
        found = []
        for name, node_port in (("no-endpoint-services", False), ("no-endpoint-nodeports", True)):
            for parts, comment, verdict, where in self.x.elements(name):
                if verdict is None or len(parts) != (2 if node_port else 3):
                    raise ParseError(self.source, f"{where}: element not understood")
                reason = "no-local-endpoints" if verdict[0] == "drop" else "no-endpoints"
                if node_port:
                    kind, address = "node-port", None
                else:
                    address = parts[0]
                    if not isinstance(address, str):
                        raise ParseError(self.source, f"{where}: {address!r} is not an address")
                    kind = "cluster-ip" if address in self.cluster_ips else "external"
                protocol = parts[-2] if isinstance(parts[-2], str) else ""
                found.append(
                    NoEndpoints(
                        kind,
                        address,
                        protocol.upper(),
                        _port(parts[-1], where, self.source),
                        comment,
                        reason,
                        None,
                    )
                )
        return found


def parse_kube_nftables(
    data: str | bytes | Mapping[str, Any],
    source: str = "nft -j list table ip kube-proxy",
    family: str | None = None,
    check: bool = False,
) -> ProxyRules:
    """Every way into every Service, from the JSON listing (text or decoded).

    ``family`` ("ip" or "ip6") picks the table when the listing holds both (``nft -j list
    ruleset``); endpoint chains are read on first use unless ``check=True``.
    """
    notes: list[ParseWarning] = []
    if isinstance(data, (str, bytes)):
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
        lines = text.lstrip().split("\n")
        while lines and lines[0].startswith("# Warning:"):  # nft's stderr, mixed into a terminal capture
            notes.append(ParseWarning(lines.pop(0).lstrip("# ").strip(), len(notes) + 1))
        rest = "\n".join(lines).lstrip()
        if rest.startswith(("table ", "#", "flush ", "add ")):
            raise ParseError(
                source,
                "this is nft's text listing (nft list ...); capture the JSON one: "
                "nft -j list table ip kube-proxy",
            )
        data = decode_json(rest, source, "empty output: nft printed nothing (no kube-proxy table?)")
    listing = _Listing(data, source, family)
    reader = _Reader(listing)
    entries = reader.entries()
    rules = ProxyRules(
        "nftables",
        tuple(entries),
        tuple(reader.no_endpoints()),
        listing.family,
        source,
        tuple(notes) + tuple(reader.warnings),
        reader.service_chain,
    )
    if check:
        rules.check()
    return rules
