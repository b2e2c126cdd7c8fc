"""Canary routing: which backends a location's requests reach (alternativeBackends + trafficShapingPolicy).

The expected splits follow balancer.lua's route_to_alternative_balancer (see ackwb/parse/canary.py);
the fixtures are /dbg backends all JSON in the controller's shape.
"""

from __future__ import annotations

import pytest
from test_parse_support import Case, case_params, load_cases, rounded

from ackwb.parse.backends import parse_backends
from ackwb.parse.canary import location_targets, route_request, traffic_split


def _targets(found) -> list:
    return rounded([[t.name, t.share, t.canary] for t in found])


@pytest.mark.parametrize("case", case_params("canary"))
def test_fixture(case: Case) -> None:
    backends = parse_backends(case.raw)
    for name, expected in case.expected["split"].items():
        split = traffic_split(backends, name)
        assert _targets(split) == expected, name
        assert sum(t.share for t in split) == pytest.approx(1.0)
        if name in case.expected.get("reasons", {}):
            assert case.expected["reasons"][name] in split[0].reason
    for request in case.expected["requests"]:
        found = route_request(backends, request["backend"], request["headers"], request["cookies"])
        assert _targets(found) == request["targets"], request


def test_location_targets_follow_the_upstream_name() -> None:
    case = next(c for c in load_cases("canary") if c.name == "weight_20_of_100")
    backends = parse_backends(case.raw)
    assert location_targets(None, backends) == ()
    assert _targets(location_targets("shop-web-80", backends)) == [
        ["shop-web-80", 0.8, False],
        ["shop-web-canary-80", 0.2, True],
    ]
    assert all(t.backend is not None for t in location_targets("shop-web-80", backends))


def test_invalid_header_pattern_keeps_the_main_backend() -> None:
    case = next(c for c in load_cases("canary") if c.name == "header_always_never_and_pattern")
    text = case.raw.replace("^(eu|us)-[a-z]+$", "^(eu|us")
    found = route_request(parse_backends(text), "shop-api-80", {"X-Region": "eu-west"})
    assert _targets(found) == [["shop-api-80", 1.0, False]] and "not a valid regex" in found[0].reason
