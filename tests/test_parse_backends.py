"""ingress-nginx dynamic backends JSON: fixtures and malformed input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, Case, case_params, load_cases, mutated, plain

from ackwb.errors import ParseError
from ackwb.parse.backends import find_backend, parse_backends

VALID = [c.raw for c in load_cases("backends") if c.error is None]


@pytest.mark.parametrize("case", case_params("backends"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_backends(case.raw, source="pod kube-system/nginx-ingress-controller-abc: /dbg backends all")
        assert case.error in str(caught.value)
        assert caught.value.source.startswith("pod kube-system/")
        return
    backends = parse_backends(case.raw)
    assert plain(backends) == case.expected["backends"]
    for name, present in case.expected["find"].items():
        found = find_backend(backends, name)
        assert (found is not None) == present, name
        if found:
            assert found.name == name


def test_decoded_list_and_bytes_give_the_same_records() -> None:
    for text in VALID:
        assert parse_backends(json.loads(text)) == parse_backends(text) == parse_backends(text.encode())


# --- malformed input: ParseError or backends, nothing else ---------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = ["name", "port", "service", "spec", "endpoints", "address", "noServer", "alternativeBackends",
         "trafficShapingPolicy", "weight", "weightTotal", "header", "clusterIP", "type",
         "externalName"]  # fmt: skip


@st.composite
def _damaged(draw: st.DrawFn) -> list:
    """A valid backends list with one value somewhere replaced by arbitrary JSON."""
    data = json.loads(draw(st.sampled_from(VALID)))
    node = data
    for _ in range(draw(st.integers(1, 5))):
        if isinstance(node, list) and node:
            index = draw(st.integers(0, len(node) - 1))
            if not isinstance(node[index], (list, dict)) or draw(st.booleans()):
                node[index] = draw(_json)
                return data
            node = node[index]
        elif isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node) + _keys))
            if key not in node or not isinstance(node[key], (list, dict)) or draw(st.booleans()):
                node[key] = draw(_json)
                return data
            node = node[key]
    return data


def _parse_or_error(value: object) -> object:
    try:
        return parse_backends(value)  # type: ignore[arg-type]
    except ParseError as err:
        return err


@settings(max_examples=EXAMPLES, deadline=None)
@given(_damaged())
def test_damaged_json_raises_only_parse_error(data: list) -> None:
    assert isinstance(_parse_or_error(data), (tuple, ParseError))
    assert isinstance(_parse_or_error(json.dumps(data)), (tuple, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated(VALID))
def test_mutated_text_raises_only_parse_error(text: str) -> None:
    assert isinstance(_parse_or_error(text), (tuple, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=100) | _json)
def test_random_input_raises_only_parse_error(value: object) -> None:
    assert isinstance(_parse_or_error(value), (tuple, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(VALID), st.data())
def test_cut_json_is_reported_truncated(text: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(text.rstrip()) - 1))
    with pytest.raises(ParseError, match="truncated"):
        parse_backends(text[:cut])
