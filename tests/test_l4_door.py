"""The L4 Service front door, traced in the two design worlds that hold one, and the front-door
decision read from the world: which Service owns the load balancer, never a flag.

flannel-nodeport: Service app/mqtt (TCP 1883, externalTrafficPolicy Local) owns fln-mqtt-lb, a
CLB whose vServer group holds nodes 10.20.1.11 and 10.20.1.14 on NodePort 31883; its Pods are
172.20.0.6 (node 1) and 172.20.3.5 (node 4). terway-nlb: Service ops/redis (TCP 6379,
sessionAffinity ClientIP) owns tnl-redis-nlb, whose server group of type Ip holds the Pod IPs
10.30.64.24 and 10.30.80.24. Expectations are written from those facts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Path as Journey
from ackwb.model import Severity, Trace, Verdict
from ackwb.steps.front_door import Door, decide
from ackwb.trace import dead_end

OK, BLOCKED = Verdict.OK, Verdict.BLOCKED
LB_ID_LABEL = "service.k8s.alibaba/loadbalancer-id"


def trace_of(world: str | Path, domain: str, port: int, client_ip: str | None = None) -> Trace:
    book = Workbook.from_world(world) if isinstance(world, Path) else Workbook.demo(world)
    return book.trace(domain, client_ip=client_ip, port=port)


def kinds(trace: Trace) -> set[str]:
    return {h.kind for h in trace.hops}


def edges_into(trace: Trace, prefix: str) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in trace.edges if e.dst.startswith(prefix)}


def raised(trace: Trace) -> set[tuple[str, str]]:
    return {(f.code, f.hop) for f in trace.findings if f.severity is not Severity.INFO}


def test_mqtt_on_a_clb_goes_nodeport_to_the_local_pod_with_no_controller() -> None:
    trace = trace_of("flannel-nodeport", "mqtt.fln.abc.com", 1883, "192.0.2.7")
    assert trace.verdict is OK and dead_end(trace) == ""
    assert trace.design.summary() == "this cluster: Flannel, iptables, CLB → ECS:NodePort, Local"
    assert not {"controller", "ingress", "answer"} & kinds(trace)
    request = [h.id for h in trace.hops if h.path is Journey.REQUEST and h.kind in ("backend", "nodeport")]
    assert request == [
        "backend:10.20.1.11:31883",
        "backend:10.20.1.14:31883",
        "nodeport:cn-hangzhou.10.20.1.11:31883",
        "nodeport:cn-hangzhou.10.20.1.14:31883",
    ]
    pods = {h.id: h for h in trace.hops if h.kind == "pod"}
    by_ip = {h.label.split("\n")[1]: h for h in pods.values()}
    assert set(by_ip) == {"172.20.0.6:1883", "172.20.3.5:1883"}
    assert all(h.verdict is OK and h.path is Journey.REQUEST for h in pods.values())
    # Local: each NodePort leads to its own node's Pod only, keeping the client's address
    one, four = by_ip["172.20.0.6:1883"], by_ip["172.20.3.5:1883"]
    assert edges_into(trace, "pod:") == {
        ("nodeport:cn-hangzhou.10.20.1.11:31883", one.id),
        ("nodeport:cn-hangzhou.10.20.1.14:31883", four.id),
    }
    assert str(one.arrives) == "192.0.2.7:* → 172.20.0.6:1883"
    nodeport = next(h for h in trace.hops if h.id == "nodeport:cn-hangzhou.10.20.1.11:31883")
    assert "KUBE-SVL-" in nodeport.label and "client's address is kept" in nodeport.rewrite
    assert "Pod of Service app/mqtt" in nodeport.rewrite
    service = next(h for h in trace.hops if h.id == "service:app/mqtt")
    assert dict(service.details)["external traffic policy"] == "Local"
    assert dict(service.details)["session affinity"] == "None"
    assert raised(trace) == set()
    door = next(f for f in trace.findings if f.code == "FRONT_DOOR_L4")
    assert door.hop == "service:app/mqtt" and "externalTrafficPolicy Local" in door.message
    assert door.evidence[0].excerpt == '{"app": "mqtt"}'
    row = trace.step("ingress").rows[0]
    assert row["front door"] == "L4 Service" and row["service"] == "app/mqtt" and row["listener port"] == 1883
    assert trace.verdict_of(Journey.EGRESS) is OK


def test_redis_on_an_nlb_goes_straight_to_the_pod_ips() -> None:
    trace = trace_of("terway-nlb", "redis.tnl.abc.com", 6379)
    assert trace.verdict is OK and dead_end(trace) == ""
    # no kube-proxy on this path, so its mode is not read (and not guessed)
    assert trace.design.summary() == "this cluster: Terway, kube-proxy mode not read, NLB → Pod IP, Cluster"
    assert not {"controller", "ingress", "nodeport", "kube-proxy"} & kinds(trace)
    pods = {h.label.split("\n")[1]: h.id for h in trace.hops if h.kind == "pod"}
    assert set(pods) == {"10.30.64.24:6379", "10.30.80.24:6379"}
    assert edges_into(trace, "pod:") == {
        ("backend:10.30.64.24:6379", pods["10.30.64.24:6379"]),
        ("backend:10.30.80.24:6379", pods["10.30.80.24:6379"]),
    }
    service = dict(next(h for h in trace.hops if h.id == "service:ops/redis").details)
    assert service["session affinity"] == "ClientIP (10800 s)" and service["type"] == "LoadBalancer"
    door = next(f for f in trace.findings if f.code == "FRONT_DOOR_L4")
    assert (
        "no NodePort, no kube-proxy" in door.message
        and "kube-proxy's, which is not on this path" in door.message
    )
    assert raised(trace) == set()


def test_l4_mqtt_not_ready_every_backend_fails_the_local_check() -> None:
    trace = trace_of("l4-mqtt-not-ready", "mqtt.fln.abc.com", 1883)
    assert trace.verdict is BLOCKED
    assert dead_end(trace) == "every backend of rsp-bp1xfjxguh1gklemt4g5 is unhealthy"
    unhealthy = {f.hop: f for f in trace.findings if f.code == "LB_BACKEND_UNHEALTHY"}
    assert set(unhealthy) == {"backend:10.20.1.11:31883", "backend:10.20.1.14:31883"}
    message = unhealthy["backend:10.20.1.11:31883"].message
    assert "the Pod of Service app/mqtt on node cn-hangzhou.10.20.1.11" in message and "not ready" in message
    assert ("LB_BACKENDS_UNHEALTHY", "listener:lb-bp1psqr551jr1jt46hv2z:1883") in raised(trace)
    assert not {"controller", "ingress"} & kinds(trace)
    assert all(h.verdict is BLOCKED for h in trace.hops if h.kind == "backend")


def test_l4_redis_server_group_stale_the_ready_pods_are_no_backend() -> None:
    trace = trace_of("l4-redis-server-group-stale", "redis.tnl.abc.com", 6379)
    assert trace.verdict is BLOCKED
    gone = {f.hop for f in trace.findings if f.code == "L4_BACKEND_NOT_A_POD"}
    assert gone == {"backend:10.30.64.24:6379", "backend:10.30.80.24:6379"}
    lost = [f for f in trace.findings if f.code == "L4_POD_NOT_A_BACKEND"]
    assert sorted(f.evidence[0].excerpt for f in lost) == ["10.30.64.25", "10.30.80.25"]
    assert all(
        f.severity is Severity.ERROR and "10.30.64.24:6379, 10.30.80.24:6379" in f.message for f in lost
    )
    pods = [h for h in trace.hops if h.kind == "pod"]
    # the Pods themselves are fine (ready, and their way out works); nothing on the request path leads there
    assert len(pods) == 2 and all(h.verdict is OK for h in pods)
    assert edges_into(trace, "pod:") == set() and {f.hop for f in lost} == {h.id for h in pods}


def test_one_world_decides_nginx_and_l4_doors_from_its_data() -> None:
    web = trace_of("flannel-nodeport", "web.fln.abc.com", 80)
    mqtt = trace_of("flannel-nodeport", "mqtt.fln.abc.com", 1883)
    assert web.step("ecs").door is Door.NGINX and "controller" in kinds(web)
    assert "selects the ingress-nginx controller Pods" in web.step("ecs").decision.why
    assert mqtt.step("ecs").door is Door.L4_SERVICE and "controller" not in kinds(mqtt)
    shop = trace_of("terway-nlb", "shop.tnl.abc.com", 80)
    redis = trace_of("terway-nlb", "redis.tnl.abc.com", 6379)
    assert shop.step("ecs").door is Door.NGINX and redis.step("ecs").door is Door.L4_SERVICE


def _move_owner(root: Path, lb_id: str, to: tuple[str, str]) -> None:
    """The load balancer's ID label leaves the Service that carries it and goes to ``to``."""
    path = root / "kube" / "services.json"
    body = json.loads(path.read_text())
    for service in body["items"]:
        labels = service["metadata"].setdefault("labels", {})
        if labels.get(LB_ID_LABEL) == lb_id:
            del labels[LB_ID_LABEL]
        if (service["metadata"]["namespace"], service["metadata"]["name"]) == to:
            labels[LB_ID_LABEL] = lb_id
    path.write_text(json.dumps(body))


@pytest.fixture
def fln(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root("flannel-nodeport")), root)
    return root


def test_the_same_load_balancer_owned_by_the_controller_service_is_an_nginx_door(fln: Path) -> None:
    mqtt_lb = trace_of("flannel-nodeport", "mqtt.fln.abc.com", 1883).step("slb").load_balancer_id
    _move_owner(fln, mqtt_lb, ("kube-system", "nginx-ingress-lb"))
    trace = trace_of(fln, "mqtt.fln.abc.com", 1883)
    assert (
        trace.step("ecs").door is Door.NGINX and trace.step("ecs").service == "kube-system/nginx-ingress-lb"
    )
    assert "FRONT_DOOR_L4" not in {f.code for f in trace.findings}
    # nginx is asked now, and it has no server block for an MQTT host
    assert any(h.kind == "ingress" for h in trace.hops) and trace.verdict is not OK


def test_the_controllers_load_balancer_owned_by_an_app_service_is_an_l4_door(fln: Path) -> None:
    public_lb = trace_of("flannel-nodeport", "web.fln.abc.com", 80).step("slb").load_balancer_id
    _move_owner(fln, public_lb, ("app", "web"))
    trace = trace_of(fln, "web.fln.abc.com", 80)
    assert trace.step("ecs").door is Door.L4_SERVICE and trace.step("ecs").service == "app/web"
    assert not {"controller", "ingress"} & kinds(trace)
    # the NodePort still leads to the controller Pods, which are no Pod of app/web
    stale = {f.code for f in trace.findings if f.hop.startswith("nodeport:")}
    assert "KUBE_PROXY_NODEPORT_STALE" in stale


def _service(labels: dict[str, str], selector: dict[str, str], namespace: str = "kube-system") -> dict:
    return {
        "metadata": {"namespace": namespace, "name": "s", "labels": labels},
        "spec": {"selector": selector},
    }


def test_decide_reads_envoy_labels_the_selector_and_no_owner() -> None:
    envoy = _service(
        {
            "gateway.envoyproxy.io/owning-gateway-name": "eg",
            "gateway.envoyproxy.io/owning-gateway-namespace": "default",
        },
        {"app.kubernetes.io/name": "envoy"},
        "envoy-gateway-system",
    )
    decision = decide(envoy, [], "app=ingress-nginx")
    assert decision.door is Door.ENVOY_GATEWAY and "Gateway default/eg" in decision.why
    controller = {"metadata": {"namespace": "kube-system", "labels": {"app": "ingress-nginx", "x": "1"}}}
    assert (
        decide(_service({}, {"app": "ingress-nginx"}), [controller], "app=ingress-nginx").door is Door.NGINX
    )
    # the same selector in another namespace selects none of the controller Pods
    other = _service({}, {"app": "ingress-nginx"}, "app")
    assert decide(other, [controller], "app=ingress-nginx").door is Door.L4_SERVICE
    # controller Pods unseen: the selector they are listed by stands for them
    assert decide(_service({}, {"app": "ingress-nginx"}), [], "app=ingress-nginx").door is Door.NGINX
    assert decide(_service({}, {"app": "mqtt"}), [], "app=ingress-nginx").door is Door.L4_SERVICE
    assert decide(None, [controller], "app=ingress-nginx").door is Door.NGINX


def test_a_load_balancer_owned_by_an_envoy_gateway_proxy_is_followed_to_its_gateway(fln: Path) -> None:
    """The Envoy door is followed to the Gateway the proxy Service names; this world stores no Gateway
    API objects, so the Gateway is unknown (not captured), never "does not exist", and nothing after
    it reads ok (tests/test_envoy_gateway.py traces worlds that hold them)."""
    public_lb = trace_of("flannel-nodeport", "web.fln.abc.com", 80).step("slb").load_balancer_id
    path = fln / "kube" / "services.json"
    body = json.loads(path.read_text())
    for service in body["items"]:
        if service["metadata"].get("labels", {}).get(LB_ID_LABEL) == public_lb:
            service["metadata"]["labels"]["gateway.envoyproxy.io/owning-gateway-name"] = "eg"
            service["metadata"]["labels"]["gateway.envoyproxy.io/owning-gateway-namespace"] = "envoy"
    path.write_text(json.dumps(body))
    trace = trace_of(fln, "web.fln.abc.com", 80)
    assert trace.step("ecs").door is Door.ENVOY_GATEWAY
    assert "FRONT_DOOR_NOT_FOLLOWED" not in {f.code for f in trace.findings}
    assert trace.step("ingress").rows[0]["front door"] == "Envoy Gateway proxy"  # the decision, kept
    gateway = next(h for h in trace.hops if h.id == "gateway:envoy/eg")
    assert gateway.verdict is Verdict.UNKNOWN
    assert ("SOURCE_NOT_CAPTURED", "gateway:envoy/eg") in {(f.code, f.hop) for f in trace.findings}
    assert trace.verdict is Verdict.UNKNOWN
    assert not any(h.verdict is OK for h in trace.hops if h.kind in {"service", "pod"})
    assert not any(h.id.startswith("ingress:") for h in trace.hops)  # nginx was not asked


# --- NetworkPolicy behind an L4 Service -------------------------------------------------------------


def _redis_world(tmp_path: Path, preserve: bool = True) -> Path:
    """terway-nlb (Terway enforces NetworkPolicy) with a policy in ops letting only 203.0.113.0/24
    reach redis; ``preserve`` False turns the NLB server group's client address preservation off."""
    root = tmp_path / "tnl"
    shutil.copytree(str(demo_world_root("terway-nlb")), root)
    path = root / "kube/networkpolicies.json"
    body = json.loads(path.read_text())
    rule = {"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 6379, "protocol": "TCP"}]}
    spec = {"podSelector": {"matchLabels": {"app": "redis"}}, "policyTypes": ["Ingress"], "ingress": [rule]}
    meta = {"name": "redis-clients", "namespace": "ops"}
    body["items"].append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta,
                          "spec": spec})  # fmt: skip
    path.write_text(json.dumps(body))
    groups = root / "cloud/nlb/ListServerGroups.json"
    listed = json.loads(groups.read_text())
    for group in listed["ServerGroups"]:
        if "/redis/" in group["ServerGroupName"]:
            group["PreserveClientIpEnabled"] = preserve
    groups.write_text(json.dumps(listed))
    return root


@pytest.mark.parametrize(
    ("client_ip", "verdict", "code"),
    [("203.0.113.9", OK, None), ("198.51.100.9", BLOCKED, "NETWORK_POLICY_DENIES"),
     (None, Verdict.DEPENDS, "NETWORK_POLICY_PARTLY")],
)  # fmt: skip
def test_a_pod_ip_backend_sees_the_client_and_networkpolicy_weighs_it(
    tmp_path: Path, client_ip: str | None, verdict: Verdict, code: str | None
) -> None:
    """The NLB keeps the client's address: policy redis-clients decides by the client, and with no
    client IP it depends on the client (never blocked by guess)."""
    trace = trace_of(_redis_world(tmp_path), "redis.tnl.abc.com", 6379, client_ip)
    pods = [h for h in trace.hops if h.kind == "pod"]
    assert len(pods) == 2 and {h.verdict for h in pods} == {verdict}
    assert trace.verdict is verdict
    found = [f for f in trace.findings if f.code.startswith("NETWORK_POLICY")]
    assert {f.code for f in found} == ({code} if code else set())
    if code == "NETWORK_POLICY_DENIES":
        assert "no ingress rule allows source 198.51.100.9 on TCP 6379" in found[0].message
        assert found[0].message.endswith("The sender is the client 198.51.100.9.")
    if code == "NETWORK_POLICY_PARTLY":
        assert "any internet client: which client sends it decides" in found[0].message


def test_without_client_address_preservation_the_pod_sees_the_nlbs_own_addresses(tmp_path: Path) -> None:
    trace = trace_of(_redis_world(tmp_path, preserve=False), "redis.tnl.abc.com", 6379, "203.0.113.9")
    (denied, *_) = [f for f in trace.findings if f.code == "NETWORK_POLICY_DENIES"]
    assert (
        "The sender is NLB tnl-redis-nlb, from its own addresses (10.30.1.0/24, 10.30.2.0/24)."
        in denied.message
    )
    assert trace.verdict is BLOCKED


def test_masqueraded_nodeport_traffic_is_not_weighed_by_guess(tmp_path: Path) -> None:
    """The intranet CLB made redis's (listener 6379 → NodePort 31379; externalTrafficPolicy
    Cluster): kube-proxy masquerades to an address of the node it chose, so a policy that admits
    only some sources leaves redis's Pods unknown, never allowed or refused by guess."""
    root = _redis_world(tmp_path)
    intranet = trace_of("terway-nlb", "admin.tnl.abc.com", 80).step("slb").load_balancer_id
    _move_owner(root, intranet, ("ops", "redis"))
    for relative in ("cloud/slb/DescribeVServerGroupAttribute", "cloud/slb/DescribeHealthStatus"):
        for stored in (root / relative).iterdir():  # as CCM writes it: redis's port and NodePort
            stored.write_text(
                stored.read_text()
                .replace("32614", "31379")
                .replace('"ListenerPort": 80,', '"ListenerPort": 6379,')
            )
    listeners = root / "cloud/slb/DescribeLoadBalancerListeners.json"
    body = json.loads(listeners.read_text())
    for listener in body["Listeners"]:
        if listener["LoadBalancerId"] == intranet:
            listener["ListenerPort"] = 6379
    listeners.write_text(json.dumps(body))
    trace = trace_of(root, "admin.tnl.abc.com", 6379)
    assert trace.step("ecs").door is Door.L4_SERVICE and trace.step("ecs").traffic_policy == "Cluster"
    found = [f for f in trace.findings if f.code == "NETWORK_POLICY_NOT_WEIGHED"]
    pods = [h for h in trace.hops if h.kind == "pod"]
    assert len(pods) == 2 and {f.hop for f in found} == {h.id for h in pods}
    assert all(h.verdict is Verdict.UNKNOWN for h in pods)
    assert "ops/redis-clients" in found[0].message and "masquerades" in found[0].message
