"""EndpointSlices → endpoints of one Service port: fixtures, nil rules, malformed objects."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, Case, case_params, load_cases, plain

from ackwb.errors import ParseError
from ackwb.parse.endpointslices import endpoints_for_port, kube_proxy_endpoints

VALID = [c for c in load_cases("endpointslices") if c.error is None]


@pytest.mark.parametrize("case", case_params("endpointslices"))
def test_fixture(case: Case) -> None:
    port_name = case.expected["port_name"]
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            endpoints_for_port(case.raw, port_name, source="kube: endpointslices demo/web")
        assert case.error in str(caught.value)
        assert caught.value.source == "kube: endpointslices demo/web"
        return
    endpoints = endpoints_for_port(case.raw, port_name)
    assert plain(endpoints) == case.expected["endpoints"]
    assert [e.address for e in kube_proxy_endpoints(endpoints)] == case.expected["kube_proxy"]
    assert endpoints_for_port(json.loads(case.raw), port_name) == endpoints  # decoded objects too


# --- malformed objects: ParseError or endpoints, nothing else ------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
_keys = ["items", "metadata", "name", "ports", "port", "protocol", "endpoints", "addresses", "conditions",
         "ready", "serving", "terminating", "nodeName", "zone", "targetRef", "kind"]  # fmt: skip


@st.composite
def _damaged(draw: st.DrawFn) -> object:
    """A valid input with one value somewhere below the top replaced by arbitrary JSON."""
    data = json.loads(draw(st.sampled_from(VALID)).raw)
    node: object = data
    for _ in range(draw(st.integers(1, 7))):
        if isinstance(node, list) and node:
            key: object = draw(st.integers(0, len(node) - 1))
        elif isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node) + _keys))
        else:
            break
        child = node[key] if (isinstance(node, dict) and key in node) or isinstance(node, list) else None
        if not isinstance(child, (list, dict)) or not child or draw(st.booleans()):
            node[key] = draw(_json)  # type: ignore[index]
            break
        node = child
    return data


@settings(max_examples=EXAMPLES, deadline=None)
@given(_damaged(), st.sampled_from(["", "http", "postgres", "all"]))
def test_damaged_objects_raise_only_parse_error(data: object, port_name: str) -> None:
    try:
        result = endpoints_for_port(data, port_name)
    except ParseError as err:
        assert "EndpointSlice" in str(err) or "expected a list" in str(err)
        return
    assert isinstance(result, tuple)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=60) | _json)
def test_random_input_raises_only_parse_error(value: object) -> None:
    with contextlib.suppress(ParseError):
        assert isinstance(endpoints_for_port(value, "http"), tuple)
