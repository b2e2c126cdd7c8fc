"""The nginx scenarios of terway-nlb hold the Ingress objects they describe and what the controller
made of them, and nothing else breaks.

nginx-duplicate-path: a newer Ingress in namespace shop-v6 claims shop.tnl.abc.com / (Prefix);
nginx.conf is the design's (the older shop/shop-ingress keeps the path), the loser's upstream is in
the backends with its own Pods. nginx-canary-without-main: a canary Ingress (weight 20) for a host
no main Ingress has; no server block, a noServer upstream with the weight. nginx-class-missing: an
Ingress without any class while the controller runs without --watch-ingress-without-class; no
server block, no backend, no address in its status. Checks of the stored data only.
"""

from __future__ import annotations

import re

import pytest
from design_worlds import View, is_ready

from ackwb.parse.nginx_conf import parse_server_block

TNL = "terway-nlb"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def _ingress(v: View, name: str, namespace: str = "shop") -> dict:
    (found,) = [
        i
        for i in v.items("ingresses")
        if (i["metadata"]["namespace"], i["metadata"]["name"]) == (namespace, name)
    ]
    return found


def _controller_files(v: View) -> list[tuple[str, list[dict]]]:
    folders = [f"pods/kube-system/{p['metadata']['name']}" for p in v.controllers()]
    return [(v.files.text(f"{f}/nginx.conf") or "", v.json(f"{f}/backends.json")) for f in folders]


def _hosts(conf: str) -> list[str]:
    return re.findall(r"^\t## start server (\S+)$", conf, re.MULTILINE)


@pytest.mark.parametrize(
    "scenario", ["nginx-duplicate-path", "nginx-canary-without-main", "nginx-class-missing"]
)
def test_the_controllers_nginx_conf_is_the_designs(scenario: str) -> None:
    meta = View(scenario).meta
    assert meta["base"] == TNL
    assert not [f for f in meta["files"] if f.endswith("nginx.conf")]
    assert [c for c, _ in _controller_files(View(scenario))] == [c for c, _ in _controller_files(View(TNL))]


def test_duplicate_path_keeps_the_older_ingress_and_lists_the_losers_upstream() -> None:
    v = View("nginx-duplicate-path")
    winner, loser = _ingress(v, "shop-ingress"), _ingress(v, "shop-ingress", "shop-v6")
    assert winner["metadata"]["creationTimestamp"] < loser["metadata"]["creationTimestamp"]
    for ingress in (winner, loser):
        (rule,) = ingress["spec"]["rules"]
        (path,) = rule["http"]["paths"]
        assert (rule["host"], path["path"], path["pathType"], ingress["spec"]["ingressClassName"]) == (
            "shop.tnl.abc.com",
            "/",
            "Prefix",
            "nginx",
        )
        assert ingress["status"]["loadBalancer"]["ingress"]  # both watched: both show the NLB
    for conf, backends in _controller_files(v):
        (root,) = [loc for loc in parse_server_block(conf, "shop.tnl.abc.com").locations if loc.path == "/"]
        assert (root.namespace, root.ingress_name, root.upstream_name) == (
            "shop",
            "shop-ingress",
            "shop-shop-8080",
        )
        by_name = {b["name"]: b for b in backends}
        v6_pods = {p["status"]["podIP"] for p in v.items("pods") if p["metadata"]["namespace"] == "shop-v6"}
        assert len(v6_pods) == 2 and all(
            is_ready(p) for p in v.items("pods") if p["metadata"]["namespace"] == "shop-v6"
        )
        assert {e["address"] for e in by_name["shop-v6-shop-8080"]["endpoints"]} == v6_pods
        assert not v6_pods & {e["address"] for e in by_name["shop-shop-8080"]["endpoints"]}
        assert 'set $proxy_upstream_name "shop-v6-shop-8080";' not in conf
    namespaces = {n["metadata"]["name"]: n["metadata"]["labels"] for n in v.items("namespaces")}
    assert namespaces["shop-v6"]["kubernetes.io/metadata.name"] == "shop-v6"


def test_canary_without_main_has_no_server_and_a_weighted_upstream_nothing_refers_to() -> None:
    v = View("nginx-canary-without-main")
    canary = _ingress(v, "promo-canary")
    annotations = canary["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/canary"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/canary-weight"] == "20"
    hosts = {i["spec"]["rules"][0]["host"] for i in v.items("ingresses") if i is not canary}
    assert "promo.tnl.abc.com" not in hosts  # no main Ingress for the host
    promo_pods = {
        p["status"]["podIP"] for p in v.items("pods") if p["metadata"]["labels"].get("app") == "promo"
    }
    for conf, backends in _controller_files(v):
        assert "promo.tnl.abc.com" not in _hosts(conf)
        (promo,) = [b for b in backends if b["name"] == "shop-promo-8080"]
        assert promo["noServer"] is True
        assert (
            promo["trafficShapingPolicy"]["weight"] == 20
            and promo["trafficShapingPolicy"]["weightTotal"] == 100
        )
        assert {e["address"] for e in promo["endpoints"]} == promo_pods and len(promo_pods) == 1
        assert not [b for b in backends if "shop-promo-8080" in b.get("alternativeBackends", [])]
        assert 'set $proxy_upstream_name "shop-promo-8080";' not in conf
    (zone,) = v.bodies("alidns/DescribeDomainRecords").values()
    assert "promo.tnl" in {r["RR"] for r in zone["DomainRecords"]["Record"]}


def test_ingress_without_class_is_not_served_and_has_no_status() -> None:
    v = View("nginx-class-missing")
    beta = _ingress(v, "beta-ingress")
    assert "ingressClassName" not in beta["spec"]
    assert CLASS_ANNOTATION not in beta["metadata"].get("annotations", {})
    assert beta["status"] == {"loadBalancer": {}}
    (nginx_class,) = v.items("ingressclasses")
    assert "ingressclass.kubernetes.io/is-default-class" not in nginx_class["metadata"].get("annotations", {})
    for pod in v.controllers():
        args = pod["spec"]["containers"][0]["args"]
        assert "--ingress-class=nginx" in args
        assert not [a for a in args if a.startswith("--watch-ingress-without-class")]
    for conf, backends in _controller_files(v):
        assert "beta.tnl.abc.com" not in _hosts(conf)
        assert [b["name"] for b in backends] == [b["name"] for b in _controller_files(View(TNL))[0][1]]
    assert [r.value for r in v.world.sources().dns.resolve("beta.tnl.abc.com") if r.type == "A"]
