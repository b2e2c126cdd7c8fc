"""The live DNS source against real dnsmasq processes serving the demo world's records.

The expected answers come from the world source itself (``WorldDns``) over the same
records, so "live equals world" is checked name by name, CNAME chains included. Two
dnsmasq processes stand in for the internet's resolvers and for kube-dns.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from peers.dnsmasq import DnsPeer, dnsmasq, free_port

from ackwb.demo import demo_world_root
from ackwb.errors import InputError, SourceError, Unreachable
from ackwb.sources.live_dns import LiveDns
from ackwb.sources.world import World, load_world

# Names the demo world lacks: a CNAME chain of two links onto app1 (what a CDN or a
# vanity name looks like), to check that the chain is returned in order.
CNAMES = [
    {"name": "www.qas.abc.com.", "type": "CNAME", "ttl": 300, "value": "app1.qas.abc.com."},
    {"name": "cdn.qas.abc.com.", "type": "CNAME", "ttl": 120, "value": "www.qas.abc.com."},
]


def demo_records(which: str) -> list[dict[str, Any]]:
    return json.loads(demo_world_root().joinpath("dns", f"{which}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The demo world's DNS plus CNAMES, as a stored world: the expected answers."""
    root = tmp_path_factory.mktemp("world")
    (root / "dns").mkdir()
    (root / "world.json").write_text(demo_world_root().joinpath("world.json").read_text(), encoding="utf-8")
    (root / "dns" / "public.json").write_text(json.dumps(demo_records("public") + CNAMES), encoding="utf-8")
    (root / "dns" / "cluster.json").write_text(json.dumps(demo_records("cluster")), encoding="utf-8")
    return load_world(root)


@pytest.fixture(scope="module")
def public(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsPeer]:
    with dnsmasq(world.files.json("dns/public.json"), tmp_path_factory.mktemp("public-dns")) as peer:
        yield peer


@pytest.fixture(scope="module")
def cluster(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsPeer]:
    with dnsmasq(world.files.json("dns/cluster.json"), tmp_path_factory.mktemp("cluster-dns")) as peer:
        yield peer


def names(world: World, which: str) -> list[str]:
    return sorted({row["name"] for row in world.files.json(f"dns/{which}.json")})


def test_public_answers_equal_the_world_source(world: World, public: DnsPeer) -> None:
    live, expected = LiveDns(resolvers=[f"127.0.0.1:{public.port}"]), world.sources().dns
    asked = names(world, "public")
    assert {"app1.qas.abc.com.", "app2.qas.abc.com.", "app3.qas.abc.com.", "cdn.qas.abc.com."} <= set(asked)
    for name in asked:
        for rdtype in ("A", "AAAA", "CNAME"):
            assert live.resolve(name, rdtype) == expected.resolve(name, rdtype), (name, rdtype)
    assert ("A", "app1.qas.abc.com") in public.queries()  # the listed resolver was asked


def test_cname_chain_comes_first_in_order(world: World, public: DnsPeer) -> None:
    records = LiveDns(resolvers=["127.0.0.1"], port=public.port).resolve("CDN.qas.abc.com", "A")
    assert [(r.name, r.type, r.value) for r in records] == [
        ("cdn.qas.abc.com.", "CNAME", "www.qas.abc.com."),
        ("www.qas.abc.com.", "CNAME", "app1.qas.abc.com."),
        ("app1.qas.abc.com.", "A", "203.0.113.10"),
    ]
    assert [r.ttl for r in records] == [120, 300, 600]


def test_nxdomain_is_input_error_worded_like_the_world(world: World, public: DnsPeer) -> None:
    live = LiveDns(resolvers=[f"127.0.0.1:{public.port}"])
    for name in ("nope.qas.abc.com", "app1-service.app.svc.cluster.local"):  # cluster names are not public
        with pytest.raises(InputError) as from_world:
            world.sources().dns.resolve(name)
        with pytest.raises(InputError) as from_live:
            live.resolve(name)
        stem = f"{name}. does not resolve: NXDOMAIN"
        assert str(from_world.value).startswith(stem) and str(from_live.value).startswith(stem)
        assert f"127.0.0.1:{public.port}" in str(from_live.value)


def test_cluster_names_resolve_directly_when_no_node_channel(world: World, cluster: DnsPeer) -> None:
    live = LiveDns(cluster_dns="127.0.0.1", cluster_dns_port=cluster.port)
    expected = world.sources().dns
    for name in names(world, "cluster"):
        assert live.resolve_in_cluster(name) == expected.resolve_in_cluster(name), name
    with pytest.raises(
        InputError, match=r"^app1\.qas\.abc\.com\. does not resolve: NXDOMAIN from the cluster"
    ):
        live.resolve_in_cluster("app1.qas.abc.com")


def test_cluster_query_travels_as_dns_over_tcp_on_a_given_channel(world: World, cluster: DnsPeer) -> None:
    """The channel opener gets (cluster DNS, port) and carries length-prefixed DNS over TCP."""
    opened: list[tuple[str, int]] = []

    def open_channel(address: tuple[str, int]) -> socket.socket:
        opened.append(address)
        return socket.create_connection(address, timeout=2)

    live = LiveDns(cluster_dns=lambda: "127.0.0.1", cluster_dns_port=cluster.port, open_channel=open_channel)
    name = "app1-service.app.svc.cluster.local"
    assert live.resolve_in_cluster(name) == world.sources().dns.resolve_in_cluster(name)
    assert opened == [("127.0.0.1", cluster.port)]


def test_dead_resolver_is_unreachable_quickly() -> None:
    live = LiveDns(resolvers=[f"127.0.0.1:{free_port()}"], timeout=0.5, lifetime=1.0)
    started = time.monotonic()
    with pytest.raises(Unreachable) as caught:
        live.resolve("app1.qas.abc.com")
    assert time.monotonic() - started < 2.5
    assert "app1.qas.abc.com." in caught.value.source
    with pytest.raises(Unreachable):
        LiveDns(cluster_dns="127.0.0.1", cluster_dns_port=free_port(), lifetime=1.0).resolve_in_cluster("x.y")


def test_silent_resolver_times_out_as_unreachable(public: DnsPeer) -> None:
    live = LiveDns(resolvers=[f"127.0.0.1:{public.port}"], timeout=0.3, lifetime=0.6)
    public.pause()
    try:
        started = time.monotonic()
        with pytest.raises(Unreachable, match="no answer within 0.6 s"):
            live.resolve("app1.qas.abc.com")
        assert time.monotonic() - started < 2
    finally:
        public.resume()
    assert live.resolve("app1.qas.abc.com")[0].value == "203.0.113.10"


def test_cluster_dns_unknown_or_bad_resolver_is_a_source_error() -> None:
    with pytest.raises(Unreachable, match="cluster_dns"):
        LiveDns().resolve_in_cluster("app1-service.app.svc.cluster.local")
    with pytest.raises(SourceError, match="not an IP address"):
        LiveDns(resolvers=["dns.example.com"]).resolve("app1.qas.abc.com")


def test_compare_shows_each_resolver_side_by_side(world: World, public: DnsPeer, cluster: DnsPeer) -> None:
    live = LiveDns(resolvers=[f"127.0.0.1:{public.port}", f"127.0.0.1:{cluster.port}"])
    answers = live.compare("app2.qas.abc.com", system=False)
    assert list(answers) == [f"127.0.0.1:{public.port}", f"127.0.0.1:{cluster.port}"]
    first, second = answers.values()
    assert first == world.sources().dns.resolve("app2.qas.abc.com")
    assert isinstance(second, InputError)  # kube-dns does not know public names
