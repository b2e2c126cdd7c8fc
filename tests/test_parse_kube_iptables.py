"""kube-proxy iptables mode: Service → endpoints rebuilt from real iptables-save output.

The fixtures come from real iptables (nft and legacy backends, IPv4 and IPv6) loaded with
kube-proxy-shaped rules in a network namespace by tools/fixtures/make_kube_proxy_fixtures.py;
their expected records are that script's model of the world, not this parser's output.
"""

from __future__ import annotations

import pytest
from test_parse_support import Case, case_params, kube_rules_view, load_cases, rounded

from ackwb.errors import ParseError
from ackwb.parse.iptables_save import parse_iptables_save, split_args
from ackwb.parse.kube_iptables import parse_kube_iptables

SOURCE = "node 10.17.10.11: iptables-save -t nat"


def _truth(expected: dict) -> dict:
    for entry in expected["entries"]:
        entry["source_ranges"] = sorted(entry["source_ranges"])
    key = lambda d: (d["kind"], d["address"] or "", d["protocol"], d["port"])  # noqa: E731
    return {
        "entries": rounded(sorted(expected["entries"], key=key)),
        "no_endpoints": sorted(expected["no_endpoints"], key=key),
    }


@pytest.mark.parametrize("case", case_params("iptables"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_kube_iptables(case.raw, source=SOURCE, check=True)
        assert case.error in str(caught.value)
        assert caught.value.source == SOURCE
        return
    rules = parse_kube_iptables(case.raw, source=SOURCE)
    assert rules.backend == case.expected["backend"]
    if "entries" in case.expected:
        assert kube_rules_view(rules) == _truth(case.expected)
    warnings = [str(w) for w in rules.check()]
    for wanted in case.expected.get("warnings", []):
        assert any(wanted in w for w in warnings), (wanted, warnings)
    if "warnings" not in case.expected:
        assert warnings == []
    for check in case.expected.get("checks", []):
        entry = rules.find(check["address"], check["port"], check["protocol"])
        assert rounded([[e.address, e.port, e.share] for e in rules.endpoints(entry)]) == check["endpoints"]


def _overall():
    case = next(c for c in load_cases("iptables") if c.name == "overall_nft_backend")
    return parse_kube_iptables(case.raw)


def test_cascade_probabilities_are_read_as_printed() -> None:
    rules = _overall()
    five = rules.chain(rules.find("172.30.0.52", 80).service_chain)
    assert [e.probability for e in five.endpoints] == [0.20000000019, 0.25, 0.33333333349, 0.5, None]
    assert sum(e.share for e in five.endpoints) == pytest.approx(1.0, abs=1e-12)
    assert all(e.share == pytest.approx(0.2, abs=1e-9) for e in five.endpoints)


def test_evidence_lines_point_at_the_dnat_rules() -> None:
    case = next(c for c in load_cases("iptables") if c.name == "overall_nft_backend")
    rules = parse_kube_iptables(case.raw)
    lines = case.raw.split("\n")
    for entry in rules.entries:
        assert lines[entry.line - 1].startswith(("-A KUBE-SERVICES", "-A KUBE-NODEPORTS"))
        for endpoint in rules.endpoints(entry):
            assert f"--to-destination {endpoint.address}:{endpoint.port}" in lines[endpoint.line - 1]


def test_branches_say_whom_they_apply_to() -> None:
    rules = _overall()
    local_lb = rules.find("1.2.3.4", 80)
    audiences = [(b.audience, b.target.split("-")[1]) for b in local_lb.branches]
    assert audiences == [("pods", "SVC"), ("node", "SVC"), ("all", "SVL")]
    assert rules.chain(local_lb.service_chain).local
    firewalled = rules.find("5.6.7.8", 80)
    assert [b.audience for b in firewalled.branches] == [
        "allowed-sources",
        "allowed-sources",
        "other-sources",
    ]
    assert firewalled.branches[-1].target == "DROP"
    no_local = rules.find("1.2.3.5", 80)
    assert no_local.service_chain is None and rules.endpoints(no_local) == ()
    assert rules.find_node_port(3002).service == "ns5/svc5:p80"
    assert {e.kind for e in rules.for_service("ns2/svc2:p80")} == {
        "cluster-ip",
        "external-ip",
        "load-balancer",
        "node-port",
    }


def test_chains_are_read_once_and_on_demand() -> None:
    rules = _overall()
    assert rules._cache == {}
    name = rules.find("172.30.0.41", 80).service_chain
    assert rules.chain(name) is rules.chain(name)
    assert rules.chain("KUBE-NOPE") is None


def test_generic_structure_and_quoting() -> None:
    case = next(c for c in load_cases("iptables") if c.name == "overall_nft_backend")
    save = parse_iptables_save(case.raw)
    assert sorted(save.tables) == ["filter", "nat"] and save.version == "1.8.9"
    masq = save.rules("nat", "KUBE-POSTROUTING")[-1]
    assert masq.comment == "kubernetes service traffic requiring SNAT" and masq.target == "MASQUERADE"
    assert split_args(r'-m comment --comment "say \"hi\"" -j X', "s", 1) == (
        "-m",
        "comment",
        "--comment",
        'say "hi"',
        "-j",
        "X",
    )
    assert save.rules("nat", "NO-SUCH-CHAIN") == [] and save.rules("raw", "X") == []
