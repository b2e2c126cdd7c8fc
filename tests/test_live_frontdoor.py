"""Live reads of the other front doors through the real clients, against the strict test servers.

Cloud: ``LiveCloud`` (the official SDK's generic ``call_api``) against the OpenAPI test server
backed by tests/fixtures/worlds/frontdoor. Each ALB and PrivateZone read must return exactly
what the stored world returns; the server checks the ACS3 signature and reads each parameter
only where the installed SDK client puts it, so the typed SDK methods (``list_rules_with_options``
…) must be accepted too, and a parameter the SDK never sends (``RegionId`` for ALB) refused.
ackwb's own placement table (``cloud_actions``) must agree with the installed clients for every
allowed action.

Kubernetes: ``LiveKube`` (CustomObjectsApi) against the Kubernetes test server serving the same
world: GatewayClasses, Gateways, HTTPRoutes, ReferenceGrants and AlbConfigs equal the world's,
on the paths the CRDs define, with selectors passed to the server; a 403 names the RBAC rule
with its API group.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_alb20200616 import models as alb_models
from alibabacloud_alb20200616.client import Client as AlbClient
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_pvtz20180101 import models as pvtz_models
from alibabacloud_pvtz20180101.client import Client as PvtzClient
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
from darabonba.exceptions import ResponseException
from darabonba.runtime import RuntimeOptions
from peers.kube_api import KubeApiPeer, running_kube_api
from peers.openapi import OpenApiPeer
from peers.openapi_auth import TEST_KEYS
from peers.openapi_sdk import placement

from ackwb.errors import Forbidden
from ackwb.sources.cloud_actions import ALLOWED_ACTIONS, split_parameters
from ackwb.sources.live_cloud import LiveCloud
from ackwb.sources.live_cloud_api import PRODUCTS
from ackwb.sources.live_kube import LiveKube
from ackwb.sources.world import World, load_world

WORLD = Path(__file__).resolve().parent / "fixtures" / "worlds" / "frontdoor"
KEY_ID = "LTAI5tTestOnlyKeyId0000001"
REGION = "cn-hangzhou"

# Every ALB and PrivateZone read, with the parameters a step would pass (lists as lists).
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("alb", "ListLoadBalancers", {"DNSName": "alb-fd01.cn-hangzhou.alb.aliyuncsslb.com"}),
    ("alb", "ListLoadBalancers", {"VpcIds": ["vpc-fd1"], "MaxResults": 1}),
    ("alb", "GetLoadBalancerAttribute", {"LoadBalancerId": "alb-fd01"}),
    ("alb", "ListListeners", {"LoadBalancerIds": ["alb-fd01"], "ListenerProtocol": "HTTPS"}),
    ("alb", "GetListenerAttribute", {"ListenerId": "lsn-fd443"}),
    ("alb", "ListRules", {"ListenerIds": ["lsn-fd80"], "MaxResults": 2, "NextToken": "2"}),
    ("alb", "ListRules", {"LoadBalancerIds": ["alb-fd02"], "Direction": "Request"}),
    ("alb", "ListServerGroups", {"ServerGroupIds": ["sgp-fdweb", "sgp-fdapi"]}),
    ("alb", "ListServerGroupServers", {"ServerGroupId": "sgp-fdweb", "MaxResults": 100}),
    ("alb", "GetListenerHealthStatus", {"ListenerId": "lsn-fd80", "IncludeRule": True}),
    ("alb", "ListAcls", {"AclIds": ["acl-fdoffice"]}),
    ("alb", "ListAclEntries", {"AclId": "acl-fdoffice"}),
    ("pvtz", "DescribeZones", {"QueryVpcId": "vpc-fd1", "PageSize": 100}),
    ("pvtz", "DescribeZones", {"Keyword": "qas", "SearchMode": "LIKE", "PageNumber": 2, "PageSize": 1}),
    ("pvtz", "DescribeZoneInfo", {"ZoneId": "pz-fdqas"}),
    ("pvtz", "DescribeZoneRecords", {"ZoneId": "pz-fdqas", "Keyword": "store", "PageSize": 100}),
]


def credential() -> Any:
    config = CredentialConfig(type="access_key", access_key_id=KEY_ID, access_key_secret=TEST_KEYS[KEY_ID])
    return CredentialClient(config)


@pytest.fixture(scope="module")
def world() -> World:
    return load_world(WORLD)


@pytest.fixture(scope="module")
def peer(world: World) -> Iterator[OpenApiPeer]:
    with OpenApiPeer(world.sources().cloud) as started:
        yield started


def live(peer: OpenApiPeer) -> LiveCloud:
    return LiveCloud(REGION, endpoint=peer.endpoint, protocol="http", read_timeout=5, credential=credential())


def sdk_config(peer: OpenApiPeer) -> Config:
    config = Config(credential=credential(), region_id=REGION, endpoint=peer.endpoint)
    config.protocol = "http"
    return config


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "RequestId"}


def test_every_new_action_is_called() -> None:
    assert {(p, a) for p, a, _ in CALLS} == {(p, a) for p, a in ALLOWED_ACTIONS if p in ("alb", "pvtz")}


@pytest.mark.parametrize(
    ("product", "action", "params"), CALLS, ids=[f"{p}:{a}:{i}" for i, (p, a, _) in enumerate(CALLS)]
)
def test_live_call_returns_what_the_world_returns(
    peer: OpenApiPeer, world: World, product: str, action: str, params: dict[str, Any]
) -> None:
    peer.reset()
    got = live(peer).call(product, action, params)
    assert without_request_id(got) == without_request_id(world.sources().cloud.call(product, action, params))
    (sent,) = peer.requests
    assert (sent.product, sent.action, sent.version, sent.status) == (
        product,
        action,
        PRODUCTS[product].version,
        200,
    )
    assert sent.form == {} and "RegionId" not in sent.params  # query only, no RegionId: as the SDK sends them


def test_live_alb_paging_follows_next_token(peer: OpenApiPeer) -> None:
    cloud, token, seen = live(peer), "", []
    while True:
        body = cloud.call("alb", "ListRules", {"MaxResults": 3, **({"NextToken": token} if token else {})})
        seen += [r["RuleId"] for r in body["Rules"]]
        token = body["NextToken"]
        if not token:
            break
    assert len(seen) == len(set(seen)) == 7


def test_the_sdks_typed_methods_are_accepted_and_read_the_answers(peer: OpenApiPeer) -> None:
    runtime = RuntimeOptions()
    alb = AlbClient(sdk_config(peer))
    rules = alb.list_rules_with_options(
        alb_models.ListRulesRequest(listener_ids=["lsn-gw80"], max_results=10), runtime
    )
    assert [r.rule_id for r in rules.body.rules] == ["rule-gw80a", "rule-gw80r"]
    assert rules.body.rules[0].rule_actions[0].forward_group_config.server_group_tuples[0].weight == 100
    lbs = alb.list_load_balancers_with_options(
        alb_models.ListLoadBalancersRequest(dnsname="alb-fd02.cn-hangzhou.alb.aliyuncsslb.com"), runtime
    )
    assert [lb.load_balancer_id for lb in lbs.body.load_balancers] == ["alb-fd02"]
    health = alb.get_listener_health_status_with_options(
        alb_models.GetListenerHealthStatusRequest(listener_id="lsn-fd80", include_rule=True), runtime
    )
    assert (
        health.body.listener_health_status[0].server_group_infos[0].non_normal_servers[0].status
        == "Unhealthy"
    )
    pvtz = PvtzClient(sdk_config(peer))
    records = pvtz.describe_zone_records_with_options(
        pvtz_models.DescribeZoneRecordsRequest(zone_id="pz-fdqas", keyword="api"), runtime
    )
    assert [(r.rr, r.ttl, r.value) for r in records.body.records.record] == [("api", 60, "10.40.1.50")]
    zones = pvtz.describe_zones_with_options(
        pvtz_models.DescribeZonesRequest(query_vpc_id="vpc-other"), runtime
    )
    assert [z.zone_name for z in zones.body.zones.zone] == ["other.internal"] and zones.body.total_items == 1


def test_a_region_id_for_alb_is_refused_as_the_sdk_never_sends_one(peer: OpenApiPeer) -> None:
    params = Params(
        action="ListRules",
        version="2020-06-16",
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = OpenApiRequest(query={"RegionId": REGION, "ListenerIds.1": "lsn-fd80"})
    with pytest.raises(ResponseException) as caught:
        OpenApiClient(sdk_config(peer)).call_api(params, request, RuntimeOptions())
    assert caught.value.code == "InvalidParameter" and "RegionId sent in the query" in str(caught.value)


@pytest.mark.parametrize("product, action", sorted(ALLOWED_ACTIONS))
def test_ackwbs_placement_table_agrees_with_the_installed_sdk(product: str, action: str) -> None:
    where = placement(product, action)
    assert where is not None, f"{PRODUCTS[product].package} has no {action}: the server would check nothing"
    sample = {name: "x" for name in where.query | where.body}
    query, body = split_parameters(product, action, sample)
    assert set(query) == set(where.query) and set(body) == set(where.body)


def test_endpoints_outside_the_sdks_region_maps() -> None:
    cloud = LiveCloud("ap-southeast-1", credential=credential())
    assert cloud.endpoint_of("pvtz") == "pvtz.aliyuncs.com"
    assert cloud.endpoint_of("alb") == "alb.ap-southeast-1.aliyuncs.com"


# ------------------------------------------------------------------------------------- kubernetes
@pytest.fixture(scope="module")
def kube_server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KubeApiPeer, Path]]:
    with running_kube_api(world, tmp_path_factory.mktemp("kube")) as started:
        yield started


@pytest.fixture
def kube(kube_server: tuple[KubeApiPeer, Path]) -> Iterator[tuple[LiveKube, KubeApiPeer]]:
    peer, kubeconfig = kube_server
    peer.reset()
    live_kube = LiveKube(kubeconfig, "peer", connect_timeout=1.0, read_timeout=2.0, page_size=1)
    yield live_kube, peer
    live_kube.close()
    peer.reset()


# (resource, namespace, label selector, field selector, the path the server must see)
LISTS = [
    ("gatewayclasses", None, "", "", "/apis/gateway.networking.k8s.io/v1/gatewayclasses"),
    ("gateways", None, "", "", "/apis/gateway.networking.k8s.io/v1/gateways"),
    ("gateways", "store", "app=store", "", "/apis/gateway.networking.k8s.io/v1/namespaces/store/gateways"),
    ("httproutes", None, "", "metadata.namespace=store", "/apis/gateway.networking.k8s.io/v1/httproutes"),
    (
        "httproutes",
        "store",
        "",
        "metadata.name=orders",
        "/apis/gateway.networking.k8s.io/v1/namespaces/store/httproutes",
    ),
    (
        "referencegrants",
        "backend",
        "",
        "",
        "/apis/gateway.networking.k8s.io/v1beta1/namespaces/backend/referencegrants",
    ),
    ("albconfigs", None, "", "", "/apis/alibabacloud.com/v1/albconfigs"),
]


@pytest.mark.parametrize("resource, namespace, labels, fields, path", LISTS)
def test_crd_lists_equal_the_world(
    kube: tuple[LiveKube, KubeApiPeer],
    world: World,
    resource: str,
    namespace: str | None,
    labels: str,
    fields: str,
    path: str,
) -> None:
    live_kube, peer = kube
    expected = world.sources().kube.list(resource, namespace, labels, fields)
    assert expected, "the test world holds a match"
    assert live_kube.list(resource, namespace, labels, fields) == expected
    assert {r.path for r in peer.requests} == {path}
    assert len(peer.requests) == len(
        expected
    )  # page_size=1: one request per object, continue tokens followed
    if labels:
        assert all(r.param("labelSelector") == labels for r in peer.requests)
    if fields:
        assert all(r.param("fieldSelector") == fields for r in peer.requests)


@pytest.mark.parametrize(
    "resource, name, namespace, path",
    [
        ("gatewayclasses", "eg", None, "/apis/gateway.networking.k8s.io/v1/gatewayclasses/eg"),
        (
            "gateways",
            "internal",
            "store",
            "/apis/gateway.networking.k8s.io/v1/namespaces/store/gateways/internal",
        ),
        (
            "httproutes",
            "orders",
            "store",
            "/apis/gateway.networking.k8s.io/v1/namespaces/store/httproutes/orders",
        ),
        (
            "referencegrants",
            "from-store",
            "backend",
            "/apis/gateway.networking.k8s.io/v1beta1/namespaces/backend/referencegrants/from-store",
        ),
        ("albconfigs", "alb", None, "/apis/alibabacloud.com/v1/albconfigs/alb"),
    ],
)
def test_crd_gets_equal_the_world(
    kube: tuple[LiveKube, KubeApiPeer],
    world: World,
    resource: str,
    name: str,
    namespace: str | None,
    path: str,
) -> None:
    live_kube, peer = kube
    assert live_kube.get(resource, name, namespace) == world.sources().kube.get(resource, name, namespace)
    assert live_kube.get(resource, "no-such-object", namespace) is None
    assert [r.path for r in peer.requests][0] == path
    assert all(r.method == "GET" for r in peer.requests)


def test_a_forbidden_crd_read_names_the_rbac_rule_with_its_group(kube: tuple[LiveKube, KubeApiPeer]) -> None:
    live_kube, peer = kube
    peer.set_fault("forbidden", "httproutes")
    with pytest.raises(Forbidden) as caught:
        live_kube.list("httproutes")
    assert caught.value.permission == "list httproutes.gateway.networking.k8s.io in all namespaces"
    assert 'in API group "gateway.networking.k8s.io"' in str(caught.value)
    assert live_kube.list("gatewayclasses")  # other resources still answer
