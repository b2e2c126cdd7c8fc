"""The Gateway API front door on Envoy Gateway, traced on two designs.

terway-eni-https (written from tools/demo_world/designs/terway_eni_envoy.py): CLB tee-eg-lb
(203.0.113.81, TCP 80) holds the ENIs of the two Envoy proxy Pods 10.40.16.61 and 10.40.16.62
on port 10080; Gateway store/eg listens on HTTP 80 for *.gw.tee.abc.com. HTTPRoute store/shop:
rule 0 /api → api (Pod 10.40.16.71), rule 1 /blog → 301 to docs.gw.tee.abc.com, rule 2 / → web
(weight 90, Pods 10.40.16.72 and .73) and web-next (weight 10, Pod 10.40.16.74). HTTPRoute
store/docs → Service docs in namespace web (Pod 10.40.16.51), allowed by ReferenceGrant
web/store-to-docs. flannel-nodeport made an Envoy Gateway's in tests/envoy_world.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from envoy_world import make_envoy

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Path as Journey
from ackwb.model import Severity, Trace, Verdict
from ackwb.plan import plan
from ackwb.render.door_gateway import gateway_section
from ackwb.steps.front_door import Door
from ackwb.trace import dead_end

OK, BLOCKED = Verdict.OK, Verdict.BLOCKED
LB = "lb-bp11icvdpshtzf4mb45pn"
PROXIES = (
    "controller:envoy-gateway-system/envoy-store-eg-85ca61a9-ssw4s2kk8r-vsqgq",
    "controller:envoy-gateway-system/envoy-store-eg-85ca61a9-ssw4s2kk8r-cm8m2",
)
FRONT = (
    f"lb:{LB}",
    f"listener:{LB}:80",
    "backend:10.40.16.61:10080",
    "backend:10.40.16.62:10080",
    *PROXIES,
    "gateway:store/eg",
)


def tee(host: str, path: str = "/", world: str = "terway-eni-https") -> Trace:
    return Workbook.demo(world).trace(host, port=80, path=path)


def request_hops(trace: Trace) -> list[str]:
    return [h.id for h in trace.hops if h.path is Journey.REQUEST and h.kind not in ("client", "dns")]


def verdicts(trace: Trace) -> dict[str, Verdict]:
    return {h.id: h.verdict for h in trace.hops}


def raised(trace: Trace) -> set[tuple[str, str]]:
    return {(f.code, f.hop) for f in trace.findings if f.severity is not Severity.INFO}


def edge(trace: Trace, src: str, dst: str) -> str:
    return next(e.label for e in trace.edges if (e.src, e.dst) == (src, dst))


def hop(trace: Trace, hop_id: str):  # noqa: ANN201 - a Hop
    return next(h for h in trace.hops if h.id == hop_id)


def test_shop_root_takes_the_weighted_rule_and_envoy_sends_to_the_web_pod_ips() -> None:
    trace = tee("shop.gw.tee.abc.com")
    assert trace.verdict is OK and dead_end(trace) == ""
    assert request_hops(trace) == [
        *FRONT,
        "httproute:store/shop:2",
        "gwbackend:store/web:8080",
        "gwbackend:store/web-next:8080",
        "pod:store/web-thjdmxccf7-97njh",
        "pod:store/web-thjdmxccf7-dnn8g",
    ]
    assert all(v is OK for v in verdicts(trace).values())
    assert raised(trace) == set()
    assert trace.step("ecs").door is Door.ENVOY_GATEWAY
    assert trace.design.controllers == "Envoy Gateway proxy on Pod IPs"
    gateway = dict(hop(trace, "gateway:store/eg").details)
    assert gateway["service port"] == "80 → container 10080"
    assert gateway["gateway class"] == "eg (gateway.envoyproxy.io/gatewayclass-controller)"
    assert gateway["listener"] == "http HTTP :80 hostname *.gw.tee.abc.com"
    assert gateway["conditions"] == "Accepted=True (Accepted), Programmed=True (Programmed)"
    route = dict(hop(trace, "httproute:store/shop:2").details)
    assert route["considered"] == "store/shop spec.rules[2].matches[0]"  # /api and /blog do not match /
    assert edge(trace, "gateway:store/eg", "httproute:store/shop:2") == "http://shop.gw.tee.abc.com/"
    assert edge(trace, "httproute:store/shop:2", "gwbackend:store/web:8080") == "weight 90 (90%)"
    assert edge(trace, "httproute:store/shop:2", "gwbackend:store/web-next:8080") == "weight 10 (10%)"
    assert dict(hop(trace, "gwbackend:store/web-next:8080").details)["endpoints"] == "10.40.16.74:8080"
    ing = trace.step("ingress")
    assert (ing.namespace, ing.service_name, ing.service_port) == ("store", "web", "8080")
    assert ing.backend_endpoints == ["10.40.16.72:8080", "10.40.16.73:8080"]
    assert (
        str(hop(trace, "gwbackend:store/web:8080").leaves)
        == "10.40.16.62:* → 10.40.16.72:8080, 10.40.16.73:8080"  # the first proxy by name
    )
    # Envoy picks the Pod itself: the ClusterIP and kube-proxy are the in-cluster path only
    assert hop(trace, "service:store/web").path is Journey.IN_CLUSTER
    assert (
        edge(trace, "gwbackend:store/web:8080", "pod:store/web-thjdmxccf7-97njh")
        == "Envoy → 10.40.16.72:8080"
    )
    for proxy in PROXIES:
        assert edge(trace, proxy, "gateway:store/eg") == "Host: shop.gw.tee.abc.com"


@pytest.mark.parametrize(
    ("host", "path", "route", "backend", "pod"),
    [
        (
            "shop.gw.tee.abc.com",
            "/api/orders",
            "httproute:store/shop:0",
            "store/api:8080",
            "10.40.16.71:8080",
        ),
        ("docs.gw.tee.abc.com", "/", "httproute:store/docs:0", "web/docs:8080", "10.40.16.51:8080"),
    ],
)
def test_each_gateway_host_reaches_its_pod(host: str, path: str, route: str, backend: str, pod: str) -> None:
    trace = tee(host, path)
    assert trace.verdict is OK and raised(trace) == set()
    pods = [h for h in trace.hops if h.kind == "pod"]
    assert request_hops(trace) == [*FRONT, route, f"gwbackend:{backend}", *(h.id for h in pods)]
    assert [h.label.split("\n")[1] for h in pods] == [pod]
    assert trace.step("ingress").backend_endpoints == [pod]
    assert edge(trace, route, f"gwbackend:{backend}") == "weight 1 (100%)"
    grant = dict(hop(trace, f"gwbackend:{backend}").details).get("reference grant")
    assert grant == ("web/store-to-docs" if backend.startswith("web/") else None)


def test_a_request_redirect_filter_is_answered_by_envoy_and_not_broken() -> None:
    trace = tee("shop.gw.tee.abc.com", "/blog")
    assert trace.verdict is OK and dead_end(trace) == ""
    answer = "answer:shop.gw.tee.abc.com/blog"
    assert request_hops(trace) == [*FRONT, "httproute:store/shop:1", answer]
    assert hop(trace, answer).label == "Envoy answers 301\n→ http://docs.gw.tee.abc.com/blog"
    assert not {"service", "pod", "upstream"} & {h.kind for h in trace.hops}
    found = next(f for f in trace.findings if f.code == "GATEWAY_REDIRECT")
    assert found.severity is Severity.INFO and found.hop == answer


def test_scenario_route_refs_unresolved_blocks_at_the_route_with_the_controllers_condition() -> None:
    trace = tee("docs.gw.tee.abc.com", world="envoy-route-refs-unresolved")
    assert trace.verdict is BLOCKED
    assert request_hops(trace) == [*FRONT, "httproute:store/docs:0"]
    assert [h for h, v in verdicts(trace).items() if v is BLOCKED] == ["httproute:store/docs:0"]
    assert raised(trace) == {
        ("GATEWAY_ROUTE_REFS_UNRESOLVED", "httproute:store/docs:0"),
        ("GATEWAY_BACKEND_NOT_PERMITTED", "httproute:store/docs:0"),
    }
    status = next(f for f in trace.findings if f.code == "GATEWAY_ROUTE_REFS_UNRESOLVED")
    assert status.severity is Severity.ERROR
    assert status.evidence[0].excerpt == (
        "ResolvedRefs=False reason=RefNotPermitted message=Failed to process route rule 0 backendRef 0: "
        "Backend ref to Service web/docs not permitted by any ReferenceGrant."
    )
    assert status.check
    assert dead_end(trace).startswith("Envoy answers 500: HTTPRoute store/docs on Gateway store/eg")
    assert not {"service", "pod"} & {h.kind for h in trace.hops}


@pytest.fixture
def fln(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root("flannel-nodeport")), root)
    return make_envoy(root)


def test_on_flannel_nodeports_the_envoy_door_forwards_redirects_and_answers_404(fln: Path) -> None:
    """The same step behind ECS NodePorts (Flannel, iptables): the proxies are reached through
    kube-proxy's NodePort, then Gateway app/eg's route decides."""
    book = Workbook.from_world(fln)
    web = book.trace("web.fln.abc.com", port=80, path="/")
    assert web.step("ecs").door is Door.ENVOY_GATEWAY
    assert web.verdict is OK and "FRONT_DOOR_NOT_FOLLOWED" not in {f.code for f in web.findings}
    assert [h.id for h in web.hops if h.kind in ("ingress", "upstream")] == [
        "gateway:app/eg", "httproute:app/web:1", "gwbackend:app/web:8080"
    ]  # fmt: skip
    assert dict(hop(web, "gateway:app/eg").details)["service port"] == "80 → container 80"
    assert web.step("ingress").backend_endpoints == ["172.20.0.5:8080"]  # the ready web Pod only
    moved = book.trace("web.fln.abc.com", port=80, path="/old/x")
    assert moved.verdict is OK
    assert (
        hop(moved, "answer:web.fln.abc.com/old/x").label
        == "Envoy answers 301\n→ http://web.fln.abc.com/new/x"
    )
    lost = book.trace("api.fln.abc.com", port=80, path="/")
    assert lost.verdict is BLOCKED
    assert raised(lost) >= {("GATEWAY_NO_ROUTE", "httproute:api.fln.abc.com")}
    assert "Envoy answers 404" in dead_end(lost)
    assert not any(h.kind in ("service", "pod") for h in lost.hops)


def test_plans_include_httproute_hosts_and_their_path_prefixes() -> None:
    found = {str(r) for r in plan(Workbook.demo("terway-eni-https").sources)}
    assert {"shop.gw.tee.abc.com:80/", "shop.gw.tee.abc.com:80/api", "shop.gw.tee.abc.com:80/blog"} <= found
    assert "docs.gw.tee.abc.com:80/" in found
    assert not any("*" in r for r in found)


def test_the_gateway_section_explains_the_loaded_trace() -> None:
    text = gateway_section(tee("shop.gw.tee.abc.com")).replace("\\", "").replace("**", "")  # markup
    assert "Gateway store/eg" in text and "HTTPRoute store/shop" in text
    assert "store/web:8080" in text and "90%" in text and "10080" in text
    redirect = gateway_section(tee("shop.gw.tee.abc.com", "/blog")).replace("\\", "").replace("**", "")
    assert "301" in redirect and "docs.gw.tee.abc.com" in redirect
    assert "not an Envoy Gateway" in gateway_section(tee("www.tee.abc.com"))


def test_unread_routes_are_unknown_and_a_deleted_gateway_is_named(fln: Path) -> None:
    """HTTPRoutes the world does not hold: the route hop is unknown (never "no route", never a 404);
    a Gateway that is gone while its proxy Service stays is blocked, named with a command."""
    (fln / "kube" / "httproutes.json").unlink()
    unseen = Workbook.from_world(fln).trace("web.fln.abc.com", port=80)
    assert unseen.verdict is Verdict.UNKNOWN
    assert verdicts(unseen)["httproute:web.fln.abc.com"] is Verdict.UNKNOWN
    assert ("SOURCE_NOT_CAPTURED", "gateway:app/eg") in {(f.code, f.hop) for f in unseen.findings}
    assert "GATEWAY_NO_ROUTE" not in {f.code for f in unseen.findings}
    assert not any(h.verdict is OK for h in unseen.hops if h.kind in ("service", "pod"))
    (fln / "kube" / "gateways.json").write_text('{"apiVersion": "v1", "kind": "List", "items": []}')
    gone = Workbook.from_world(fln).trace("web.fln.abc.com", port=80)
    assert gone.verdict is BLOCKED and verdicts(gone)["gateway:app/eg"] is BLOCKED
    finding = next(f for f in gone.findings if f.code == "GATEWAY_NOT_FOUND")
    assert finding.check == "kubectl -n app get gateway eg" and "app/eg" in finding.message


def test_a_load_balancer_port_that_is_no_gateway_listener_is_refused(fln: Path) -> None:
    """Gateway app/eg listening on 8080 only: the CLB still sends port 80 of the proxy Service, where
    Envoy has no listener; the trace stops at the Gateway, not at some other listener's routes."""
    path = fln / "kube" / "gateways.json"
    path.write_text(path.read_text().replace('"port": 80,', '"port": 8080,'))
    trace = Workbook.from_world(fln).trace("web.fln.abc.com", port=80)
    assert trace.verdict is BLOCKED and verdicts(trace)["gateway:app/eg"] is BLOCKED
    assert raised(trace) >= {("GATEWAY_NO_LISTENER_FOR_PORT", "gateway:app/eg")}
    finding = next(f for f in trace.findings if f.code == "GATEWAY_NO_LISTENER_FOR_PORT")
    assert (
        finding.evidence[0].excerpt == "http :8080"
        and "port 80 of the Envoy proxy Service" in finding.message
    )
    assert not any(h.id.startswith("httproute:") for h in trace.hops)


def test_the_gateway_section_names_the_port_shift_only_where_there_is_one(fln: Path) -> None:
    shifted = gateway_section(tee("shop.gw.tee.abc.com")).replace("\\", "")
    assert "container port **10080** (Envoy Gateway adds 10000" in shifted
    same = gateway_section(Workbook.from_world(fln).trace("web.fln.abc.com", port=80)).replace("\\", "")
    assert "container port **80**" in same and "adds 10000" not in same
    assert "HTTPRoute **app/web** rule **1**" in same
