"""Read the numeric ipvsadm listings: ``--stats``, ``--rate``, ``--thresholds``, ``--persistent-conn``.

These say whether traffic really reaches a virtual server and its real servers (the
counters move), how fast, and how many persistence templates (ClientIP affinity) hold
clients to one Pod. Formats, from ipvsadm's printf strings:

- ``--stats`` / ``--rate``: the service is ``"%-33s"`` followed by five numbers, real
  servers ``"  -> %-28s"`` followed by five numbers (``--rate`` prints the first three of a
  real server as ``%8u``). Big numbers are shortened: ``%9llu`` below 10^8, then
  ``%8lluK`` (value / 1000), ``M`` (/ 10^6), ``G``, ``T``; ``--exact`` prints them whole.
  A shortened number is kept as value × unit with its ``unit``, so a reader knows the true
  value lies in [value, value + unit).
- ``--thresholds`` / ``--persistent-conn``: the service line is the ordinary one (scheduler,
  ``persistent N`` ...), real servers ``"%-10u"``/``"%-9u %-11u"`` columns.

Both title forms end with the line ``  -> RemoteAddress:Port``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ackwb.errors import ParseError
from ackwb.parse.common import output_lines, truncated_or
from ackwb.parse.ipvsadm import (
    FORMS,
    SERVICE_NAME,
    normal_address,
    read_address,
    read_port,
    read_service,
    read_titles,
)

UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_NUMBER = re.compile(r"(\d+)([KMGT]?)")
_SERVER = re.compile(r" +-> +(\S+):(\d+)")
_SECOND_TITLE = ("->", "RemoteAddress:Port")
# how many leading real-server columns each listing prints with %u, never shortened
_PRINTED_WHOLE = {"--stats": 0, "--rate": 3, "--thresholds": 4, "--persistent-conn": 4}
# listing → (columns of a service line, do service lines carry the scheduler?)
LISTINGS = {
    form: (title[2:], form in ("--thresholds", "--persistent-conn"))
    for title, form in FORMS.items()
    if title[0] == "Prot" and form != "list"
}


@dataclass(frozen=True)
class Counters:
    """The numbers of one line. ``units[i]`` is 1 for a number printed whole, else the
    unit of its K/M/G/T suffix: the true value is in [values[i], values[i] + units[i])."""

    names: tuple[str, ...]
    values: tuple[int, ...]
    units: tuple[int, ...]

    def __getitem__(self, name: str) -> int:
        return self.values[self.names.index(name)]

    @property
    def exact(self) -> bool:
        return all(unit == 1 for unit in self.units)


def largenum_bounds(counters: Counters, name: str) -> tuple[int, int]:
    """[low, high) holding the true value of column ``name`` (ipvsadm printed value / unit, rounded down)."""
    i = counters.names.index(name)
    return counters.values[i], counters.values[i] + counters.units[i]


@dataclass(frozen=True)
class CountedServer:
    address: str
    port: int
    counters: Counters
    line: int
    raw: str


@dataclass(frozen=True)
class CountedService:
    """A virtual server of a numeric listing. ``counters`` is None in ``--thresholds`` and
    ``--persistent-conn``, whose service lines carry the scheduler instead."""

    protocol: str
    address: str
    port: int
    fwmark: int | None
    ipv6: bool
    scheduler: str | None
    persistent: int | None
    counters: Counters | None
    real_servers: tuple[CountedServer, ...]
    line: int
    raw: str


@dataclass(frozen=True)
class IpvsCounters:
    listing: str  # --stats, --rate, --thresholds or --persistent-conn
    columns: tuple[str, ...]
    services: tuple[CountedService, ...]
    version: str | None
    size: int | None
    source: str

    def find(self, address: str, port: int, protocol: str = "TCP") -> CountedService | None:
        wanted = (protocol.upper(), normal_address(address), port)
        return next(
            (s for s in self.services if (s.protocol, normal_address(s.address), s.port) == wanted), None
        )


def _numbers(text: str, names: tuple[str, ...], source: str, line: int) -> Counters:
    if _NUMBER.sub("", text).strip(" ") or not text.strip():  # something other than numbers and spaces
        raise ParseError(
            source, f"expected {len(names)} numbers ({' '.join(names)}), got {text.strip()!r}", line
        )
    found = _NUMBER.findall(text)
    if len(found) != len(names):
        raise ParseError(source, f"expected {len(names)} numbers ({' '.join(names)}), got {len(found)}", line)
    units = tuple(UNITS[suffix] for _, suffix in found)
    return Counters(names, tuple(int(n) * unit for (n, _), unit in zip(found, units, strict=True)), units)


def _service(text: str, listing: str, source: str, line: int) -> CountedService | None:
    columns, scheduled = LISTINGS[listing]
    if scheduled:
        service = read_service(text, source, line)
        if service is None:
            return None
        return CountedService(
            service.protocol,
            service.address,
            service.port,
            service.fwmark,
            service.ipv6,
            service.scheduler,
            service.persistent,
            None,
            (),
            line,
            text,
        )
    m = SERVICE_NAME.match(text)
    if m is None:
        return None
    protocol, host, port, mark, v6 = m.groups()
    if protocol:
        address, ipv6 = read_address(host, source, line)
        number, fwmark = read_port(port, source, line), None
    else:
        protocol, address, number, fwmark, ipv6 = "FWM", "", 0, int(mark), v6 is not None
    counters = _numbers(text[m.end() :], columns, source, line)
    return CountedService(protocol, address, number, fwmark, ipv6, None, None, counters, (), line, text)


def _server(text: str, listing: str, source: str, line: int) -> CountedServer:
    m = _SERVER.match(text)
    if m is None:
        raise ParseError(source, f"real-server line not understood: {text!r}", line)
    address, _ = read_address(m.group(1), source, line)
    names = LISTINGS[listing][0]
    counters = _numbers(text[m.end() :], names, source, line)
    if any(unit != 1 for unit in counters.units[: _PRINTED_WHOLE[listing]]):
        raise ParseError(source, f"a K/M/G/T suffix in a column ipvsadm prints whole: {text!r}", line)
    return CountedServer(address, read_port(m.group(2), source, line), counters, line, text)


def parse_ipvsadm_numbers(text: str | bytes, source: str = "ipvsadm -Ln --stats") -> IpvsCounters:
    """Parse ``ipvsadm -Ln`` with ``--stats``, ``--rate``, ``--thresholds`` or ``--persistent-conn``
    (``--exact`` and ``-t VIP:PORT`` included); the listing is told by its title line."""
    lines, cut = output_lines(text, source, "ipvsadm")
    index = 0
    while not lines[index].strip():
        index += 1
    title = index + (1 if lines[index].startswith("IP Virtual Server version") else 0)
    listing = FORMS.get(tuple(lines[title].split())) if title < len(lines) else None
    try:
        if listing not in LISTINGS:
            what = (
                f"the ipvsadm {listing} listing"
                if listing
                else f"the title line {lines[min(title, len(lines) - 1)]!r}"
            )
            raise ParseError(
                source,
                f"{what} has no numeric columns: expected --stats, --rate, --thresholds or --persistent-conn",
                min(title, len(lines) - 1) + 1,
            )
        titles = (("Prot", "LocalAddress:Port", *LISTINGS[listing][0]), _SECOND_TITLE)
        index, version, size = read_titles(lines, index, source, titles, listing)
        services = _read(lines, index, listing, source)
    except ParseError as err:
        raise truncated_or(err, len(lines), cut) from None
    return IpvsCounters(listing, LISTINGS[listing][0], services, version, size, source)


def _read(lines: list[str], index: int, listing: str, source: str) -> tuple[CountedService, ...]:
    services: list[CountedService] = []
    servers: list[CountedServer] = []

    def close() -> None:
        if services and servers:
            last = services[-1]
            object.__setattr__(last, "real_servers", tuple(servers))  # a record nobody has seen yet
        servers.clear()

    for i in range(index, len(lines)):
        text, number = lines[i], i + 1
        if text.lstrip().startswith("->"):
            if not services:
                raise ParseError(source, "real-server line before any virtual service", number)
            servers.append(_server(text, listing, source, number))
            continue
        service = _service(text, listing, source, number)
        if service is None:
            raise ParseError(source, f"line not understood: {text!r}", number)
        close()
        services.append(service)
    close()
    return tuple(services)
