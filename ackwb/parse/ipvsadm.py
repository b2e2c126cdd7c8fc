"""Read ``ipvsadm -Ln`` output: the IPVS virtual servers kube-proxy programs on a node.

In IPVS mode the Service VIP → Pod mapping exists only in the kernel's IPVS table
(there are no per-Service iptables chains), so this output is the evidence for the
kube-proxy hop: which virtual server answers ``VIP:port`` and which real servers
(Pod IP:port, forward method, weight, connection counts) stand behind it.

Read forms: ``ipvsadm -Ln`` (``list_all``: a version line, then the two title lines)
and ``ipvsadm -Ln -t VIP:PORT`` (``list_service``: the title lines only). The format
comes from ipvsadm's printf strings: ``"%-4s %s"`` for the service name, then the
scheduler and ``persistent N``, ``mask M``, ``pe NAME``, ``ops``; real servers are
``"  -> %-28s %-7s %-6d %-10u %-10u"`` with trailing spaces. Other listings
(``--stats``, ``--rate``, ``-c``) print other title lines; they are recognised by
those titles and slot into ``_FORMS`` when their readers are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ackwb.errors import ParseError

_VERSION = re.compile(r"IP Virtual Server version (\d+\.\d+\.\d+) \(size=(\d+)\)")
_SERVICE = re.compile(r"(TCP|UDP|SCTP) +(\S+):(\d+) +(\S+)((?: +\S+)*) *")
_FWM = re.compile(r"FWM +(\d+)( +IPv6)? +(\S+)((?: +\S+)*) *")
_REAL_SERVER = re.compile(r" +-> +(\S+):(\d+) +(\w+) +(-?\d+) +(\d+) +(\d+) *")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_IPV6 = re.compile(r"\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)\]")
FORWARD_METHODS = ("Masq", "Route", "Tunnel", "Local")
_LIST_TITLES = (
    ("Prot", "LocalAddress:Port", "Scheduler", "Flags"),
    ("->", "RemoteAddress:Port", "Forward", "Weight", "ActiveConn", "InActConn"),
)
# First title line → the listing it belongs to; only "list" has a reader so far.
_FORMS = {
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
    real_servers: tuple[RealServer, ...]
    line: int
    raw: str


@dataclass(frozen=True)
class IpvsTable:
    services: tuple[VirtualService, ...]
    version: str | None  # None for the "-t VIP:PORT" form, which prints no version line
    size: int | None
    source: str

    def find(self, address: str, port: int, protocol: str = "TCP") -> VirtualService | None:
        """The virtual server for ``address:port``; IPv6 may be written with brackets."""
        wanted = _normal_address(address)
        for service in self.services:
            if (
                service.protocol == protocol.upper()
                and service.port == port
                and _normal_address(service.address) == wanted
            ):
                return service
        return None

    def find_fwmark(self, mark: int) -> VirtualService | None:
        return next((s for s in self.services if s.fwmark == mark), None)


def _normal_address(address: str) -> str:
    address = address.strip().removeprefix("[").removesuffix("]")
    if ":" in address:
        import ipaddress

        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            return address.lower()
    return address


def _address(text: str, source: str, line: int) -> tuple[str, bool]:
    """(address without brackets, is IPv6) of a printed host."""
    if _IPV4.fullmatch(text):
        return text, False
    m = _IPV6.fullmatch(text)
    if m:
        return m.group(1).lower(), True
    raise ParseError(source, f"{text!r} is not an IPv4 address or a bracketed IPv6 address", line)


def _service_options(
    words: list[str], source: str, line: int
) -> tuple[int | None, str | None, str | None, tuple[str, ...]]:
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


def _read_service(text: str, source: str, line: int) -> VirtualService | None:
    m = _SERVICE.fullmatch(text)
    if m:
        protocol, host, port, scheduler, rest = m.groups()
        address, ipv6 = _address(host, source, line)
        fwmark = None
    else:
        m = _FWM.fullmatch(text)
        if not m:
            return None
        mark, v6, scheduler, rest = m.groups()
        protocol, address, port, fwmark, ipv6 = "FWM", "", "0", int(mark), v6 is not None
    if int(port) > 65535:
        raise ParseError(source, f"port {port} is out of range", line)
    persistent, mask, pe, flags = _service_options(rest.split(), source, line)
    return VirtualService(
        protocol, address, int(port), scheduler, persistent, mask, pe, flags, fwmark, ipv6, (), line, text
    )


def _read_real_server(text: str, source: str, line: int) -> RealServer | None:
    m = _REAL_SERVER.fullmatch(text)
    if not m:
        return None
    host, port, forward, weight, active, inactive = m.groups()
    address, _ = _address(host, source, line)
    if forward not in FORWARD_METHODS:
        raise ParseError(source, f"unknown forward method {forward!r}", line)
    if int(port) > 65535:
        raise ParseError(source, f"port {port} is out of range", line)
    return RealServer(address, int(port), forward, int(weight), int(active), int(inactive), line, text)


def parse_ipvsadm(text: str, source: str = "ipvsadm -Ln") -> IpvsTable:
    """Parse ``ipvsadm -Ln`` or ``ipvsadm -Ln -t|-u VIP:PORT`` output.

    ipvsadm ends every line with a newline, so when the text does not, an error on its
    last line is reported as truncated output rather than as a line not understood.
    """
    text = text.replace("\r\n", "\n")  # captured through a terminal (kubectl exec -t, ssh -t)
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    last = len(lines)
    while last > first and not lines[last - 1].strip():
        last -= 1
    if first == last:
        raise ParseError(source, "empty output: ipvsadm printed nothing")
    try:
        return _read_table(lines, first, last, source)
    except ParseError as err:
        if err.line == last and not text.endswith("\n") and not err.reason.startswith("truncated"):
            message = f"truncated: the last line is incomplete ({err.reason})"
            raise ParseError(source, message, err.line) from None
        raise


def _read_table(lines: list[str], first: int, last: int, source: str) -> IpvsTable:
    version = size = None
    index = first
    m = _VERSION.fullmatch(lines[index].rstrip())
    if m:
        version, size = m.group(1), int(m.group(2))
        index += 1
    elif lines[index].startswith("IP Virtual Server version"):
        raise ParseError(source, f"version line not understood: {lines[index]!r}", index + 1)
    for title in _LIST_TITLES:
        if index >= last:
            raise ParseError(source, "truncated: the output ends before its title lines", index)
        words = tuple(lines[index].split())
        if words != title:
            form = _FORMS.get(words)
            if form and form != "list":
                raise ParseError(source, f"the ipvsadm {form} listing is not supported yet", index + 1)
            expected = " ".join(title)
            raise ParseError(source, f"expected the title line {expected!r}, got {lines[index]!r}", index + 1)
        index += 1
    return IpvsTable(_read_entries(lines, index, last, source), version, size, source)


def _read_entries(lines: list[str], index: int, last: int, source: str) -> tuple[VirtualService, ...]:
    services: list[VirtualService] = []
    real_servers: list[RealServer] = []
    seen: dict[tuple[object, ...], int] = {}

    def close() -> None:
        if services:
            services[-1] = replace(services[-1], real_servers=tuple(real_servers))
        real_servers.clear()

    for i in range(index, last):
        text, number = lines[i], i + 1
        if text.lstrip().startswith("->"):
            server = _read_real_server(text, source, number)
            if server is None:
                raise ParseError(source, f"real-server line not understood: {text!r}", number)
            if not services:
                raise ParseError(source, "real-server line before any virtual service", number)
            real_servers.append(server)
            continue
        service = _read_service(text, source, number)
        if service is None:
            raise ParseError(source, f"line not understood: {text!r}", number)
        key = (service.protocol, service.address, service.port, service.fwmark, service.ipv6)
        if key in seen:
            raise ParseError(source, f"virtual service listed twice (first at line {seen[key]})", number)
        seen[key] = number
        close()
        services.append(service)
    close()
    return tuple(services)
