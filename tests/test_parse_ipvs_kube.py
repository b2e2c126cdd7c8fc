"""kube_proxy_view: IPVS virtual servers labelled with the Kubernetes way in they stand for."""

from __future__ import annotations

import json

import pytest
from test_parse_support import Case, case_params

from ackwb.errors import ParseError
from ackwb.parse.ipvs_kube import kube_proxy_view
from ackwb.parse.ipvsadm import parse_ipvsadm


def _view(raw: dict):
    return kube_proxy_view(
        parse_ipvsadm(raw["ipvsadm"]),
        raw["node_addresses"],
        services=raw.get("services"),
        cluster_ips=raw.get("cluster_ips"),
        service_cidr=raw.get("service_cidr"),
    )


@pytest.mark.parametrize("case", case_params("ipvs_kube"))
def test_fixture(case: Case) -> None:
    raw = json.loads(case.raw)
    if case.error is not None:
        with pytest.raises(ParseError) as caught:
            _view(raw)
        assert case.error in str(caught.value)
        return
    view = _view(raw)
    roles = [
        {
            "address": r.virtual.address,
            "port": r.virtual.port,
            "protocol": r.virtual.protocol,
            "kind": r.kind,
            "service": r.service,
        }
        for r in view.roles
    ]
    assert roles == case.expected["roles"]
    missing = [vars(m) for m in view.missing]
    assert missing == case.expected["missing"]


def test_lookups() -> None:
    case = next(
        c for c in case_params("ipvs_kube") if c.id == "with_services_nodeports_missing_on_cni0"
    ).values[0]
    view = _view(json.loads(case.raw))
    assert view.role("[192.168.0.1]", 443).kind == "cluster-ip"
    assert view.role("192.168.0.10", 53, "udp").service == "kube-system/kube-dns:dns"
    assert view.role("10.9.9.9", 1) is None
    kinds = sorted(r.kind for r in view.for_service("kube-system/nginx-ingress-lb:http"))
    assert kinds == ["cluster-ip", "load-balancer", "node-port", "node-port"]


def test_a_service_cidr_that_is_not_a_network_is_an_error() -> None:
    with pytest.raises(ParseError, match="not a network"):
        kube_proxy_view(
            parse_ipvsadm(
                "Prot LocalAddress:Port Scheduler Flags\n"
                "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            ),
            [],
            service_cidr="192.168.0.0/33",
        )
