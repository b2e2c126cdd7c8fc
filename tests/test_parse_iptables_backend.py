"""Which iptables backend is live: kubelet's hint chains in real iptables-nft/-legacy-save output."""

from __future__ import annotations

import json

import pytest
from test_parse_support import Case, case_params

from ackwb.errors import ParseError
from ackwb.parse.iptables_backend import detect_iptables_backend

RULES = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j RETURN\nCOMMIT\n"


@pytest.mark.parametrize("case", case_params("iptables_backend"))
def test_fixture(case: Case) -> None:
    raw = json.loads(case.raw)
    guess = detect_iptables_backend(raw["nft_mangle"], raw["legacy_mangle"])
    assert guess.backend == case.expected["backend"]
    assert guess.reason


def test_without_hints_the_side_with_more_rules_wins() -> None:
    assert detect_iptables_backend(None, RULES).backend == "legacy"
    assert detect_iptables_backend(RULES, "").backend == "nft"
    assert detect_iptables_backend(None, None).backend is None


def test_malformed_capture_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="truncated"):
        detect_iptables_backend("*mangle\n:PREROUTING ACCEPT [0:0]\n", None)
