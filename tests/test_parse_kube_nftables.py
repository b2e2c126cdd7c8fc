"""kube-proxy nftables mode: Service → endpoints from real ``nft -j list table ip kube-proxy``.

The fixtures come from real nft 1.0.6 loaded with the script kube-proxy's nftables proxier
writes (tools/fixtures/make_kube_proxy_fixtures.py); the expected records are that script's
model. nftables rules do not say whether an address is an external IP or a load-balancer IP,
so both compare as "external".
"""

from __future__ import annotations

import json

import pytest
from test_parse_support import Case, case_params, kube_rules_view, load_cases, rounded

from ackwb.errors import ParseError
from ackwb.parse.kube_nftables import parse_kube_nftables

SOURCE = "node 10.17.10.11: nft -j list table ip kube-proxy"


def _truth(expected: dict) -> dict:
    for entry in expected["entries"]:
        entry["source_ranges"] = sorted(entry["source_ranges"])
        if entry["kind"] in ("external-ip", "load-balancer"):
            entry["kind"] = "external"
    key = lambda d: (d["kind"], d["address"] or "", d["protocol"], d["port"])  # noqa: E731
    return {
        "entries": rounded(sorted(expected["entries"], key=key)),
        "no_endpoints": sorted(expected["no_endpoints"], key=key),
    }


@pytest.mark.parametrize("case", case_params("nftables"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_kube_nftables(case.raw, source=SOURCE, check=True)
        assert case.error in str(caught.value)
        assert caught.value.source == SOURCE
        return
    rules = parse_kube_nftables(case.raw, source=SOURCE)
    assert rules.backend == case.expected["family"]
    assert kube_rules_view(rules) == _truth(case.expected)
    warnings = [str(w) for w in rules.check()]
    assert len(warnings) == len(case.expected.get("warnings", [])), warnings
    for wanted, warning in zip(case.expected.get("warnings", []), warnings, strict=True):
        assert wanted in warning, (wanted, warning)


def _overall():
    case = next(c for c in load_cases("nftables") if c.name == "overall_ip")
    return case, parse_kube_nftables(case.raw)


def test_decoded_json_and_bytes_give_the_same_rules() -> None:
    case, rules = _overall()
    for other in (parse_kube_nftables(json.loads(case.raw)), parse_kube_nftables(case.raw.encode())):
        assert kube_rules_view(other) == kube_rules_view(rules)


def test_vmap_shares_and_affinity() -> None:
    _, rules = _overall()
    five = rules.find("172.30.0.52", 80)
    assert rounded([e.share for e in rules.endpoints(five)]) == [0.2] * 5
    sticky = rules.chain(rules.find("172.30.0.45", 80).service_chain)
    assert sticky.affinity_seconds == 10800 and sticky.service == "ns5/svc5:p80"
    unnamed = rules.find("172.30.0.51", 8080)
    assert unnamed.service == "demo/unnamed"


def test_branches_of_an_external_chain() -> None:
    _, rules = _overall()
    local = rules.find("1.2.3.4", 80)
    assert [b.audience for b in local.branches] == ["pods", "node", "all"]
    assert local.branches[0].condition == "ip saddr 10.0.0.0/8"
    assert local.service_chain.startswith("local-")
    firewalled = rules.find("5.6.7.8", 80)
    assert firewalled.branches[-1].audience == "other-sources"
    assert sorted(firewalled.source_ranges) == ["198.51.100.0/24", "203.0.113.0/25"]


def test_the_table_is_chosen_by_family() -> None:
    case = next(c for c in load_cases("nftables") if c.name == "ipv6_ip6")
    with pytest.raises(ParseError, match="no kube-proxy table"):
        parse_kube_nftables(case.raw, family="ip")
    assert parse_kube_nftables(case.raw, family="ip6").backend == "ip6"
