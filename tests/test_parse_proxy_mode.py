"""kube-proxy /proxyMode answers: fixtures and arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, Case, case_params

from ackwb.errors import ParseError
from ackwb.parse.proxy_mode import MODES, parse_proxy_mode


@pytest.mark.parametrize("case", case_params("proxy_mode"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            parse_proxy_mode(case.raw, source="node 10.17.10.11: curl 127.0.0.1:10249/proxyMode")
        assert case.error in str(caught.value)
        assert caught.value.source == "node 10.17.10.11: curl 127.0.0.1:10249/proxyMode"
        return
    assert parse_proxy_mode(case.raw) == case.expected["mode"]
    assert parse_proxy_mode(case.raw.encode()) == case.expected["mode"]


def test_a_long_answer_is_shortened_in_the_message() -> None:
    with pytest.raises(ParseError) as caught:
        parse_proxy_mode("x" * 500)
    assert len(str(caught.value)) < 200


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=40) | st.sampled_from(MODES).map(lambda m: f" {m}\r\n"))
def test_any_answer_is_a_mode_or_parse_error(text: str) -> None:
    try:
        mode = parse_proxy_mode(text)
    except ParseError:
        assert text.strip() not in MODES
        return
    assert mode in MODES and mode == text.strip()
