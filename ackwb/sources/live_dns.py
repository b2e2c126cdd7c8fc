"""Live ``DnsSource``: what real resolvers and the cluster's kube-dns answer (dnspython).

``resolve`` asks the system resolver, or the profile's resolvers instead when it lists any.
``resolve_in_cluster`` asks kube-dns, whose ClusterIP answers only inside the cluster: the
query travels as DNS over TCP through a TCP channel that ``LiveNodes.open_channel`` opens
from a node (so no command runs on the node), or straight from this machine when no
channel opener is given (ackwb running on a node or inside the VPC).

Answers have the world source's shape: absolute lower-case names with the trailing dot,
the CNAME chain first, then the records of the wanted type. NXDOMAIN is ``InputError`` (the
name does not exist); timeouts and dead servers are ``Unreachable``.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ackwb.errors import AckwbError, InputError, SourceError, Unreachable
from ackwb.sources.base import DnsRecord
from ackwb.sources.world_dns import MAX_CHAIN, absolute

if TYPE_CHECKING:
    import dns.message
    import dns.resolver

    from ackwb.profiles import DnsSettings

ChannelOpener = Callable[[tuple[str, int]], Any]  # (host, port) → a connected socket-like channel


class LiveDns:
    """``DnsSource`` over dnspython.

    ``resolvers``: servers to ask instead of /etc/resolv.conf's (``ADDRESS`` or ``ADDRESS:PORT``;
    ``port`` is the default port). ``cluster_dns`` is the
    kube-dns ClusterIP, or a callable returning it when first needed; ``open_channel`` connects
    to (cluster_dns, cluster_dns_port) from inside the cluster, e.g. ``lambda address:
    nodes.open_channel(node_ip, address)``.
    """

    def __init__(
        self,
        resolvers: Sequence[str] = (),
        port: int = 53,
        timeout: float = 2.0,
        lifetime: float = 4.0,
        cluster_dns: str | Callable[[], str] = "",
        cluster_dns_port: int = 53,
        open_channel: ChannelOpener | None = None,
    ) -> None:
        self.resolvers = tuple(resolvers)
        self._port = port
        self._timeout, self._lifetime = timeout, lifetime
        self._cluster_dns = cluster_dns
        self._cluster_dns_port = cluster_dns_port
        self._open_channel = open_channel
        self._resolver_cache: dict[tuple[str, ...], dns.resolver.Resolver] = {}

    @classmethod
    def from_settings(
        cls,
        settings: DnsSettings,
        cluster_dns: str | Callable[[], str] = "",
        open_channel: ChannelOpener | None = None,
    ) -> LiveDns:
        """From a profile's ``[dns]`` table; its ``cluster_dns`` wins over the discovered one."""
        return cls(
            resolvers=settings.resolvers,
            cluster_dns=settings.cluster_dns or cluster_dns,
            cluster_dns_port=settings.cluster_dns_port,
            open_channel=open_channel,
        )

    # --- DnsSource ----------------------------------------------------------------------------

    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        return self._ask(self.resolvers, name, rdtype)

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        import dns.exception
        import dns.message
        import dns.query
        import dns.rcode

        qname, rdtype = absolute(name), rdtype.upper()
        server = self._cluster_dns() if callable(self._cluster_dns) else self._cluster_dns
        address = (server, self._cluster_dns_port)
        where = f"the cluster DNS {server}:{self._cluster_dns_port}"
        source = f"dns:cluster {qname}"
        if not server:
            raise Unreachable(
                source, "the cluster DNS address is unknown (set [dns] cluster_dns in the profile)"
            )
        try:
            query = dns.message.make_query(qname, rdtype)
            if self._open_channel is not None:
                response = self._over_channel(query, address, source, where)
            else:
                response, _ = dns.query.udp_with_fallback(
                    query, server, self._lifetime, self._cluster_dns_port
                )
        except dns.exception.Timeout as error:
            raise Unreachable(source, f"no answer from {where} within {self._lifetime:g} s") from error
        except (OSError, EOFError) as error:
            raise Unreachable(source, f"{where} did not answer: {error or type(error).__name__}") from error
        except dns.exception.DNSException as error:
            raise SourceError(source, f"bad query or answer from {where}: {error}") from error
        chain = records_of(response.answer, qname, rdtype)
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            raise InputError(_nxdomain(qname, chain, where))
        if rcode != dns.rcode.NOERROR:
            raise SourceError(source, f"{where} answered {dns.rcode.to_text(rcode)}")
        return chain

    # --- extras -------------------------------------------------------------------------------

    def compare(
        self, name: str, rdtype: str = "A", system: bool = True
    ) -> dict[str, list[DnsRecord] | AckwbError]:
        """The answer of the system resolver (key "system") and of each listed resolver, side by side."""
        answers: dict[str, list[DnsRecord] | AckwbError] = {}
        asked = [("system", ())] if system else []
        for label, servers in [*asked, *((server, (server,)) for server in self.resolvers)]:
            try:
                answers[label] = self._ask(servers, name, rdtype)
            except AckwbError as error:
                answers[label] = error
        return answers

    # --- internals ----------------------------------------------------------------------------

    def _resolver(self, servers: tuple[str, ...], source: str) -> dns.resolver.Resolver:
        import dns.resolver

        if servers not in self._resolver_cache:
            try:
                resolver = dns.resolver.Resolver(configure=not servers)
            except dns.resolver.NoResolverConfiguration as error:
                raise Unreachable(source, f"the system has no resolver configured: {error}") from error
            if servers:
                resolver.nameservers = [self._nameserver(server, source) for server in servers]
            resolver.timeout, resolver.lifetime = self._timeout, self._lifetime
            self._resolver_cache[servers] = resolver
        return self._resolver_cache[servers]

    def _nameserver(self, server: str, source: str) -> Any:
        """``1.2.3.4``, ``1.2.3.4:5353``, ``::1`` or ``[::1]:5353`` as a dnspython nameserver."""
        import dns.nameserver

        host, port = server, self._port
        if server.startswith("["):
            host, _, tail = server[1:].partition("]")
            port = int(tail[1:]) if tail.startswith(":") and tail[1:].isdigit() else port
        elif server.count(":") == 1:
            host, _, text = server.partition(":")
            if not text.isdigit():
                raise SourceError(source, f"resolver {server!r} is not ADDRESS or ADDRESS:PORT")
            port = int(text)
        try:
            ipaddress.ip_address(host)
        except ValueError as error:
            raise SourceError(source, f"resolver {server!r} is not an IP address") from error
        return dns.nameserver.Do53Nameserver(host, port)

    def _ask(self, servers: tuple[str, ...], name: str, rdtype: str) -> list[DnsRecord]:
        import dns.exception
        import dns.resolver

        qname, rdtype = absolute(name), rdtype.upper()
        where = f"resolver {', '.join(servers)}" if servers else "the system resolver"
        source = f"dns:{qname} via {where}"
        resolver = self._resolver(servers, source)
        try:
            answer = resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as error:
            try:
                final = error.canonical_name.to_text().lower()
            except Exception:  # no response kept: the asked name is the one missing
                final = qname
            via = f" (reached through CNAME from {qname})" if final != qname else ""
            raise InputError(f"{final} does not resolve: NXDOMAIN from {where}{via}") from error
        except dns.resolver.LifetimeTimeout as error:
            raise Unreachable(source, f"no answer within {self._lifetime:g} s") from error
        except dns.resolver.NoNameservers as error:
            raise Unreachable(source, f"no server answered: {error}") from error
        except dns.exception.DNSException as error:
            raise SourceError(source, str(error)) from error
        return records_of(answer.response.answer, qname, rdtype)

    def _over_channel(
        self, query: dns.message.Message, address: tuple[str, int], source: str, where: str
    ) -> dns.message.Message:
        """DNS over TCP (RFC 1035 4.2.2: two length bytes, then the message) on a forwarded channel."""
        import dns.message

        assert self._open_channel is not None
        wire = query.to_wire()
        channel = self._open_channel(address)  # raises the SSH source's Unreachable / Forbidden
        try:
            channel.settimeout(self._lifetime)
            channel.sendall(struct.pack("!H", len(wire)) + wire)
            (length,) = struct.unpack("!H", _read_exactly(channel, 2))
            data = _read_exactly(channel, length)
        except TimeoutError as error:
            raise Unreachable(source, f"no answer from {where} within {self._lifetime:g} s") from error
        finally:
            channel.close()
        response = dns.message.from_wire(data)
        if not query.is_response(response):
            raise SourceError(source, f"{where} sent an answer that does not match the query")
        return response


def _read_exactly(channel: Any, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} of {size} bytes")
        data += chunk
    return data


def _nxdomain(qname: str, chain: list[DnsRecord], where: str) -> str:
    final = chain[-1].value.lower() if chain and chain[-1].type == "CNAME" else qname
    final = absolute(final)
    via = f" (reached through CNAME from {qname})" if final != qname else ""
    return f"{final} does not resolve: NXDOMAIN from {where}{via}"


def records_of(rrsets: Sequence[Any], qname: str, rdtype: str) -> list[DnsRecord]:
    """The answer section as the world source returns it: the CNAME chain from ``qname``, then the records."""
    import dns.rdatatype

    found: dict[tuple[str, str], Any] = {}
    for rrset in rrsets:
        found.setdefault((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype)), rrset)
    out: list[DnsRecord] = []
    current = qname
    for _ in range(MAX_CHAIN):
        wanted = found.get((current, rdtype))
        cname = found.get((current, "CNAME"))
        rrset = wanted or cname
        if rrset is None:
            break
        name, kind = rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype)
        out += [DnsRecord(name, kind, int(rrset.ttl), rdata.to_text()) for rdata in rrset]
        if wanted is not None:
            break
        current = cname[0].target.to_text().lower()
    return out
