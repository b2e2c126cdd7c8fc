"""The demo world's raw artefacts have the shape the real systems produce.

Cloud bodies (stored, and every answer the world source builds from them) round-trip
through the Alibaba Cloud SDK's response models without losing a key; Kubernetes objects
deserialise into the kubernetes client's models without losing a field; node outputs
follow ipvsadm's and ip's formats; nginx.conf parses and has ingress-nginx's structure.
"""

from __future__ import annotations

import inspect
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ackwb.demo import demo_world_root
from ackwb.sources.world import load_world

WORLD = Path(str(demo_world_root()))
SDK_PACKAGES = {
    "alidns": "alibabacloud_alidns20150109",
    "slb": "alibabacloud_slb20140515",
    "nlb": "alibabacloud_nlb20220430",
    "ecs": "alibabacloud_ecs20140526",
    "vpc": "alibabacloud_vpc20160428",
    "cs": "alibabacloud_cs20151215",
}
# The demo world has no ALB and no PrivateZone zone; it stores their empty listings all the same
FILE_SDK_PACKAGES = {**SDK_PACKAGES, "alb": "alibabacloud_alb20200616", "pvtz": "alibabacloud_pvtz20180101"}
CLOUD_FILES = sorted(p.relative_to(WORLD / "cloud").as_posix() for p in (WORLD / "cloud").rglob("*.json"))
KUBE_MODELS = {"Node": "V1Node", "Pod": "V1Pod", "Service": "V1Service", "EndpointSlice": "V1EndpointSlice",
               "Ingress": "V1Ingress", "IngressClass": "V1IngressClass"}  # fmt: skip


def response_model(product: str, action: str) -> Any:
    models = pytest.importorskip(f"{FILE_SDK_PACKAGES[product]}.models")
    return getattr(models, f"{action}ResponseBody")


def assert_round_trip(product: str, action: str, body: dict[str, Any]) -> None:
    model = response_model(product, action)
    assert model().from_map(body).to_map() == body, f"{product}:{action} has keys its SDK model does not know"


@pytest.mark.parametrize("relative", CLOUD_FILES)
def test_stored_cloud_bodies_round_trip_through_the_sdk(relative: str) -> None:
    product, action = relative.split("/")[:2]
    assert_round_trip(
        product, action.removesuffix(".json"), json.loads((WORLD / "cloud" / relative).read_text())
    )


def answers() -> list[tuple[str, str, dict[str, Any]]]:
    """One call per action, with the parameters a step would pass."""
    world = load_world(demo_world_root())
    lb = json.loads((WORLD / "cloud/slb/DescribeLoadBalancers.json").read_text())["LoadBalancers"][
        "LoadBalancer"
    ][1]
    listener = json.loads((WORLD / "cloud/slb/DescribeLoadBalancerListeners.json").read_text())["Listeners"][
        -1
    ]
    nat = json.loads((WORLD / "cloud/vpc/DescribeNatGateways.json").read_text())["NatGateways"]["NatGateway"][
        0
    ]
    vsw = nat["NatGatewayPrivateInfo"]["VswitchId"]
    route_table = next(WORLD.joinpath("cloud/vpc/DescribeRouteEntryList").iterdir()).stem
    nlb = json.loads((WORLD / "cloud/nlb/ListLoadBalancers.json").read_text())["LoadBalancers"][0]
    nlb_listener = json.loads((WORLD / "cloud/nlb/ListListeners.json").read_text())["Listeners"][0]
    return [
        ("alidns", "DescribeDomainRecords", {"DomainName": "abc.com", "PageSize": 2}),
        ("alidns", "DescribeSubDomainRecords", {"SubDomain": "app1.qas.abc.com"}),
        ("slb", "DescribeLoadBalancers", {"Address": lb["Address"]}),
        ("slb", "DescribeLoadBalancerListeners", {"LoadBalancerId.1": lb["LoadBalancerId"], "MaxResults": 1}),
        ("slb", "DescribeAccessControlListAttribute", {"AclId": listener["AclId"]}),
        ("slb", "DescribeVServerGroups", {"LoadBalancerId": lb["LoadBalancerId"]}),
        ("slb", "DescribeVServerGroupAttribute", {"VServerGroupId": listener["VServerGroupId"]}),
        ("slb", "DescribeHealthStatus", {"LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": 80}),
        ("ecs", "DescribeNetworkInterfaces", {"PrivateIpAddress.1": "10.17.10.91", "MaxResults": 10}),
        ("ecs", "DescribeInstances", {"PrivateIpAddresses": '["10.17.10.11"]'}),
        ("vpc", "DescribeVpcs", {"VpcId": nat["VpcId"]}),
        ("vpc", "DescribeVSwitchAttributes", {"VSwitchId": vsw}),
        ("vpc", "DescribeRouteEntryList", {"RouteTableId": route_table, "DestinationCidrBlock": "0.0.0.0/0"}),
        ("vpc", "DescribeNatGateways", {"VpcId": nat["VpcId"]}),
        ("vpc", "DescribeSnatTableEntries", {"NatGatewayId": nat["NatGatewayId"], "SourceVSwitchId": vsw}),
        ("vpc", "DescribeEipAddresses", {"AssociatedInstanceId": nat["NatGatewayId"]}),
        ("cs", "DescribeClusterDetail", {"ClusterId": world.meta["cluster_id"]}),
        ("nlb", "ListLoadBalancers", {"DNSName": nlb["DNSName"], "MaxResults": 1}),
        ("nlb", "ListListeners", {"LoadBalancerIds.1": nlb["LoadBalancerId"], "MaxResults": 1}),
        ("nlb", "ListServerGroups", {"ServerGroupIds.1": nlb_listener["ServerGroupId"], "MaxResults": 1}),
        ("nlb", "ListServerGroupServers", {"ServerGroupId": nlb_listener["ServerGroupId"]}),
        ("nlb", "GetListenerHealthStatus", {"ListenerId": nlb_listener["ListenerId"]}),
        (
            "ecs",
            "DescribeSecurityGroupAttribute",
            {"SecurityGroupId": nlb["SecurityGroupIds"][0], "Direction": "ingress", "MaxResults": 10},
        ),
    ]


@pytest.mark.parametrize(("product", "action", "params"), answers())
def test_answers_round_trip_through_the_sdk(product: str, action: str, params: dict[str, Any]) -> None:
    body = (
        load_world(demo_world_root())
        .sources()
        .cloud.call(product, action, {"RegionId": "cn-hangzhou", **params})
    )
    assert_round_trip(product, action, body)
    if action != "DescribeClusterDetail":  # ROA bodies carry no RequestId
        assert re.fullmatch(r"[0-9A-F-]{36}", body["RequestId"])


def test_answers_cover_every_action() -> None:
    from ackwb.sources.world_cloud import ACTIONS

    # ALB and PrivateZone answers are checked on their own world in tests/test_world_cloud_frontdoor.py
    assert {(p, a) for p, a, _ in answers()} == {(p, a) for p, a in ACTIONS if p in SDK_PACKAGES}
    assert {p for p, _ in ACTIONS} - set(SDK_PACKAGES) == {"alb", "pvtz"}


# ----------------------------------------------------------------------------------- kubernetes
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def comparable(value: Any) -> Any:
    """Drop None (the client's 'unset'), and read timestamps as instants."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str) and (RFC3339.match(value) or re.match(r"^\d{4}-\d\d-\d\dT.*\+00:00$", value)):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def deserialize(api: Any, obj: dict[str, Any], model: str) -> Any:
    """ApiClient.deserialize as a response's JSON body; its signature changed in client v31."""
    text = json.dumps(obj)
    if "response_text" in inspect.signature(api.deserialize).parameters:
        return api.deserialize(text, model, "application/json")

    class Response:
        data = text

    return api.deserialize(Response(), model)


@pytest.mark.parametrize(
    "resource", ["nodes", "pods", "services", "endpointslices", "ingresses", "ingressclasses"]
)
def test_kubernetes_objects_deserialise_into_client_models(resource: str) -> None:
    client = pytest.importorskip("kubernetes.client")
    listing = json.loads((WORLD / "kube" / f"{resource}.json").read_text())
    assert (listing["apiVersion"], listing["kind"], listing["metadata"]) == (
        "v1",
        "List",
        {"resourceVersion": ""},
    )
    api = client.ApiClient()
    assert listing["items"]
    for item in listing["items"]:
        model = deserialize(api, item, KUBE_MODELS[item["kind"]])
        assert comparable(api.sanitize_for_serialization(model)) == comparable(item), item["metadata"]["name"]
        for key in ("uid", "resourceVersion", "creationTimestamp"):
            assert item["metadata"][key]


def test_kubectl_printer_format() -> None:
    text = (WORLD / "kube" / "pods.json").read_text()
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [\n') and text.endswith("}\n")
    assert json.dumps(json.loads(text), indent=4, sort_keys=True, ensure_ascii=False) + "\n" == text


# ------------------------------------------------------------------------------------- nodes
SERVICE_LINE = re.compile(r"^(TCP|UDP)  (\d+\.\d+\.\d+\.\d+):(\d+) (rr)$")
REAL_LINE = re.compile(r"^  -> (\S+):(\d+)\s+(Masq)\s+(1)\s+(\d+)\s+(\d+)\s*$")
NODE_DIRS = sorted(p for p in (WORLD / "nodes").iterdir())


@pytest.mark.parametrize("node", NODE_DIRS, ids=lambda p: p.name)
def test_ipvsadm_format(node: Path) -> None:
    lines = (node / "ipvsadm.txt").read_text().split("\n")
    assert lines[:3] == [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    ]
    assert lines[-1] == ""
    services = []
    for line in lines[3:-1]:
        if line.startswith("  ->"):
            match = REAL_LINE.match(line)
            assert match, line
            address = f"{match[1]}:{match[2]}"
            active, inactive = int(match[5]), int(match[6])
            assert line == f"  -> {address:<28} {'Masq':<7} {1:<6} {active:<10} {inactive:<10}"
        else:
            assert SERVICE_LINE.match(line), line
            services.append((line[:3], line.split()[1]))
    assert services == sorted(services, key=lambda s: (s[0] != "TCP", *map(int, re.split(r"[.:]", s[1]))))
    assert ("TCP", "192.168.195.85:8080") in services and ("UDP", "192.168.0.10:53") in services
    assert (node / "proxy-mode.txt").read_text() == "ipvs"


@pytest.mark.parametrize("node", NODE_DIRS, ids=lambda p: p.name)
def test_ip_addr_format(node: Path) -> None:
    line = re.compile(
        r"^\d+: (\S+)    inet (\d+\.\d+\.\d+\.\d+)/(\d+) .*scope \w+ .*\\       valid_lft \S+ "
        r"preferred_lft \S+$"
    )
    rows = (node / "ip-addr.txt").read_text().splitlines()
    assert all(line.match(r) for r in rows)
    assert any(r.startswith(f"2: eth0    inet {node.name}/24 ") for r in rows)
    assert any("kube-ipvs0    inet 192.168.195.85/32 scope global kube-ipvs0" in r for r in rows)


# ------------------------------------------------------------------------------ ingress-nginx
CONTROLLER_DIRS = sorted((WORLD / "pods" / "kube-system").iterdir())


def test_controllers_store_the_same_files() -> None:
    assert len(CONTROLLER_DIRS) == 2
    for name in ("nginx.conf", "backends.json"):
        assert len({(d / name).read_text() for d in CONTROLLER_DIRS}) == 1


def test_nginx_conf_structure(tmp_path: Path) -> None:
    crossplane = pytest.importorskip("crossplane")
    text = (CONTROLLER_DIRS[0] / "nginx.conf").read_text()
    parsed = crossplane.parse(str(CONTROLLER_DIRS[0] / "nginx.conf"), single=True, comments=True)
    assert parsed["status"] == "ok", parsed["errors"]
    http = next(d for d in parsed["config"][0]["parsed"] if d["directive"] == "http")["block"]
    upstream = next(d for d in http if d["directive"] == "upstream" and d["args"] == ["upstream_balancer"])
    assert [d["args"] for d in upstream["block"] if d["directive"] == "server"] == [["0.0.0.1"]]
    assert any(d["directive"] == "balancer_by_lua_file" for d in upstream["block"])
    servers = [d for d in http if d["directive"] == "server"]
    listens = [[a for d in s["block"] if d["directive"] == "listen" for a in d["args"]] for s in servers]
    assert ["8181", "default_server", "reuseport", "backlog=4096"] in listens
    assert ["127.0.0.1:10246"] in listens
    for host in ("_", "app1.qas.abc.com", "app2.qas.abc.com", "app3.qas.abc.com"):
        assert f"\n\t## start server {host}\n\tserver {{\n\t\tserver_name {host} ;\n" in text
        assert f"\n\t}}\n\t## end server {host}\n" in text
    assert "location / {" in text and 'location "' not in text and "location = /" not in text
    assert "_by_lua_block" not in text.split("\nstream {")[0]  # v1.12+: Lua lives in files
    assert 'set $force_ssl_redirect "false";' in text
    assert "\n\t\tlisten 80 default_server reuseport backlog=4096 ;\n" in text


def test_locations_name_the_dynamic_backends() -> None:
    text = (CONTROLLER_DIRS[0] / "nginx.conf").read_text()
    backends = json.loads((CONTROLLER_DIRS[0] / "backends.json").read_text())
    upstreams = set(re.findall(r'set \$proxy_upstream_name "([^"]+)";', text)) - {"-", "internal"}
    assert upstreams == {b["name"] for b in backends}
    for backend in backends:
        assert list(backend)[:4] == ["name", "service", "port", "sslPassthrough"] or backend[
            "name"
        ].startswith("upstream-default")
        assert backend["endpoints"] and all(isinstance(e["port"], str) for e in backend["endpoints"])
        if backend["name"] != "upstream-default-backend":
            ns, svc, port = re.search(
                rf'set \$namespace\s+"([^"]*)";\s+set \$ingress_name\s+"[^"]*";\s+'
                rf'set \$service_name\s+"([^"]*)";\s+set \$service_port\s+"([^"]*)";'
                rf'(?:(?!proxy_upstream_name).)*proxy_upstream_name "{backend["name"]}"',
                text,
                re.S,
            ).groups()
            assert backend["name"] == f"{ns}-{svc}-{port}" and backend["port"] == int(port)
