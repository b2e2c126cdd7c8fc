"""Wrong-but-common input that people paste: a precise error, or a reading with a warning.

Each case of issue 11 (point 14) has a fixture pair in ``tests/fixtures/parse/<parser>/`` that the
parser's data-driven test runs; this module checks that every case has one, and the paths those
fixtures do not cover (picking the reader by title, pasting into the kube-proxy rule reader).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ackwb.errors import ParseError
from ackwb.parse.backends import parse_backends
from ackwb.parse.ipvsadm import IpvsTable
from ackwb.parse.ipvsadm_any import parse_ipvsadm_output
from ackwb.parse.kube_nftables import parse_kube_nftables

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "parse"
CASES = {
    "iptables -t nat -L, with and without -n": [
        "iptables/error_iptables_L_listing", "iptables/error_iptables_L_n_listing",
        "iptables/error_iptables_L_listing_from_its_title_line"],
    "an excerpt without *nat and COMMIT": [
        "iptables/excerpt_without_nat_and_commit", "iptables/error_excerpt_without_the_endpoint_chains"],
    "ipvsadm -Ln | grep without title lines": [
        "ipvsadm/grep_fragment_without_title_lines", "ipvsadm/grep_fragment_service_line_only",
        "ipvsadm/error_grep_fragment_real_servers_only"],
    "ipvsadm -l without -n": [
        "ipvsadm/error_list_without_n_port_names", "ipvsadm/error_list_without_n_host_names"],
    "nft list text after a # Warning: line": [
        "nftables/error_text_listing_after_a_warning_line", "nftables/json_after_a_warning_line"],
    "the output of /dbg backends get NAME": ["backends/dbg_backends_get_one_object"],
    "identical iptables rules pasted twice": [
        "iptables/rule_pasted_twice_is_counted_once", "iptables/output_pasted_twice_is_read_once"],
    "redacted addresses such as x.x.x.x": [
        "iptables/error_redacted_cluster_ip", "iptables/error_redacted_endpoint",
        "ipvsadm/error_redacted_virtual_service", "ipvsadm/error_redacted_real_server",
        "backends/error_redacted_endpoint_address"],
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_case_has_fixtures_with_expected_results(case: str) -> None:
    for name in CASES[case]:
        raw = [p for p in (FIXTURES / f"{name}.txt", FIXTURES / f"{name}.json") if p.is_file()]
        expected = FIXTURES / f"{name}.expected.json"
        assert raw and expected.is_file(), name
        assert json.loads(expected.read_text(encoding="utf-8")), name


def fixture(name: str) -> str:
    found = [p for p in (FIXTURES / f"{name}.txt", FIXTURES / f"{name}.json") if p.is_file()]
    return found[0].read_text(encoding="utf-8")


def test_a_grep_fragment_is_read_by_the_reader_picked_by_title() -> None:
    table = parse_ipvsadm_output(fixture("ipvsadm/grep_fragment_without_title_lines"))
    assert isinstance(table, IpvsTable) and [s.port for s in table.services] == [8080]
    assert "no title lines" in str(table.warnings[0])


def test_a_virtual_service_line_is_never_called_a_title_line() -> None:
    text = "IP Virtual Server version 1.2.1 (size=4096)\nTCP  192.168.195.85:8080 rr\n"
    table = parse_ipvsadm_output(text)
    assert isinstance(table, IpvsTable) and table.services[0].address == "192.168.195.85"


def test_the_text_listing_error_names_the_command_to_run() -> None:
    with pytest.raises(ParseError, match="nft -j list table ip kube-proxy"):
        parse_kube_nftables(fixture("nftables/error_text_listing_after_a_warning_line"))


def test_a_non_backend_object_is_still_refused() -> None:
    with pytest.raises(ParseError, match="expected a JSON array of backends, got dict"):
        parse_backends('{"backends": []}')
