"""The OpenAPI test server rejects what the real gateway rejects, so a request the service would
refuse fails a test instead of passing against a lenient fake.

It checks the ACS3-HMAC-SHA256 signature with the test secrets (a wrong secret, an unknown key, a
request changed after signing, no signature at all), and reads each parameter only where the
action's SDK method sends it: ``ListServerGroupServers`` in the query string (as ackwb sent it
before) is ``InvalidParameter``, so is a parameter the action does not have. The SDK's own typed
methods pass, which shows the server's placement table (read from the SDK) is the SDK's.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_nlb20220430 import models as nlb_models
from alibabacloud_nlb20220430.client import Client as NlbClient
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_slb20140515.client import Client as SlbClient
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
from darabonba.exceptions import ResponseException
from darabonba.runtime import RuntimeOptions
from peers.openapi import OpenApiPeer
from peers.openapi_auth import TEST_KEYS

from ackwb.errors import Forbidden, SourceError
from ackwb.sources.live_cloud import LiveCloud
from ackwb.sources.world import load_demo_world

KEY_ID = "LTAI5tTestOnlyKeyId0000001"
GROUP = "sgp-fij2n4dmssn965urds1v"


@pytest.fixture(scope="module")
def peer() -> Iterator[OpenApiPeer]:
    with OpenApiPeer(load_demo_world().sources().cloud) as started:
        yield started


def credential(secret: str | None = None, key_id: str = KEY_ID) -> Any:
    secret = secret if secret is not None else TEST_KEYS[KEY_ID]
    config = CredentialConfig(type="access_key", access_key_id=key_id, access_key_secret=secret)
    return CredentialClient(config)


def live(peer: OpenApiPeer, **options: Any) -> LiveCloud:
    options.setdefault("credential", credential())
    return LiveCloud("cn-hangzhou", endpoint=peer.endpoint, protocol="http", read_timeout=5, **options)


def sdk_config(peer: OpenApiPeer) -> Config:
    config = Config(credential=credential(), region_id="cn-hangzhou", endpoint=peer.endpoint)
    config.protocol = "http"
    return config


def test_a_correctly_signed_call_is_answered(peer: OpenApiPeer) -> None:
    assert live(peer).call("vpc", "DescribeNatGateways", {})["NatGateways"]["NatGateway"]


@pytest.mark.parametrize("secret, key_id", [("not-the-secret", KEY_ID), (None, "LTAI5tNobodyKnowsThisKey")])
def test_a_wrong_secret_or_an_unknown_key_is_rejected(
    peer: OpenApiPeer, secret: str | None, key_id: str
) -> None:
    cloud = live(peer, credential=credential(secret, key_id))
    rejected = "credentials were rejected.*(SignatureDoesNotMatch|InvalidAccessKeyId)"
    with pytest.raises(Forbidden, match=rejected):
        cloud.call("vpc", "DescribeNatGateways", {})


def test_a_request_changed_after_signing_or_unsigned_is_rejected(peer: OpenApiPeer) -> None:
    peer.reset()
    live(peer).call("slb", "DescribeLoadBalancers", {"Address": "203.0.113.10"})
    sent = peer.requests[-1]
    headers = {**sent.headers, "authorization": sent.authorization}
    connection = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=5)
    changed, unsigned = "/?Address=198.51.100.20&RegionId=cn-hangzhou", "/?Address=203.0.113.10"
    for path, drop in ((changed, None), (unsigned, "authorization")):
        send = {k: v for k, v in headers.items() if k not in ("content-length", drop)}
        connection.request("POST", path, headers=send)
        answer = connection.getresponse()
        body = answer.read().decode()
        assert answer.status == 400, body
        assert "SignatureDoesNotMatch" in body or "IncompleteSignature" in body, body
    connection.close()


def test_a_parameter_in_the_wrong_place_is_invalid(peer: OpenApiPeer) -> None:
    """What ackwb sent before: ListServerGroupServers with its parameters in the query string."""
    params = Params(
        action="ListServerGroupServers", version="2022-04-30", protocol="HTTP", pathname="/", method="POST",
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )  # fmt: skip
    request = OpenApiRequest(query={"RegionId": "cn-hangzhou", "ServerGroupId": GROUP})
    with pytest.raises(ResponseException) as caught:
        OpenApiClient(sdk_config(peer)).call_api(params, request, RuntimeOptions())
    assert caught.value.code == "InvalidParameter" and "belongs in the form body" in str(caught.value)


def test_an_unknown_parameter_is_invalid(peer: OpenApiPeer) -> None:
    unknown = "InvalidParameter: Adress sent in the query: .* has no such parameter"
    with pytest.raises(SourceError, match=unknown):
        live(peer).call("slb", "DescribeLoadBalancers", {"Adress": "203.0.113.10"})


def test_ackwb_sends_list_server_group_servers_in_the_form_body(peer: OpenApiPeer) -> None:
    peer.reset()
    body = live(peer).call("nlb", "ListServerGroupServers", {"ServerGroupId": GROUP, "MaxResults": 100})
    assert body["Servers"]
    (sent,) = peer.requests
    assert sent.form == {"RegionId": "cn-hangzhou", "ServerGroupId": GROUP, "MaxResults": "100"}


def test_the_sdks_own_typed_methods_are_accepted(peer: OpenApiPeer) -> None:
    runtime = RuntimeOptions()
    request = nlb_models.ListServerGroupServersRequest(
        server_group_id=GROUP, region_id="cn-hangzhou", max_results=50
    )
    nlb = NlbClient(sdk_config(peer)).list_server_group_servers_with_options(request, runtime)
    assert nlb.body.servers
    slb = SlbClient(sdk_config(peer)).describe_load_balancers_with_options(
        slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou", address="203.0.113.10"), runtime
    )
    assert slb.body.load_balancers.load_balancer[0].address == "203.0.113.10"
