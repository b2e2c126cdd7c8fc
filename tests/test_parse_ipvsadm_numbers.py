"""ipvsadm --stats / --rate / --thresholds / --persistent-conn, and the listing dispatcher."""

from __future__ import annotations

import pytest
from test_parse_support import Case, case_params, load_cases, plain

from ackwb.errors import ParseError
from ackwb.parse.ipvsadm import IpvsTable
from ackwb.parse.ipvsadm_any import parse_ipvsadm_output
from ackwb.parse.ipvsadm_connections import ConnectionTable, IpvsTimeouts
from ackwb.parse.ipvsadm_numbers import IpvsCounters, largenum_bounds, parse_ipvsadm_numbers

SOURCE = "node 10.17.10.11: ipvsadm -Ln --stats"


@pytest.mark.parametrize("case", case_params("ipvsadm_numbers"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_ipvsadm_numbers(case.raw, source=SOURCE)
        assert case.error in str(caught.value)
        assert caught.value.source == SOURCE
        return
    listing = parse_ipvsadm_numbers(case.raw)
    got = plain(listing)
    del got["source"]
    assert got == case.expected


def test_raw_lines_are_the_input_lines() -> None:
    for case in load_cases("ipvsadm_numbers"):
        if case.error is None:
            lines = case.raw.split("\n")
            for service in parse_ipvsadm_numbers(case.raw).services:
                assert lines[service.line - 1] == service.raw
                assert all(lines[s.line - 1] == s.raw for s in service.real_servers)


def test_shortened_numbers_bound_the_true_value() -> None:
    case = next(c for c in load_cases("ipvsadm_numbers") if c.name == "stats_suffixes_k_m_g_t")
    web = parse_ipvsadm_numbers(case.raw).find("192.168.195.85", 8080)
    assert web is not None and web.counters is not None
    assert web.counters["InPkts"] == 123_456_000 and not web.counters.exact
    assert largenum_bounds(web.counters, "InPkts") == (123_456_000, 123_457_000)
    assert largenum_bounds(web.counters, "Conns") == (1520, 1521)


def test_dispatcher_picks_the_reader_by_title() -> None:
    kinds = {
        "ipvsadm": IpvsTable,
        "ipvsadm_numbers": IpvsCounters,
        "ipvsadm_connections": ConnectionTable,
    }
    for folder, kind in kinds.items():
        for case in load_cases(folder):
            if case.error is None:
                assert isinstance(parse_ipvsadm_output(case.raw), kind), case.name
    assert parse_ipvsadm_output("Timeout (tcp tcpfin udp): 900 120 10\n") == IpvsTimeouts(900, 120, 10)
    with pytest.raises(ParseError, match="not an ipvsadm listing"):
        parse_ipvsadm_output("Prot LocalAddress:Port Something\n")
