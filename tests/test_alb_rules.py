"""ALB forwarding-rule matching, checked against fixtures written from ALB's documented rules.

Each fixture in tests/fixtures/alb_rules holds a listener (a ``ListListeners`` item), a
``ListRules`` body and requests; ``<case>.expected.json`` says, per request, the rule it takes
(ID, priority, name; ``null`` for the listener's default action), the outcome (forward with each
group's share, redirect with status and Location, fixed response with status and body), the
rules tried before it in priority order, and those that depend on the client's address.
The expected files are written by hand from the documentation quoted in each fixture's
``about``, not produced by the code.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ackwb.errors import InputError, ParseError
from ackwb.parse.alb_groups import read_health, read_server_groups, read_servers
from ackwb.parse.alb_rules import read_listener, read_rule, read_rules
from ackwb.parse.wildcard import PatternError, alb_match, glob_match
from ackwb.steps.alb_rules import AlbRequest, condition_matches, match_rule

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "alb_rules"
CASES = sorted(p.stem for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))


def load(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    raw = json.loads((FIXTURES / f"{name}.json").read_text())
    return raw, json.loads((FIXTURES / f"{name}.expected.json").read_text())


def request_of(spec: dict[str, Any]) -> AlbRequest:
    headers = tuple((k, v) for k, v in spec.get("headers", []))
    return AlbRequest.from_url(spec["url"], spec.get("method", "GET"), headers, spec.get("client_ip"))


REQUESTS = [(name, i) for name in CASES for i in range(len(load(name)[0]["requests"]))]


def test_every_fixture_has_its_expected_file_and_an_answer_per_request() -> None:
    assert len(CASES) >= 4
    for name in CASES:
        raw, expected = load(name)
        assert raw["about"], name
        assert len(expected) == len(raw["requests"]), name


@pytest.mark.parametrize("name, index", REQUESTS, ids=[f"{n}-{i}" for n, i in REQUESTS])
def test_fixture(name: str, index: int) -> None:
    raw, expected = load(name)
    want = expected[index]
    match = match_rule(
        read_listener(raw["listener"]), read_rules(raw["rules"]), request_of(raw["requests"][index])
    )
    rule_id, priority, rule_name = match.identity
    assert (rule_id if match.rule else None) == want["rule"], match.sentence()
    if want["rule"] is not None:
        assert priority == want["priority"]
        if "name" in want:
            assert rule_name == want["name"]
    assert match.kind == want["kind"]
    assert [t.rule.rule_id for t in match.tried] == want["tried"]
    assert [t.rule.rule_id for t in match.depends] == want.get("depends", [])
    outcome = match.outcome
    if "forward" in want:
        assert [[f.server_group_id, round(f.share, 4)] for f in outcome.forward] == want["forward"]
    for key in ("status", "location", "body", "sticky"):
        if key in want:
            assert getattr(outcome, key) == want[key], key
    if "upstream" in want:
        assert outcome.upstream is not None and outcome.upstream.url == want["upstream"]


def test_the_match_quotes_the_rule_as_the_api_returned_it() -> None:
    raw, _ = load("priority_order")
    match = match_rule(
        read_listener(raw["listener"]),
        read_rules(raw["rules"]),
        AlbRequest.from_url("http://app.example.com/api/x"),
    )
    (evidence,) = match.evidence
    assert evidence.source == "alb:ListRules"
    assert evidence.locator == "Rules[2] rule-api"
    assert json.loads(evidence.excerpt) == raw["rules"]["Rules"][2]
    assert (
        "rule-api"
        not in match_rule(
            read_listener(raw["listener"]), read_rules(raw["rules"]), AlbRequest.from_url("http://x.org/")
        )
        .evidence[0]
        .excerpt
    )


def test_no_rule_means_the_default_action_with_its_json() -> None:
    raw, _ = load("wildcards")
    match = match_rule(read_listener(raw["listener"]), [], AlbRequest.from_url("http://a.b.org/"))
    assert match.default and match.identity == ("lsn-w1", None, "default action")
    assert json.loads(match.evidence[0].excerpt) == raw["listener"]["DefaultActions"]
    assert "default action, which forwards to sgp-default (100%)" in match.sentence()


@pytest.mark.parametrize(
    "pattern, text, fold, expected",
    [
        ("*.example.com", "a.b.example.com", False, True),
        ("*.example.com", "example.com", False, False),
        ("a?c", "abc", False, True),
        ("a?c", "ac", False, False),
        ("/A/*", "/a/x", False, False),
        ("/A/*", "/a/x", True, True),
        ("a.c", "abc", False, False),
        ("[x]", "[x]", False, True),
    ],
)
def test_glob_patterns_match_whole_with_star_and_question_mark(
    pattern: str, text: str, fold: bool, expected: bool
) -> None:
    assert glob_match(pattern, text, fold) is expected


def test_regex_values_search_and_capture() -> None:
    assert alb_match("~/api/(v\\d)", "/x/api/v2/y").groups == ("v2",)
    assert not alb_match("~^/API", "/api").matched
    assert alb_match("~*^/API", "/api").matched
    with pytest.raises(PatternError, match="not a regular expression"):
        alb_match("~(", "(")
    rule = read_rule(
        {"RuleId": "r", "Priority": 1, "RuleConditions": [{"Type": "Path", "PathConfig": {"Values": ["~("]}}]}
    )
    assert condition_matches(rule.conditions[0], AlbRequest.from_url("http://a.b/(")) == (False, ())


@pytest.mark.parametrize(
    "rule, field",
    [
        ({"RuleId": "r", "Priority": "first"}, "Rules[0].Priority"),
        ({"RuleId": "r", "Priority": 1, "RuleConditions": {"Type": "Host"}}, "Rules[0].RuleConditions"),
        (
            {"RuleId": "r", "Priority": 1, "RuleConditions": [{"Type": "Hots"}]},
            "Rules[0].RuleConditions[0].Type",
        ),
        (
            {
                "RuleId": "r",
                "Priority": 1,
                "RuleConditions": [{"Type": "Host", "HostConfig": {"Values": "a.com"}}],
            },
            "Rules[0].RuleConditions[0].HostConfig.Values",
        ),
        (
            {
                "RuleId": "r",
                "Priority": 1,
                "RuleActions": [
                    {
                        "Type": "ForwardGroup",
                        "ForwardGroupConfig": {"ServerGroupTuples": [{"ServerGroupId": "s", "Weight": True}]},
                    }
                ],
            },
            "Rules[0].RuleActions[0].ForwardGroupConfig.ServerGroupTuples[0].Weight",
        ),
        ({"Priority": 1}, "Rules[0]: has no RuleId"),
    ],
)
def test_a_malformed_rule_is_a_parse_error_naming_the_field(rule: dict[str, Any], field: str) -> None:
    with pytest.raises(ParseError, match=field.replace("[", r"\[").replace("]", r"\]")) as caught:
        read_rules({"Rules": [rule]})
    assert caught.value.source == "alb:ListRules"


def test_a_bad_url_is_an_input_error() -> None:
    with pytest.raises(InputError):
        AlbRequest.from_url("ftp://x/")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "RuleId",
                    "Priority",
                    "RuleConditions",
                    "RuleActions",
                    "Type",
                    "HostConfig",
                    "Values",
                    "Key",
                    "Value",
                    "ForwardGroupConfig",
                    "ServerGroupTuples",
                    "Weight",
                    "ListenerId",
                    "DefaultActions",
                    "Order",
                    "PathConfig",
                    "SourceIpConfig",
                    "RedirectConfig",
                    "HttpCode",
                    "Port",
                    "Path",
                    "Servers",
                    "ServerGroups",
                    "ListenerHealthStatus",
                    "ServerGroupInfos",
                    "NonNormalServers",
                    "Tags",
                    "Direction",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_gives_records_or_a_parse_error(value: Any) -> None:
    for read in (read_rule, read_listener):
        with contextlib.suppress(ParseError):
            read(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON, max_size=3), st.sampled_from(["http://a.example.com/x?y=1", "https://b.org:8443/"]))
def test_whatever_parses_can_be_matched(items: list[Any], url: str) -> None:
    try:
        rules = read_rules({"Rules": items})
    except ParseError:
        return
    listener = read_listener({"ListenerId": "l", "ListenerPort": 80})
    match_rule(listener, rules, AlbRequest.from_url(url, client_ip="192.0.2.1"))


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_group_and_health_readers_give_records_or_a_parse_error(value: Any) -> None:
    for read in (read_server_groups, read_servers, read_health):
        with contextlib.suppress(ParseError):
            read(value)
