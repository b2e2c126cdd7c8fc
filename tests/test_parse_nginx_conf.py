"""ingress-nginx server blocks: fixtures of every template generation, a differential check
against crossplane, a syntax round trip, and malformed input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, Case, case_params, load_cases, mutated, plain

from ackwb.errors import InputError, ParseError
from ackwb.parse.nginx_conf import ServerBlock, match_location, parse_server_block
from ackwb.parse.nginx_syntax import Statement, parse_nginx

CASES = load_cases("nginx_conf")
VALID = [c for c in CASES if c.error is None]


def _parse(case: Case) -> ServerBlock:
    return parse_server_block(case.raw, case.expected.get("host"), source=f"fixture {case.name}")


@pytest.mark.parametrize("case", case_params("nginx_conf"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            _parse(case)
        assert case.error in str(caught.value)
        assert caught.value.source == f"fixture {case.name}"
        return
    block = _parse(case)
    server = {key: plain(getattr(block, key)) for key in case.expected["server"]}
    assert server == case.expected["server"]
    locations = [plain(location) for location in block.locations]
    variables = {str(location["line"]): location.pop("variables") for location in locations}
    assert locations == case.expected["locations"]
    # "set" values are compared with crossplane's (test_same_as_crossplane); fixtures crossplane
    # cannot read list them by location line instead
    for line, expected in case.expected.get("variables", {}).items():
        assert variables[line] == expected, line
    for path, expected in case.expected["matches"].items():
        found = match_location(block, path)
        assert ([found.modifier, found.path] if found else None) == expected, path


def test_raw_is_the_location_line_of_the_input() -> None:
    for case in VALID:
        lines = case.raw.split("\n")
        for location in _parse(case).locations:
            assert lines[location.line - 1].strip() == location.raw


def test_first_block_is_taken_when_no_host_is_given() -> None:
    case = next(c for c in VALID if c.name == "whole_conf_find_host")
    assert parse_server_block(case.raw).host == "_"


def test_request_path_must_be_absolute() -> None:
    block = _parse(VALID[0])
    with pytest.raises(InputError):
        match_location(block, "api/v1")


def test_regex_that_python_cannot_read_is_a_parse_error() -> None:
    text = '## start server h\nserver {\n location ~ "^/(?<id>[0-9]+" { }\n}\n## end server h\n'
    with pytest.raises(ParseError, match="cannot be evaluated"):
        match_location(parse_server_block(text), "/12")


def test_pcre_named_groups_are_understood() -> None:
    server = 'server {\n location ~ "^/(?<id>[0-9]+)$" { }\n location / { }\n}\n'
    text = f"## start server h\n{server}## end server h\n"
    block = parse_server_block(text)
    assert match_location(block, "/12").modifier == "~"
    assert match_location(block, "/x").path == "/"


# --- differential: crossplane reads the same locations and the same "set" values ----------


def _crossplane_server(path: Path, host: str) -> dict[str, Any]:
    import crossplane

    payload = crossplane.parse(str(path), single=True, comments=True, check_ctx=False, check_args=False)
    assert payload["status"] == "ok", payload["errors"]

    def find(statements: list[dict[str, Any]]) -> dict[str, Any] | None:
        marker_seen = False
        for statement in statements:
            if statement["directive"] == "#" and statement["comment"].strip() == f"# start server {host}":
                marker_seen = True
            elif marker_seen and statement["directive"] == "server":
                return statement
            elif "block" in statement and (found := find(statement["block"])):
                return found
        return None

    server = find(payload["config"][0]["parsed"])
    assert server is not None
    return server


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in VALID])
def test_same_as_crossplane(case: Case, tmp_path: Path) -> None:
    if case.expected.get("crossplane", "").startswith("skip"):
        assert case.expected.get("variables"), "a fixture crossplane cannot read must list its variables"
        pytest.skip(case.expected["crossplane"])
    block = _parse(case)
    conf = tmp_path / "nginx.conf"
    conf.write_text(case.raw, encoding="utf-8")
    server = _crossplane_server(conf, block.host)
    theirs = [s for s in server["block"] if s["directive"] == "location"]
    assert len(theirs) == len(block.locations)
    for mine, their in zip(block.locations, theirs, strict=True):
        if mine.modifier in ("", "@"):
            assert their["args"] == [("@" if mine.modifier == "@" else "") + mine.path]
        else:
            assert their["args"] == [mine.modifier, mine.path]
        their_sets = [tuple(s["args"]) for s in their["block"] if s["directive"] == "set"]
        assert [("$" + name, value) for name, value in mine.variables] == their_sets
        assert mine.line == their["line"]
    names = [a for s in server["block"] if s["directive"] == "server_name" for a in s["args"]]
    assert list(block.server_names) == names
    assert list(block.listens) == [" ".join(s["args"]) for s in server["block"] if s["directive"] == "listen"]


# --- the syntax reader: render a random statement tree, read it back --------------------


def _pieces(pieces: list[str], min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), min_size=min_size, max_size=max_size).map("".join)


_word = _pieces(list("abcxyz019_-./:=~*^$@()[],") + ["${v}"], 1, 6)
_text = _pieces(list("abc xyz;{}#'\"\\\t\n019$") + ["${v}"], 0, 6)
_directive = st.text(st.sampled_from(list("abcdefgh_")), min_size=1, max_size=8).filter(
    lambda d: not d.endswith("_by_lua_block")
)


def _quote(value: str) -> str:
    """nginx double-quoted form: escape backslash, quote, and the characters nginx unescapes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    return f'"{escaped}"'


_statements = st.deferred(
    lambda: st.lists(
        st.builds(
            Statement,
            directive=_directive,
            args=st.lists(st.one_of(_word, _text), max_size=3).map(tuple),
            line=st.just(0),
            block=st.none() | _statements.map(tuple),
        ),
        max_size=3,
    )
)


def _render(statements: list[Statement] | tuple[Statement, ...], depth: int = 0) -> str:
    out = []
    for s in statements:
        words = [s.directive, *(_quote(a) for a in s.args)]
        if s.block is None:
            out.append("  " * depth + " ".join(words) + ";  # note }\n")
        else:
            out.append(
                "  " * depth + " ".join(words) + " {\n" + _render(s.block, depth + 1) + "  " * depth + "}\n"
            )
    return "".join(out)


def _without_lines(statements: tuple[Statement, ...]) -> list[Any]:
    return [(s.directive, s.args, None if s.block is None else _without_lines(s.block)) for s in statements]


@settings(max_examples=EXAMPLES, deadline=None)
@given(_statements)
def test_syntax_round_trip(statements: list[Statement]) -> None:
    parsed = parse_nginx(_render(statements))
    assert _without_lines(parsed) == _without_lines(tuple(statements))


@settings(max_examples=EXAMPLES, deadline=None)
@given(_pieces(list("ab =\"'{}();\n\\") + ["--", "[[", "]]", "--[[", "-- it's", "[==[", "]==]"], 0, 30))
def test_lua_block_body_is_kept_or_rejected(body: str) -> None:
    """Whatever the Lua body holds the reader raises only ParseError, and a body without
    braces (which cannot end the block early) comes back whole."""
    text = f"content_by_lua_block {{{body}}}\nreturn 200;\n"
    try:
        parsed = parse_nginx(text)
    except ParseError:
        return
    if "{" not in body and "}" not in body:
        assert [(s.directive, s.args) for s in parsed] == [
            ("content_by_lua_block", (body,)),
            ("return", ("200",)),
        ]


# --- malformed input: ParseError or a server block, nothing else ---------------------------


def _parse_or_error(text: str) -> ServerBlock | ParseError:
    try:
        block = parse_server_block(text)
        for path in ("/", "/api/v1", "/b/x", "/static/a.php"):
            match_location(block, path)
        return block
    except ParseError as err:
        return err


@settings(max_examples=EXAMPLES, deadline=None)
@given(mutated([c.raw for c in VALID if not c.name.startswith("whole_conf")]))
def test_mutated_blocks_raise_only_parse_error(text: str) -> None:
    assert isinstance(_parse_or_error(text), (ServerBlock, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(st.sampled_from(list("location set server {};\"'#\\$~*^=@/ab_\n\t")), max_size=200))
def test_random_text_between_markers_raises_only_parse_error(text: str) -> None:
    result = _parse_or_error(f"## start server h\n{text}\n## end server h\n")
    assert isinstance(result, (ServerBlock, ParseError))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from([c.raw for c in VALID if not c.name.startswith("whole_conf")]), st.data())
def test_block_cut_before_its_end_marker_is_reported_truncated(text: str, data: st.DataObject) -> None:
    end_marker = text.rindex("## end server")
    cut = data.draw(st.integers(text.index("\n") + 1, end_marker + len("## end server")))
    with pytest.raises(ParseError, match="truncated"):
        parse_server_block(text[:cut])
