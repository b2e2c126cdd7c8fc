"""Every domain of every design world, traced: the design record, the hops that are not ok, the
branches the request loses, the findings that warn or fail, the packet where the design
changes it — and each design world's scenarios with their exact finding, hop and verdict.

The worlds are different clusters (DESIGN.md section 7): Flannel with iptables, a CLB to ECS
NodePorts and externalTrafficPolicy Local; Terway on pod vSwitches with IPVS, an NLB whose
server groups hold controller Pod IPs and an intranet CLB to NodePorts with Cluster; Terway
exclusive ENIs with nftables and a CLB HTTPS listener ending TLS. Expectations are this file's
own, written from the worlds' facts, so a step that drifts makes them fail.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Path as Journey
from ackwb.model import Severity, Trace, Verdict
from ackwb.trace import dead_end

OK, BLOCKED, DEPENDS, NOT_REACHED = Verdict.OK, Verdict.BLOCKED, Verdict.DEPENDS, Verdict.NOT_REACHED
FLANNEL = "this cluster: Flannel, iptables, CLB → ECS:NodePort, Local"
NLB = "this cluster: Terway, ipvs, NLB → Pod IP, Cluster"
INTRANET = "this cluster: Terway, ipvs, CLB → ECS:NodePort, Cluster"
TEE = "this cluster: Terway, nftables, CLB → ECS:NodePort, Cluster"
ALB = "this cluster: Terway, kube-proxy mode not read, ALB"
ALB_INSTANCE = "this cluster: Flannel, iptables, ALB → ECS:NodePort, Cluster"
# Flannel's by-design and real unhealthy backends: node 3 runs no controller, node 2's is not ready
FLN_IDLE = {
    "backend:10.20.1.13:30581": BLOCKED, "backend:10.20.1.12:30581": BLOCKED,
    "node:cn-hangzhou.10.20.1.13": NOT_REACHED, "node:cn-hangzhou.10.20.1.12": NOT_REACHED,
}  # fmt: skip
FLN_WARNINGS = {("LB_BACKEND_UNHEALTHY", "backend:10.20.1.12:30581")}
# admin-ingress's status names the NLB (the controller publishes nginx-ingress-lb);
# admin resolves to the intranet CLB
ADMIN_STATUS = frozenset({("INGRESS_STATUS_ADDRESS_DIFFERS", "dns:admin.tnl.abc.com")})


@dataclass(frozen=True)
class Healthy:
    world: str
    domain: str
    design: str
    not_ok: dict[str, Verdict]  # hop id (wildcards allowed) → verdict, for every hop that is not ok
    lost: tuple[str, ...]  # the blocked branches, in order
    warnings: frozenset[tuple[str, str]]  # (code, hop) of every warning and error
    verdict: Verdict = OK
    client_ip: str | None = None
    port: int = 80


HEALTHY = [
    Healthy("flannel-nodeport", "web.fln.abc.com", FLANNEL,
            {**FLN_IDLE, "pod:app/web-*": BLOCKED},
            ("backend:10.20.1.13:30581", "backend:10.20.1.12:30581"),
            frozenset({*FLN_WARNINGS, ("SERVICE_ENDPOINTS_NOT_READY", "service:app/web"),
                       ("POD_NOT_READY", "pod:app/web-*")})),
    Healthy("flannel-nodeport", "api.fln.abc.com", FLANNEL, FLN_IDLE,
            ("backend:10.20.1.13:30581", "backend:10.20.1.12:30581"), frozenset(FLN_WARNINGS)),
    Healthy("flannel-nodeport", "shop.fln.abc.com", FLANNEL, FLN_IDLE,
            ("backend:10.20.1.13:30581", "backend:10.20.1.12:30581"), frozenset(FLN_WARNINGS)),
    Healthy("flannel-nodeport", "partner.fln.abc.com", FLANNEL, FLN_IDLE,  # ExternalName
            ("backend:10.20.1.13:30581", "backend:10.20.1.12:30581"), frozenset(FLN_WARNINGS)),
    Healthy("flannel-nodeport", "logs.fln.abc.com", FLANNEL, FLN_IDLE,  # headless
            ("backend:10.20.1.13:30581", "backend:10.20.1.12:30581"), frozenset(FLN_WARNINGS)),
    Healthy("terway-nlb", "shop.tnl.abc.com", NLB, {}, (), frozenset()),
    Healthy("terway-nlb", "pay.tnl.abc.com", NLB, {}, (),
            frozenset({("SERVICE_AFFINITY_BYPASSED", "service:shop/pay")})),  # ClientIP, balanced by nginx
    Healthy("terway-nlb", "ext.tnl.abc.com", NLB, {}, (), frozenset()),  # ExternalName
    Healthy("terway-nlb", "search.tnl.abc.com", NLB, {}, (), frozenset()),  # headless
    Healthy("terway-nlb", "grpc.tnl.abc.com", NLB, {}, (), frozenset()),  # port by name
    Healthy("terway-nlb", "admin.tnl.abc.com", INTRANET,
            {"backend:10.30.*:32614": DEPENDS}, (), ADMIN_STATUS, verdict=DEPENDS),
    Healthy("terway-nlb", "admin.tnl.abc.com", INTRANET, {}, (), ADMIN_STATUS, client_ip="10.30.1.20"),
    Healthy("terway-eni-https", "www.tee.abc.com", TEE, {}, (), frozenset()),
    Healthy("terway-eni-https", "www.tee.abc.com", TEE, {}, (), frozenset(), port=443),
    Healthy("terway-eni-https", "docs.tee.abc.com", TEE, {}, (), frozenset()),
    Healthy("alb-gateway", "www.alb.abc.com", ALB, {}, (), frozenset()),
    Healthy("alb-gateway", "api.alb.abc.com", ALB, {}, (), frozenset()),
    Healthy("alb-gateway", "pay.alb.abc.com", ALB, {}, (), frozenset(), port=443),
    Healthy("alb-gateway", "store.gw.alb.abc.com", ALB, {}, (), frozenset()),  # Gateway API on its own ALB
    Healthy("alb-gateway", "shop.tnl.abc.com", NLB, {}, (), frozenset()),  # the NLB beside the ALB
    Healthy("flannel-nodeport", "store.fln.abc.com", ALB_INSTANCE, {}, (), frozenset()),  # Instance group
]  # fmt: skip


def trace_of(world: str, domain: str, client_ip: str | None = None, port: int = 80) -> Trace:
    return Workbook.demo(world).trace(domain, client_ip=client_ip, port=port)


def matches(pattern: str, hop_id: str) -> bool:
    return fnmatch(hop_id, pattern)


@pytest.mark.parametrize("case", HEALTHY, ids=lambda c: f"{c.world}:{c.domain}:{c.port}:{c.client_ip}")
def test_each_domain_of_each_design_world(case: Healthy) -> None:
    trace = trace_of(case.world, case.domain, case.client_ip, case.port)
    assert trace.design.summary() == case.design
    assert trace.verdict is case.verdict and dead_end(trace) == ""
    not_ok = {h.id: h.verdict for h in trace.hops if h.verdict is not OK}
    for hop_id, verdict in not_ok.items():
        wanted = [v for pattern, v in case.not_ok.items() if matches(pattern, hop_id)]
        assert wanted == [verdict], f"{hop_id} is {verdict.value}"
    assert all(any(matches(p, h) for h in not_ok) for p in case.not_ok), (case.not_ok, not_ok)
    assert tuple(h.id for h, _ in trace.blocked_branches) == case.lost
    raised = {(f.code, f.hop) for f in trace.findings if f.severity is not Severity.INFO}
    assert len(raised) == len(case.warnings)
    assert all(any(code == c and matches(hop, h) for c, h in raised) for code, hop in case.warnings), raised
    assert trace.verdict_of(Journey.EGRESS) is OK


def test_flannel_local_keeps_the_client_and_explains_the_idle_node() -> None:
    trace = trace_of("flannel-nodeport", "web.fln.abc.com", "192.0.2.7")
    hop = next(h for h in trace.hops if h.id == "nodeport:cn-hangzhou.10.20.1.11:30581")
    assert hop.kind == "nodeport" and "iptables KUBE-SVL-" in hop.label
    assert str(hop.arrives) == "192.0.2.7:* → 10.20.1.11:30581"
    assert str(hop.leaves).startswith("192.0.2.7:* → 172.20.0.") and "client's address is kept" in hop.rewrite
    idle = next(f for f in trace.findings if f.code == "LB_BACKEND_NO_LOCAL_ENDPOINT")
    assert (
        idle.hop == "backend:10.20.1.13:30581"
        and idle.severity is Severity.INFO
        and "by design" in idle.message
    )
    controller = next(h for h in trace.hops if h.kind == "controller" and h.verdict is OK)
    assert controller.arrives is not None and controller.arrives.src == "192.0.2.7:*"


def test_a_tls_host_answers_port_80_with_a_redirect() -> None:
    trace = trace_of("flannel-nodeport", "shop.fln.abc.com")
    answer = next(h for h in trace.hops if h.kind == "answer")
    assert (
        answer.label == "nginx answers 308\n→ https://shop.fln.abc.com" and answer.verdict is OK
    )  # no "/": as Lua
    assert trace.verdict is OK and not any(e.src == "ingress:shop/shop-ingress" and e.dst.startswith("pod:")
                                           for e in trace.edges)  # fmt: skip
    (redirect,) = [f for f in trace.findings if f.code == "NGINX_SSL_REDIRECT"]
    assert redirect.severity is Severity.INFO and redirect.evidence
    secure = trace_of("flannel-nodeport", "shop.fln.abc.com", port=443)
    ingress = next(h for h in secure.hops if h.kind == "ingress")
    assert (
        dict(ingress.details)["tls"]
        == "ends in nginx, with the certificate of Secret shop/shop-tls (not read)"
    )
    assert any(h.kind == "pod" and h.verdict is OK for h in secure.hops)


def test_flannel_crossing_nodes_quotes_the_vpc_route() -> None:
    trace = trace_of("flannel-nodeport", "shop.fln.abc.com", port=443)
    pod = next(h for h in trace.hops if h.kind == "pod")
    reached = dict(pod.details)["reached"]
    assert reached.startswith("VPC route 172.20.2.0/24 → i-") and "(cn-hangzhou.10.20.1.13)" in reached
    ways = [row for row in trace.step("egress").rows]
    assert ways and all(row["leaves as"] == "10.20.1.13" and "masqueraded" in row["how"] for row in ways)


def test_cluster_policy_masquerades_to_the_node_in_ipvs_and_nftables() -> None:
    for world, domain, node, port in (
        ("terway-nlb", "admin.tnl.abc.com", "cn-hangzhou.10.30.1.11", 32614),
        ("terway-eni-https", "www.tee.abc.com", "cn-hangzhou.10.40.1.11", 30280),
    ):
        trace = trace_of(world, domain, "10.30.1.20" if world == "terway-nlb" else "203.0.113.9")
        hop = next(h for h in trace.hops if h.id == f"nodeport:{node}:{port}")
        node_ip = node.removeprefix("cn-hangzhou.")
        assert hop.leaves is not None and hop.leaves.src == f"{node_ip}:*", hop
        assert "masquerade" in hop.rewrite and "lost" in hop.rewrite


def test_pod_backends_bypass_nodes_and_kube_proxy() -> None:
    trace = trace_of("terway-nlb", "shop.tnl.abc.com", "192.0.2.7")
    kinds = [h.kind for h in trace.hops if h.path is Journey.REQUEST]
    assert "node" not in kinds and "nodeport" not in kinds
    backends = [h for h in trace.hops if h.kind == "backend"]
    assert len(backends) == 2
    controllers = {e.dst for e in trace.edges if e.src in {b.id for b in backends}}
    assert controllers == {h.id for h in trace.hops if h.kind == "controller"}
    assert all(
        c.arrives is not None and c.arrives.src == "192.0.2.7:*" for c in trace.hops if c.kind == "controller"
    )


def test_https_listener_ends_tls_and_nginx_sees_plain_http() -> None:
    trace = trace_of("terway-eni-https", "www.tee.abc.com", "203.0.113.9", 443)
    assert trace.design.tls.startswith("ends at the load balancer (listener HTTPS 443, certificate ")
    listener = next(h for h in trace.hops if h.id.endswith(":443") and h.kind == "listener")
    assert "TLS ends here" in listener.rewrite and "X-Forwarded-For" in listener.rewrite
    backend = next(h for h in trace.hops if h.kind == "backend")
    assert backend.arrives is not None and backend.arrives.src.startswith("a CLB address in 100.64.0.0/10")
    assert not [f for f in trace.findings if f.code == "INGRESS_DEFAULT_CERTIFICATE"]


@dataclass(frozen=True)
class Broken:
    domain: str
    code: str
    hop: str
    hop_verdict: Verdict
    verdict: Verdict
    culprit: str  # in dead_end (a blocked request) or in the finding (a branch or the way out)
    port: int = 80
    journey: Journey = Journey.REQUEST
    client_ip: str | None = None  # the client the scenario is seen by (a VPC client: PrivateZone answers)


SCENARIOS = {
    "flannel-route-missing": Broken(  # on 443: port 80 of this TLS host is answered with 308 first
        "shop.fln.abc.com", "VPC_ROUTE_MISSING", "pod:shop/shop-*", BLOCKED, BLOCKED,
        "Pod CIDR 172.20.2.0/24", port=443,
    ),
    "flannel-local-no-endpoint": Broken(
        "web.fln.abc.com", "LB_BACKENDS_UNHEALTHY", "listener:lb-*:80", BLOCKED, BLOCKED, "is unhealthy"
    ),
    "flannel-nodeport-stale": Broken(
        "web.fln.abc.com", "KUBE_PROXY_NODEPORT_MISSING", "nodeport:cn-hangzhou.10.20.1.14:30581",
        BLOCKED, OK, "no rule for NodePort 30581",
    ),
    "terway-podvsw-no-snat": Broken(
        "shop.tnl.abc.com", "EGRESS_NO_SNAT_ENTRY", "snat:none@vsw-*", BLOCKED, OK, "No SNAT entry",
        journey=Journey.EGRESS,
    ),
    "terway-netpol-denies": Broken(
        "shop.tnl.abc.com", "NETWORK_POLICY_DENIES", "pod:shop/shop-*", BLOCKED, BLOCKED,
        "shop/allow-ingress-nginx, shop/default-deny-ingress select the Pod",
    ),
    "pvtz-record-stale": Broken(  # a VPC client: its resolver answers from PrivateZone's stale record
        "web.fln.abc.com", "INGRESS_STATUS_ADDRESS_DIFFERS", "dns:web.fln.abc.com", OK, BLOCKED,
        "203.0.113.59", client_ip="10.20.1.50",
    ),
    "tee-pod-sg-denies": Broken(
        "www.tee.abc.com", "POD_SECURITY_GROUP_DENIES", "controller:kube-system/nginx-ingress-controller-*",
        BLOCKED, BLOCKED, "is unhealthy",
    ),
    "tee-https-to-tls-port": Broken(
        "www.tee.abc.com", "NGINX_PLAIN_HTTP_TO_TLS_PORT", "answer:www.tee.abc.com/", BLOCKED, BLOCKED,
        "The plain HTTP request was sent to HTTPS port", port=443,
    ),
    "alb-no-rule-matches": Broken(
        "www.alb.abc.com", "ALB_NO_RULE_MATCHES", "alb-rule:lsn-*:default", OK, BLOCKED,
        "rule-80-3 (priority 3): Path /shop or /shop/* does not match /",
    ),
    "alb-group-unhealthy": Broken(
        "www.alb.abc.com", "ALB_GROUP_UNHEALTHY", "alb-group:sgp-*", BLOCKED, BLOCKED,
        "10.30.64.21:8080 Unhealthy, 10.30.80.21:8080 Unhealthy",
    ),
    "alb-instance-nodeport-stale": Broken(
        "store.fln.abc.com", "ALB_GROUP_NODEPORT_STALE", "nodeport:cn-hangzhou.10.20.1.11:30910", BLOCKED,
        BLOCKED, "Server group app-store-80 (sgp-07d0c22a181109741434) sends requests to NodePort 30910",
    ),
    "alb-rule-drift": Broken(
        "api.alb.abc.com", "ALB_INGRESS_RULE_MISSING", "alb-rule:lsn-*:default", BLOCKED, BLOCKED,
        "Ingress shop/api-alb asks for a rule on host api.alb.abc.com path /*",
    ),
    "alb-netpol-denies": Broken(
        "www.alb.abc.com", "NETWORK_POLICY_DENIES", "pod:shop/shop-*", BLOCKED, BLOCKED,
        "no ingress rule allows source 10.30.1.0/24 on TCP 8080",
    ),
    "gateway-route-not-accepted": Broken(
        "store.gw.alb.abc.com", "GATEWAY_ROUTE_NOT_ACCEPTED", "httproute:shop/store", BLOCKED, BLOCKED,
        "Accepted is False (NoMatchingParent): Gateway shop/alb-gw has no listener named https",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_design_scenario_yields_its_finding(name: str) -> None:
    expect = SCENARIOS[name]
    trace = trace_of(name, expect.domain, expect.client_ip, port=expect.port)
    found = [f for f in trace.findings if f.code == expect.code and matches(expect.hop, f.hop)]
    assert found, sorted((f.code, f.hop) for f in trace.findings)
    finding = found[0]
    assert finding.evidence and finding.check, "quotes its evidence and says how to check by hand"
    hop = next(h for h in trace.hops if h.id == finding.hop)
    assert hop.verdict is expect.hop_verdict
    assert trace.verdict is expect.verdict
    if expect.journey is Journey.EGRESS:
        assert trace.verdict_of(Journey.EGRESS) is BLOCKED and expect.culprit in finding.message
    elif expect.verdict is OK:  # a branch the request loses
        assert expect.culprit in dict((h.id, why) for h, why in trace.blocked_branches)[finding.hop]
    else:
        assert expect.culprit in dead_end(trace) or expect.culprit in finding.message
        assert expect.culprit in dead_end(trace) + " ".join(f.message for f in trace.findings)


def test_plain_http_to_the_tls_port_is_the_only_fault() -> None:
    trace = trace_of("tee-https-to-tls-port", "www.tee.abc.com", port=443)
    raised = {(f.code, f.hop) for f in trace.findings if f.severity is not Severity.INFO}
    assert raised == {("NGINX_PLAIN_HTTP_TO_TLS_PORT", "answer:www.tee.abc.com/")}


def test_only_the_idle_backend_is_told_apart_from_a_real_fault() -> None:
    trace = trace_of("flannel-local-no-endpoint", "web.fln.abc.com")
    idle = {f.hop for f in trace.findings if f.code == "LB_BACKEND_NO_LOCAL_ENDPOINT"}
    assert idle == {"backend:10.20.1.11:30581", "backend:10.20.1.12:30581", "backend:10.20.1.14:30581"}


@pytest.mark.parametrize("order", [(1, 0, 2, 3), (3, 1, 0, 2), (2, 3, 1, 0)])
def test_an_unhealthy_backend_never_carries_the_request(tmp_path: Path, order: tuple[int, ...]) -> None:
    """Wherever the unhealthy backends stand in the server group, the controllers read are the ones
    behind healthy backends and the unhealthy ones are blocked branches."""
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root("flannel-nodeport")), root)
    for group in (root / "cloud/slb/DescribeVServerGroupAttribute").iterdir():
        body = json.loads(group.read_text())
        if "/nginx-ingress-lb/" not in body["VServerGroupName"]:
            continue  # fln-mqtt-lb's group (the L4 Service's) is not web's
        servers = body["BackendServers"]["BackendServer"]
        body["BackendServers"]["BackendServer"] = [servers[i] for i in order]
        group.write_text(json.dumps(body))
    trace = Workbook.from_world(root).trace("web.fln.abc.com")
    assert trace.verdict is OK
    read = {v.controller.node for v in trace.step("ingress").views}
    assert read == {"cn-hangzhou.10.20.1.11", "cn-hangzhou.10.20.1.14"}  # the healthy backends' nodes
    assert {h.id for h, _ in trace.blocked_branches} == {
        "backend:10.20.1.13:30581",
        "backend:10.20.1.12:30581",
    }
    first = [h.id for h in trace.hops if h.kind == "backend"][0]
    assert (
        first == f"backend:10.20.1.1{[1, 3, 4, 2][order[0]]}:30581"
    )  # the group's order is kept in the table


def test_alb_answers_an_ssl_redirect_itself_and_forwards_to_pod_ips() -> None:
    """Port 80 of pay.alb (tls, ssl-redirect) ends at the ALB's own 301; www reaches shop's Pod IPs
    straight from the Ip server group, with no controller Pod, NodePort or kube-proxy hop."""
    trace = trace_of("alb-gateway", "pay.alb.abc.com")
    assert trace.verdict is OK and dead_end(trace) == ""
    answer = next(h for h in trace.hops if h.kind == "answer")
    assert " ".join(answer.label.split()) == "ALB answers 301 → https://pay.alb.abc.com/"
    assert [f.code for f in trace.findings if f.code.startswith("ALB_")] == ["ALB_ANSWERS"]
    assert not any(h.kind == "pod" for h in trace.hops)
    www = trace_of("alb-gateway", "www.alb.abc.com")
    kinds = [h.kind for h in www.hops if h.path is Journey.REQUEST]
    assert kinds[:6] == ["client", "dns", "lb", "listener", "listener", "ingress"]
    assert not {"controller", "node", "ipvs", "nodeport"} & set(kinds)
    group = next(h for h in www.hops if h.id.startswith("alb-group:"))
    assert dict(group.details)["service"] == "shop/shop/8080"
    pods = {e.dst for e in www.edges if e.src == group.id}
    assert sorted(pods) == sorted(h.id for h in www.hops if h.kind == "pod") and len(pods) == 2


def test_front_door_is_decided_by_what_owns_the_name() -> None:
    """One world, two front doors: shop.tnl's CNAME names the NLB (ingress-nginx behind it), www.alb's
    names the ALB (its rules behind it) — decided by the cloud's answers, not by a flag."""
    nlb, alb = trace_of("alb-gateway", "shop.tnl.abc.com"), trace_of("alb-gateway", "www.alb.abc.com")
    assert nlb.design.load_balancer.startswith("NLB") and alb.design.load_balancer == "ALB k8s-alb-tab"
    assert any(h.kind == "controller" for h in nlb.hops) and not any(h.kind == "controller" for h in alb.hops)
    rule = next(h for h in alb.hops if h.id.startswith("alb-rule:"))
    assert " ".join(rule.label.split()) == "ALB rule rule-80-3 (priority 3) www.alb.abc.com/"
    lb = next(h for h in alb.hops if h.kind == "lb")
    assert dict(lb.details)["product"] == "ALB" and dict(lb.details)["albconfig"] == "alb"


def test_an_alb_instance_group_is_followed_through_kube_proxy_to_the_pods() -> None:
    """store.fln: ALB rule → server group of type Instance → each Ecs server (node on the NodePort) →
    kube-proxy's iptables NodePort rule there (externalTrafficPolicy Cluster: masquerade, any node's
    Pod) → the Service's two Pods, from every node."""
    trace = trace_of("flannel-nodeport", "store.fln.abc.com", "192.0.2.7")
    nodes = ("10.20.1.11", "10.20.1.12", "10.20.1.13", "10.20.1.14")
    request = [h.id for h in trace.hops if h.path is Journey.REQUEST]
    group = next(h for h in trace.hops if h.id.startswith("alb-group:"))
    assert request[:5] == ["client", "dns:store.fln.abc.com", "lb:alb-bp1ymwep0z16rsdzdndm",
                           "listener:alb-bp1ymwep0z16rsdzdndm:80", request[4]]  # fmt: skip
    assert request[4].startswith("alb-rule:lsn-") and ("type", "Instance") in group.details
    assert [h.id for h in trace.hops if h.kind == "backend" and h.id.startswith("backend:")] == [
        f"backend:{ip}:30910" for ip in nodes
    ]
    assert [h.id for h in trace.hops if h.kind == "nodeport"] == [
        f"nodeport:cn-hangzhou.{ip}:30910" for ip in nodes
    ]
    hop = next(h for h in trace.hops if h.id == "nodeport:cn-hangzhou.10.20.1.13:30910")
    assert "iptables KUBE-SVC-" in hop.label and str(hop.arrives) == "an ALB address:* → 10.20.1.13:30910"
    assert str(hop.leaves) == "10.20.1.13:* → 172.20.0.8:8080, 172.20.1.5:8080"
    assert "masquerade to the node's address 10.20.1.13" in hop.rewrite
    pods = sorted(h.id for h in trace.hops if h.kind == "pod")
    to_pods = {(e.src, e.dst) for e in trace.edges if e.dst in pods and e.path is Journey.REQUEST}
    assert to_pods == {(f"nodeport:cn-hangzhou.{ip}:30910", pod) for ip in nodes for pod in pods}
    assert trace.verdict is OK and all(h.verdict is OK for h in trace.hops if h.id in pods)
    assert not any(h.kind == "controller" for h in trace.hops)  # no controller Pod on the data path


def test_a_stale_alb_instance_group_is_one_finding_and_nothing_after_it_reads_ok() -> None:
    trace = trace_of("alb-instance-nodeport-stale", "store.fln.abc.com")
    errors = [f for f in trace.findings if f.severity is Severity.ERROR]
    assert [f.code for f in errors] == ["ALB_GROUP_NODEPORT_STALE"]
    (stale,) = errors
    assert "app-store-80" in stale.message and "NodePort 30910" in stale.message
    assert "nodePort 31574" in stale.message
    assert [e.excerpt for e in stale.evidence[:2]] == ["[30910]", "31574"]
    assert {h.id: h.verdict for h in trace.hops if h.kind in ("nodeport", "pod")} == {
        **{f"nodeport:cn-hangzhou.10.20.1.1{i}:30910": BLOCKED for i in range(1, 5)},
        **{h.id: NOT_REACHED for h in trace.hops if h.kind == "pod"},
    }


def test_networkpolicy_weighs_the_albs_vswitch_ranges(tmp_path: Path) -> None:
    """The ALB connects to Pods from addresses of its vSwitches: allow-alb lets both ranges in; a
    policy holding only half of one range leaves the Pod unknown (which address sends decides),
    never allowed or refused by guess."""
    trace = trace_of("alb-gateway", "www.alb.abc.com")
    pods = [h for h in trace.hops if h.kind == "pod"]
    assert pods and all(
        dict(h.details)["network policy"] == "shop/allow-alb ingress[0] allows it" for h in pods
    )
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root("alb-gateway")), root)
    path = root / "kube/networkpolicies.json"
    body = json.loads(path.read_text())
    allow = next(p for p in body["items"] if p["metadata"]["name"] == "allow-alb")
    allow["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] = "10.30.1.0/25"
    path.write_text(json.dumps(body))
    partly = Workbook.from_world(root).trace("www.alb.abc.com")
    found = [f for f in partly.findings if f.code == "NETWORK_POLICY_PARTLY"]
    assert found and all(f.severity is Severity.WARNING for f in found)
    assert "shop/allow-alb ingress[0] allows only part of 10.30.1.0/24 on TCP 8080" in found[0].message
    assert "ALB k8s-alb-tab, from addresses of its vSwitches" in found[0].message
    assert all(h.verdict is Verdict.UNKNOWN for h in partly.hops if h.kind == "pod")
    assert partly.verdict is Verdict.UNKNOWN and not [
        f for f in partly.findings if f.code == "NETWORK_POLICY_DENIES"
    ]
