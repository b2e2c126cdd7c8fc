"""Read ``ipvsadm -Lnc`` (the IPVS connection table) and ``ipvsadm -L --timeout``.

The connection table shows which Pod a given client's connection to a VIP was really sent
to, which is the proof the other listings cannot give. ipvsadm reads it from
``/proc/net/ip_vs_conn`` and prints every entry: in its option handling ``-c`` wins over
``-t VIP:PORT``, so ``ipvsadm -Lnc -t VIP:PORT`` still lists all connections. Use
``filter_connections`` to narrow them.

Format (printf ``"%-3s %-6s %-11s %-18s %-18s %s"``): protocol, expiry ``MM:SS`` (minutes
can pass 59, e.g. ``179:59``), state (TCP states, ``UDP`` for UDP, SCTP states, ``NONE``
for persistence templates), client, virtual and destination as ``addr:port`` (IPv6 in
brackets). With ``--persistent-conn`` two more columns, ``pe name`` and ``pe_data``, appear
on entries that have them. The title is ``IPVS connection entries`` then the column line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ackwb.errors import ParseError
from ackwb.parse.common import LazyRecords, output_lines, truncated_or
from ackwb.parse.ipvsadm import normal_address

_HOST = r"(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]):(\d{1,5})"
_ROW = re.compile(
    rf"(\S+) +(\d+):([0-5]\d) +([A-Za-z_0-9!]+) +{_HOST} +{_HOST} +{_HOST}(?: +(\S+) +(\S+))? *"
)
_TITLE = ("pro", "expire", "state", "source", "virtual", "destination")
_TITLE_PE = (*_TITLE, "pe", "name", "pe_data")
_TIMEOUT = re.compile(r"Timeout \(tcp tcpfin udp\): (\d+) (\d+) (\d+)")


@dataclass(frozen=True)
class Connection:
    protocol: str
    expires: int  # seconds left
    state: str
    client_address: str
    client_port: int
    virtual_address: str
    virtual_port: int
    destination_address: str
    destination_port: int
    pe_name: str | None
    pe_data: str | None
    line: int
    raw: str

    @property
    def is_template(self) -> bool:
        """A persistence template (ClientIP affinity) rather than a connection: client port 0."""
        return self.client_port == 0


@dataclass(frozen=True)
class ConnectionTable:
    connections: Sequence[Connection]
    persistent_conn: bool  # listed with --persistent-conn (pe name / pe_data columns)
    source: str


@dataclass(frozen=True)
class IpvsTimeouts:
    tcp: int
    tcp_fin: int
    udp: int


def _address(host: str) -> str:
    return host[1:-1].lower() if host.startswith("[") else host


def _build(lines: list[str], start: int) -> list[Connection]:
    out = []
    for i in range(start, len(lines)):
        text = lines[i]
        m = _ROW.fullmatch(text)
        proto, minutes, seconds, state, ca, cp, va, vp, da, dp, pe, data = m.groups()  # type: ignore[union-attr]
        out.append(
            Connection(
                proto,
                int(minutes) * 60 + int(seconds),
                state,
                _address(ca),
                int(cp),
                _address(va),
                int(vp),
                _address(da),
                int(dp),
                pe,
                data,
                i + 1,
                text,
            )
        )
    return out


def parse_ipvsadm_connections(text: str | bytes, source: str = "ipvsadm -Lnc") -> ConnectionTable:
    """Parse ``ipvsadm -Lnc`` (optionally with ``--persistent-conn``). Every row is checked
    here; the ``Connection`` records are built when first used."""
    lines, cut = output_lines(text, source, "ipvsadm -Lnc")
    index = 0
    while not lines[index].strip():
        index += 1
    try:
        if lines[index].split() != ["IPVS", "connection", "entries"]:
            raise ParseError(source, f"expected 'IPVS connection entries', got {lines[index]!r}", index + 1)
        if index + 1 >= len(lines):
            raise ParseError(source, "truncated: the output ends before its column titles", index + 1)
        title = tuple(lines[index + 1].split())
        if title not in (_TITLE, _TITLE_PE):
            raise ParseError(source, f"column titles not understood: {lines[index + 1]!r}", index + 2)
        for i in range(index + 2, len(lines)):
            m = _ROW.fullmatch(lines[i])
            if m is None:
                raise ParseError(source, f"connection entry not understood: {lines[i]!r}", i + 1)
            for port in (m.group(6), m.group(8), m.group(10)):
                if int(port) > 65535:
                    raise ParseError(source, f"port {port} is out of range", i + 1)
            if m.group(11) is not None and title == _TITLE:
                raise ParseError(source, "pe name / pe_data columns without --persistent-conn titles", i + 1)
    except ParseError as err:
        raise truncated_or(err, len(lines), cut) from None
    start = index + 2
    return ConnectionTable(LazyRecords(lambda: _build(lines, start)), title == _TITLE_PE, source)


def filter_connections(
    table: ConnectionTable,
    virtual: str | None = None,
    port: int | None = None,
    protocol: str | None = None,
    client: str | None = None,
    destination: str | None = None,
    templates: bool = True,
) -> tuple[Connection, ...]:
    """The connections matching every given criterion (what ``-t VIP:PORT`` would have meant).

    ``virtual``/``client``/``destination`` are addresses (IPv6 with or without brackets);
    ``port`` is the virtual port; ``templates=False`` leaves out persistence templates.
    """
    want_virtual = normal_address(virtual) if virtual else None
    want_client = normal_address(client) if client else None
    want_destination = normal_address(destination) if destination else None
    want_protocol = protocol.upper() if protocol else None
    return tuple(
        c
        for c in table.connections
        if (want_virtual is None or normal_address(c.virtual_address) == want_virtual)
        and (port is None or c.virtual_port == port)
        and (want_protocol is None or c.protocol.upper() == want_protocol)
        and (want_client is None or normal_address(c.client_address) == want_client)
        and (want_destination is None or normal_address(c.destination_address) == want_destination)
        and (templates or not c.is_template)
    )


def parse_ipvsadm_timeout(text: str | bytes, source: str = "ipvsadm -L --timeout") -> IpvsTimeouts:
    """Parse ``Timeout (tcp tcpfin udp): 900 120 300``."""
    lines, cut = output_lines(text, source, "ipvsadm --timeout")
    body = [line for line in lines if line.strip()]
    m = _TIMEOUT.fullmatch(body[0].strip()) if len(body) == 1 else None
    if m is None or cut:
        what = "truncated: " if cut else ""
        raise ParseError(source, f"{what}expected 'Timeout (tcp tcpfin udp): N N N', got {body[0]!r}", 1)
    return IpvsTimeouts(int(m.group(1)), int(m.group(2)), int(m.group(3)))
