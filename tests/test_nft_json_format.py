"""The in-memory ``nft -j list table`` printer reproduces what the real nft printed.

tools/fixtures/nft_json_format.py prints the nftables script of kube_proxy_nft the way nft
1.0.6 lists it, so the demo worlds' nodes in nftables mode hold the real listing without
loading rules into a kernel. The reference is the real output captured in a network
namespace (tests/fixtures/parse/nftables, by make_kube_proxy_fixtures.py): IPv4 and IPv6,
affinity sets, firewall sets, Local policy, no-endpoint maps, elements added twice.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = Path(__file__).parent / "fixtures" / "parse" / "nftables"
Tools = tuple[Any, Any, Any]  # make_kube_proxy_fixtures, nft_json_format, render_nft


@pytest.fixture(scope="module")
def tools() -> Tools:
    if not (ROOT / "tools" / "fixtures").is_dir():
        pytest.skip("not a checkout: tools/ is absent")
    sys.path.insert(0, str(ROOT))
    try:
        from tools.fixtures import make_kube_proxy_fixtures, nft_json_format
        from tools.fixtures.kube_proxy_nft import render_nft
    finally:
        sys.path.remove(str(ROOT))
    return make_kube_proxy_fixtures, nft_json_format, render_nft


def test_ipv4_listing_is_byte_for_byte_the_real_one(tools: Tools) -> None:
    fixtures, printer, render_nft = tools
    ours = printer.nft_json(render_nft(fixtures.OVERALL)) + "\n"
    assert ours == (CAPTURES / "overall_ip.json").read_text()


def test_ipv6_listing_is_byte_for_byte_the_real_one(tools: Tools) -> None:
    fixtures, printer, render_nft = tools
    script = render_nft(
        fixtures.V6,
        family=6,
        pod_cidr="fd00:10::/64",
        service_cidr="fd00:10:96::/112",
        node_ips=("2001:db8::1",),
    )
    assert printer.nft_json(script) + "\n" == (CAPTURES / "ipv6_ip6.json").read_text()


def test_elements_are_listed_in_nfts_order_not_the_scripts(tools: Tools) -> None:
    fixtures, printer, render_nft = tools
    listing = printer.nft_listing(render_nft(list(reversed(fixtures.OVERALL))))
    (service_ips,) = [o["map"] for o in listing["nftables"] if o.get("map", {}).get("name") == "service-ips"]
    keys = [e[0]["concat"] for e in service_ips["elem"]]
    assert keys[0] == [
        "172.30.0.50",
        "sctp",
        38412,
    ]  # sorted by the key's bytes in host order: port low byte first
    assert keys[-1] == ["172.30.0.51", "tcp", 8080]


def test_a_statement_it_cannot_print_is_an_error(tools: Tools) -> None:
    _, printer, _ = tools
    script = "\n".join(
        [
            'add table ip kube-proxy { comment "x" ; }',
            "add chain ip kube-proxy c",
            "add rule ip kube-proxy c counter",
        ]
    )
    with pytest.raises(ValueError, match="cannot print"):
        printer.nft_json(script)
