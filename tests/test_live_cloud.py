"""LiveCloud with the real Alibaba Cloud SDK clients against a local OpenAPI server backed by the demo world.

The calls under test are not listed by hand: they are recorded from the demo traces (every
call the steps make, with the steps' own parameters), and a check on the step sources makes
sure no (product, action) pair the steps name escapes that recording. Each call must return
through the SDK exactly what the world answers directly. Then paging, read-only, faults
(refused, hanging, 403, throttling), credentials (the default chain from environment
variables, named profiles; the secret never shows), and a whole trace that must equal the
demo trace.

Credentials: the SDK reads its environment variables once, when it is imported, so the
tests set the fake values on ``alibabacloud_credentials.utils.auth_util`` (where the SDK
keeps what it read) instead of in ``os.environ``; one test runs a fresh interpreter with
the real environment variables set before any import.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_credentials.utils import auth_constant, auth_util
from peers.openapi import OpenApiPeer

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.errors import Forbidden, SourceError, Unreachable
from ackwb.sources import Sources
from ackwb.sources.live_cloud import LiveCloud
from ackwb.sources.live_cloud_api import PRODUCTS, is_read_action
from ackwb.sources.live_cloud_auth import credential_client
from ackwb.sources.world import load_demo_world, load_world
from ackwb.steps.common import cloud_items
from ackwb.trace import run_trace

ROOT = Path(__file__).resolve().parent.parent
FAKE_ID = "LTAI5tTestOnlyKeyId0000001"
FAKE_SECRET = "TestOnlySecret-must-never-leak-7f3a9c"
REGION = "cn-hangzhou"


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(autouse=True, scope="module")
def fake_credentials(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Fake AK in what the SDK read from the environment; no ECS metadata, no real profile files."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_util, "environment_access_key_id", FAKE_ID)
        mp.setattr(auth_util, "environment_access_key_secret", FAKE_SECRET)
        mp.setattr(auth_util, "environment_security_token", None)
        mp.setattr(auth_util, "environment_ecs_metadata_disabled", "true")
        mp.setattr(auth_util, "environment_credentials_file", None)
        mp.setattr(auth_util, "environment_credentials_uri", None)
        mp.setattr(auth_util, "enable_oidc_credential", False)
        mp.setattr(auth_constant, "HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def world() -> Any:
    return load_demo_world()


@pytest.fixture(scope="module")
def shared_peer(world: Any) -> Any:
    with OpenApiPeer(world.sources().cloud) as peer:
        yield peer


@pytest.fixture(scope="module")
def alb_gateway(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return alb_world(tmp_path_factory.mktemp("alb") / "world")


@pytest.fixture(scope="module")
def alb_peer(alb_gateway: Any) -> Any:
    with OpenApiPeer(alb_gateway.sources().cloud) as peer:
        yield peer


@pytest.fixture
def peer(world: Any) -> Any:
    with OpenApiPeer(world.sources().cloud) as one:
        yield one


def live(peer: OpenApiPeer, **options: Any) -> LiveCloud:
    settings: dict[str, Any] = dict(
        endpoint=peer.endpoint, protocol="http", connect_timeout=0.5, read_timeout=0.5,
        backoff=0.01, backoff_cap=0.04,
    )  # fmt: skip
    settings.update(options)
    return LiveCloud(REGION, **settings)


def live_sources(world: Any, cloud: LiveCloud) -> Sources:
    return replace(world.sources(), cloud=cloud)


class RecordingCloud:
    """Wraps the world's cloud and keeps every call the steps make."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.region, self.calls = inner, inner.region, []

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((product, action, dict(params)))
        return self.inner.call(product, action, params)


def demo_traces(sources: Sources) -> list[Any]:
    """A trace of every host of the demo world, from anywhere and from a client outside the ACL."""
    domains = Workbook(sources).domains()
    assert domains, "the demo world serves no host"
    traces = [run_trace(sources, d) for d in domains]
    traces += [Workbook(sources).trace(d, client_ip="192.0.2.77") for d in domains]
    traces += [Workbook(sources).trace(d, client_ip="10.17.10.77") for d in domains]  # inside the VPC
    return traces


def step_calls() -> list[tuple[str, str, dict[str, Any]]]:
    world = load_demo_world()
    recording = RecordingCloud(world.sources().cloud)
    demo_traces(replace(world.sources(), cloud=recording))
    unique = {json.dumps(c, sort_keys=True): c for c in recording.calls}
    return list(unique.values())


ALB_HOSTS = ("www.alb.abc.com", "api.alb.abc.com", "pay.alb.abc.com")
ALB_ACL = "acl-albgwoffice"


def alb_world(root: Path) -> Any:
    """alb-gateway with a whitelist on its listeners (as an AlbConfig ``aclConfig`` makes), so that
    the steps read the ACL's entries too."""
    shutil.copytree(str(demo_world_root("alb-gateway")), root)
    for path in (root / "cloud" / "alb" / "GetListenerAttribute").glob("*.json"):
        body = json.loads(path.read_text())
        body["AclConfig"] = {"AclType": "White", "AclRelations": [{"AclId": ALB_ACL, "Status": "Associated"}]}
        path.write_text(json.dumps(body, indent=1))
    entries = [{"Entry": "192.0.2.0/24", "Status": "Available", "Description": "office"}]
    body = {"AclEntries": entries, "MaxResults": 100, "NextToken": "", "TotalCount": 1,
            "RequestId": "00000000-0000-4000-8000-0000000a1b01"}  # fmt: skip
    (root / "cloud" / "alb" / "ListAclEntries").mkdir()
    (root / "cloud" / "alb" / "ListAclEntries" / f"{ALB_ACL}.json").write_text(json.dumps(body, indent=1))
    return load_world(root)


def alb_step_calls() -> list[tuple[str, str, dict[str, Any]]]:
    """The calls of the ALB hosts' traces, from anywhere, from the office and from outside the ACL."""
    with tempfile.TemporaryDirectory() as folder:
        world = alb_world(Path(folder) / "world")
        recording = RecordingCloud(world.sources().cloud)
        sources = replace(world.sources(), cloud=recording)
        for host in ALB_HOSTS:
            for client in (None, "192.0.2.77", "198.51.100.77"):
                Workbook(sources).trace(host, client_ip=client)
    unique = {json.dumps(c, sort_keys=True): c for c in recording.calls}
    return list(unique.values())


STEP_CALLS = step_calls()
ALB_STEP_CALLS = alb_step_calls()


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("RequestId", "requestId")}


# ---------------------------------------------------------------------- same answers
def test_the_recorded_calls_cover_every_cloud_action_the_steps_name() -> None:
    named = set()
    for path in (ROOT / "ackwb" / "steps").rglob("*.py"):
        products = "|".join(PRODUCTS)
        named |= set(re.findall(rf'"({products})",\s*"([A-Z]\w+)"', path.read_text(encoding="utf-8")))
    assert named, "no cloud call found in ackwb/steps; the pattern above needs updating"
    assert named <= {(p, a) for p, a, _ in STEP_CALLS + ALB_STEP_CALLS}


@pytest.mark.parametrize(
    "product, action, params", STEP_CALLS, ids=[f"{p}:{a}:{i}" for i, (p, a, _) in enumerate(STEP_CALLS)]
)
def test_step_call_returns_what_the_world_returns(
    shared_peer: OpenApiPeer, world: Any, product: str, action: str, params: dict[str, Any]
) -> None:
    expected = world.sources().cloud.call(product, action, params)
    got = live(shared_peer).call(product, action, params)
    assert without_request_id(got) == without_request_id(expected)
    assert got.get("RequestId") or PRODUCTS[product].style == "ROA", "RPC answers carry a RequestId"


@pytest.mark.parametrize(
    "product, action, params",
    ALB_STEP_CALLS,
    ids=[f"alb-gateway:{p}:{a}:{i}" for i, (p, a, _) in enumerate(ALB_STEP_CALLS)],
)
def test_alb_step_call_returns_what_the_world_returns(
    alb_peer: OpenApiPeer, alb_gateway: Any, product: str, action: str, params: dict[str, Any]
) -> None:
    expected = alb_gateway.sources().cloud.call(product, action, params)
    got = live(alb_peer).call(product, action, params)
    assert without_request_id(got) == without_request_id(expected)
    assert got.get("RequestId") or PRODUCTS[product].style == "ROA", "RPC answers carry a RequestId"


def test_roa_cluster_detail_is_a_get_on_the_cluster_path(peer: OpenApiPeer, world: Any) -> None:
    cluster = world.settings.cluster_id
    got = live(peer).call("cs", "DescribeClusterDetail", {"ClusterId": cluster})
    assert got == world.sources().cloud.call("cs", "DescribeClusterDetail", {"ClusterId": cluster})
    assert [(r.method, r.path, r.version) for r in peer.requests] == [
        ("GET", f"/clusters/{cluster}", "2015-12-15")
    ]


def test_nlb_goes_out_through_its_sdk_client_as_rpc_with_plain_arrays(peer: OpenApiPeer, world: Any) -> None:
    cloud = live(peer)
    nlb_calls = [(a, p) for product, a, p in STEP_CALLS if product == "nlb"]
    assert {a for a, _ in nlb_calls} == {
        "ListLoadBalancers", "ListListeners", "ListServerGroupServers", "GetListenerHealthStatus",
        "ListServerGroups",
    }  # fmt: skip
    listeners = cloud.call("nlb", "ListListeners", {"LoadBalancerIds": ["nlb-x", "nlb-y"], "MaxResults": 1})
    assert listeners["Listeners"] == [] and listeners["NextToken"] == ""
    assert type(cloud._client("nlb")).__module__ == "alibabacloud_nlb20220430.client"
    (sent,) = peer.requests
    assert (sent.method, sent.path, sent.product, sent.version) == ("POST", "/", "nlb", "2022-04-30")
    assert (sent.params["LoadBalancerIds.1"], sent.params["LoadBalancerIds.2"]) == ("nlb-x", "nlb-y")
    (nlb,) = cloud.call("nlb", "ListLoadBalancers", {"MaxResults": 100})["LoadBalancers"]
    assert isinstance(nlb["ZoneMappings"], list) and isinstance(nlb["SecurityGroupIds"], list)


def test_an_unknown_id_is_a_source_error_with_the_api_code(peer: OpenApiPeer) -> None:
    with pytest.raises(SourceError) as caught:
        live(peer).call("slb", "DescribeVServerGroupAttribute", {"VServerGroupId": "rsp-doesnotexist"})
    assert type(caught.value) is SourceError
    assert caught.value.source == "slb:DescribeVServerGroupAttribute"
    assert "InvalidVServerGroupId.NotFound" in str(caught.value) and "RequestId" in str(caught.value)


def test_region_is_added_where_the_product_needs_it(peer: OpenApiPeer) -> None:
    cloud = live(peer)
    cloud.call("vpc", "DescribeNatGateways", {})
    cloud.call("alidns", "DescribeSubDomainRecords", {"SubDomain": "app1.qas.abc.com"})
    assert peer.requests[0].params.get("RegionId") == REGION
    assert "RegionId" not in peer.requests[1].params


def test_products_the_demo_world_holds_nothing_of_go_out_with_their_version(peer: OpenApiPeer) -> None:
    """The demo account has no ALB (an empty list) and one PrivateZone zone, asked with each product's
    version and without a RegionId (neither SDK sends one). tests/test_live_frontdoor.py reads a
    world that has ALBs."""
    cloud = live(peer)
    zones = cloud.call("pvtz", "DescribeZones", {})["Zones"]["Zone"]
    assert [z["ZoneName"] for z in zones] == ["qas.abc.com"]
    assert cloud.call("alb", "ListLoadBalancers", {})["LoadBalancers"] == []
    assert [(r.product, r.action, r.version, r.status) for r in peer.requests] == [
        ("pvtz", "DescribeZones", "2018-01-01", 200),
        ("alb", "ListLoadBalancers", "2020-06-16", 200),
    ]
    assert not any("RegionId" in r.params for r in peer.requests)


# ---------------------------------------------------------------------------- paging
PAGED = [
    ("slb", "DescribeLoadBalancers", {"PageSize": 1}, ("LoadBalancers", "LoadBalancer"), "PageNumber"),
    ("ecs", "DescribeNetworkInterfaces", {"MaxResults": 1}, ("NetworkInterfaceSets", "NetworkInterfaceSet"),
     "NextToken"),
    ("ecs", "DescribeInstances", {"MaxResults": 1}, ("Instances", "Instance"), "NextToken"),
    ("alidns", "DescribeDomainRecords", {"DomainName": "abc.com", "PageSize": 1}, ("DomainRecords", "Record"),
     "PageNumber"),
    ("slb", "DescribeLoadBalancerListeners", {"MaxResults": 1}, ("Listeners",), "NextToken"),
    ("vpc", "DescribeRouteEntryList", {"RouteTableId": "vtb-bp1ecrayguck2n6b1yp9", "MaxResult": 1},
     ("RouteEntrys", "RouteEntry"), "NextToken"),
]  # fmt: skip


@pytest.mark.parametrize("product, action, params, path, cursor", PAGED, ids=[c[1] for c in PAGED])
def test_paging_loops_follow_the_cursor_through_the_sdk(
    peer: OpenApiPeer, world: Any, product: str, action: str, params: dict, path: tuple, cursor: str
) -> None:
    expected = cloud_items(world.sources(), product, action, dict(params), *path)
    got = cloud_items(live_sources(world, live(peer)), product, action, dict(params), *path)
    assert got == expected
    assert len(expected) >= 2, "the demo world must hold several items for paging to be tested"
    assert len(peer.requests) == len(expected)  # one item per page
    assert all(cursor in r.params for r in peer.requests[1:])


# ---------------------------------------------------------------------- read-only
def test_a_write_action_is_refused_before_anything_is_sent(peer: OpenApiPeer) -> None:
    with pytest.raises(Forbidden, match="read calls only"):
        live(peer).call("slb", "DeleteLoadBalancer", {"LoadBalancerId": "lb-1"})
    with pytest.raises(SourceError, match="unknown product"):
        live(peer).call("rds", "DescribeDBInstances", {})
    with pytest.raises(SourceError, match="ClusterId"):
        live(peer).call("cs", "DescribeClusterDetail", {"ClusterId": "../../clusters"})
    assert peer.requests == []


# ---------------------------------------------------------------------------- faults
def test_refused_connection_is_unreachable_quickly(peer: OpenApiPeer) -> None:
    cloud = live(peer)
    peer.refuse()
    started = time.monotonic()
    with pytest.raises(Unreachable) as caught:
        cloud.call("slb", "DescribeLoadBalancers", {"Address": "203.0.113.10"})
    assert time.monotonic() - started < 2
    assert caught.value.source == "slb:DescribeLoadBalancers"
    assert peer.endpoint in str(caught.value) and "refused" in str(caught.value)


def test_hanging_server_is_unreachable_after_the_read_timeout(peer: OpenApiPeer) -> None:
    peer.hang(10)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="timed out") as caught:
        live(peer, read_timeout=0.3).call("vpc", "DescribeNatGateways", {})
    assert 0.25 < time.monotonic() - started < 2
    assert caught.value.source == "vpc:DescribeNatGateways"
    assert len(peer.requests) == 1, "a timeout is not retried"


def test_ram_denial_of_one_action_is_forbidden_naming_the_permission(peer: OpenApiPeer) -> None:
    peer.forbid("DescribeLoadBalancerListeners")
    cloud = live(peer)
    assert cloud.call("slb", "DescribeLoadBalancers", {"Address": "203.0.113.10"})["LoadBalancers"]
    with pytest.raises(Forbidden) as caught:
        cloud.call("slb", "DescribeLoadBalancerListeners", {"LoadBalancerId.1": "lb-bp1vlz8fdzrvjl5ggprwc"})
    error = caught.value
    assert error.permission == "slb:DescribeLoadBalancerListeners"
    assert error.source == "slb:DescribeLoadBalancerListeners"
    assert "Forbidden.RAM" in error.reason and "RequestId" in error.reason and "HTTP 403" in error.reason


def test_rejected_credentials_are_forbidden_without_a_permission(peer: OpenApiPeer) -> None:
    peer.fail("InvalidAccessKeyId.NotFound", 404)
    with pytest.raises(Forbidden, match="credentials were rejected") as caught:
        live(peer).call("ecs", "DescribeInstances", {})
    assert caught.value.permission == ""


@pytest.mark.parametrize(
    "code, status", [("Throttling.User", 400), ("Throttling", 400), ("Throttling.Api", 400),
                     ("ServiceUnavailable", 503)]
)  # fmt: skip
def test_throttled_twice_succeeds_on_the_third_attempt(peer: OpenApiPeer, code: str, status: int) -> None:
    peer.throttle(2, code, status)
    body = live(peer).call("vpc", "DescribeNatGateways", {})
    assert body["NatGateways"]["NatGateway"]
    assert [r.status for r in peer.requests] == [status, status, 200]
    assert peer.requests[1].params == peer.requests[2].params == peer.requests[0].params


def test_throttled_forever_gives_up_after_max_attempts_with_growing_pauses(peer: OpenApiPeer) -> None:
    pauses: list[float] = []
    peer.throttle()
    cloud = live(peer, backoff=0.1, backoff_cap=10, sleep=pauses.append)
    with pytest.raises(SourceError, match="after 4 attempt.*Throttling.User") as caught:
        cloud.call("slb", "DescribeLoadBalancers", {})
    assert type(caught.value) is SourceError
    assert len(peer.requests) == 4 == cloud.max_attempts
    assert len(pauses) == 3
    for attempt, pause in enumerate(pauses, start=1):  # equal jitter: between half and all of 0.1 * 2^n
        ceiling = 0.1 * 2 ** (attempt - 1)
        assert ceiling / 2 <= pause <= ceiling


def test_retries_stop_when_the_time_budget_is_spent(peer: OpenApiPeer) -> None:
    peer.throttle()
    with pytest.raises(SourceError, match="after 1 attempt"):
        live(peer, backoff=1.0, backoff_cap=10, retry_budget=0.2).call("slb", "DescribeLoadBalancers", {})
    assert len(peer.requests) == 1


# ---------------------------------------------------------------------- credentials
def test_the_secret_never_appears_in_errors_or_in_what_was_sent(peer: OpenApiPeer, world: Any) -> None:
    messages = [repr(live(peer))]
    for fault in (lambda: peer.forbid(), lambda: peer.throttle(), lambda: peer.fail("InternalError", 500)):
        peer.reset()
        fault()
        with pytest.raises(SourceError) as caught:
            live(peer).call("slb", "DescribeLoadBalancers", {})
        messages += [str(caught.value), repr(caught.value), str(caught.value.__cause__)]
    peer.reset()
    for trace in demo_traces(live_sources(world, live(peer))):
        messages += [f.message + repr(f.evidence) for f in trace.findings]
    peer.refuse()
    with pytest.raises(Unreachable) as caught:
        live(peer).call("slb", "DescribeLoadBalancers", {})
    messages.append(str(caught.value))
    recorded = json.dumps([asdict(r) for r in peer.requests])
    assert peer.requests and all(f"Credential={FAKE_ID}," in r.authorization for r in peer.requests)
    assert FAKE_SECRET not in recorded
    assert not [m for m in messages if FAKE_SECRET in m]


def test_default_chain_reads_environment_variables_set_before_import(
    peer: OpenApiPeer, tmp_path: Path
) -> None:
    script = textwrap.dedent(f"""
        from ackwb.sources.live_cloud import LiveCloud
        cloud = LiveCloud("{REGION}", endpoint="{peer.endpoint}", protocol="http")
        print(cloud.call("vpc", "DescribeNatGateways", {{}})["RequestId"])
    """)
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tFromTheEnvironment",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    }  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "env-secret" not in done.stdout + done.stderr
    assert [r.authorization.split(",")[0] for r in peer.requests] == [
        "ACS3-HMAC-SHA256 Credential=LTAI5tFromTheEnvironment"
    ]


def write_profiles(home: Path) -> None:
    (home / ".aliyun").mkdir(exist_ok=True)
    (home / ".aliyun" / "config.json").write_text(json.dumps({
        "current": "other",
        "profiles": [
            {"name": "qas", "mode": "AK", "access_key_id": "LTAI5tCliQas", "access_key_secret": "cli-secret"},
            {"name": "other", "mode": "AK", "access_key_id": "LTAI5tCliOther", "access_key_secret": "x"},
        ],
    }))  # fmt: skip
    (home / ".alibabacloud").mkdir(exist_ok=True)
    (home / ".alibabacloud" / "credentials.ini").write_text(
        "[ops]\ntype = access_key\naccess_key_id = LTAI5tIniOps\naccess_key_secret = ini-secret\n"
    )


@pytest.mark.parametrize("profile, key_id", [("qas", "LTAI5tCliQas"), ("ops", "LTAI5tIniOps")])
def test_a_named_profile_uses_that_profile_and_not_the_environment(
    peer: OpenApiPeer, fake_credentials: Path, profile: str, key_id: str
) -> None:
    write_profiles(fake_credentials)
    live(peer, credential_profile=profile).call("vpc", "DescribeNatGateways", {})
    assert f"Credential={key_id}," in peer.requests[0].authorization


def test_a_missing_profile_is_a_clear_error_not_a_fallback(peer: OpenApiPeer, fake_credentials: Path) -> None:
    write_profiles(fake_credentials)
    with pytest.raises(SourceError, match="no usable Alibaba Cloud credentials.*'nope'") as caught:
        live(peer, credential_profile="nope").call("vpc", "DescribeNatGateways", {})
    assert not isinstance(caught.value, Unreachable)
    assert peer.requests == []
    assert "cli-secret" not in str(caught.value) and "ini-secret" not in str(caught.value)


def test_explicit_profile_files_can_be_given(peer: OpenApiPeer, tmp_path: Path) -> None:
    write_profiles(tmp_path)
    credential = credential_client("qas", cli_config_file=str(tmp_path / ".aliyun" / "config.json"))
    live(peer, credential=credential).call("vpc", "DescribeNatGateways", {})
    assert "Credential=LTAI5tCliQas," in peer.requests[0].authorization


# ---------------------------------------------------------------------- endpoints
def test_without_an_override_each_product_uses_its_sdk_endpoint_for_the_region() -> None:
    cloud = LiveCloud(REGION)
    assert cloud.endpoint_of("slb") == "slb.aliyuncs.com"
    assert cloud.endpoint_of("ecs") == "ecs-cn-hangzhou.aliyuncs.com"
    assert cloud.endpoint_of("cs") == "cs.cn-hangzhou.aliyuncs.com"
    assert LiveCloud("eu-central-1").endpoint_of("vpc") == "vpc.eu-central-1.aliyuncs.com"
    assert cloud.endpoint_of("pvtz") == "pvtz.aliyuncs.com"  # with or without its optional SDK package
    assert cloud.endpoint_of("nlb") == "nlb.cn-hangzhou.aliyuncs.com"
    assert LiveCloud(REGION, endpoint="127.0.0.1:1").endpoint_of("alidns") == "127.0.0.1:1"


@pytest.mark.parametrize(
    "options", [{"region": "cn hangzhou"}, {"endpoint": "http://127.0.0.1:80"}, {"protocol": "ftp"},
                {"read_timeout": 0}, {"max_attempts": 0}]
)  # fmt: skip
def test_bad_settings_are_input_errors_naming_the_value(options: dict[str, Any]) -> None:
    from ackwb.errors import InputError

    settings: dict[str, Any] = {"region": REGION, **options}
    with pytest.raises(InputError):
        LiveCloud(settings.pop("region"), **settings)


# --------------------------------------------------------------------------- traces
def test_live_traces_equal_the_demo_traces_and_only_read(peer: OpenApiPeer, world: Any) -> None:
    demo = demo_traces(world.sources())
    got = demo_traces(live_sources(world, live(peer)))
    assert [t.rows for t in got] == [t.rows for t in demo]
    assert [t.findings for t in got] == [t.findings for t in demo]
    assert got == demo
    assert peer.requests
    assert all(is_read_action(r.action) and r.method in ("GET", "POST") for r in peer.requests)


def test_a_denied_listener_read_makes_an_unknown_hop_and_a_finding(peer: OpenApiPeer, world: Any) -> None:
    peer.forbid("DescribeLoadBalancerListeners")
    trace = run_trace(live_sources(world, live(peer)), "app1.qas.abc.com")
    denied = [f for f in trace.findings if f.code == "SOURCE_FORBIDDEN"]
    assert denied and "slb:DescribeLoadBalancerListeners" in denied[0].message
    assert any(h.verdict.value == "unknown" for h in trace.hops)


def test_an_unreachable_cloud_still_gives_a_trace(peer: OpenApiPeer, world: Any) -> None:
    cloud = live(peer)
    peer.refuse()
    trace = run_trace(live_sources(world, cloud), "app1.qas.abc.com")
    assert {f.code for f in trace.findings} >= {"SOURCE_UNREACHABLE"}


def test_each_attempt_waits_for_its_products_rate_limit(peer: OpenApiPeer) -> None:
    now, pauses = [0.0], []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    cloud = live(peer, rate_limits={"slb": 1}, clock=lambda: now[0], sleep=sleep, backoff=0.01)
    for _ in range(3):
        cloud.call("slb", "DescribeLoadBalancers", {})
    cloud.call("ecs", "DescribeInstances", {})  # another product: its own bucket, no wait
    assert pauses == [1.0, 1.0] and len(peer.requests) == 4
    peer.throttle(1)
    cloud.call("slb", "DescribeLoadBalancers", {})  # the retry after throttling takes a token too
    assert [r.status for r in peer.requests[4:]] == [400, 200]
    limit_wait, backoff, retry_wait = pauses[2:]
    assert limit_wait == 1.0 and backoff > 0 and backoff + retry_wait == pytest.approx(1.0)
