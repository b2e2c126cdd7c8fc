"""Gateway API: route attachment, status findings, matching precedence, filters and backendRefs.

Each fixture in tests/fixtures/gateway_routes holds raw objects as the API returns them
(GatewayClass, Gateway, HTTPRoutes, Namespaces, ReferenceGrants) and requests; the expected
file, written by hand from the Gateway API spec text quoted in the fixture's ``about``
(kubernetes-sigs/gateway-api ``apis/v1``), lists the attachments (route, listener, effective
hostnames), the rejections with the spec's reason, the findings (code, severity, phrases) and,
per request, the route, rule and match it takes, and what happens.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ackwb.errors import ParseError
from ackwb.parse.common import selector_matches
from ackwb.parse.gateway_api import read_gateway, read_gateway_class, read_http_route, read_reference_grant
from ackwb.parse.gateway_hosts import host_matches, intersect
from ackwb.steps.gateway_backends import backend_findings
from ackwb.steps.gateway_match import GatewayRequest, match
from ackwb.steps.gateway_routes import attach

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "gateway_routes"
CASES = sorted(p.stem for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))


def load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        json.loads((FIXTURES / f"{name}.json").read_text()),
        json.loads((FIXTURES / f"{name}.expected.json").read_text()),
    )


def attached_of(raw: dict[str, Any]) -> Any:
    return attach(raw["gateway"], raw["routes"], raw["namespaces"], raw.get("gatewayclass"))


def check_findings(found: Any, expected: list[list[Any]]) -> None:
    assert [(f.code, f.severity.value) for f in found] == [(c, s) for c, s, _ in expected], [
        f.message for f in found
    ]
    for finding, (_, _, phrases) in zip(found, expected, strict=True):
        for phrase in phrases:
            assert phrase in finding.message, finding.message
        assert finding.evidence and finding.hop == "gateway"


def test_every_fixture_has_its_expected_file() -> None:
    assert CASES == ["attach", "filters", "precedence"]
    for name in CASES:
        raw, expected = load(name)
        assert raw["about"] and len(expected["matches"]) == len(raw["requests"])


@pytest.mark.parametrize("name", CASES)
def test_attachments_rejections_and_findings(name: str) -> None:
    raw, expected = load(name)
    result = attached_of(raw)
    got = [[a.route.meta.key, a.listener.name, list(a.hostnames)] for a in result.routes]
    assert got == expected["attached"]
    assert [[r.route.meta.key, r.reason] for r in result.rejected] == expected["rejected"]
    check_findings(result.findings, expected["findings"])


REQUESTS = [(name, i) for name in CASES for i in range(len(load(name)[0]["requests"]))]


@pytest.mark.parametrize("name, index", REQUESTS, ids=[f"{n}-{i}" for n, i in REQUESTS])
def test_match(name: str, index: int) -> None:
    raw, expected = load(name)
    want = expected["matches"][index]
    spec = raw["requests"][index]
    request = GatewayRequest.from_url(
        spec["url"], spec.get("method", "GET"), tuple(map(tuple, spec.get("headers", [])))
    )
    found = match(request, attached_of(raw).routes, raw.get("grants", ()))
    assert (found.route.meta.key if found.route else None) == want["route"], (
        found.sentence(),
        found.considered,
    )
    assert found.kind == want["kind"]
    if want["route"] is not None:
        assert found.rule is not None and found.match is not None
        assert found.route.rules.index(found.rule) == want["rule"]
        assert found.rule.matches.index(found.match) == want["match"]
    for key in ("status", "location"):
        if key in want:
            assert getattr(found, key) == want[key], key
    if "listener" in want:
        assert found.listener is not None and found.listener.name == want["listener"]
    if "upstream" in want:
        assert f"{found.upstream_host}{found.upstream_path}" == want["upstream"]
    if "headers" in want:
        assert list(found.header_changes) == want["headers"]
    if "backends" in want:
        assert [[b.target, round(b.share, 4), b.reason] for b in found.backends] == want["backends"]
    if "findings" in want:
        assert found.route is not None and found.rule is not None
        check_findings(backend_findings(found.route, found.rule, found.backends), want["findings"])


def test_no_match_is_a_404_naming_what_was_considered() -> None:
    raw, _ = load("precedence")
    found = match(GatewayRequest.from_url("http://nobody.example.org/"), attached_of(raw).routes)
    assert (found.kind, found.status, found.route) == ("answered", 404, None)
    assert "the Gateway answers 404" in found.sentence()


@pytest.mark.parametrize(
    "pattern, host, expected",
    [
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("a.example.com", "A.Example.com", True),
        ("*.example.com", "*.a.example.com", True),
        ("*.a.example.com", "*.example.com", False),
    ],
)
def test_wildcard_hostnames_are_suffix_matches_needing_a_label(
    pattern: str, host: str, expected: bool
) -> None:
    assert host_matches(pattern, host) is expected


def test_hostname_intersection_follows_the_spec_examples() -> None:
    # A Listener with test.example.com matches routes with no hostnames, test.example.com or *.example.com.
    assert intersect("test.example.com", []) == ("test.example.com",)
    assert intersect("test.example.com", ["*.example.com"]) == ("test.example.com",)
    # A Listener with *.example.com keeps *.example.com, test.example.com, foo.test.example.com, not the rest.
    assert intersect(
        "*.example.com",
        ["*.example.com", "test.example.com", "foo.test.example.com", "example.com", "test.example.net"],
    ) == ("*.example.com", "test.example.com", "foo.test.example.com")
    assert intersect("*.example.com", ["example.com"]) is None
    assert intersect(None, ["a.b"]) == ("a.b",)


def test_label_selectors() -> None:
    labels = {"team": "shop", "env": "prod"}
    assert selector_matches({}, labels)
    assert selector_matches({"matchLabels": {"team": "shop"}}, labels)
    assert not selector_matches({"matchLabels": {"team": "ops"}}, labels)
    assert selector_matches(
        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}, labels
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, labels
    )
    assert not selector_matches({"matchExpressions": [{"key": "x", "operator": "Exists"}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, labels)


def test_class_and_listener_conflicts_are_quoted() -> None:
    raw, _ = load("attach")
    gateway = json.loads(json.dumps(raw["gateway"]))
    gateway["status"]["listeners"][0]["conditions"].append(
        {
            "type": "Conflicted",
            "status": "True",
            "reason": "HostnameConflict",
            "message": "two listeners on port 80",
        }
    )
    klass = {
        "metadata": {"name": "alb"},
        "spec": {"controllerName": "c"},
        "status": {
            "conditions": [
                {
                    "type": "Accepted",
                    "status": "False",
                    "reason": "InvalidParameters",
                    "message": "no such AlbConfig",
                }
            ]
        },
    }
    codes = [(f.code, f.message) for f in attach(gateway, [], raw["namespaces"], klass).findings]
    assert codes[0] == (
        "GATEWAY_CLASS_NOT_ACCEPTED",
        "GatewayClass alb (c): Accepted is False (InvalidParameters): no such AlbConfig",
    )
    assert (
        "GATEWAY_LISTENER_CONFLICTED",
        "Gateway infra/gw listener http: Conflicted is True (HostnameConflict): two listeners on port 80",
    ) in codes


def test_a_gateway_without_addresses_is_a_warning_unless_programmed_says_so() -> None:
    gateway = {"metadata": {"namespace": "n", "name": "g"}, "spec": {"listeners": []}, "status": {}}
    assert [f.code for f in attach(gateway, []).findings] == ["GATEWAY_NO_ADDRESS"]


@pytest.mark.parametrize(
    "reader, obj, field",
    [
        (
            read_gateway,
            {"metadata": {"name": "g"}, "spec": {"listeners": [{"name": "l", "port": "http"}]}},
            "g spec.listeners[0].port",
        ),
        (
            read_http_route,
            {"metadata": {"name": "r", "namespace": "n"}, "spec": {"hostnames": "a.com"}},
            "n/r spec.hostnames",
        ),
        (
            read_http_route,
            {
                "metadata": {"name": "r", "namespace": "n"},
                "spec": {"rules": [{"backendRefs": [{"name": "s", "weight": "heavy"}]}]},
            },
            "n/r spec.rules[0].backendRefs[0].weight",
        ),
        (read_reference_grant, {"metadata": {"namespace": "n"}}, "referencegrant: has no metadata.name"),
    ],
)
def test_malformed_objects_are_parse_errors_naming_the_field(reader: Any, obj: Any, field: str) -> None:
    with pytest.raises(ParseError) as caught:
        reader(obj)
    assert field in str(caught.value)


def test_defaults_are_applied_to_objects_written_by_hand() -> None:
    route = read_http_route(
        {
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"name": "g"}], "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]},
        }
    )
    (parent,) = route.parents
    assert (parent.group, parent.kind, parent.namespace) == ("gateway.networking.k8s.io", "Gateway", "n")
    (rule,) = route.rules
    assert (rule.matches[0].path.type, rule.matches[0].path.value) == ("PathPrefix", "/")
    (backend,) = rule.backends
    assert (backend.group, backend.kind, backend.namespace, backend.weight) == ("", "Service", "n", 1)


KEYS = [
    "metadata",
    "name",
    "namespace",
    "spec",
    "status",
    "listeners",
    "port",
    "hostname",
    "allowedRoutes",
    "namespaces",
    "from",
    "kinds",
    "parentRefs",
    "hostnames",
    "rules",
    "matches",
    "path",
    "type",
    "value",
    "headers",
    "queryParams",
    "filters",
    "backendRefs",
    "weight",
    "conditions",
    "parents",
    "parentRef",
    "to",
    "addresses",
    "controllerName",
    "requestRedirect",
    "labels",
    "creationTimestamp",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=14,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_any_json_gives_records_or_a_parse_error(value: Any) -> None:
    for read in (read_gateway, read_http_route, read_reference_grant, read_gateway_class):
        with contextlib.suppress(ParseError):
            read(value)


@settings(max_examples=200, deadline=None)
@given(JSON, JSON)
def test_attach_and_match_never_crash_on_what_parses(gateway: Any, route: Any) -> None:
    try:
        result = attach(gateway, [route])
    except ParseError:
        return
    match(GatewayRequest.from_url("http://a.example.com/x?y=1"), result.routes)


@pytest.mark.parametrize(
    "filters, field",
    [
        ([{"type": ""}], "filters[0]: has no type"),
        (
            [{"type": "RequestRedirect", "requestRedirect": {"statusCode": "moved"}}],
            "requestRedirect.statusCode",
        ),
        ([{"type": "URLRewrite", "urlRewrite": {"path": "/x"}}], "urlRewrite.path: expected an object"),
        (
            [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": "x-a"}}],
            "requestHeaderModifier.remove",
        ),
    ],
)
def test_malformed_filters_are_parse_errors(filters: list[Any], field: str) -> None:
    route = {"metadata": {"name": "r", "namespace": "n"}, "spec": {"rules": [{"filters": filters}]}}
    with pytest.raises(ParseError, match=re.escape(field)):
        read_http_route(route)


def test_a_cross_namespace_reference_with_unread_grants_is_not_refused() -> None:
    """``grants=None``: the ReferenceGrants could not be read; a reference across namespaces is then
    neither permitted by a named grant nor refused (RefNotPermitted needs the grants read)."""
    from ackwb.parse.gateway_api import read_http_route
    from ackwb.steps.gateway_backends import resolve_backends

    route = read_http_route({
        "metadata": {"namespace": "store", "name": "r"},
        "spec": {"rules": [{"backendRefs": [{"name": "docs", "namespace": "web", "port": 80}]}]},
    })  # fmt: skip
    (refused,) = resolve_backends(route, route.rules[0], grants=[])
    assert refused.reason == "RefNotPermitted"
    (unknown,) = resolve_backends(route, route.rules[0], grants=None)
    assert unknown.valid and not unknown.grant and "could not be read" in unknown.message
