"""ipvsadm -Lnc (connection table), its filter, and ipvsadm --timeout."""

from __future__ import annotations

import pytest
from test_parse_support import Case, case_params, load_cases, plain

from ackwb.errors import ParseError
from ackwb.parse.ipvsadm_connections import (
    IpvsTimeouts,
    filter_connections,
    parse_ipvsadm_connections,
    parse_ipvsadm_timeout,
)

SOURCE = "node 10.17.10.11: ipvsadm -Lnc"


@pytest.mark.parametrize("case", case_params("ipvsadm_connections"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_ipvsadm_connections(case.raw, source=SOURCE)
        assert case.error in str(caught.value)
        assert caught.value.source == SOURCE
        return
    table = parse_ipvsadm_connections(case.raw)
    assert table.persistent_conn == case.expected["persistent_conn"]
    assert plain(table.connections) == case.expected["connections"]


def _mixed():
    case = next(c for c in load_cases("ipvsadm_connections") if c.name == "lnc_mixed")
    return parse_ipvsadm_connections(case.raw)


def test_filter_narrows_what_ipvsadm_does_not() -> None:
    table = _mixed()
    web = filter_connections(table, virtual="192.168.195.85", port=8080, protocol="tcp")
    assert [c.destination_address for c in web] == ["10.17.10.91", "10.17.10.92"]
    dns = filter_connections(table, virtual="192.168.0.10", port=53)
    assert [c.is_template for c in dns] == [False, True]
    assert filter_connections(table, virtual="192.168.0.10", templates=False)[0].state == "UDP"
    assert len(filter_connections(table, virtual="[fd00:10:96:0::a]", client="fd00:10::9")) == 1
    assert filter_connections(table, destination="10.17.10.72")[0].protocol == "SCTP"
    assert filter_connections(table, virtual="10.0.0.1") == ()
    assert len(filter_connections(table)) == len(table.connections)


def test_expiry_minutes_pass_an_hour() -> None:
    assert max(c.expires for c in _mixed().connections) == 179 * 60 + 59


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Timeout (tcp tcpfin udp): 900 120 300\n", IpvsTimeouts(900, 120, 300)),
        ("\nTimeout (tcp tcpfin udp): 900 120 10\n\n", IpvsTimeouts(900, 120, 10)),
        ("Timeout (tcp tcpfin udp): 900 120 30", "truncated"),
        ("Timeout (tcp udp): 900 300\n", "expected 'Timeout (tcp tcpfin udp): N N N'"),
        ("", "empty output"),
    ],
)
def test_timeout(text: str, expected: object) -> None:
    if isinstance(expected, str):
        with pytest.raises(ParseError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            parse_ipvsadm_timeout(text)
    else:
        assert parse_ipvsadm_timeout(text) == expected
