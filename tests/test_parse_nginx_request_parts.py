"""The pure pieces under the nginx request evaluator: the directive reader, the rewrite module,
``allow``/``deny`` with nginx's inheritance, ``$remote_addr`` under the realip module, rate limits.

Each case is raw nginx text (a server block between its markers, or an http head) and the
result nginx gives, written from nginx's documented rules.
"""

from __future__ import annotations

import pytest

from ackwb.errors import InputError, ParseError
from ackwb.parse.nginx_access import ClientAddress, decide_access, effective_rules, remote_addr
from ackwb.parse.nginx_directives import read_http_settings, read_server_directives
from ackwb.parse.nginx_rewrite import RequestState, run_rewrite_module
from ackwb.parse.nginx_upstream import host_header, pass_target, rate_limits, timeouts


def block(server: str, locations: str = "") -> str:
    return f"## start server h\nserver {{\n{server}\n{locations}\n}}\n## end server h\n"


def state(uri: str, args: str = "", **kw) -> RequestState:
    return RequestState(kw.pop("scheme", "http"), kw.pop("host", "h.example:8080"), uri, args, **kw)


# --- the rewrite module --------------------------------------------------------------------------

REWRITES = [
    # (location body, uri, args, headers) → (status, Location, final uri, final args, deciding raw line)
    ('rewrite "(?i)/api(/|$)(.*)" /$2 break;', "/API/v1/x", "q=1", {}, (None, None, "/v1/x", "q=1", None)),
    ("rewrite ^/a(.*)$ /b$1?x=1 break;", "/a/c", "q=1", {}, (None, None, "/b/c", "x=1&q=1", None)),
    ("rewrite ^/a(.*)$ /b$1? break;", "/a/c", "q=1", {}, (None, None, "/b/c", "", None)),
    ("rewrite ^/old/(.*)$ /new/$1 permanent;", "/old/p", "", {}, (301, "http://h.example/new/p", "/old/p", "", 0)),  # noqa: E501
    ("rewrite ^/r(.*)$ /s$1 redirect;", "/r1", "a=b", {}, (302, "http://h.example/s1?a=b", "/r1", "a=b", 0)),
    ("rewrite ^ https://other.example$request_uri;", "/p", "z=1", {}, (302, "https://other.example/p?z=1", "/p", "z=1", 0)),  # noqa: E501
    ("return 301 $scheme://$host/moved;", "/x", "", {}, (301, "http://h.example/moved", "/x", "", 0)),
    ("return https://elsewhere.example/;", "/x", "", {}, (302, "https://elsewhere.example/", "/x", "", 0)),
    ('return 418 "teapot";', "/x", "", {}, (418, None, "/x", "", 0)),
    ("set $a /b;\nreturn 302 $a$uri;", "/x", "", {}, (302, "http://h.example/b/x", "/x", "", 1)),
    ("if ($request_method = OPTIONS) {\nreturn 204;\n}", "/x", "", {}, (None, None, "/x", "", None)),
    ("if ($http_x_go) {\nreturn 403;\n}", "/x", "", {"X-Go": "1"}, (403, None, "/x", "", 1)),
    ("if ($http_x_go) {\nreturn 403;\n}", "/x", "", {"X-Go": "0"}, (None, None, "/x", "", None)),
    ('if ($cookie_beta != "yes") {\nreturn 404;\n}', "/x", "", {"Cookie": "beta=yes"}, (None, None, "/x", "", None)),  # noqa: E501
    ('if ($arg_debug ~* "^(1|true)$") {\nreturn 400;\n}', "/x", "debug=TRUE", {}, (400, None, "/x", "debug=TRUE", 1)),  # noqa: E501
    ("break;\nreturn 500;", "/x", "", {}, (None, None, "/x", "", None)),
    ("rewrite ^/a /b last;\nreturn 500;", "/a", "", {}, (None, None, "/b", "", None)),
    ("rewrite ^/nomatch /b;\nreturn 200;", "/a", "", {}, (200, None, "/a", "", 1)),
]  # fmt: skip


@pytest.mark.parametrize(("body", "uri", "args", "headers", "expected"), REWRITES)
def test_rewrite_module(body: str, uri: str, args: str, headers: dict, expected: tuple) -> None:
    server = read_server_directives(block("", f"location / {{\n{body}\n}}"))
    location = server.locations[0]
    s = state(uri, args, headers=headers)
    result = run_rewrite_module(location.rewrite_phase, s)
    status, target, final_uri, final_args, decided = expected
    answer = result.answer
    assert (answer.status if answer else None, answer.location if answer else None) == (status, target)
    assert (s.uri, s.args) == (final_uri, final_args)
    if decided is not None:
        assert answer is not None and answer.directive.raw == body.split("\n")[decided].strip()
    assert result.restart == ("last" in body and result.answer is None)


def test_conditions_this_trace_cannot_know_are_undecided() -> None:
    body = 'if ( $ssl_client_s_dn !~ "CN=x" ) {\nreturn 403;\n}\nif (-f $request_filename) {\nreturn 404;\n}'
    server = read_server_directives(block(body, "location / {\n}"))
    result = run_rewrite_module(server.rewrite_phase, state("/"))
    assert result.answer is None and [d.line for d in result.undecided] == [3, 6]


# --- allow / deny --------------------------------------------------------------------------------

ACCESS = [
    # (http head, server-level, location-level, address) → (allowed, deciding rule, level)
    ("", "", "allow 192.0.2.0/24;\ndeny all;", "192.0.2.9", (True, "allow 192.0.2.0/24;", "location")),
    ("", "", "allow 192.0.2.0/24;\ndeny all;", "203.0.113.1", (False, "deny all;", "location")),
    ("", "", "deny 203.0.113.0/24;", "203.0.113.1", (False, "deny 203.0.113.0/24;", "location")),
    ("", "", "deny 203.0.113.0/24;", "198.51.100.1", (True, None, "location")),
    ("", "", "allow 192.0.2.0/24;\ndeny all;", "::ffff:192.0.2.1", (True, "allow 192.0.2.0/24;", "location")),
    ("", "", "allow 2001:db8::/32;\ndeny all;", "192.0.2.1", (False, "deny all;", "location")),
    ("", "deny 10.0.0.0/8;", "", "10.1.2.3", (False, "deny 10.0.0.0/8;", "server")),
    ("http {\ndeny 10.0.0.0/8;\n", "", "", "10.1.2.3", (False, "deny 10.0.0.0/8;", "http")),
    # a location with rules of its own does not inherit the http block's (block-cidrs)
    ("http {\ndeny 10.0.0.0/8;\n", "", "allow 10.0.0.0/8;\ndeny all;", "10.1.2.3", (True, "allow 10.0.0.0/8;", "location")),  # noqa: E501
    ("", "", "allow 192.0.2.0/24;\ndeny all;", None, (None, None, "location")),
    ("", "", "deny all;", None, (False, "deny all;", "location")),
    ("", "", "", None, (True, None, "")),
]  # fmt: skip


@pytest.mark.parametrize(("head", "server_rules", "location_rules", "address", "expected"), ACCESS)
def test_access(
    head: str, server_rules: str, location_rules: str, address: str | None, expected: tuple
) -> None:
    server = read_server_directives(block(server_rules, f"location / {{\n{location_rules}\n}}"))
    rules, level = effective_rules(server.locations[0], server, read_http_settings(head))
    decision = decide_access(rules, level, address)
    assert (decision.allowed, decision.rule.raw if decision.rule else None, decision.level) == expected


def test_a_client_address_that_is_not_an_ip_is_an_input_error() -> None:
    server = read_server_directives(block("", "location / {\ndeny all;\n}"))
    with pytest.raises(InputError):
        decide_access(server.locations[0].access, "location", "client.example")


# --- $remote_addr --------------------------------------------------------------------------------

PROXY_PROTOCOL_HEAD = (
    "http {\nreal_ip_header      proxy_protocol;\nreal_ip_recursive   on;\nset_real_ip_from    0.0.0.0/0;\n"
)
FORWARDED_HEAD = (
    "http {\nreal_ip_header      X-Forwarded-For;\nreal_ip_recursive   on;\nset_real_ip_from    10.0.0.0/8;\n"
)
REAL_IP = [
    # (http head, listen options, peer, proxy protocol source, headers) → address
    ("", "", "10.17.10.11", None, {"X-Forwarded-For": "203.0.113.9"}, "10.17.10.11"),
    (PROXY_PROTOCOL_HEAD, "proxy_protocol", "10.17.10.11", "203.0.113.9", {}, "203.0.113.9"),
    (PROXY_PROTOCOL_HEAD, "proxy_protocol", "10.17.10.11", None, {}, None),
    (PROXY_PROTOCOL_HEAD, "", "10.17.10.11", "203.0.113.9", {}, "10.17.10.11"),
    (FORWARDED_HEAD, "", "10.17.10.11", None, {"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 10.0.0.5"}, "203.0.113.9"),  # noqa: E501
    (FORWARDED_HEAD, "", "10.17.10.11", None, {"X-Forwarded-For": "10.0.0.6, 10.0.0.5"}, "10.0.0.6"),
    (FORWARDED_HEAD, "", "192.0.2.50", None, {"X-Forwarded-For": "203.0.113.9"}, "192.0.2.50"),
    (FORWARDED_HEAD, "", "10.17.10.11", None, {}, "10.17.10.11"),
    (FORWARDED_HEAD.replace("on;", "off;"), "", "10.17.10.11", None, {"X-Forwarded-For": "1.1.1.1, 10.0.0.5"}, "10.0.0.5"),  # noqa: E501
    ("", "", None, None, {}, None),
]  # fmt: skip


@pytest.mark.parametrize(("head", "listen", "peer", "source", "headers", "expected"), REAL_IP)
def test_remote_addr(
    head: str, listen: str, peer: str | None, source: str | None, headers: dict, expected
) -> None:
    server = read_server_directives(block(f"listen 80 {listen};", "location / {\n}"))
    found = remote_addr(read_http_settings(head), server, peer, "the load balancer's peer", source, headers)
    assert found.address == expected
    assert found.how


def test_remote_addr_names_the_proxy_protocol_listen_as_evidence() -> None:
    server = read_server_directives(block("listen 80 proxy_protocol;", "location / {\n}"))
    found = remote_addr(read_http_settings(PROXY_PROTOCOL_HEAD), server, "10.0.0.1", "peer", "203.0.113.9")
    assert [d.raw for d in found.evidence][:2] == [
        "listen 80 proxy_protocol;",
        "real_ip_header      proxy_protocol;",
    ]
    assert found == ClientAddress("203.0.113.9", found.how, found.evidence)


# --- the directive reader and the upstream pieces ------------------------------------------------

LOCATION = """location /api/ {
set $proxy_upstream_name "ns-api-80";
limit_conn ns_api_uid_conn 5;
limit_req zone=ns_api_uid_rps burst=50 nodelay;
grpc_set_header Host "vhost.example";
grpc_connect_timeout 3s;
proxy_read_timeout 99s;
# Location denied. Reason: "bad"
return 503;
grpc_pass grpcs://upstream_balancer;
}"""
HEAD = """http {
limit_req_status                429;
limit_conn_zone $limit_x zone=ns_api_uid_conn:5m;
limit_req_zone $limit_x zone=ns_api_uid_rps:5m rate=10r/s;
"""


def test_directive_reader_and_upstream_pieces() -> None:
    server = read_server_directives(block("", LOCATION))
    location = server.locations[0]
    assert location.denied_reason == "bad"
    assert [(d.name, d.line) for d in location.rewrite_phase] == [("set", 5), ("return", 12)]
    target = pass_target(location, "http")
    assert target is not None and (target.protocol, target.directive.line) == ("grpcs", 13)
    host, line = host_header(location, state("/api/"))
    assert (host, line.line if line else None) == ("vhost.example", 8)
    assert [(w, v) for w, v, _ in timeouts(location, "grpc_pass")] == [
        ("connect", "3s"),
        ("send", "60s"),
        ("read", "60s"),
    ]
    limits = rate_limits(location, server, read_http_settings(HEAD))
    assert [(r.kind, r.zone, r.rate, r.burst, r.status) for r in limits] == [
        ("requests", "ns_api_uid_rps", "10r/s", 50, 429),
        ("connections", "ns_api_uid_conn", None, 5, 503),
    ]


def test_http_settings_read_the_lua_redirect_code() -> None:
    head = "http {\ninit_by_lua_block {\nlua_ingress.set_config({\nhttp_redirect_code = 301,\n})\n}\n"
    settings = read_http_settings(head)
    assert settings.redirect_code == 301 and settings.redirect_code_line is not None
    assert settings.redirect_code_line.line == 4


def test_reader_keeps_the_block_errors_of_nginx_conf() -> None:
    with pytest.raises(ParseError, match="truncated"):
        read_server_directives("## start server h\nserver {\nlocation / {\n")
