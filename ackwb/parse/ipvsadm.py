"""Read ``ipvsadm -Ln`` output: the IPVS virtual servers kube-proxy programs on a node.

In IPVS mode the Service VIP → Pod mapping exists only in the kernel's IPVS table
(there are no per-Service iptables chains), so this output is the evidence for the
kube-proxy hop: which virtual server answers ``VIP:port`` and which real servers
(Pod IP:port, forward method, weight, connection counts) stand behind it.

Read forms: ``ipvsadm -Ln`` (``list_all``: a version line, then the two title lines)
and ``ipvsadm -Ln -t VIP:PORT`` (``list_service``: the title lines only). The format
comes from ipvsadm's printf strings: ``"%-4s %s"`` for the service name (TCP, UDP, SCTP,
or ``FWM  <mark>[ IPv6]``), then the scheduler and ``persistent N``, ``mask M``, ``pe
NAME``, ``ops``; real servers are ``"  -> %-28s %-7s %-6d %-10u %-10u"`` with trailing
spaces. The numeric listings (``--stats``, ``--rate``, ``--thresholds``,
``--persistent-conn``) are read by ``ipvsadm_numbers``, the connection table (``-c``) by
``ipvsadm_connections``; ``ipvsadm_any.parse_ipvsadm_output`` picks the reader by title.

Pasted by hand: a ``ipvsadm -Ln | grep`` fragment (service and real-server lines without the
title lines) is read, with a warning that services cut out of it are not known; ``ipvsadm -l``
(names instead of numbers, because ``-n`` was left out) and masked addresses are refused with a
sentence saying what to run or paste instead.

Scale: every line is checked while parsing (a malformed line is a ``ParseError`` at once,
naming it), but the ``VirtualService`` and ``RealServer`` records are built when first used
(``LazyRecords``, which behaves as a tuple), so a node with 10,000 virtual servers and
100,000 real servers parses in a fraction of a second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, islice
from operator import methodcaller, not_

from ackwb.errors import ParseError
from ackwb.parse.common import (
    LazyRecords,
    ParseWarning,
    normal_address,
    output_lines,
    refuse_redacted,
    truncated_or,
)

_VERSION = re.compile(r"IP Virtual Server version (\d+\.\d+\.\d+) \(size=(\d+)\)")
SERVICE_NAME = re.compile(r"(TCP|UDP|SCTP) +(\S+):(\d+)|FWM +(\d+)( +IPv6)?")
_SERVICE = re.compile(r"(TCP|UDP|SCTP) +(\S+):(\d+) +(\S+)((?: +\S+)*) *")
_SERVICE_V4 = re.compile(r"(TCP|UDP|SCTP) +(\d{1,3}(?:\.\d{1,3}){3}):(\d+) +(\S+) *")
_FWM = re.compile(r"FWM +(\d+)( +IPv6)? +(\S+)((?: +\S+)*) *")
_REAL_SERVER = re.compile(r" +-> +(\S+):(\d+) +(\w+) +(-?\d+) +(\d+) +(\d+) *")
_PORT = r"(\d{1,4}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d\d|655[0-2]\d|6553[0-5])"
# Everything _read_real_server accepts, in one regex: lines that match it need no other check.
_REAL_SERVER_OK = re.compile(
    r" +-> +(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]):"
    + _PORT
    + r" +(Masq|Route|Tunnel|Local) +(-?\d+) +(\d+) +(\d+) *"
)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
ENTRY = re.compile(r"(?:TCP|UDP|SCTP|FWM) +\S|\s*-> +\S+:")  # a service or real-server line, not a title
_NAMED_SERVICE = re.compile(r"(?:TCP|UDP|SCTP) +(\S+):(\S+) +\S+.*")
_NAMED_SERVER = re.compile(r" +-> +(\S+):(\S+) +\w+ +-?\d+ +\d+ +\d+ *")
_HOST_NAME = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9_.-]+")
NUMERIC = "names instead of numbers: this is ipvsadm -l without -n; run ipvsadm -Ln (IPs and ports)"
_IPV6 = re.compile(r"\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\]")
FORWARD_METHODS = ("Masq", "Route", "Tunnel", "Local")
_LIST_TITLES = (
    ("Prot", "LocalAddress:Port", "Scheduler", "Flags"),
    ("->", "RemoteAddress:Port", "Forward", "Weight", "ActiveConn", "InActConn"),
)
# First title line → the listing it belongs to, for a clear error when the wrong reader is used.
FORMS = {
    _LIST_TITLES[0]: "list",
    ("Prot", "LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"): "--stats",
    ("Prot", "LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"): "--rate",
    ("Prot", "LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn"): "--persistent-conn",
    ("Prot", "LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"): "--thresholds",
    ("IPVS", "connection", "entries"): "-c (connection table)",
}


@dataclass(frozen=True)
class RealServer:
    address: str  # IPv6 without brackets
    port: int
    forward: str  # Masq (NAT, what kube-proxy uses), Route, Tunnel or Local
    weight: int  # 0 while a terminating endpoint drains
    active_conn: int
    inactive_conn: int
    line: int
    raw: str


@dataclass(frozen=True)
class VirtualService:
    """One IPVS virtual server; ``address``/``port`` are "" and 0 for a firewall-mark service."""

    protocol: str  # TCP, UDP, SCTP or FWM
    address: str
    port: int
    scheduler: str
    persistent: int | None  # seconds (sessionAffinity: ClientIP)
    mask: str | None
    pe: str | None
    flags: tuple[str, ...]  # e.g. ("ops",)
    fwmark: int | None
    ipv6: bool
    real_servers: Sequence[RealServer]  # a tuple, or LazyRecords that behaves as one
    line: int
    raw: str


@dataclass(frozen=True)
class IpvsTable:
    services: Sequence[VirtualService]  # a tuple, or LazyRecords that behaves as one
    version: str | None  # None for the "-t VIP:PORT" form, which prints no version line
    size: int | None
    source: str
    warnings: tuple[ParseWarning, ...] = field(default=(), compare=False)

    @cached_property
    def _by_key(self) -> dict[tuple[str, str, int], VirtualService]:
        return {(s.protocol, normal_address(s.address), s.port): s for s in self.services if s.fwmark is None}

    def find(self, address: str, port: int, protocol: str = "TCP") -> VirtualService | None:
        """The virtual server for ``address:port``; IPv6 may be written with brackets."""
        return self._by_key.get((protocol.upper(), normal_address(address), port))

    def find_fwmark(self, mark: int) -> VirtualService | None:
        return next((s for s in self.services if s.fwmark == mark), None)


def read_address(text: str, source: str, line: int) -> tuple[str, bool]:
    """(address without brackets, is IPv6) of a printed host."""
    if _IPV4.fullmatch(text):
        return text, False
    m = _IPV6.fullmatch(text)
    if m:
        return m.group(1).lower(), True
    refuse_redacted(text, source, line)
    if _HOST_NAME.fullmatch(text):
        raise ParseError(source, f"{text!r} is a host name: {NUMERIC}", line)
    raise ParseError(source, f"{text!r} is not an IPv4 address or a bracketed IPv6 address", line)


def read_port(text: str, source: str, line: int) -> int:
    if int(text) > 65535:
        raise ParseError(source, f"port {text} is out of range", line)
    return int(text)


def service_options(
    words: list[str], source: str, line: int
) -> tuple[int | None, str | None, str | None, tuple[str, ...]]:
    """(persistent, mask, pe, flags) from the words after the scheduler."""
    persistent = mask = pe = None
    flags: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("persistent", "mask", "pe"):
            if i + 1 >= len(words):
                raise ParseError(source, f"'{word}' has no value", line)
            value = words[i + 1]
            if word == "persistent":
                if not value.isdigit():
                    raise ParseError(source, f"persistent timeout {value!r} is not a number", line)
                persistent = int(value)
            elif word == "mask":
                mask = value
            else:
                pe = value
            i += 2
        elif word == "ops":
            flags.append(word)
            i += 1
        else:
            raise ParseError(source, f"unknown service option {word!r}", line)
    return persistent, mask, pe, tuple(flags)


def service_fields(text: str, source: str, line: int) -> tuple | None:
    """The fields of a list-form service line, from ``protocol`` to ``ipv6``, or None."""
    m = _SERVICE_V4.fullmatch(
        text
    )  # the common line, "TCP  10.0.0.1:80 rr": no option, nothing else to check
    if m:
        protocol, address, port, scheduler = m.groups()
        return (
            protocol,
            address,
            read_port(port, source, line),
            scheduler,
            None,
            None,
            None,
            (),
            None,
            False,
        )
    m = _SERVICE.fullmatch(text)
    if m:
        protocol, host, port, scheduler, rest = m.groups()
        address, ipv6 = read_address(host, source, line)
        fwmark = None
    else:
        m = _FWM.fullmatch(text)
        if not m:
            return None
        mark, v6, scheduler, rest = m.groups()
        protocol, address, port, fwmark, ipv6 = "FWM", "", "0", int(mark), v6 is not None
    persistent, mask, pe, flags = service_options(rest.split(), source, line)
    return (
        protocol,
        address,
        read_port(port, source, line),
        scheduler,
        persistent,
        mask,
        pe,
        flags,
        fwmark,
        ipv6,
    )


def read_service(text: str, source: str, line: int) -> VirtualService | None:
    """The service line of the list form (without its real servers), or None."""
    fields = service_fields(text, source, line)
    return None if fields is None else VirtualService(*fields, (), line, text)


def _read_real_server(text: str, source: str, line: int) -> RealServer:
    """The detailed reader: only called for a line the one-regex check rejected, to say why."""
    m = _REAL_SERVER.fullmatch(text)
    if not m:
        named = _NAMED_SERVER.fullmatch(text)
        if named and not named.group(2).isdigit():
            raise ParseError(source, f"port {named.group(2)!r} is a service name: {NUMERIC}", line)
        raise ParseError(source, f"real-server line not understood: {text!r}", line)
    host, port, forward, weight, active, inactive = m.groups()
    address, _ = read_address(host, source, line)
    if forward not in FORWARD_METHODS:
        raise ParseError(source, f"unknown forward method {forward!r}", line)
    number = read_port(port, source, line)
    return RealServer(address, number, forward, int(weight), int(active), int(inactive), line, text)


def _build_real_servers(lines: list[str], start: int, end: int) -> list[RealServer]:
    """RealServer records of lines[start:end], all known to match _REAL_SERVER_OK."""
    out = []
    match = _REAL_SERVER_OK.fullmatch
    for i in range(start, end):
        text = lines[i]
        host, port, forward, weight, active, inactive = match(text).groups()  # type: ignore[union-attr]
        address = host[1:-1].lower() if host[0] == "[" else host
        out.append(
            RealServer(address, int(port), forward, int(weight), int(active), int(inactive), i + 1, text)
        )
    return out


def parse_ipvsadm(text: str | bytes, source: str = "ipvsadm -Ln") -> IpvsTable:
    """Parse ``ipvsadm -Ln`` or ``ipvsadm -Ln -t|-u VIP:PORT`` output.

    ipvsadm ends every line with a newline, so when the text does not, an error on its
    last line is reported as truncated output rather than as a line not understood.
    """
    lines, cut = output_lines(text, source, "ipvsadm")
    first = 0
    while not lines[first].strip():
        first += 1
    try:
        after_version = first + 1 if _VERSION.fullmatch(lines[first].rstrip()) else first
        if after_version < len(lines) and ENTRY.match(lines[after_version]):  # no title lines: a grep
            note = ParseWarning(
                "no title lines: read as a fragment of ipvsadm -Ln (a grep?); a virtual service "
                "left out of it is unknown here, not absent",
                after_version + 1,
            )
            services = _read_entries(lines, after_version, source)
            return IpvsTable(services, None, None, source, (note,))
        index, version, size = read_titles(lines, first, source, _LIST_TITLES, "list")
        return IpvsTable(_read_entries(lines, index, source), version, size, source)
    except ParseError as err:
        raise truncated_or(err, len(lines), cut) from None


def read_titles(
    lines: list[str], index: int, source: str, titles: tuple[tuple[str, ...], ...], form: str
) -> tuple[int, str | None, int | None]:
    """Skip the optional version line and check the title lines; (next index, version, size)."""
    version = size = None
    m = _VERSION.fullmatch(lines[index].rstrip())
    if m:
        version, size = m.group(1), int(m.group(2))
        index += 1
    elif lines[index].startswith("IP Virtual Server version"):
        raise ParseError(source, f"version line not understood: {lines[index]!r}", index + 1)
    for title in titles:
        if index >= len(lines):
            raise ParseError(source, "truncated: the output ends before its title lines", index)
        words = tuple(lines[index].split())
        if words != title:
            found = FORMS.get(words)
            if found and found != form:
                raise ParseError(
                    source, f"this is the ipvsadm {found} listing, not the {form} listing", index + 1
                )
            expected = " ".join(title)
            raise ParseError(source, f"expected the title line {expected!r}, got {lines[index]!r}", index + 1)
        index += 1
    return index, version, size


def _read_entries(lines: list[str], index: int, source: str) -> Sequence[VirtualService]:
    """Check every line; return the services, whose records are built on first use.

    The real-server lines of each service are checked by one ``all(map(...))`` (the loop runs
    in C); only a block that fails is read line by line, to say which line is wrong and why.
    """
    # the lines that are not real-server lines, found by a pipeline that runs in C
    rs_line = methodcaller("startswith", "  -> ")
    heads = list(compress(range(index, len(lines)), map(not_, map(rs_line, islice(lines, index, None)))))
    check = _REAL_SERVER_OK.fullmatch
    if index < len(lines) and (not heads or heads[0] > index):
        raise ParseError(source, "real-server line before any virtual service", index + 1)
    found: list[tuple[tuple, int, int]] = []  # (service fields, line index, end of its real servers)
    seen: dict[tuple[object, ...], int] = {}
    for n, head in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        text = lines[head]
        if text.lstrip().startswith("->"):  # a real-server line not indented the way ipvsadm does
            _read_real_server(text, source, head + 1)
            raise ParseError(
                source, f"real-server line not indented as ipvsadm prints it: {text!r}", head + 1
            )
        fields = service_fields(text, source, head + 1)
        if fields is None:
            named = _NAMED_SERVICE.fullmatch(text)
            if named and not named.group(2).isdigit():
                raise ParseError(source, f"port {named.group(2)!r} is a service name: {NUMERIC}", head + 1)
            raise ParseError(source, f"line not understood: {text!r}", head + 1)
        if not all(map(check, lines[head + 1 : end])):
            for i in range(head + 1, end):
                if check(lines[i]) is None:
                    _read_real_server(lines[i], source, i + 1)  # raises with the reason
        key = (fields[0], fields[1], fields[2], fields[8], fields[9])
        if key in seen:
            raise ParseError(source, f"virtual service listed twice (first at line {seen[key]})", head + 1)
        seen[key] = head + 1
        found.append((fields, head, end))
    return LazyRecords(lambda: [_service(lines, fields, head, end) for fields, head, end in found])


def _service(lines: list[str], fields: tuple, head: int, end: int) -> VirtualService:
    servers: Sequence[RealServer] = ()
    if end > head + 1:
        servers = LazyRecords(lambda: _build_real_servers(lines, head + 1, end))
    return VirtualService(*fields, servers, head + 1, lines[head])
