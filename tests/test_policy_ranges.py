"""NetworkPolicy against a sender known only by a range (an ALB connects from its vSwitches'
addresses): an ipBlock holding the whole range allows it, one holding none of it does not, one
holding a part (or excepting a part) leaves the answer to which address sends: unknown."""

from __future__ import annotations

from typing import Any

import pytest

from ackwb.steps.pod.policy import Source, decide

POD = {"metadata": {"namespace": "shop", "labels": {"app": "shop"}}}


def policy(*blocks: dict[str, Any], port: int = 8080) -> list[dict[str, Any]]:
    rule = {"from": [{"ipBlock": b} for b in blocks], "ports": [{"port": port, "protocol": "TCP"}]}
    spec = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [rule]}
    return [{"metadata": {"namespace": "shop", "name": "allow"}, "spec": spec}]


@pytest.mark.parametrize(
    ("blocks", "sender", "allowed"),
    [
        ([{"cidr": "10.30.0.0/16"}], "10.30.1.0/24", True),
        ([{"cidr": "10.30.1.0/24"}], "10.30.1.0/24", True),
        ([{"cidr": "10.30.1.0/25"}], "10.30.1.0/24", None),
        ([{"cidr": "10.30.0.0/16", "except": ["10.30.1.128/25"]}], "10.30.1.0/24", None),
        ([{"cidr": "10.30.0.0/16", "except": ["10.30.1.0/24"]}], "10.30.1.0/24", False),
        ([{"cidr": "10.31.0.0/16"}], "10.30.1.0/24", False),
        ([{"cidr": "10.30.1.0/25"}, {"cidr": "10.30.1.128/25"}], "10.30.1.0/24", None),
        ([{"cidr": "10.30.1.0/25"}, {"cidr": "10.30.0.0/16"}], "10.30.1.0/24", True),
        ([{"cidr": "10.30.1.0/25"}], "10.30.1.9", True),
        ([{"cidr": "10.30.1.0/25"}], "10.30.1.200", False),
    ],
)  # fmt: skip
def test_an_ip_block_against_a_range(blocks: list[dict[str, Any]], sender: str, allowed: bool | None) -> None:
    decision = decide(policy(*blocks), POD, Source(sender), 8080)
    assert decision.allowed is allowed, decision.reason


def test_a_range_never_matches_a_selector_and_the_port_still_counts() -> None:
    selector = [{"metadata": {"namespace": "shop", "name": "pods"}, "spec": {
        "podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}}]  # fmt: skip
    assert decide(selector, POD, Source("10.30.1.0/24"), 8080).allowed is False
    assert (
        decide(policy({"cidr": "10.30.1.0/25"}, port=9090), POD, Source("10.30.1.0/24"), 8080).allowed
        is False
    )
