"""The Gateway-on-ALB lesson (``ackwb.render.door_alb_gateway``) says, from the loaded trace, which
Gateway is on the request's ALB and why, the HTTPRoute rule Gateway API picks, the ALB rule that
answers, its server groups and Pods, and quotes every refusal or disagreement with its check."""

from __future__ import annotations

from ackwb import Workbook
from ackwb.render.door_alb_gateway import HEADING, gateway_on_alb

HOST = "store.gw.alb.abc.com"


def test_the_weighted_rule_is_told_from_gateway_to_both_services_pods() -> None:
    text = gateway_on_alb(Workbook.demo("alb-gateway").trace(HOST, path="/api"))
    assert text.startswith(HEADING)
    assert "The Gateway **shop/alb\\-gw**" in text and "status\\.addresses" in text
    assert "**HTTPRoute shop/store spec\\.rules\\[0\\] PathPrefix /api** takes the request" in text
    assert "shop/api\\:8080 80%, shop/api\\-v2\\:8080 20%" in text
    assert "**ALB rule rule\\-80\\-1 \\(priority 1\\) store\\.gw\\.alb\\.abc\\.com/api**" in text
    assert "4. **server group gw\\-shop\\-api\\-8080 Ip, 80%**" in text
    assert "5. **server group gw\\-shop\\-api\\-v2\\-8080 Ip, 20%**" in text
    assert "10\\.30\\.80\\.22\\:8080**" in text and "10\\.30\\.64\\.25\\:8080**" in text
    assert text.endswith("the ALB does what the route asks for.")


def test_a_refused_route_is_quoted_with_its_check() -> None:
    text = gateway_on_alb(Workbook.demo("gateway-route-not-accepted").trace(HOST))
    assert "**HTTPRoute shop/store not accepted \\(NoMatchingParent\\)** does not take it (blocked)" in text
    assert "**ALB default action store\\.gw\\.alb\\.abc\\.com/**" in text
    assert "- **GATEWAY\\_ROUTE\\_NOT\\_ACCEPTED**:" in text
    assert "has no listener named https\\. Check" in text
    assert "Check by hand: `kubectl get httproute -n shop store -o jsonpath='{.status.parents}'`." in text
    assert "agree" not in text


def test_an_alb_without_a_gateway_says_so() -> None:
    text = gateway_on_alb(Workbook.demo("alb-gateway").trace("www.alb.abc.com"))
    assert text.splitlines()[2].startswith("No Gateway is programmed on the load balancer")
    assert "HTTPRoute" not in text
