"""The controller's files in the design worlds have the shapes ingress-nginx v1.12 writes for issue 14.

Every server block of every stored nginx.conf reads with ``read_server_directives``; in
terway-nlb the annotations teams use render their directives where the template puts them
(allow/deny for whitelist-source-range, ``return 301`` for permanent-redirect, ``rewrite`` and
``~*`` locations for use-regex + rewrite-target, which also turn the host's Exact path into a
regex, ``grpc_pass`` with ``grpc_set_header`` for backend-protocol GRPC, the upstream-vhost
Host header, in flannel-nodeport too); TLS hosts name a Secret in their Ingress and keep
ssl-redirect on, and no Secret is stored. The tests read the stored files only.
"""

from __future__ import annotations

import re

import pytest
from design_worlds import NEW_DESIGNS, NGINX, View

from ackwb.demo import DESIGNS
from ackwb.parse.nginx_conf import parse_server_block
from ackwb.parse.nginx_directives import LocationDirectives, ServerDirectives, read_server_directives

HOSTS = re.compile(r"^\t## start server (\S+)$", re.MULTILINE)
TNL = "terway-nlb"


def _confs(v: View) -> dict[str, str]:
    return {
        p["metadata"]["name"]: v.files.text(f"pods/kube-system/{p['metadata']['name']}/nginx.conf")
        for p in v.controllers()
    }


def _server(host: str, world: str = TNL) -> ServerDirectives:
    (text, *_) = _confs(View(world)).values()
    return read_server_directives(text, host, "nginx.conf")


def _at(server: ServerDirectives, modifier: str, path: str) -> LocationDirectives:
    (found,) = [loc for loc in server.locations if (loc.modifier, loc.path) == (modifier, path)]
    return found


def _lines(loc: LocationDirectives) -> list[str]:
    return [d.raw for d in (*loc.rewrite_phase, *loc.access, *loc.upstream_headers, loc.pass_directive) if d]


@pytest.mark.parametrize("world", DESIGNS)
def test_every_server_block_reads_with_the_directive_reader(world: str) -> None:
    v = View(world)
    confs = _confs(v)
    assert confs and len(set(confs.values())) == 1  # every controller renders the same config
    text = next(iter(confs.values()))
    hosts = HOSTS.findall(text)
    assert hosts[0] == "_" and hosts[1:] == sorted(hosts[1:])  # the controller sorts servers by name
    for host in hosts:
        server = read_server_directives(text, host, "nginx.conf")
        assert server.locations, host
        upstreams = {loc.line: loc.upstream_name for loc in server.block.locations}
        for loc in server.locations:
            if upstreams[loc.line] is None:  # the catch-all's /healthz and /nginx_status answer themselves
                assert host == "_" and loc.path in ("/healthz", "/nginx_status")
                continue
            assert loc.pass_directive is not None, (host, loc.path)
            assert loc.pass_directive.args[0].endswith("://upstream_balancer"), (host, loc.path)


def test_whitelist_source_range_renders_allow_then_deny_all_in_both_admin_locations() -> None:
    server = _server("shop.tnl.abc.com")
    assert [(loc.modifier, loc.path) for loc in server.locations] == [
        ("", "/admin/"),
        ("=", "/admin"),
        ("", "/"),
    ]
    for modifier, path in (("", "/admin/"), ("=", "/admin")):
        loc = _at(server, modifier, path)
        assert [(d.name, d.args) for d in loc.access] == [("allow", ("192.0.2.0/24",)), ("deny", ("all",))]
    assert _at(server, "", "/").access == ()
    block = parse_server_block(next(iter(_confs(View(TNL)).values())), "shop.tnl.abc.com")
    assert {loc.location_path for loc in block.locations if "admin" in loc.path} == {"/admin"}
    assert {loc.ingress_name for loc in block.locations} == {"shop-admin", "shop-ingress"}


def test_permanent_redirect_returns_301_before_the_pass_line() -> None:
    loc = _at(_server("old.tnl.abc.com"), "", "/")
    (answer,) = [d for d in loc.rewrite_phase if d.name == "return"]
    assert answer.args == ("301", "https://shop.tnl.abc.com/")
    assert loc.pass_directive is not None and answer.line < loc.pass_directive.line


def test_use_regex_makes_every_location_of_api_a_caseless_regex() -> None:
    server = _server("api.tnl.abc.com")
    assert [(loc.modifier, loc.path) for loc in server.locations] == [
        ("~*", "^/v1(/|$)(.*)"),
        ("~*", "^/healthz"),  # the Exact path of api-healthz, now a caseless prefix
        ("~*", "^/"),  # the root location no Ingress claimed: the default backend
    ]
    rewrite = [d for d in _at(server, "~*", "^/v1(/|$)(.*)").rewrite_phase if d.name == "rewrite"]
    assert [d.args for d in rewrite] == [("(?i)/v1(/|$)(.*)", "/$2", "break")]
    assert not [d for d in _at(server, "~*", "^/healthz").rewrite_phase if d.name == "rewrite"]
    block = server.block
    names = {(loc.path, loc.ingress_name, loc.upstream_name) for loc in block.locations}
    assert names == {
        ("^/v1(/|$)(.*)", "api-ingress", "shop-api-8080"),
        ("^/healthz", "api-healthz", "shop-api-8080"),
        ("^/", "api-ingress", "upstream-default-backend"),  # created by the older Ingress, with its rewrite
    }


def test_backend_protocol_grpc_renders_grpc_pass_and_grpc_headers() -> None:
    loc = _at(_server("grpc.tnl.abc.com"), "", "/")
    assert loc.pass_directive is not None and loc.pass_directive.raw == "grpc_pass grpc://upstream_balancer;"
    assert {d.name for d in loc.upstream_headers} == {"grpc_set_header"}
    assert {d.name: d.args[0] for d in loc.timeouts if d.name.startswith("grpc_")} == {
        "grpc_connect_timeout": "5s",
        "grpc_send_timeout": "60s",
        "grpc_read_timeout": "60s",
    }
    assert not any("proxy_pass" in line for line in _lines(loc))


@pytest.mark.parametrize(
    ("world", "host", "partner"),
    [(TNL, "ext.tnl.abc.com", "api.partner.example.net"),
     ("flannel-nodeport", "partner.fln.abc.com", "orders.partner.example.com")],
)  # fmt: skip
def test_upstream_vhost_sets_the_partner_host_header(world: str, host: str, partner: str) -> None:
    loc = _at(_server(host, world), "", "/")
    header = loc.header("Host")
    assert header is not None and header.args == ("Host", partner)


@pytest.mark.parametrize(
    ("world", "host", "secret"),
    [(TNL, "pay.tnl.abc.com", "pay-tls"), ("flannel-nodeport", "shop.fln.abc.com", "shop-tls")],
)
def test_tls_hosts_name_their_secret_keep_ssl_redirect_on_and_store_no_secret(
    world: str, host: str, secret: str
) -> None:
    v = View(world)
    tls = {
        (i["metadata"]["name"], t["secretName"], tuple(t["hosts"]))
        for i in v.items("ingresses")
        for t in i["spec"].get("tls", [])
    }
    assert {(s, h) for _, s, h in tls} == {(secret, (host,))}
    (ingress,) = [i for i in v.items("ingresses") if i["spec"].get("tls")]
    assert ingress["spec"]["rules"][0]["host"] == host  # the tls host has its rule in the same Ingress
    block = parse_server_block(next(iter(_confs(v).values())), host)
    assert {loc.ssl_redirect for loc in block.locations} == {"true"}
    assert "443" in " ".join(block.listens) and block.tls
    assert not [n for n in v.files.names("kube") if "secret" in n.lower()]


@pytest.mark.parametrize("world", NEW_DESIGNS)
def test_every_served_ingress_path_has_its_location_and_a_host_without_one_has_none(world: str) -> None:
    v = View(world)
    text = next(iter(_confs(v).values()))
    hosts = set(HOSTS.findall(text))
    served = v.ingresses_of(NGINX)
    assert served
    others = {i["spec"]["rules"][0]["host"] for i in v.items("ingresses") if i not in served}
    assert not others & hosts - {i["spec"]["rules"][0]["host"] for i in served}  # e.g. class alb
    for ingress in served:
        rule = ingress["spec"]["rules"][0]
        assert rule["host"] in hosts
        block = parse_server_block(text, rule["host"])
        paths = {(loc.location_path, loc.ingress_name, loc.namespace) for loc in block.locations}
        assert (
            rule["http"]["paths"][0]["path"],
            ingress["metadata"]["name"],
            ingress["metadata"]["namespace"],
        ) in paths
