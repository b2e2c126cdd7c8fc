"""Every step on the built-in demo world, and on small edits of it for the bad-input cases.

The expected values are the demo world's facts as DESIGN.md section 3 states them
(addresses, names); the edits change one fact and check the step names it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.errors import Forbidden, InputError, Unreachable
from ackwb.model import Path as PathKind
from ackwb.model import Severity, Verdict
from ackwb.sources import Sources
from ackwb.trace import dead_end

PUBLIC_LB, PRIVATE_LB, EGRESS_EIP = "203.0.113.10", "198.51.100.20", "203.0.113.200"


@pytest.fixture(scope="module")
def wb() -> Workbook:
    return Workbook.demo()


def codes(trace_or_step) -> set[str]:
    return {f.code for f in trace_or_step.findings}


def hop(trace, kind: str):
    return [h for h in trace.hops if h.kind == kind]


def test_app1_follows_the_article_path(wb: Workbook) -> None:
    t = wb.trace("app1.qas.abc.com")
    assert [h.label for h in hop(t, "lb")] == [f"public-lb\n{PUBLIC_LB}"]
    assert sorted(h.label for h in hop(t, "listener")) == ["listener TCP 443", "listener TCP 80"]
    node_ips = {h.label.split("\n")[1] for h in hop(t, "node")}
    assert {h.label.split()[1].split(":")[0] for h in hop(t, "backend")} == node_ips
    assert [h.label.split("\n")[0] for h in hop(t, "ingress")] == ["Ingress app1-service-ingress"]
    assert hop(t, "service")[0].label == "Service app1-service\n192.168.195.85:8080"
    assert hop(t, "ipvs")[0].label.startswith("IPVS rr 192.168.195.85:8080")
    assert [h.label.split("\n")[1] for h in hop(t, "pod")] == ["10.17.10.91:8080"]
    assert [h.label.split("\n")[0] for h in hop(t, "eip")] == [f"EIP {EGRESS_EIP}"]
    assert EGRESS_EIP not in (PUBLIC_LB, PRIVATE_LB)
    assert t.verdict is Verdict.OK
    assert not [f for f in t.findings if f.severity is Severity.ERROR]


def test_ingress_nginx_balances_to_pod_ips_unless_service_upstream(wb: Workbook) -> None:
    app1 = wb.trace("app1.qas.abc.com")
    request_edges = {
        (e.src.split(":")[0], e.dst.split(":")[0]) for e in app1.edges if e.path is PathKind.REQUEST
    }
    assert ("ingress", "pod") in request_edges
    assert hop(app1, "service")[0].path is PathKind.IN_CLUSTER
    assert hop(app1, "ipvs")[0].path is PathKind.IN_CLUSTER

    app2 = wb.trace("app2.qas.abc.com")
    ing = app2.step("ingress")
    assert ing.service_upstream and ing.backend_endpoints == ["192.168.37.214:8080"]
    assert hop(app2, "service")[0].path is PathKind.REQUEST
    request_edges = {
        (e.src.split(":")[0], e.dst.split(":")[0]) for e in app2.edges if e.path is PathKind.REQUEST
    }
    assert ("ingress", "pod") not in request_edges
    assert ("kube-proxy", "pod") in request_edges
    assert sorted(p.ip for p in app2.step("pod").pods) == ["10.17.10.92", "10.17.10.93"]


def test_steps_chain_like_the_article(wb: Workbook) -> None:
    r = wb.dns("app1.qas.abc.com")
    assert r.addresses == [PUBLIC_LB] and r.cloud_records[0]["Value"] == PUBLIC_LB
    lb = wb.slb(r)
    assert lb.load_balancer_name == "public-lb" and [li.port for li in lb.listeners] == [80, 443]
    assert all(b.type == "eni" and b.port == 80 for b in lb.backends)
    nodes = wb.ecs(lb)
    assert all(c.host_network for c in nodes.controller_pods) and nodes.controller_pods
    ing = wb.ingress(nodes)
    assert (ing.namespace, ing.ingress_name, ing.service_name, ing.service_port) == (
        "app",
        "app1-service-ingress",
        "app1-service",
        "8080",
    )
    assert ing.backend_endpoints == ["10.17.10.91:8080"]
    svc = wb.service(ing)
    assert svc.cluster_dns_name == "app1-service.app.svc.cluster.local"
    assert svc.resolved_ips == [svc.cluster_ip] == ["192.168.195.85"]
    kp = wb.kube_proxy(svc)
    assert kp.mode == "ipvs" and kp.virtual_service.scheduler == "rr"
    assert [(rs.address, rs.port, rs.forward) for rs in kp.virtual_service.real_servers] == [
        ("10.17.10.91", 8080, "Masq")
    ]
    pods = wb.pod(kp)
    assert [p.ready for p in pods.pods] == [True]
    out = wb.egress(pods)
    assert out.egress_ips == [EGRESS_EIP] and out.ingress_ip == PUBLIC_LB
    for result in (r, lb, nodes, ing, svc, kp, pods, out):
        assert result.rows and result.hops and "<table" in result._repr_html_()


def test_private_lb_lists_its_acl_and_judges_clients(wb: Workbook) -> None:
    anyone = wb.trace("app3.qas.abc.com")
    lb = anyone.step("slb")
    assert lb.load_balancer_name == "private-lb" and lb.address == PRIVATE_LB
    entries = {row["acl entry"] for row in lb.rows}
    assert {"192.0.2.0/24 office-hangzhou", "198.51.100.64/26 vpn"} <= entries
    assert "LB_ACL_LIMITS_SOURCES" in codes(anyone)

    office = wb.trace("app3.qas.abc.com", client_ip="192.0.2.44")
    assert "LB_ACL_ALLOWS_CLIENT" in codes(office) and office.verdict is Verdict.OK
    allowed = next(f for f in office.findings if f.code == "LB_ACL_ALLOWS_CLIENT")
    assert "192.0.2.0/24" in allowed.message

    outsider = wb.trace("app3.qas.abc.com", client_ip="203.0.113.7")
    denied = next(f for f in outsider.findings if f.code == "LB_ACL_DENIES_CLIENT")
    assert denied.severity is Severity.ERROR and denied.hop.startswith("listener:")
    assert outsider.verdict is Verdict.BLOCKED


def test_unknown_domain_is_a_finding_not_an_exception(wb: Workbook) -> None:
    t = wb.trace("no-such.qas.abc.com")
    assert [s.step for s in t.steps] == ["dns"]
    assert codes(t) == {"DNS_NAME_NOT_FOUND"} and "no-such.qas.abc.com" in t.findings[0].message
    assert "DNS_INVALID_NAME" in codes(wb.trace("not a domain"))


def test_port_without_listener(wb: Workbook) -> None:
    t = wb.trace("app1.qas.abc.com", port=8443)
    finding = next(f for f in t.findings if f.code == "LB_NO_LISTENER_FOR_PORT")
    assert "8443" in finding.message and "80, 443" in finding.message
    assert t.verdict is Verdict.BLOCKED and [s.step for s in t.steps] == ["dns", "slb"]


def test_bad_client_values_name_the_value(wb: Workbook) -> None:
    with pytest.raises(InputError, match="'not-an-ip'"):
        wb.trace("app1.qas.abc.com", client_ip="not-an-ip")
    with pytest.raises(InputError, match="70000"):
        wb.trace("app1.qas.abc.com", port=70000)
    with pytest.raises(InputError, match="wb.dns"):
        wb.slb("app1.qas.abc.com")


@pytest.fixture()
def edited_world(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), root)
    return root


def add_record(root: Path, name: str, value: str) -> None:
    records = json.loads((root / "dns" / "public.json").read_text())
    records.append({"name": f"{name}.", "type": "A", "ttl": 600, "value": value})
    (root / "dns" / "public.json").write_text(json.dumps(records))


def test_ip_no_load_balancer_owns(edited_world: Path) -> None:
    add_record(edited_world, "stray.qas.abc.com", "192.0.2.99")
    t = Workbook.from_world(edited_world).trace("stray.qas.abc.com")
    finding = next(f for f in t.findings if f.code == "LB_NOT_FOUND_FOR_IP")
    assert "192.0.2.99" in finding.message and "DescribeLoadBalancers" in finding.message
    assert t.verdict is Verdict.BLOCKED


def test_host_without_ingress_rule(edited_world: Path) -> None:
    add_record(edited_world, "app9.qas.abc.com", PUBLIC_LB)
    t = Workbook.from_world(edited_world).trace("app9.qas.abc.com")
    finding = next(f for f in t.findings if f.code == "INGRESS_NO_RULE_FOR_HOST")
    assert "app9.qas.abc.com" in finding.message and "default backend" in finding.message
    assert t.verdict is Verdict.BLOCKED


def test_a_forbidden_read_becomes_an_unknown_hop(wb: Workbook) -> None:
    class NoAcl:
        """A cloud source whose credentials may not read ACLs (a RAM policy without slb:DescribeAccess*)."""

        region = wb.sources.cloud.region

        def call(self, product, action, params):
            if action == "DescribeLoadBalancerListeners":
                raise Forbidden(f"{product}:{action}", "Forbidden.RAM", permission=f"{product}:{action}")
            return wb.sources.cloud.call(product, action, params)

    sources = Sources(**{**wb.sources.__dict__, "cloud": NoAcl()})
    t = Workbook(sources).trace("app3.qas.abc.com")
    lb_hop = next(h for h in t.hops if h.kind == "lb")
    assert lb_hop.verdict is Verdict.UNKNOWN
    finding = next(f for f in t.findings if f.code == "SOURCE_FORBIDDEN")
    assert "slb:DescribeLoadBalancerListeners" in finding.message
    assert t.verdict is Verdict.UNKNOWN


def test_domains_lists_the_ingress_hosts(wb: Workbook) -> None:
    assert wb.domains() == ["app1.qas.abc.com", "app2.qas.abc.com", "app3.qas.abc.com", "app4.qas.abc.com"]


def test_from_world_rejects_a_folder_that_is_no_world(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder with world.json"):
        Workbook.from_world(tmp_path)


def test_a_cname_chain_is_spelled_out(edited_world: Path) -> None:
    records = json.loads((edited_world / "dns" / "public.json").read_text())
    records.append({"name": "www.qas.abc.com.", "type": "CNAME", "ttl": 600, "value": "app1.qas.abc.com."})
    (edited_world / "dns" / "public.json").write_text(json.dumps(records))
    r = Workbook.from_world(edited_world).dns("www.qas.abc.com")
    assert r.addresses == [PUBLIC_LB]
    chain = next(f for f in r.findings if f.code == "DNS_CNAME_CHAIN")
    assert "www.qas.abc.com → app1.qas.abc.com" in chain.message and PUBLIC_LB in chain.message
    assert [e.excerpt for e in chain.evidence] == ["www.qas.abc.com. 600 IN CNAME app1.qas.abc.com."]
    assert "CNAME app1.qas.abc.com." in r.hops[-1].label


def test_steps_record_the_evidence_they_judged(wb: Workbook) -> None:
    t = wb.trace("app3.qas.abc.com", client_ip="192.0.2.44")
    lb = {e.source for e in t.step("slb").evidence}
    assert {
        "slb:DescribeLoadBalancers",
        "slb:DescribeLoadBalancerListeners",
        "slb:DescribeVServerGroupAttribute",
        "slb:DescribeHealthStatus",
    } <= lb
    allowed = next(f for f in t.findings if f.code == "LB_ACL_ALLOWS_CLIENT")
    assert any("192.0.2.0/24" in e.excerpt for e in allowed.evidence)
    pods = t.step("pod").evidence
    ready = next(e for e in pods if e.locator.endswith("status.conditions[type=Ready]"))
    assert json.loads(ready.excerpt)["status"] == "True" and ready.source == "kube:pods"
    assert any(e.locator.endswith("status.podIP") and e.excerpt == "10.17.10.94" for e in pods)


def test_a_missing_real_server_alone_is_a_warning(edited_world: Path) -> None:
    """IPVS that lacks one of two ready endpoints still forwards: a warning, the hop stays ok."""
    table = edited_world / "nodes" / "10.17.10.11" / "ipvsadm.txt"
    lines = table.read_text().splitlines(keepends=True)
    vip = lines.index("TCP  192.168.37.214:8080 rr\n")
    assert "10.17.10.93:8080" in lines[vip + 2]
    table.write_text("".join(lines[: vip + 2] + lines[vip + 3 :]))
    t = Workbook.from_world(edited_world).trace("app2.qas.abc.com")
    stale = next(f for f in t.findings if f.code == "KUBE_PROXY_STALE_RULES")
    assert stale.severity is Severity.WARNING and "missing 10.17.10.93:8080" in stale.message
    assert next(h for h in t.hops if h.id == stale.hop).verdict is Verdict.OK
    assert t.verdict is Verdict.OK


def test_a_partly_unhealthy_server_group_is_a_warning(wb: Workbook, edited_world: Path) -> None:
    public_lb = wb.slb(wb.dns("app1.qas.abc.com")).load_balancer_id
    health = edited_world / "cloud" / "slb" / "DescribeHealthStatus" / f"{public_lb}.json"
    body = json.loads(health.read_text())
    for row in body["BackendServers"]["BackendServer"]:
        if row["ServerIp"] == "10.17.10.12":
            row["ServerHealthStatus"] = "abnormal"
    health.write_text(json.dumps(body))
    t = Workbook.from_world(edited_world).trace("app1.qas.abc.com")
    assert "LB_BACKEND_UNHEALTHY" in codes(t) and "LB_BACKENDS_UNHEALTHY" not in codes(t)
    assert next(h for h in t.hops if h.id == "backend:10.17.10.12:80").verdict is Verdict.BLOCKED
    assert next(h for h in t.hops if h.id == "backend:10.17.10.11:80").verdict is Verdict.OK


class RefusingKube:
    """The demo's Kubernetes API, except that one resource cannot be read."""

    def __init__(self, inner, resource: str, error: Exception) -> None:
        self.inner, self.resource, self.error = inner, resource, error

    def get(self, resource, name, namespace=None):
        if resource == self.resource:
            raise self.error
        return self.inner.get(resource, name, namespace)

    def list(self, resource, namespace=None, label_selector="", field_selector=""):
        if resource == self.resource:
            raise self.error
        return self.inner.list(resource, namespace, label_selector, field_selector)


@pytest.mark.parametrize(
    ("resource", "error", "kind", "unseen"),
    [
        ("nodes", Unreachable("kube:list nodes", "connection refused"), "node", "node:10.17.10.11"),
        (
            "endpointslices",
            Forbidden("kube:list endpointslices", "403"),
            "service",
            "service:app/app1-service",
        ),
        ("pods", Forbidden("kube:list pods", "403"), "controller", "controller:kube-system/?@"),
    ],
)
def test_an_unreadable_source_makes_its_hop_unknown(
    wb: Workbook, resource: str, error: Exception, kind: str, unseen: str
) -> None:
    sources = Sources(**{**wb.sources.__dict__, "kube": RefusingKube(wb.sources.kube, resource, error)})
    t = Workbook(sources).trace("app1.qas.abc.com")
    unseen_hop = next(h for h in t.hops if h.kind == kind and h.id.startswith(unseen))
    assert unseen_hop.verdict is Verdict.UNKNOWN
    assert any(f.code.startswith("SOURCE_") and f.hop == unseen_hop.id for f in t.findings)
    assert not [f for f in t.findings if f.severity is Severity.ERROR], "what is unseen is not an error"
    if unseen_hop.path is PathKind.REQUEST:
        assert dead_end(t).startswith("could not read") and t.verdict is Verdict.UNKNOWN
    else:  # app1's Service is on the in-cluster path: nginx balances to the Pods it knows itself
        assert t.verdict_of(unseen_hop.path) is Verdict.UNKNOWN and t.verdict is Verdict.OK
    if resource == "endpointslices":  # the Pod is still found, by the IP nginx balances to
        assert [h.label.split("\n")[1] for h in hop(t, "pod")] == ["10.17.10.91:8080"]
