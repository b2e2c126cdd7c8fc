"""Broken scenarios of the Envoy Gateway front door (design world terway-eni-https).

The ReferenceGrant that lets HTTPRoute store/docs send docs.gw.tee.abc.com to Service docs in
namespace web is deleted: Envoy Gateway sets the route's ResolvedRefs condition to False with
reason RefNotPermitted and its own message, and programs Envoy to answer that rule with a 500.
"""

from __future__ import annotations

from dataclasses import replace

from tools.demo_world.designs import terway_eni_envoy as envoy
from tools.demo_world.designs import terway_eni_https as tee
from tools.demo_world.draft import Draft
from tools.demo_world.scenario import Scenario


def route_refs_unresolved(d: Draft) -> None:
    """ReferenceGrant web/store-to-docs was deleted in a clean-up of namespace web: HTTPRoute store/docs
    may no longer refer to Service web/docs, so Envoy Gateway marks its ResolvedRefs False
    (RefNotPermitted) and Envoy answers docs.gw.tee.abc.com with a 500."""
    d.rebuild(replace(tee.DESIGN, gateways=(envoy.gateway(grants=()),)))


SCENARIOS = [
    Scenario(
        name="envoy-route-refs-unresolved",
        family="ingress",
        summary="the ReferenceGrant for docs.gw.tee.abc.com is gone: HTTPRoute store/docs may not name "
        "Service web/docs, Envoy answers 500",
        expect="GATEWAY_ROUTE_REFS_UNRESOLVED (ResolvedRefs False, RefNotPermitted) on the HTTPRoute "
        "store/docs hop, which is blocked: Envoy answers 500",
        domain="docs.gw.tee.abc.com",
        edit=route_refs_unresolved,
        base="terway-eni-https",
    ),
]
