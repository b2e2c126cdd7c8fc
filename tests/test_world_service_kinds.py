"""Services that are not plain ClusterIPs have the shapes the real systems give them.

ExternalName (partner, in terway-nlb and in flannel-nodeport): no ClusterIP, no EndpointSlice, no
kube-proxy rule; kube-dns answers a CNAME to the external name, which public DNS answers with a
documentation address; the controller's backend holds the external name with the target port as
its endpoint, as ``getEndpointsFromSlices`` writes it. Headless (search in terway-nlb, logs in
flannel-nodeport): ``clusterIP: None``, slices labelled ``service.kubernetes.io/headless``, no
virtual server (IPVS) or rule (iptables) and no kube-ipvs0 address, kube-dns answers the ready
Pod IPs, which are also the backend's endpoints. ``sessionAffinity: ClientIP`` (pay, terway-nlb):
IPVS shows ``persistent 10800`` on its ClusterIP on every node, and on no other virtual server.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from design_worlds import View

from ackwb.parse.backends import find_backend, parse_backends
from ackwb.parse.iptables_save import parse_iptables_save
from ackwb.parse.ipvsadm import parse_ipvsadm

TNL = "terway-nlb"
FLN = "flannel-nodeport"
# world → (namespace, the ExternalName Service's external name, its public address)
EXTERNAL = {
    TNL: ("shop", "api.partner.example.net", "198.51.100.24"),
    FLN: ("app", "orders.partner.example.com", "198.51.100.37"),
}
HEADLESS = {TNL: ("shop", "search", 9200), FLN: ("app", "logs", 3100)}  # world → (namespace, name, port)
DOCUMENTATION = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


def _service(v: View, name: str, namespace: str = "shop") -> dict:
    (found,) = [
        s
        for s in v.items("services")
        if (s["metadata"]["namespace"], s["metadata"]["name"]) == (namespace, name)
    ]
    return found


def _backends(v: View) -> list[dict]:
    (pod, *_) = v.controllers()
    return v.json(f"pods/kube-system/{pod['metadata']['name']}/backends.json")


def _nodes(v: View) -> list[str]:
    return sorted(v.node_ips.values())


@pytest.mark.parametrize("world", [TNL, FLN])
def test_external_name_service_has_no_cluster_ip_no_slice_and_resolves_outside(world: str) -> None:
    v = View(world)
    namespace, name, address = EXTERNAL[world]
    svc = _service(v, "partner", namespace)
    assert svc["spec"] == {
        "externalName": name,
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}],
        "sessionAffinity": "None",
        "type": "ExternalName",
    }
    assert not v.service_slices(namespace, "partner")
    dns = v.world.sources().dns
    chain = dns.resolve_in_cluster(f"partner.{namespace}.svc.cluster.local")
    assert [(r.type, r.value) for r in chain][0] == ("CNAME", f"{name}.")
    public = {r.value for r in dns.resolve(name) if r.type == "A"}
    assert public == {r.value for r in chain if r.type == "A"} == {address}
    assert all(any(ipaddress.ip_address(a) in n for n in DOCUMENTATION) for a in public)


@pytest.mark.parametrize("world", [TNL, FLN])
def test_external_name_backend_holds_the_name_with_the_target_port(world: str) -> None:
    v = View(world)
    namespace, name, _ = EXTERNAL[world]
    raw = next(b for b in _backends(v) if b["name"] == f"{namespace}-partner-80")
    assert list(raw) == [
        "name",
        "service",
        "port",
        "sslPassthrough",
        "endpoints",
        "sessionAffinityConfig",
        "upstreamHashByConfig",
        "noServer",
        "trafficShapingPolicy",
    ]
    assert raw["endpoints"] == [{"address": name, "port": "80"}]
    assert list(raw["service"]["spec"]) == ["ports", "type", "sessionAffinity", "externalName"]
    backend = find_backend(parse_backends(json.dumps(_backends(v))), f"{namespace}-partner-80")
    assert backend is not None and backend.service_type == "ExternalName"
    assert backend.external_name == name and backend.cluster_ip is None


@pytest.mark.parametrize("world", [TNL, FLN])
def test_headless_service_has_no_virtual_server_and_dns_answers_the_pod_ips(world: str) -> None:
    v = View(world)
    namespace, name, port = HEADLESS[world]
    svc = _service(v, name, namespace)
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["clusterIPs"] == ["None"]
    (slice_,) = v.service_slices(namespace, name)
    assert slice_["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    ready = {a for a, _, _ in v.ready_endpoints(svc, "http")}
    assert len(ready) == 2
    answer = v.world.sources().dns.resolve_in_cluster(f"{name}.{namespace}.svc.cluster.local")
    assert sorted(r.value for r in answer) == sorted(ready) and {r.type for r in answer} == {"A"}
    backend = next(b for b in _backends(v) if b["name"] == f"{namespace}-{name}-{port}")
    assert {e["address"] for e in backend["endpoints"]} == ready
    assert {e["port"] for e in backend["endpoints"]} == {str(port)}
    for node in _nodes(v):
        mode = v.files.text(f"nodes/{node}/proxy-mode.txt")
        assert mode == {TNL: "ipvs", FLN: "iptables"}[world], node
        if mode == "ipvs":
            table = parse_ipvsadm(v.files.text(f"nodes/{node}/ipvsadm.txt") or "")
            assert table.services, node
            assert not [s for s in table.services if s.port == port], node
            assert not [s for s in table.services if {r.address for r in s.real_servers} & ready], node
        else:  # no KUBE-SVC, KUBE-SEP or DNAT for it: kube-proxy skips a Service without a ClusterIP
            save = parse_iptables_save(v.files.text(f"nodes/{node}/iptables-save.txt") or "")
            nat = save.table("nat")
            assert nat is not None and nat.chains, node
            rules = [r for chain in nat.chains for r in save.rules("nat", chain)]
            assert [r for r in rules if "-j" in r.args and r.args[r.args.index("-j") + 1] == "DNAT"], node
            assert not [r for r in rules if f"{namespace}/{name}:" in r.raw or str(port) in r.args], node
            assert not [r for r in rules if any(f"{a}:" in r.raw or f"{a}/32" in r.raw for a in ready)], node
        assert "None" not in (v.files.text(f"nodes/{node}/ip-addr.txt") or "")


def test_ipvs_virtual_servers_are_those_of_services_with_a_virtual_ip_only() -> None:
    v = View(TNL)
    services = v.items("services")
    kinds = {s["metadata"]["name"]: s["spec"]["type"] for s in services}
    assert kinds["partner"] == "ExternalName" and kinds["search"] == "ClusterIP"
    with_vip = [s for s in services if s["spec"].get("clusterIP", "None") != "None"]
    assert {s["metadata"]["name"] for s in services} - {s["metadata"]["name"] for s in with_vip} == {
        "partner",
        "search",
    }
    for node in _nodes(v):
        table = parse_ipvsadm(v.files.text(f"nodes/{node}/ipvsadm.txt") or "")
        expected = set()
        for s in with_vip:
            lb_ips = [i["ip"] for i in s["status"].get("loadBalancer", {}).get("ingress", []) if "ip" in i]
            for p in s["spec"]["ports"]:
                expected |= {(p["protocol"], s["spec"]["clusterIP"], p["port"])}
                expected |= {(p["protocol"], ip, p["port"]) for ip in lb_ips}
                if p.get("nodePort"):
                    expected.add((p["protocol"], node, p["nodePort"]))
        assert {(s.protocol, s.address, s.port) for s in table.services} == expected, node


@pytest.mark.parametrize("node", sorted(View(TNL).node_ips.values()))
def test_client_ip_affinity_is_ipvs_persistence_on_every_node(node: str) -> None:
    v = View(TNL)
    pay = _service(v, "pay")
    assert pay["spec"]["sessionAffinity"] == "ClientIP"
    assert pay["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    table = parse_ipvsadm(v.files.text(f"nodes/{node}/ipvsadm.txt") or "")
    persistent = {(s.address, s.port): s.persistent for s in table.services if s.persistent is not None}
    affine = [s for s in v.items("services") if s["spec"].get("sessionAffinity") == "ClientIP"]
    assert {(a, p) for a, p in persistent if a != node} == {
        (s["spec"]["clusterIP"], port["port"]) for s in affine for port in s["spec"]["ports"]
    }  # every ClientIP Service, and no other, is persistent on its virtual IP (its NodePorts too)
    assert persistent[(pay["spec"]["clusterIP"], 8080)] == 10800
    (service,) = [s for s in table.services if s.address == pay["spec"]["clusterIP"]]
    assert service.raw == f"TCP  {pay['spec']['clusterIP']}:8080 rr persistent 10800"
    assert {(r.address, r.port) for r in service.real_servers} == {
        (a, t) for a, _, t in v.ready_endpoints(pay, "http")
    }


def test_the_controller_backend_copies_the_affinity_it_bypasses() -> None:
    v = View(TNL)
    backend = next(b for b in _backends(v) if b["name"] == "shop-pay-8080")
    spec = backend["service"]["spec"]
    assert spec["sessionAffinity"] == "ClientIP"
    assert list(spec).index("sessionAffinityConfig") == list(spec).index("sessionAffinity") + 1
    assert (
        backend["sessionAffinityConfig"]["name"] == ""
    )  # no affinity: cookie annotation: nginx balances freely
    pods = {p["status"]["podIP"] for p in v.items("pods") if p["metadata"]["labels"].get("app") == "pay"}
    assert {e["address"] for e in backend["endpoints"]} == pods  # Pod IPs, not the ClusterIP
