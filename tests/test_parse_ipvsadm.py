"""ipvsadm -Ln: data-driven fixtures, a render/parse round trip, and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, Case, case_params, load_cases, mutated, plain

from ackwb.errors import ParseError
from ackwb.parse.ipvsadm import FORWARD_METHODS, IpvsTable, parse_ipvsadm

VALID = [c.raw for c in load_cases("ipvsadm") if c.error is None]


@pytest.mark.parametrize("case", case_params("ipvsadm"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_ipvsadm(case.raw, source="node 10.17.10.11: ipvsadm -Ln")
        assert case.error in str(caught.value)
        assert caught.value.source == "node 10.17.10.11: ipvsadm -Ln"
        return
    table = parse_ipvsadm(case.raw)
    assert (table.version, table.size) == (case.expected["version"], case.expected["size"])
    assert plain(table.services) == case.expected["services"]
    for look in case.expected.get("find", []):
        found = table.find(look["address"], look["port"], look["protocol"])
        assert (found.line if found else None) == look["line"], look
    warnings = [str(w) for w in table.warnings]
    assert len(warnings) == len(case.expected.get("warnings", [])), warnings
    for wanted, warning in zip(case.expected.get("warnings", []), warnings, strict=True):
        assert wanted in warning, (wanted, warning)


def test_raw_lines_are_the_input_lines() -> None:
    """Evidence quotes the exact line: every record's raw text is the line it names."""
    for text in VALID:
        lines = text.split("\n")
        for service in parse_ipvsadm(text).services:
            assert lines[service.line - 1] == service.raw
            for server in service.real_servers:
                assert lines[server.line - 1] == server.raw


def test_find_fwmark() -> None:
    case = next(c for c in load_cases("ipvsadm") if c.name == "fwmark_and_sctp")
    table = parse_ipvsadm(case.raw)
    assert table.find_fwmark(100).ipv6 is True
    assert table.find_fwmark(100).real_servers[0].address == "fd00:10:244:3::2"
    assert table.find_fwmark(7) is None


# --- round trip: render services with ipvsadm's printf formats, parse them back ----------

_octet = st.integers(0, 255).map(str)
_ipv4 = st.tuples(_octet, _octet, _octet, _octet).map(".".join)
_ipv6 = st.lists(st.integers(0, 0xFFFF).map(lambda n: f"{n:x}"), min_size=8, max_size=8).map(":".join)


def _hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


@st.composite
def _service(draw: st.DrawFn) -> dict:
    protocol = draw(st.sampled_from(["TCP", "UDP", "SCTP"]))
    family = draw(st.sampled_from([_ipv4, _ipv6]))  # a service and its real servers share a family
    address = draw(family)
    service = {
        "protocol": protocol,
        "address": address,
        "port": draw(st.integers(1, 65535)),
        "scheduler": draw(st.sampled_from(["rr", "wrr", "lc", "wlc", "sh", "dh", "mh", "sed", "nq"])),
        "persistent": draw(st.none() | st.integers(1, 2**31)),
        "ops": draw(st.booleans()),
        "real_servers": draw(
            st.lists(
                st.tuples(
                    family,
                    st.integers(0, 65535),
                    st.sampled_from(FORWARD_METHODS),
                    st.integers(-1, 65535),
                    st.integers(0, 2**32 - 1),
                    st.integers(0, 2**32 - 1),
                ),
                max_size=4,
            )
        ),
    }
    return service


def _render(services: list[dict], header: bool) -> str:
    lines = ["IP Virtual Server version 1.2.1 (size=4096)"] if header else []
    lines += [
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    ]
    for s in services:
        # ipvsadm's own printf formats, kept as written in its C source
        line = "%-4s %s %s" % (s["protocol"], _hostport(s["address"], s["port"]), s["scheduler"])  # noqa: UP031
        if s["persistent"] is not None:
            line += f" persistent {s['persistent']}"
        if s["ops"]:
            line += " ops"
        lines.append(line)
        for address, port, forward, weight, active, inactive in s["real_servers"]:
            hostport = _hostport(address, port)
            row = "  -> %-28s %-7s %-6d %-10u %-10u" % (hostport, forward, weight, active, inactive)  # noqa: UP031
            lines.append(row)
    return "\n".join(lines) + "\n"


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.lists(_service(), max_size=5, unique_by=lambda s: (s["protocol"], s["address"], s["port"])),
    st.booleans(),
)
def test_round_trip(services: list[dict], header: bool) -> None:
    table = parse_ipvsadm(_render(services, header))
    assert table.version == ("1.2.1" if header else None)
    assert len(table.services) == len(services)
    for parsed, spec in zip(table.services, services, strict=True):
        assert (parsed.protocol, parsed.address, parsed.port) == (
            spec["protocol"],
            spec["address"],
            spec["port"],
        )
        assert (parsed.scheduler, parsed.persistent) == (spec["scheduler"], spec["persistent"])
        assert parsed.flags == (("ops",) if spec["ops"] else ())
        assert parsed.ipv6 == (":" in spec["address"])
        got = [
            (r.address, r.port, r.forward, r.weight, r.active_conn, r.inactive_conn)
            for r in parsed.real_servers
        ]
        assert got == [tuple(r) for r in spec["real_servers"]]
        assert table.find(spec["address"], spec["port"], spec["protocol"]) == parsed


# --- malformed input: ParseError or a table, nothing else ---------------------------------


def _parse_or_error(text: str) -> IpvsTable | ParseError:
    try:
        return parse_ipvsadm(text)
    except ParseError as err:
        return err


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(VALID))
def test_mutated_output_raises_only_parse_error(text: str) -> None:
    assert isinstance(_parse_or_error(text), (IpvsTable, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_parse_error(text: str) -> None:
    assert isinstance(_parse_or_error(text), (IpvsTable, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(VALID), st.data())
def test_output_cut_inside_a_line_is_reported_truncated_or_still_valid(
    text: str, data: st.DataObject
) -> None:
    """A capture that stops in the middle of a line never yields an error other than 'truncated'."""
    cut = data.draw(st.integers(1, len(text) - 1))
    if text[cut - 1] == "\n":  # a cut at a line boundary leaves complete lines: nothing to detect
        return
    result = _parse_or_error(text[:cut])
    if isinstance(result, ParseError):
        assert "truncated" in result.reason, result


def test_output_captured_through_a_terminal_has_crlf_line_ends() -> None:
    for text in VALID:
        crlf = parse_ipvsadm(text.replace("\n", "\r\n"))
        assert crlf == parse_ipvsadm(text)
