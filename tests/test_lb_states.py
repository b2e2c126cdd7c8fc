"""Load balancer answers read as the real APIs mean them (issue 11, point 12, source side).

- NLB listeners in ``Configuring`` or ``Provisioning`` (while the cloud controller manager
  reconciles) still serve: they are not "stopped".
- An NLB server reported ``Unused`` (weight 0) is not of unknown health.
- CLB and NLB health is matched by (ServerIp, Port) when the API gives ServerIp: with Terway's
  shared ENIs several Pods sit on one ENI and port, and matching by (ServerId, Port) gave all of
  them the health of one.
- Alidns is called at its central endpoint whatever the region.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.sources.live_cloud import LiveCloud

CLOUD = "cloud"
SHARED_ENI = "eni-bp1s4enpxfv5psw6mzh9"


def world_with(tmp_path: Path, edits: dict[str, Callable[[Any], None]]) -> Workbook:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    for relative, edit in edits.items():
        path = world / CLOUD / relative
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(json.dumps(data), encoding="utf-8")
    return Workbook.from_world(world)


@pytest.mark.parametrize("status", ["Configuring", "Provisioning"])
def test_an_nlb_listener_being_reconciled_is_not_stopped(tmp_path: Path, status: str) -> None:
    def edit(data: Any) -> None:
        for listener in data["Listeners"]:
            listener["ListenerStatus"] = status

    trace = world_with(tmp_path, {"nlb/ListListeners.json": edit}).trace("app4.qas.abc.com")
    assert "LB_LISTENER_STOPPED" not in {f.code for f in trace.findings}
    lb = trace.step("slb")
    assert lb is not None and lb.listener is not None and lb.listener.raw["ListenerStatus"] == status
    assert trace.verdict.value == "ok"


def test_an_unused_nlb_server_is_not_of_unknown_health(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        unused = {"ServerId": SHARED_ENI, "ServerIp": "10.17.10.11", "Port": 80, "Status": "Unused"}
        data["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["NonNormalServers"] = [unused]

    trace = world_with(tmp_path, {"nlb/GetListenerHealthStatus/lsn-wuc45bztw6yq1gjfmec0.json": edit}).trace(
        "app4.qas.abc.com"
    )
    health = {b.server_ip: b.health for b in trace.step("slb").backends}
    assert health == {"10.17.10.11": "unused", "10.17.10.12": "normal"}


def shared_eni_group(data: Any, server: str = "ServerId") -> None:
    """Both backends on one ENI (Terway shared ENI): same ServerId and port, different ServerIp."""
    rows = data["BackendServers"]["BackendServer"] if "BackendServers" in data else data["Servers"]
    for row in rows:
        row[server] = SHARED_ENI


def test_clb_health_of_pods_sharing_an_eni_is_matched_by_ip(tmp_path: Path) -> None:
    def health(data: Any) -> None:
        shared_eni_group(data)
        for row in data["BackendServers"]["BackendServer"]:
            row["ServerHealthStatus"] = "abnormal" if row["ServerIp"] == "10.17.10.11" else "normal"

    wb = world_with(tmp_path, {
        "slb/DescribeVServerGroupAttribute/rsp-bp1guq2nifdtc7rz078j.json": shared_eni_group,
        "slb/DescribeHealthStatus/lb-bp1vlz8fdzrvjl5ggprwc.json": health,
    })  # fmt: skip
    trace = wb.trace("app1.qas.abc.com")
    lb = trace.step("slb")
    assert {(b.server_id, b.server_ip, b.health) for b in lb.backends} == {
        (SHARED_ENI, "10.17.10.11", "abnormal"), (SHARED_ENI, "10.17.10.12", "normal")
    }  # fmt: skip
    codes = {f.code for f in trace.findings}
    assert "LB_BACKEND_UNHEALTHY" in codes and "LB_BACKENDS_UNHEALTHY" not in codes


def test_nlb_health_of_pods_sharing_an_eni_is_matched_by_ip(tmp_path: Path) -> None:
    def health(data: Any) -> None:
        sick = {"ServerId": SHARED_ENI, "ServerIp": "10.17.10.12", "Port": 80, "Status": "Unhealthy"}
        data["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["NonNormalServers"] = [sick]

    wb = world_with(tmp_path, {
        "nlb/ListServerGroupServers/sgp-fij2n4dmssn965urds1v.json": shared_eni_group,
        "nlb/GetListenerHealthStatus/lsn-wuc45bztw6yq1gjfmec0.json": health,
    })  # fmt: skip
    lb = wb.trace("app4.qas.abc.com").step("slb")
    health = {(b.server_ip, b.health) for b in lb.backends}
    assert health == {("10.17.10.11", "normal"), ("10.17.10.12", "abnormal")}


@pytest.mark.parametrize("region", ["cn-hangzhou", "eu-central-1", "ap-southeast-1", "cn-beijing"])
def test_alidns_is_called_at_its_central_endpoint_in_every_region(region: str) -> None:
    assert LiveCloud(region).endpoint_of("alidns") == "alidns.aliyuncs.com"
    assert LiveCloud(region, endpoint="127.0.0.1:9").endpoint_of("alidns") == "127.0.0.1:9"  # the profile's
