"""Read any ipvsadm listing: pick the reader from the output's own title line.

Snapshots and ad-hoc captures do not always say which options produced them; the title
line does (see ``ipvsadm.FORMS``). ``parse_ipvsadm_output`` returns an ``IpvsTable``
(``-Ln``), ``IpvsCounters`` (``--stats``, ``--rate``, ``--thresholds``,
``--persistent-conn``), a ``ConnectionTable`` (``-Lnc``) or ``IpvsTimeouts``
(``--timeout``), and raises ``ParseError`` for anything else.
"""

from __future__ import annotations

from ackwb.errors import ParseError
from ackwb.parse.common import output_lines
from ackwb.parse.ipvsadm import ENTRY, FORMS, IpvsTable, parse_ipvsadm
from ackwb.parse.ipvsadm_connections import (
    ConnectionTable,
    IpvsTimeouts,
    parse_ipvsadm_connections,
    parse_ipvsadm_timeout,
)
from ackwb.parse.ipvsadm_numbers import IpvsCounters, parse_ipvsadm_numbers


def parse_ipvsadm_output(
    text: str | bytes, source: str = "ipvsadm"
) -> IpvsTable | IpvsCounters | ConnectionTable | IpvsTimeouts:
    lines, _ = output_lines(text, source, "ipvsadm")
    first = next(i for i, line in enumerate(lines) if line.strip())
    head = lines[first]
    if head.startswith("Timeout ("):
        return parse_ipvsadm_timeout(text, source)
    title = first + 1 if head.startswith("IP Virtual Server version") else first
    if title >= len(lines):
        raise ParseError(source, "truncated: the output ends before its title lines", title)
    form = FORMS.get(tuple(lines[title].split()))
    if form == "list" or ENTRY.match(lines[title]):  # the list form, or a grep of it without titles
        return parse_ipvsadm(text, source)
    if form == "-c (connection table)":
        return parse_ipvsadm_connections(text, source)
    if form is not None:
        return parse_ipvsadm_numbers(text, source)
    raise ParseError(source, f"not an ipvsadm listing: the title line is {lines[title]!r}", title + 1)
