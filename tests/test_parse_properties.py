"""Every parser, fed random and mutated input, returns records or raises ParseError: nothing else.

Each parser is exercised fully: lazy records are built, chains read, blocks parsed, lookups
made, so an error hiding behind "read on first use" is found too. Valid inputs are the
fixtures (the small ones; mutating a 300 KB capture would mostly test the mutator).

Examples per test: ``ACKWB_HYPOTHESIS_EXAMPLES`` (default 40). The issue's acceptance run:

    ACKWB_HYPOTHESIS_EXAMPLES=10000 ACKWB_HYPOTHESIS_COUNTS=counts.json pytest tests/test_parse_properties.py

(the second variable writes how many examples each test ran).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parse_support import EXAMPLES, load_cases, mutated

from ackwb.errors import ParseError
from ackwb.parse.backends import parse_backends
from ackwb.parse.canary import route_request, traffic_split
from ackwb.parse.endpointslices import endpoints_for_port
from ackwb.parse.iptables_backend import detect_iptables_backend
from ackwb.parse.ipvs_kube import kube_proxy_view
from ackwb.parse.ipvsadm import parse_ipvsadm
from ackwb.parse.ipvsadm_any import parse_ipvsadm_output
from ackwb.parse.ipvsadm_connections import (
    filter_connections,
    parse_ipvsadm_connections,
    parse_ipvsadm_timeout,
)
from ackwb.parse.ipvsadm_numbers import parse_ipvsadm_numbers
from ackwb.parse.kube_iptables import parse_kube_iptables
from ackwb.parse.kube_nftables import parse_kube_nftables
from ackwb.parse.nginx_conf import match_location, parse_server_block
from ackwb.parse.nginx_index import index_nginx_conf
from ackwb.parse.nginx_routing import route
from ackwb.parse.proxy_mode import parse_proxy_mode

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _valid(folder: str, limit: int = 50_000) -> list[str]:
    return [c.raw for c in load_cases(folder) if c.error is None and len(c.raw) <= limit]


def _ipvsadm(text: str) -> None:
    table = parse_ipvsadm(text)
    for service in table.services:
        assert len(service.real_servers) == len(list(service.real_servers))
        table.find(service.address or "0.0.0.0", service.port, service.protocol)


def _connections(text: str) -> None:
    table = parse_ipvsadm_connections(text)
    filter_connections(table, virtual="192.168.0.10", port=53, templates=False)
    list(table.connections)


def _any_ipvsadm(text: str) -> None:
    result = parse_ipvsadm_output(text)
    for service in getattr(result, "services", ()):
        list(service.real_servers)
    list(getattr(result, "connections", ()))


def _iptables(text: str) -> None:
    rules = parse_kube_iptables(text, check=True)
    for entry in rules.entries:
        rules.endpoints(entry)
        rules.find(entry.address or "1.2.3.4", entry.port, entry.protocol)


def _nftables(text: str | dict) -> None:
    rules = parse_kube_nftables(text, check=True)
    for entry in rules.entries:
        rules.endpoints(entry)


def _nginx_index(text: str) -> None:
    index = index_nginx_conf(text)
    for host in index.hosts[:4]:
        block = index.block(host)
        match_location(block, "/api/v1")
        route(index, host if not host.startswith(("*", "~", ".")) else "x.example.com", "/login")


def _server_block(text: str) -> None:
    block = parse_server_block(text)
    for path in ("/", "/api/v1", "/login/x"):
        match_location(block, path)


def _backends(text: str | list) -> None:
    backends = parse_backends(text)  # type: ignore[arg-type]
    for backend in backends:
        traffic_split(backends, backend.name)
        route_request(
            backends, backend.name, {"X-Canary": "always", "x-region": "eu-west"}, {"canary": "never"}
        )


def _backend_hints(text: str) -> None:
    detect_iptables_backend(text, text[: len(text) // 2])


def _ipvs_view(text: str) -> None:
    case = next(c for c in load_cases("ipvs_kube") if c.error is None)
    raw = json.loads(case.raw)
    kube_proxy_view(parse_ipvsadm(raw["ipvsadm"]), raw["node_addresses"], services=text)


def _ipvs_view_of_table(text: str) -> None:
    case = next(c for c in load_cases("ipvs_kube") if c.error is None and '"services"' in c.raw)
    raw = json.loads(case.raw)
    table = parse_ipvsadm(text)
    view = kube_proxy_view(
        table, ["10.17.10.11", "fd00::1"], services=raw["services"], service_cidr="192.168.0.0/16"
    )
    kube_proxy_view(table, ["10.17.10.11"], cluster_ips=["192.168.0.1", "fd00:10:96::a"])
    for role in view.roles:
        view.role(role.virtual.address or "0.0.0.0", role.virtual.port, role.virtual.protocol)


def _slices(text: str) -> None:
    endpoints_for_port(text, "")


# parser name → (exercise, valid inputs, characters random text is drawn from)
PARSERS: dict[str, tuple[Callable[[Any], None], list[str], str]] = {
    "ipvsadm": (_ipvsadm, _valid("ipvsadm"), "TCPUDFWM[]:.0123456789 ->\nMasqRoute"),
    "ipvsadm_numbers": (
        lambda t: parse_ipvsadm_numbers(t),
        _valid("ipvsadm_numbers"),
        "TCP[]:.0189KMGT ->\nProt",
    ),
    "ipvsadm_connections": (_connections, _valid("ipvsadm_connections"), "TCPUD[]:.0159 \nIPVS_ESTABLISHED"),
    "ipvsadm_timeout": (
        parse_ipvsadm_timeout,
        ["Timeout (tcp tcpfin udp): 900 120 300\n"],
        "Timeout (tcpfinud):09 \n",
    ),
    "ipvsadm_any": (
        _any_ipvsadm,
        _valid("ipvsadm") + _valid("ipvsadm_numbers") + _valid("ipvsadm_connections"),
        "TCP[]:.09K ->\nProtIPVS",
    ),
    "ipvs_kube": (
        _ipvs_view,
        [json.dumps(json.loads(t)["services"]) for t in _valid("ipvs_kube") if "services" in t],
        '{}[]":,. 0123456789abcportnameTCP',
    ),
    "ipvs_kube_table": (_ipvs_view_of_table, _valid("ipvsadm"), "TCPUD[]:.0123456789 ->\n"),
    "kube_iptables": (_iptables, _valid("iptables"), '-A :*#"\\ KUBE-SVCEPDNAT\n0123456789./jmtp!'),
    "iptables_backend": (
        _backend_hints,
        [json.loads(t)["nft_mangle"] for t in _valid("iptables_backend")],
        "*:-A #\nKUBE-IPTABLES-HINTCOMMIT[0]",
    ),
    "kube_nftables": (_nftables, _valid("nftables"), '{}[]":,. 0123456789nftablesrulechainexprgotodnat'),
    "nginx_index": (_nginx_index, _valid("nginx_index"), "#{}; \n\"'$~*=^/locationsetserver_namestartend"),
    "nginx_server_block": (_server_block, _valid("nginx_conf"), "#{}; \n\"'$~*=^/locationsetserver\\"),
    "backends": (_backends, _valid("backends") + _valid("canary"), '{}[]":,. 0123456789nameportendpoints'),
    "proxy_mode": (parse_proxy_mode, _valid("proxy_mode"), "ipvstablesnf \n\r"),
    "endpointslices": (_slices, _valid("endpointslices"), '{}[]":,. 0123456789addressesportsready'),
}


CALLS: Counter[str] = Counter()  # examples per test, written when ACKWB_HYPOTHESIS_COUNTS names a file


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    target = os.environ.get("ACKWB_HYPOTHESIS_COUNTS")
    if target:
        Path(target).write_text(json.dumps(dict(sorted(CALLS.items())), indent=1) + "\n")


def _only_parse_error(parser: str, value: Any, test: str = "") -> None:
    CALLS[f"{test}[{parser}]"] += 1
    with contextlib.suppress(ParseError):
        PARSERS[parser][0](value)


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_mutated_input_raises_only_parse_error(parser: str) -> None:
    @SETTINGS
    @given(mutated(PARSERS[parser][1]))
    def run(text: str) -> None:
        _only_parse_error(parser, text, "mutated")

    run()


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_random_input_raises_only_parse_error(parser: str) -> None:
    @SETTINGS
    @given(st.text(st.sampled_from(PARSERS[parser][2]), max_size=300) | st.text(max_size=100))
    def run(text: str) -> None:
        _only_parse_error(parser, text, "random")

    run()


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70_000) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def _damaged(draw: st.DrawFn, texts: list[str]) -> Any:
    """A valid JSON document with one value somewhere replaced by arbitrary JSON."""
    data = json.loads(draw(st.sampled_from([t for t in texts if t.lstrip()[:1] in "{["])))
    node = data
    for _ in range(draw(st.integers(1, 8))):
        if isinstance(node, list) and node:
            index = draw(st.integers(0, len(node) - 1))
            if not isinstance(node[index], (list, dict)) or draw(st.booleans()):
                node[index] = draw(_json)
                return data
            node = node[index]
        elif isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], (list, dict)) or draw(st.booleans()):
                node[key] = draw(_json)
                return data
            node = node[key]
    return data


@pytest.mark.parametrize("parser", ["kube_nftables", "backends", "endpointslices", "ipvs_kube"])
def test_damaged_json_raises_only_parse_error(parser: str) -> None:
    @SETTINGS
    @given(_damaged(PARSERS[parser][1]))
    def run(data: Any) -> None:
        _only_parse_error(parser, json.dumps(data), "damaged-json")
        if parser != "ipvs_kube":
            _only_parse_error(parser, data, "damaged-json-decoded")

    run()
