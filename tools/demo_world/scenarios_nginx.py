"""Broken scenarios of "terway-nlb" inside ingress-nginx: Ingress objects the controller weighs
against each other before nginx sees any of them.

Each is a new Ingress (and what its team deployed with it), rebuilt through the whole design so
that Pods, ENI addresses, IPVS, kube-dns and the controller's files follow: a second Ingress
claiming a host and path another one already has (the controller keeps the older), a canary
Ingress for a host no main Ingress serves (no server block: the catch-all answers), and an
Ingress without a class (the controller, run without ``--watch-ingress-without-class``, ignores it).
"""

from __future__ import annotations

from dataclasses import replace

from tools.demo_world.design import Design, Namespace
from tools.demo_world.designs import terway_nlb_apps as apps
from tools.demo_world.designs.terway_nlb import DESIGN
from tools.demo_world.designs.terway_nlb_net import HTTP, N1, N2, N3, NLB, REGISTRY
from tools.demo_world.draft import NOW, Draft
from tools.demo_world.ids import later
from tools.demo_world.model import DnsRecord, IngressRule, Service, Workload
from tools.demo_world.scenario import Scenario

V6 = "shop-v6"


def _with(
    workloads: tuple[Workload, ...] = (),
    services: tuple[Service, ...] = (),
    ingresses: tuple[IngressRule, ...] = (),
    hosts: tuple[str, ...] = (),
    namespaces: tuple[Namespace, ...] = (),
) -> Design:
    """terway-nlb with these added (a CNAME to the NLB for each host in Alidns)."""
    records = tuple(DnsRecord(f"{h}.tnl", "CNAME", NLB.dns_name, apps.VIA_NLB) for h in hosts)
    return replace(
        DESIGN,
        workloads=DESIGN.workloads + workloads,
        services=DESIGN.services + services,
        ingresses=DESIGN.ingresses + ingresses,
        dns_records=DESIGN.dns_records + records,
        namespaces=DESIGN.namespaces + namespaces,
    )


def duplicate_path(d: Draft) -> None:
    """The shop team deployed shop 6.0 into a new namespace shop-v6 with its own shop-ingress for
    shop.tnl.abc.com / (Prefix), to cut over. The controller keeps the path of the older Ingress,
    shop/shop-ingress: nginx.conf is unchanged and shop 6.0 receives nothing, though its upstream
    shop-v6-shop-8080 is in the dynamic backends."""
    created = later(NOW, -3 * 3600)
    shop = Workload(
        V6,
        "shop",
        "Deployment",
        {"app": "shop"},
        f"{REGISTRY}/shop:6.0.0",
        (HTTP,),
        (("10.30.64.14", N1), ("10.30.80.14", N3)),
        created=created,
        revision=2,  # another Pod template than shop/shop's (image 6.0.0): other Pod names
    )
    service = Service(V6, "shop", "192.168.140.118", (HTTP,), {"app": "shop"}, created=created)
    ingress = IngressRule(
        "shop-ingress", "shop.tnl.abc.com", "shop", namespace=V6, created=later(created, 120)
    )
    namespace = Namespace(V6, created, {"team": "shop"}, applied=True)
    d.rebuild(_with((shop,), (service,), (ingress,), namespaces=(namespace,)))


def canary_without_main(d: Draft) -> None:
    """A canary Ingress promo-canary (canary: "true", canary-weight: "20") was applied for
    promo.tnl.abc.com, to try the promo app on a fifth of its traffic, before anyone wrote the
    main Ingress. The controller creates no server for a canary: there is no server block for the
    host, requests fall to the catch-all server and its default backend (404), and the canary's
    upstream shop-promo-8080 (noServer, weight 20) is referred to by nothing."""
    created = later(NOW, -2 * 3600)
    promo = Workload(
        "shop",
        "promo",
        "Deployment",
        {"app": "promo"},
        f"{REGISTRY}/promo:0.3.0",
        (HTTP,),
        (("10.30.64.24", N2),),
        created=created,
    )
    service = Service("shop", "promo", "192.168.140.160", (HTTP,), {"app": "promo"}, created=created)
    canary = IngressRule(
        "promo-canary",
        "promo.tnl.abc.com",
        "promo",
        namespace="shop",
        annotations=(("canary", "true"), ("canary-weight", "20")),
        created=later(created, 90),
    )
    d.rebuild(_with((promo,), (service,), (canary,), hosts=("promo",)))


def class_missing(d: Draft) -> None:
    """beta-ingress for beta.tnl.abc.com was applied from an old manifest with neither
    spec.ingressClassName nor the kubernetes.io/ingress.class annotation. IngressClass nginx is not
    the default one, and the controller runs without --watch-ingress-without-class: it ignores the
    Ingress (no server block, no address in its status); requests fall to the catch-all server."""
    beta = IngressRule(
        "beta-ingress",
        "beta.tnl.abc.com",
        "shop",
        namespace="shop",
        ingress_class=None,
        created=later(NOW, -5400),
    )
    d.rebuild(_with(ingresses=(beta,), hosts=("beta",)))


TNL = "terway-nlb"
SCENARIOS = [
    Scenario(
        name="nginx-duplicate-path",
        family="ingress",
        summary="shop-v6/shop-ingress claims shop.tnl.abc.com / too: the controller keeps the older "
        "shop/shop-ingress, shop 6.0 gets nothing",
        expect="INGRESS_DUPLICATE_PATH: shop.tnl.abc.com/ (Prefix) is served from shop/shop-ingress (the "
        "oldest); shop-v6/shop-ingress is ignored; the request reaches shop/shop's Pods 10.30.64.21 and "
        "10.30.80.21",
        domain="shop.tnl.abc.com",
        edit=duplicate_path,
        base=TNL,
    ),
    Scenario(
        name="nginx-canary-without-main",
        family="ingress",
        summary="a canary Ingress (weight 20) for promo.tnl.abc.com, which no main Ingress serves: "
        "no server block, the catch-all answers 404",
        expect="INGRESS_CANARY_WITHOUT_MAIN for shop/promo-canary; no server block for promo.tnl.abc.com: "
        "the catch-all server _ proxies to upstream-default-backend, which answers 404",
        domain="promo.tnl.abc.com",
        edit=canary_without_main,
        base=TNL,
    ),
    Scenario(
        name="nginx-class-missing",
        family="ingress",
        summary="beta-ingress names no IngressClass and the controller runs without "
        "--watch-ingress-without-class: beta.tnl.abc.com is not served",
        expect="INGRESS_WITHOUT_CLASS (error) for shop/beta-ingress; no server block for beta.tnl.abc.com: "
        "the catch-all server _ proxies to upstream-default-backend, which answers 404",
        domain="beta.tnl.abc.com",
        edit=class_missing,
        base=TNL,
    ),
]
