"""The generator's model of ingress-nginx (tools/demo_world/ingress_controller.py, nginx_backends.py)
follows the controller's rules, so the worlds it writes can be trusted for cases no world shows yet.

Order: oldest creationTimestamp first, equal ones by "namespace/name" descending; the first owner
of a host, path and pathType keeps it; a canary makes no server and joins a main upstream of the
same path (deleted when the host has a server without that path, kept when the host has none);
Prefix paths gain an exact twin unless an Exact location of the path exists; use-regex or a
rewrite-target makes the whole host regex; an Ingress without a class is not served.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "tools" / "demo_world").is_dir():
    pytest.skip("not a checkout: tools/ is absent", allow_module_level=True)
sys.path.insert(0, str(ROOT))
try:
    from tools.demo_world.designs.terway_nlb import DESIGN
    from tools.demo_world.ingress_controller import served, servers
    from tools.demo_world.kube_pods import pods
    from tools.demo_world.model import IngressRule
    from tools.demo_world.nginx_backends import backends_json
finally:
    sys.path.remove(str(ROOT))

T0, T1 = "2024-05-20T10:00:00Z", "2024-05-21T10:00:00Z"


def _rule(
    name: str, namespace: str = "shop", path: str = "/", created: str = T0, **more: object
) -> IngressRule:
    return IngressRule(name, "x.tnl.abc.com", "shop", namespace=namespace, path=path, created=created, **more)  # type: ignore[arg-type]


def _created(rule: IngressRule) -> str:
    return rule.created


def _locations(rules: list[IngressRule]) -> list[tuple[str, str, str, str]]:
    (server,) = servers(rules, _created)
    return [(loc.modifier(server.regex), loc.path, loc.rule.key, loc.upstream) for loc in server.locations]


def test_the_older_ingress_keeps_a_shared_path_whatever_its_name() -> None:
    older, newer = _rule("zz", created=T0), _rule("aa", "ops", created=T1)
    assert [r.key for r in served([newer, older], _created)] == ["shop/zz", "ops/aa"]
    assert _locations([newer, older]) == [("", "/", "shop/zz", "shop-shop-8080")]


def test_equal_timestamps_sort_by_namespace_and_name_descending() -> None:
    a, b = _rule("a-ingress", "shop"), _rule("b-ingress", "ops")
    assert [r.key for r in served([a, b], _created)] == ["shop/a-ingress", "ops/b-ingress"]
    assert _locations([b, a])[0][2] == "shop/a-ingress"


def test_prefix_gets_an_exact_twin_unless_an_exact_location_exists() -> None:
    assert [loc[:2] for loc in _locations([_rule("a", path="/api")])] == [
        ("", "/api/"),
        ("=", "/api"),
        ("", "/"),
    ]
    exact = _rule("b", path="/api", path_type="Exact", created=T1)
    assert [loc[:2] for loc in _locations([_rule("a", path="/api"), exact])] == [
        ("", "/api/"),
        ("=", "/api"),
        ("", "/"),
    ]
    (server,) = servers([_rule("a", path="/api"), exact], _created)
    assert [loc.rule.name for loc in server.locations] == ["a", "b", "a"]


def test_one_regex_ingress_makes_the_host_regex_and_its_root_location_the_default_backend() -> None:
    regex = _rule(
        "r", path="/v1/(.*)", path_type="ImplementationSpecific", annotations=(("use-regex", "true"),)
    )
    plain = _rule("p", path="/healthz", path_type="Exact", created=T1)
    assert _locations([plain, regex]) == [
        ("~*", "/v1/(.*)", "shop/r", "shop-shop-8080"),
        ("~*", "/healthz", "shop/p", "shop-shop-8080"),
        ("~*", "/", "shop/r", "upstream-default-backend"),
    ]


def test_canary_and_classless_ingresses_make_no_server() -> None:
    canary = _rule("c", annotations=(("canary", "true"), ("canary-weight", "5")))
    classless = _rule("n", ingress_class=None)
    assert servers([canary, classless], _created) == []
    assert served([canary, classless], _created) == [canary]


def _backends(rules: tuple[IngressRule, ...]) -> dict[str, dict]:
    design = replace(DESIGN, ingresses=rules)
    return {b["name"]: b for b in json.loads(backends_json(design, pods(design)))}


def test_a_canary_joins_the_main_upstream_of_its_path_or_is_deleted_or_kept_alone() -> None:
    main = IngressRule("main", "m.tnl.abc.com", "shop", namespace="shop", created=T0)
    canary = IngressRule(
        "canary", "m.tnl.abc.com", "pay", namespace="shop", created=T1, annotations=(("canary", "true"),)
    )
    joined = _backends((main, canary))
    assert joined["shop-shop-8080"]["alternativeBackends"] == ["shop-pay-8080"]
    assert joined["shop-pay-8080"]["noServer"] is True
    elsewhere = replace(canary, path="/beta")
    assert "shop-pay-8080" not in _backends((main, elsewhere))  # the host's server has no /beta
    alone = replace(canary, host="n.tnl.abc.com")
    assert _backends((main, alone))["shop-pay-8080"]["noServer"] is True  # no server to join: kept
    assert "alternativeBackends" not in _backends((main, alone))["shop-shop-8080"]
