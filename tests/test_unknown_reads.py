"""A failed read is unknown, never a verdict (issue 11, points 4, 11 and 12).

The seam (``Sources``) answers as a node or a controller Pod would when the command fails: ipvsadm
missing (exit 127) or not allowed ("Can't initialize ipvs"), the dynamic backends unreadable. The
hop is then unknown with a finding naming the cause, never "no virtual server" or "no endpoints".
Names that reach a command to paste are quoted for the shell, and a rendered location naming
something that is no Kubernetes name is not followed.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Severity, Verdict
from ackwb.sources import CommandOutput
from ackwb.sources.commands import Command
from ackwb.steps.common import sh
from ackwb.steps.slb.records import CLB

A2 = "app2.qas.abc.com"  # service-upstream: the ClusterIP and kube-proxy are on the request path


class FailingIpvsadm:
    """Node answers as the real node gives them, except ipvsadm, which fails as given."""

    def __init__(self, inner, status: int, stderr: str) -> None:
        self.inner, self.status, self.stderr = inner, status, stderr

    def run(self, node: str, command: Command) -> CommandOutput:
        if command.argv[0] == "ipvsadm":
            return CommandOutput("", self.status, self.stderr)
        return self.inner.run(node, command)


@pytest.mark.parametrize(
    ("status", "stderr"),
    [(127, "bash: ipvsadm: command not found\n"), (2, "Can't initialize ipvs: Permission denied\n")],
)
def test_a_failing_ipvsadm_is_unknown_not_a_missing_virtual_server(status: int, stderr: str) -> None:
    wb = Workbook.demo()
    sources = replace(wb.sources, node=FailingIpvsadm(wb.sources.node, status, stderr))
    trace = Workbook(sources).trace(A2)
    codes = {f.code for f in trace.findings}
    assert "KUBE_PROXY_VIP_MISSING" not in codes and "KUBE_PROXY_STALE_RULES" not in codes
    unread = [f for f in trace.findings if f.code == "KUBE_PROXY_UNREADABLE"]
    assert unread and all(f.severity is Severity.WARNING for f in unread)
    assert (
        stderr.strip().split(": ")[-1] in unread[0].message and f"exit status {status}" in unread[0].message
    )
    hops = [h for h in trace.hops if h.id.startswith("kube-proxy:")]
    assert hops and {h.verdict for h in hops} == {Verdict.UNKNOWN}
    assert trace.verdict is Verdict.UNKNOWN  # app2's request goes through the ClusterIP: not seen whole


def test_no_such_service_is_the_only_absence() -> None:
    wb = Workbook.demo()
    sources = replace(wb.sources, node=FailingIpvsadm(wb.sources.node, 1, "No such service\n"))
    trace = Workbook(sources).trace(A2)
    assert {f.code for f in trace.findings} >= {"KUBE_PROXY_VIP_MISSING"}


class SilentBackends:
    """Controller Pods answer their server block, but neither backends command."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        if command.name in ("nginx-backend", "nginx-backends"):
            return CommandOutput("", 1, "curl: (7) Failed to connect to 127.0.0.1 port 10246\n")
        return self.inner.run(namespace, pod, container, command)


def test_unreadable_dynamic_backends_leave_the_ingress_hop_unknown() -> None:
    wb = Workbook.demo()
    trace = Workbook(replace(wb.sources, pod_exec=SilentBackends(wb.sources.pod_exec))).trace(
        "app1.qas.abc.com"
    )
    (unread,) = [f for f in trace.findings if f.code == "INGRESS_BACKENDS_UNREADABLE"]
    assert "Failed to connect" in unread.message
    hop = next(h for h in trace.hops if h.kind == "ingress")
    assert hop.verdict is Verdict.UNKNOWN and trace.verdict is Verdict.UNKNOWN
    assert "INGRESS_BACKEND_NO_ENDPOINTS" not in {f.code for f in trace.findings}


def test_a_location_naming_no_kubernetes_name_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), root)
    for conf in (root / "pods").rglob("nginx.conf"):
        text = conf.read_text()
        assert 'set $service_name   "app1-service";' in text
        conf.write_text(text.replace('set $service_name   "app1-service";', 'set $service_name   "x; id #";'))
    trace = Workbook.from_world(root).trace("app1.qas.abc.com")
    (bad,) = [f for f in trace.findings if f.code == "INGRESS_NAME_NOT_VALID"]
    assert "'x; id #'" in bad.message and bad.evidence
    assert trace.verdict is Verdict.UNKNOWN and not trace.step("service")
    for finding in trace.findings:  # every command to paste survives a shell's word splitting
        assert "; id #" not in finding.check


def test_commands_quote_every_word_from_the_world() -> None:
    assert sh("app1-service") == "app1-service" and sh("x; id #") == "'x; id #'"
    assert shlex.split(f"kubectl -n app get service {sh('x; id #')}")[-1] == "x; id #"
    command = CLB.check(CLB.group_command, region="cn-hangzhou", group="rsp-1; rm -rf /")
    assert command.endswith("--VServerGroupId 'rsp-1; rm -rf /'")


def test_a_pod_on_an_exclusive_eni_is_found_by_its_primary_address() -> None:
    """PrivateIpAddress.N matches secondary addresses only: an exclusive ENI's Pod is found by
    PrimaryIpAddress, and its egress follows that ENI's vSwitch."""
    trace = Workbook.demo("terway-eni-https").trace("www.tee.abc.com")
    rows = trace.step("egress").rows
    assert rows and all("exclusive ENI" in row["how"] for row in rows)
    assert {row["vswitch"] for row in rows} == {next(h.id for h in trace.hops if h.kind == "vswitch")[8:]}
