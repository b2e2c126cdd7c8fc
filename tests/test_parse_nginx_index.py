"""The whole-config index of ingress-nginx hosts, server selection by nginx's rules, path types.

Fixtures: whole configs of the v1.10, v1.12 and v1.15 template generations and a real
``nginx -T`` dump, written by tools/fixtures/make_nginx_fixtures.py with the expected index
from its world model and hand-written routing answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_parse_support import Case, case_params, load_cases

from ackwb.errors import InputError, ParseError
from ackwb.parse.nginx_index import find_server_block, index_nginx_conf
from ackwb.parse.nginx_routing import ingress_path_type, route, select_server

SOURCE = "pod kube-system/nginx-ingress-controller-abc: cat /etc/nginx/nginx.conf"
VALID = [c for c in load_cases("nginx_index") if c.error is None]


def _server_view(server) -> dict:
    return {
        "host": server.host,
        "server_names": list(server.server_names),
        "default_server": server.default_server,
        "locations": [
            {
                "modifier": loc.modifier,
                "path": loc.path,
                "namespace": loc.namespace,
                "service": loc.service_name,
                "port": loc.service_port,
                "upstream": loc.upstream_name,
                "location_path": loc.location_path,
                "ssl_redirect": loc.ssl_redirect,
            }
            for loc in server.locations
        ],
    }


@pytest.mark.parametrize("case", case_params("nginx_index"))
def test_fixture(case: Case) -> None:
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            index_nginx_conf(case.raw, source=SOURCE)
        assert case.error in str(caught.value)
        assert caught.value.source == SOURCE
        return
    index = index_nginx_conf(case.raw, source=SOURCE)
    assert [_server_view(s) for s in index.servers] == case.expected["servers"]
    for want in case.expected["routes"]:
        found = route(index, want["host"], want["path"])
        assert (found.choice.server.host, found.choice.how) == (want["server"], want["how"]), want
        location = found.location
        assert ([location.modifier, location.path] if location else None) == want["location"], want
        assert (location.upstream_name if location else None) == want["upstream"], want
        kind = ingress_path_type(found.block.locations, location) if location else None
        assert kind == want["path_type"], want


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in VALID])
def test_index_agrees_with_the_full_parse_of_each_block(case: Case) -> None:
    index = index_nginx_conf(case.raw)
    lines = case.raw.split("\n")
    for server in index.servers:
        block = index.block(server.host)
        assert block.line == server.line and block.end_line == server.end_line
        assert [(loc.modifier, loc.path, loc.line) for loc in block.locations] == [
            (loc.modifier, loc.path, loc.line) for loc in server.locations
        ]
        for mine, full in zip(server.locations, block.locations, strict=True):
            assert (mine.service_name, mine.service_port, mine.upstream_name) == (
                full.service_name,
                full.service_port,
                full.upstream_name,
            )
            assert mine.ssl_redirect == full.ssl_redirect
            assert lines[mine.line - 1].strip() == full.raw
        assert block.tls == server.tls and list(block.server_names) == list(server.server_names)


def test_lookup_without_an_index_finds_the_same_block() -> None:
    case = next(c for c in VALID if c.name == "whole_conf_v1_12")
    index = index_nginx_conf(case.raw)
    assert find_server_block(case.raw, "app3.qas.abc.com") == index.block("app3.qas.abc.com")
    with pytest.raises(ParseError, match="was not found"):
        index.block("nope.example.com")
    assert index.server("nope.example.com") is None
    assert len(index.routes()) == sum(len(s.locations) for s in index.servers)


def test_server_selection_rules() -> None:
    index = index_nginx_conf(next(c for c in VALID if c.name == "whole_conf_v1_15").raw)
    assert select_server(index, "[::1]:8443").how == "default"
    assert select_server(index, "a.b.wild.abc.com").server.host == "*.wild.abc.com"
    with pytest.raises(InputError):
        select_server(index, "  ")


def test_wildcards_and_regex_names(tmp_path: Path) -> None:
    conf = (
        "## start server _\nserver {\n server_name _ ;\n listen 80 default_server;\n location / { }\n}\n"
        "## end server _\n"
        "## start server *.example.com\nserver {\n server_name *.example.com ;\n location / { }\n}\n"
        "## end server *.example.com\n"
        "## start server *.api.example.com\nserver {\n server_name *.api.example.com ;\n location / { }\n}\n"
        "## end server *.api.example.com\n"
        "## start server mail.*\nserver {\n server_name mail.* ;\n location / { }\n}\n## end server mail.*\n"
        "## start server ~^(?<user>\\w+)\\.users\\.example\\.org$\nserver {\n"
        " server_name ~^(?<user>\\w+)\\.users\\.example\\.org$ ;\n location / { }\n}\n"
        "## end server ~^(?<user>\\w+)\\.users\\.example\\.org$\n"
        "## start server .dot.example.net\nserver {\n server_name .dot.example.net ;\n location / { }\n}\n"
        "## end server .dot.example.net\n"
    )
    index = index_nginx_conf(conf)
    assert select_server(index, "v1.api.example.com").name == "*.api.example.com"  # the longest wildcard
    assert select_server(index, "www.example.com").name == "*.example.com"
    assert select_server(index, "mail.example.org").name == "mail.*"
    assert select_server(index, "bob.users.example.org").how == "regex"
    assert select_server(index, "dot.example.net").name == ".dot.example.net"
    assert select_server(index, "example.com").how == "default"


def test_a_host_rendered_twice_is_a_warning() -> None:
    block = "## start server a.example.com\nserver {\n server_name a.example.com ;\n location / { }\n}\n"
    end = "## end server a.example.com\n"
    index = index_nginx_conf(block + end + block + end)
    assert len(index.servers) == 2 and index.server("a.example.com") is index.servers[0]
    assert [w.line for w in index.warnings] == [7] and "second server block" in str(index.warnings[0])
