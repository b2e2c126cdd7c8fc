"""What nginx does with a request inside the matched server block (issue 14), per template generation.

The fixtures (tools/fixtures/make_nginx_request_fixtures.py) are nginx.conf files rendered from
one annotated world in four template generations, the dynamic backends JSON, and for each
request the outcome written by hand from nginx's and the controller's rules: kind, status,
Location, finding code, the evidence line (number and raw text), the upstream request, and the
notes with their first evidence line.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, rounded

from ackwb.errors import AckwbError, InputError
from ackwb.parse.backends import parse_backends
from ackwb.parse.nginx_access import ClientAddress
from ackwb.parse.nginx_directives import (
    HttpSettings,
    ServerDirectives,
    read_http_settings,
    read_server_directives,
)
from ackwb.parse.nginx_index import index_nginx_conf
from ackwb.steps.nginx_request import NginxOutcome, NginxRequest, evaluate_request, normalize_uri

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nginx_request"
GENERATIONS = sorted(p.stem for p in FIXTURES.glob("*.txt"))


@cache
def world(stem: str) -> tuple[str, dict[str, Any]]:
    return (FIXTURES / f"{stem}.txt").read_text(encoding="utf-8"), json.loads(
        (FIXTURES / f"{stem}.expected.json").read_text(encoding="utf-8")
    )


@cache
def server(stem: str, host: str) -> ServerDirectives:
    conf, _ = world(stem)
    found = index_nginx_conf(conf).server(host)
    assert found is not None
    return read_server_directives(conf[found.start : found.end], host, stem, first_line=found.line)


def run(stem: str, case: dict[str, Any], backends: bool = True) -> NginxOutcome:
    conf, expected = world(stem)
    r = case["request"]
    client = (
        ClientAddress(r["client"], "the client (its IP is kept)") if r["client"] else ClientAddress(None, "?")
    )
    request = NginxRequest(
        host=r["host"], path=r["path"], scheme=r["scheme"], port=443 if r["scheme"] == "https" else 80,
        headers=r["headers"], client=client, certificate=r["certificate"],
    )  # fmt: skip
    parsed = parse_backends(json.dumps(expected["backends"])) if backends else None
    return evaluate_request(server(stem, r["host"]), request, read_http_settings(conf), parsed, stem)


def _evidence(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"line": int(found.locator.removeprefix("line ")), "raw": found.excerpt}


CASES = [
    pytest.param(stem, case, id=f"{stem}-{case['name']}")
    for stem in GENERATIONS
    for case in world(stem)[1]["requests"]
]


def test_every_generation_is_rendered() -> None:
    assert GENERATIONS == ["v1_10", "v1_11", "v1_12", "v1_15"]
    for stem in GENERATIONS:
        assert len(world(stem)[1]["requests"]) >= 25


@pytest.mark.parametrize(("stem", "case"), CASES)
def test_request_outcome(stem: str, case: dict[str, Any]) -> None:
    outcome, expect = run(stem, case), case["expect"]
    assert (outcome.kind, outcome.status, outcome.redirect_to, outcome.code) == (
        expect["kind"], expect["status"], expect["redirect_to"], expect["code"]
    ), outcome.sentence  # fmt: skip
    assert _evidence(outcome.decided_by) == expect["evidence"]
    if expect["upstream"] is None:
        assert outcome.upstream is None
    else:
        up = outcome.upstream
        assert up is not None
        got = {
            "upstream_name": up.upstream_name, "path": up.path, "host_header": up.host_header,
            "protocol": up.protocol, "pass_directive": up.pass_directive, "timeouts": dict(up.timeouts),
            "targets": rounded([[t.backend, t.share, t.canary] for t in up.targets]),
        }  # fmt: skip
        assert got == expect["upstream"]
    notes = [
        {"code": n.code, "evidence": _evidence(n.evidence[0] if n.evidence else None)}
        for n in outcome.notes
        if n.code != "NGINX_UNDECIDED"
    ]
    assert notes == expect["notes"]


def test_answers_name_their_status_and_target_in_the_sentence() -> None:
    case = next(c for c in world("v1_12")[1]["requests"] if c["name"] == "ssl-redirect-over-http")
    assert run("v1_12", case).sentence.startswith(
        "answered by nginx: 308 → https://shop.qas.abc.com/api/v1?page=2"
    )
    denied = next(c for c in world("v1_12")[1]["requests"] if c["name"] == "denied-by-whitelist")
    sentence = run("v1_12", denied).sentence
    assert "203.0.113.9" in sentence and "deny all;" in sentence and "192.0.2.0/24, 198.51.100.7" in sentence


def test_depends_names_who_is_allowed_and_what_follows() -> None:
    case = next(c for c in world("v1_15")[1]["requests"] if c["name"] == "whitelist-without-client")
    outcome = run("v1_15", case)
    assert "allowed are 192.0.2.0/24, 198.51.100.7" in outcome.sentence
    assert "Otherwise: proxied to shop-admin-80" in outcome.sentence


def test_unknown_certificate_makes_ssl_redirect_depend() -> None:
    case = next(c for c in world("v1_11")[1]["requests"] if c["name"] == "ssl-redirect-over-http")
    case = {**case, "request": {**case["request"], "certificate": None}}
    outcome = run("v1_11", case)
    assert (outcome.kind, outcome.code) == ("depends", "NGINX_SSL_REDIRECT")
    no_certificate = {**case, "request": {**case["request"], "certificate": False}}
    assert run("v1_11", no_certificate).kind == "proxied"


def test_without_backends_there_is_no_canary_and_no_503() -> None:
    empty = next(c for c in world("v1_12")[1]["requests"] if c["name"] == "no-endpoints-503")
    outcome = run("v1_12", empty, backends=False)
    assert outcome.kind == "proxied" and outcome.upstream is not None and outcome.upstream.targets == ()


def test_grpc_timeouts_differ_by_generation() -> None:
    """v1.10 renders no grpc_*_timeout: proxy-read-timeout never reaches grpc_pass (60s default)."""
    case = next(c for c in world("v1_10")[1]["requests"] if c["name"] == "grpc-pass")
    old, new = run("v1_10", case), run("v1_11", case)
    assert dict(old.upstream.timeouts)["read"] == "60s" and dict(new.upstream.timeouts)["read"] == "300s"  # type: ignore[union-attr]
    assert "before v1.11" in next(n.message for n in old.notes if n.code == "NGINX_GRPC")


@pytest.mark.parametrize(
    ("path", "uri"),
    [("/a//b/./c/../d", "/a/b/d"), ("/%41pi/", "/Api/"), ("/", "/"), ("/x/..", "/"), ("/..", None)],
)
def test_uri_is_normalized_like_nginx(path: str, uri: str | None) -> None:
    assert normalize_uri(path) == uri


def test_bad_requests_are_input_errors() -> None:
    block = server("v1_12", "shop.qas.abc.com")
    with pytest.raises(InputError):
        evaluate_request(block, NginxRequest("shop.qas.abc.com", "/", scheme="ftp"))
    with pytest.raises(InputError):
        evaluate_request(block, NginxRequest("shop.qas.abc.com", "api"))
    with pytest.raises(InputError):
        evaluate_request(block, NginxRequest("shop.qas.abc.com", "/admin", client=ClientAddress("nope", "?")))


def test_http_settings_of_a_config_without_limits_are_defaults() -> None:
    conf, _ = world("v1_12")
    head = conf[: conf.index("limit_req_status")] + conf[conf.index("upstream upstream_balancer") :]
    assert read_http_settings(head).zones == () and HttpSettings().redirect_code == 308


# --- property: the evaluator raises nothing but ackwb errors on arbitrary rendered blocks ----------

_paths = st.sampled_from(["/", "/admin", "/admin/x", "/old", "/%2e%2e/x", "/a//b", "/something/1", "/empty/x",
                          "/private", "/grpc/x", "/SomeThing/../x?y=1", "/either"])  # fmt: skip
_headers = st.dictionaries(
    st.sampled_from(["X-Canary", "Cookie", "Authorization", "User-Agent", "X-Forwarded-For"]),
    st.sampled_from(["always", "never", "canary=always", "Basic x", "badbot", "1.2.3.4", ""]),
    max_size=3,
)
_clients = st.sampled_from([None, "192.0.2.7", "203.0.113.9", "::ffff:192.0.2.1", "2001:db8::1"])


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.sampled_from(GENERATIONS), st.sampled_from(["shop.qas.abc.com", "rw.qas.abc.com"]), _paths,
    st.sampled_from(["http", "https"]), _headers, _clients, st.sampled_from([True, False, None]),
    st.booleans(),
)  # fmt: skip
def test_evaluator_raises_only_ackwb_errors(
    stem, host, path, scheme, headers, client, certificate, backends
) -> None:
    case = {"request": {"host": host, "path": path, "scheme": scheme, "client": client, "headers": headers,
                        "certificate": certificate}}  # fmt: skip
    try:
        outcome = run(stem, case, backends)
    except AckwbError:
        return
    assert outcome.kind in ("answered", "proxied", "depends")
    assert (outcome.status is not None) == (outcome.kind == "answered")
    assert outcome.sentence


_ANNOTATIONS = {
    "whitelist-source-range": ["192.0.2.0/24", "10.0.0.0/8,2001:db8::/32", "not-a-cidr"],
    "denylist-source-range": ["203.0.113.0/24"],
    "permanent-redirect": ["https://x.example/", "/relative"],
    "temporal-redirect": ["https://y.example/$request_uri"],
    "rewrite-target": ["/$2", "/$1/$9", "https://z.example/$1", "/new?a=1", "/x?"],
    "app-root": ["/app"],
    "auth-type": ["basic"],
    "auth-url": ["http://auth.example/check"],
    "satisfy": ["any", "all"],
    "limit-rps": ["5"],
    "limit-connections": ["2"],
    "backend-protocol": ["GRPC", "GRPCS", "HTTPS", "AUTO_HTTP", "FCGI"],
    "upstream-vhost": ["vhost.example", "$host"],
    "ssl-redirect": ["true", "false"],
    "force-ssl-redirect": ["true"],
    "custom-http-errors": ["404,503"],
    "configuration-snippet": ["if ($uri ~ (unclosed) { return 418; }", "return 200 ok;", "break;"],
    "server-snippet": ["rewrite ^/loop(.*)$ /loop$1 last;", "if (-f $request_filename) { return 403; }"],
    "denied": ["invalid annotation"],
}
_annotation_sets = st.dictionaries(
    st.sampled_from(sorted(_ANNOTATIONS)), st.sampled_from([0, 1, 2, 3, 4]), max_size=4
).map(lambda chosen: tuple((k, _ANNOTATIONS[k][i % len(_ANNOTATIONS[k])]) for k, i in chosen.items()))
_ingress_paths = st.lists(
    st.tuples(
        st.sampled_from(["/", "/a", "/a/b", "/loop", "/something(/|$)(.*)", "/(?<id>[0-9]+)", "/x["]),
        st.sampled_from(["Prefix", "Exact", "ImplementationSpecific"]),
        _annotation_sets,
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda p: (p[0], p[1]),
)


@cache
def _generator() -> tuple[Any, Any, Any]:
    """The fixture generator (tools/ is in a checkout, not in the installed package)."""
    root = str(FIXTURES.parents[2])
    sys.path.insert(0, root)
    try:
        from tools.fixtures.ingress_nginx import Host, IngressPath, render_conf
    finally:
        sys.path.remove(root)
    return Host, IngressPath, render_conf


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    _ingress_paths, st.booleans(), st.booleans(), st.sampled_from(["v1.10", "v1.11", "v1.12", "v1.15"]),
    _paths, st.sampled_from(["http", "https"]), _headers, _clients, st.sampled_from([True, False, None]),
)  # fmt: skip
def test_evaluator_on_generated_blocks_raises_only_ackwb_errors(
    paths, regex, tls, generation, path, scheme, headers, client, certificate
) -> None:
    """Server blocks from the fixture generator, with random annotations, paths and requests."""
    Host, IngressPath, render_conf = _generator()  # noqa: N806
    host = Host(
        "gen.example.com",
        tuple(
            IngressPath(p, t, "ns", f"ing{i}", f"svc{i}", "80", ann) for i, (p, t, ann) in enumerate(paths)
        ),
        tls=tls,
        regex=regex,
    )
    conf = render_conf([host], generation)
    request = NginxRequest("gen.example.com", path, scheme, headers=headers, certificate=certificate,
                           client=ClientAddress(client, "given"))  # fmt: skip
    try:
        found = index_nginx_conf(conf).server("gen.example.com")
        assert found is not None
        block = read_server_directives(
            conf[found.start : found.end], "gen.example.com", first_line=found.line
        )
        outcome = evaluate_request(block, request, read_http_settings(conf), None)
    except AckwbError:
        return
    assert outcome.kind in ("answered", "proxied", "depends")
    assert (outcome.status is not None) == (outcome.kind == "answered")


def test_pure_step_modules_import_no_other_step_and_no_source() -> None:
    """nginx_request and ingress_objects (with ingress_path_checks) are called by whichever ingress
    step exists: they may use ackwb.model, ackwb.hops, ackwb.parse, ackwb.errors and each other only."""
    from test_layers import ROOT, collect_imports

    imports = collect_imports(ROOT)
    pure = ("ackwb.steps.nginx_request", "ackwb.steps.ingress_objects", "ackwb.steps.ingress_path_checks")
    allowed = ("ackwb.model", "ackwb.hops", "ackwb.parse", "ackwb.errors", *pure)
    for module in pure:
        used = {i.module for i in imports[module] if i.module.startswith("ackwb")}
        assert used and all(u.startswith(allowed) for u in used), (module, sorted(used))
