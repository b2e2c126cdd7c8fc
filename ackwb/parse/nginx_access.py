"""Which client address nginx sees, and what its ``allow``/``deny`` rules decide for it.

``whitelist-source-range`` renders ``allow CIDR; … deny all;`` in the location,
``denylist-source-range`` renders ``deny CIDR;`` lines, the ConfigMap's ``block-cidrs``
renders ``deny`` lines at ``http`` level. nginx checks one level's rules only: a location
with any ``allow``/``deny`` of its own ignores the server's and the http block's (the
directives are inherited only when the inner level has none). Within a level the first
rule that matches decides; when none matches, the request passes.

The address those rules see is ``$remote_addr``: the TCP peer (the client when the load
balancer keeps the client IP, the load balancer or a node otherwise), unless the realip
module replaces it. ingress-nginx turns it on with ``use-proxy-protocol`` (``listen …
proxy_protocol`` and ``real_ip_header proxy_protocol``) or ``use-forwarded-headers``
(``real_ip_header X-Forwarded-For``), trusting the peers in ``set_real_ip_from``
(``proxy-real-ip-cidr``, 0.0.0.0/0 by default). ``remote_addr`` says which address that is
and why, from the rendered lines.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ackwb.errors import InputError
from ackwb.parse.nginx_directives import Directive, HttpSettings, LocationDirectives, ServerDirectives

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ClientAddress:
    """``$remote_addr`` as nginx sees it (None: not known) and the sentence saying why."""

    address: str | None
    how: str
    evidence: tuple[Directive, ...] = ()


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool | None  # None: the rules decide on an address that is not known
    rule: Directive | None  # the rule that matched (None: no rule matched, or there are none)
    level: str  # "location", "server", "http" or "" (no rules anywhere)
    rules: tuple[Directive, ...]

    @property
    def allowed_sources(self) -> tuple[str, ...]:
        return tuple(r.args[0] for r in self.rules if r.name == "allow" and r.args)

    @property
    def denied_sources(self) -> tuple[str, ...]:
        return tuple(r.args[0] for r in self.rules if r.name == "deny" and r.args)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _matches(source: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if source == "all":
        return True
    network = _network(source)
    if network is None:
        return False  # "unix:" or a value nginx would have rejected
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped and network.version == 4:
        return address.ipv4_mapped in network
    return network.version == address.version and address in network


def effective_rules(
    location: LocationDirectives | None, server: ServerDirectives | None, http: HttpSettings | None
) -> tuple[tuple[Directive, ...], str]:
    """The rules nginx applies in ``location``: its own, else the server's, else the http block's."""
    for level, rules in (
        ("location", location.access if location else ()),
        ("server", server.access if server else ()),
        ("http", http.access if http else ()),
    ):
        if rules:
            return rules, level
    return (), ""


def decide_access(rules: Sequence[Directive], level: str, address: str | None) -> AccessDecision:
    """The first rule matching ``address`` decides; no match (or no rule) lets it pass."""
    rules = tuple(rules)
    if not rules:
        return AccessDecision(True, None, level, rules)
    if address is None:
        verdicts = {r.name for r in rules}
        everyone = any(r.args == ("all",) for r in rules[:1])
        if everyone or verdicts == {"allow"}:  # the result is the same for every client
            first = rules[0] if everyone else None
            return AccessDecision(first is None or first.name == "allow", first, level, rules)
        return AccessDecision(None, None, level, rules)
    ip = _ip(address)
    if ip is None:
        raise InputError(f"client address {address!r} is not an IP address")
    for rule in rules:
        if rule.args and _matches(rule.args[0], ip):
            return AccessDecision(rule.name == "allow", rule, level, rules)
    return AccessDecision(True, None, level, rules)


def _trusted(address: str, trusted: Sequence[Directive]) -> bool:
    ip = _ip(address)
    return ip is not None and any(d.args and _matches(d.args[0], ip) for d in trusted)


def _from_header(value: str, trusted: Sequence[Directive], recursive: bool) -> str | None:
    hops = [h.strip() for h in value.split(",") if h.strip()]
    if not hops:
        return None
    if not recursive:
        return hops[-1] if _ip(hops[-1]) else None
    for hop in reversed(hops):
        if _ip(hop) is None:
            return None
        if not _trusted(hop, trusted):
            return hop
    return hops[0]


def remote_addr(
    http: HttpSettings | None,
    server: ServerDirectives | None,
    peer: str | None,
    peer_how: str,
    proxy_protocol_source: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ClientAddress:
    """``$remote_addr`` for a connection from ``peer`` (``peer_how`` says who that is), given the
    address the load balancer writes in the PROXY protocol header and the request headers."""
    http = http or HttpSettings()
    local = server.real_ip if server else ()
    header = next((d for d in reversed(local) if d.name == "real_ip_header"), http.real_ip_header)
    trusted = tuple(d for d in local if d.name == "set_real_ip_from") or http.set_real_ip_from
    recursive_line = next((d for d in reversed(local) if d.name == "real_ip_recursive"), None)
    recursive = recursive_line.args == ("on",) if recursive_line else http.real_ip_recursive
    if peer is None:
        return ClientAddress(None, f"{peer_how}; no client address was given")
    if header is None or not trusted:
        return ClientAddress(peer, f"{peer_how}; the realip module is off, so nginx uses the TCP peer")
    evidence = (header, *trusted)
    if not _trusted(peer, trusted):
        how = f"{peer_how}; the peer {peer} is not in set_real_ip_from, so nginx keeps it"
        return ClientAddress(peer, how, evidence)
    name = header.args[0] if header.args else ""
    if name == "proxy_protocol":
        listens = server.listens if server else ()
        if server is not None and not server.proxy_protocol:
            return ClientAddress(
                peer, f"{peer_how}; real_ip_header proxy_protocol but no listen reads it", evidence
            )
        if proxy_protocol_source is None:
            return ClientAddress(
                None, f"{peer_how}; nginx takes the PROXY protocol source, which was not given", evidence
            )
        evidence = (*[d for d in listens if "proxy_protocol" in d.args][:1], *evidence)
        return ClientAddress(
            proxy_protocol_source,
            "the PROXY protocol header's source (real_ip_header proxy_protocol)",
            evidence,
        )
    value = next((v for k, v in (headers or {}).items() if k.lower() == name.lower()), None)
    found = _from_header(value, trusted, recursive) if value else None
    if found is None:
        return ClientAddress(peer, f"{peer_how}; no usable {name} header, so nginx keeps the peer", evidence)
    return ClientAddress(
        found,
        f"the {name} header ({value}), trusted because the peer {peer} is in set_real_ip_from",
        evidence,
    )
