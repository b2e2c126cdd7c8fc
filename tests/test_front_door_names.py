"""Every row of the sweep and of the cluster map names its front door, read from the trace.

The name comes from one function (``ackwb.steps.door_name.front_door_name``) over the door the
steps decided: nginx behind fln-public-lb, the ALB's rules for store.fln (Instance groups) and
www.alb (Ip groups), an L4 Service for mqtt.fln and redis.tnl, and "unknown" where the trace never
got to a door (a name that does not resolve, a port no listener serves). The terminal table, the
HTML overview and the map's diagram carry it too.
"""

from __future__ import annotations

import re

from ackwb import Workbook
from ackwb.render.sweep_html import sweep_page
from ackwb.steps.door_name import front_door_name


def rows_by_host(world: str, hosts: list[str], ports: list[int]) -> dict[tuple[str, int], str]:
    sweep = Workbook.demo(world).sweep(hosts=hosts, ports=ports)
    return {(r["host"], r["port"]): r["front door"] for r in sweep.rows}


def test_the_sweep_names_each_door() -> None:
    fln = rows_by_host("flannel-nodeport", ["web.fln.abc.com", "store.fln.abc.com", "mqtt.fln.abc.com"],
                       [80, 1883])  # fmt: skip
    assert fln[("web.fln.abc.com", 80)] == "nginx"
    assert fln[("store.fln.abc.com", 80)] == "ALB"
    assert fln[("mqtt.fln.abc.com", 1883)] == "L4 Service"
    assert fln[("mqtt.fln.abc.com", 80)] == "unknown"  # no listener on 80: no door was decided
    alb = rows_by_host(
        "alb-gateway", ["www.alb.abc.com", "shop.tnl.abc.com", "redis.tnl.abc.com"], [80, 6379]
    )
    assert (alb[("www.alb.abc.com", 80)], alb[("shop.tnl.abc.com", 80)]) == ("ALB", "nginx")
    assert alb[("redis.tnl.abc.com", 6379)] == "L4 Service"


def test_a_name_that_does_not_resolve_has_no_door() -> None:
    trace = Workbook.demo("healthy").trace("no-such.qas.abc.com")
    assert front_door_name(trace) == "unknown"


def test_the_sweep_table_and_overview_have_the_column() -> None:
    sweep = Workbook.demo("flannel-nodeport").sweep(
        hosts=["store.fln.abc.com", "web.fln.abc.com"], ports=[80]
    )
    page = sweep_page(sweep)
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", page)
    assert head and re.findall(r"<th[^>]*>([^<]*)</th>", head.group(1)) == [
        "host", "path", "port", "client", "front door", "verdict", "first finding",
    ]  # fmt: skip
    cells = re.findall(r"<tr class='ackwb-row[^>]*>(.*?)</tr>", page)
    assert len(cells) == 2 and ">ALB<" in cells[0] and ">nginx<" in cells[1]


def test_the_cluster_map_names_the_door_on_each_load_balancer() -> None:
    cluster_map = Workbook.demo("flannel-nodeport").cluster_map(port=80)
    doors = {row["domain"]: row["front door"] for row in cluster_map.rows}
    assert doors["store.fln.abc.com"] == "ALB" and doors["web.fln.abc.com"] == "nginx"
    boxes = {n.name: n.doors for n in cluster_map.nodes.values() if n.kind == "lb"}
    assert boxes == {"k8s-alb-fln": ("ALB",), "fln-public-lb": ("nginx",)}
    assert "door: ALB</FONT>" in cluster_map.dot and "door: nginx</FONT>" in cluster_map.dot
    rules = [n.name for n in cluster_map.nodes.values() if n.id.startswith("alb-rule:")]
    assert rules == ["rule-80-1 (priority 1)"]  # the ALB's rule by name and priority, not by its ids


def test_the_summary_says_how_each_door_reaches_the_pod() -> None:
    """The report's summary sentence is the door's, not ingress-nginx's, and the design record names
    no ingress controller where none is on the path."""
    from ackwb.render.html import trace_summary_html

    cases = {
        ("flannel-nodeport", "store.fln.abc.com", 80): "ECS nodes on the Service&#x27;s NodePort",
        ("flannel-nodeport", "mqtt.fln.abc.com", 1883): "No HTTP is evaluated: the load balancer hands each "
        "connection to the Service&#x27;s NodePort",
        ("alb-gateway", "www.alb.abc.com", 80): "The ALB sends the request straight to the Pod IPs",
        ("terway-nlb", "redis.tnl.abc.com", 6379): "straight to a Pod IP of the Service",
        ("healthy", "app1.qas.abc.com", 80): "ingress-nginx sends the request straight to Pod IPs",
    }
    for (world, host, port), sentence in cases.items():
        trace = Workbook.demo(world).trace(host, port=port)
        summary = trace_summary_html(trace)
        assert sentence in summary, (host, summary[summary.find("how it reaches") :][:300])
        nginx = front_door_name(trace) == "nginx"
        assert ("ingress-nginx sends" in summary) is nginx
        assert bool(trace.design.controllers) is nginx, (host, trace.design.controllers)


def test_the_gateway_doors_are_named_and_their_sections_wired() -> None:
    """Envoy Gateway (terway-eni-https shop.gw) and a Gateway on ALB (alb-gateway store.gw): the name
    comes from the trace, the section from the door's own module after the dispatcher's heading."""
    from ackwb.render.door_sections import front_door_section
    from ackwb.render.html import trace_summary_html

    envoy = Workbook.demo("terway-eni-https").trace("shop.gw.tee.abc.com", path="/api")
    on_alb = Workbook.demo("alb-gateway").trace("store.gw.alb.abc.com", path="/api")
    assert (front_door_name(envoy), front_door_name(on_alb)) == ("Envoy Gateway", "Gateway on ALB")
    text = front_door_section(envoy)
    assert "Front door: **Envoy Gateway**." in text and "#### Gateway API on Envoy Gateway" in text
    text = front_door_section(on_alb)
    assert "Front door: **Gateway on ALB**." in text and "#### Gateway API on ALB" in text
    assert "| gw\\-shop\\-api\\-8080 | Ip | 80% |" in text  # the ALB's groups, before the Gateway's part
    assert "The Envoy Gateway proxies send the request straight" in trace_summary_html(envoy)


def test_a_whole_sweep_includes_every_l4_service_and_no_ingress_controllers_address() -> None:
    """Without named hosts a sweep covers every front door: the L4 Services by the address (CLB) or
    DNS name (NLB) their status publishes, on each port; the Services fronting ingress-nginx are
    swept through their hosts, never by address (their catch-all would read as a broken path)."""
    wanted = {
        "flannel-nodeport": ("203.0.113.61", 1883),
        "terway-nlb": ("nlb-qlvs8kgfu88l2b5vi6h0.cn-hangzhou.nlb.aliyuncsslb.com", 6379),
    }
    for world, (address, port) in wanted.items():
        book = Workbook.demo(world)
        published = {
            entry.get("ip") or entry.get("hostname")
            for service in book.sources.kube.list("services")
            for entry in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        }
        swept = {(t.request.host, t.request.port): t for t in book.sweep().traced}
        by_address = {key for key in swept if key[0] in published}
        assert by_address == {(address, port)}, (world, sorted(by_address))
        assert front_door_name(swept[(address, port)].trace) == "L4 Service"
        assert swept[(address, port)].trace.verdict.value == "ok"
