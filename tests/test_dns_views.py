"""Who resolves the name: a client inside the cluster's VPC through the PrivateZone zones bound to
it, an internet client through public DNS; and Ingress status addresses checked against the answer.

flannel-nodeport binds zone fln.abc.com (ProxyPattern ZONE: it answers every name under it) with
its three hosts; terway-nlb binds zone tnl.abc.com (ProxyPattern RECORD: names it does not hold go
on to public DNS) with admin → the intranet CLB. Expectations are written from those facts; the
live traces run against the real peers (the OpenAPI test server answers PrivateZone, dnsmasq
public DNS, the Kubernetes API server the Ingresses).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from peers.lab import live_lab

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Severity, Trace, Verdict
from ackwb.sources.world import load_world
from ackwb.trace import dead_end

FLN_VPC, TNL_VPC = "vpc-bp1dezw4in919rq87i9x", "vpc-bp1jz03ea031wkz4hu3f"
FLN_ZONE, TNL_ZONE = "pz-ks3zu9bhcqct7ccc0im6", "pz-a4f3mtchlaaa97ithvbc"
NLB = "nlb-vw02naiuq5kxg1dg3shr.cn-hangzhou.nlb.aliyuncsslb.com"


@dataclass(frozen=True)
class View:
    world: str
    domain: str
    client_ip: str | None
    client: str  # the client hop's label
    label: str  # the DNS hop's label
    view: str  # the DNS hop's "view" detail
    lb_address: str  # the address the load-balancer step looks up


VIEWS = [
    View("flannel-nodeport", "web.fln.abc.com", "10.20.1.50", f"client (inside {FLN_VPC})",
         "web.fln.abc.com\nA 203.0.113.60",
         f"resolved as a client inside {FLN_VPC} sees it: PrivateZone zone fln.abc.com ({FLN_ZONE}) "
         "record web: A 203.0.113.60", "203.0.113.60"),
    View("flannel-nodeport", "web.fln.abc.com", "192.0.2.7", "client (internet)",
         "web.fln.abc.com\nA 203.0.113.60", f"public DNS: 192.0.2.7 is outside {FLN_VPC} (10.20.0.0/16)",
         "203.0.113.60"),
    View("flannel-nodeport", "web.fln.abc.com", None, "client (internet)",
         "web.fln.abc.com\nA 203.0.113.60", "public DNS", "203.0.113.60"),
    View("terway-nlb", "admin.tnl.abc.com", "10.30.1.20", f"client (inside {TNL_VPC})",
         "admin.tnl.abc.com\nA 10.30.1.250",
         f"resolved as a client inside {TNL_VPC} sees it: PrivateZone zone tnl.abc.com ({TNL_ZONE}) "
         "record admin: A 10.30.1.250", "10.30.1.250"),
    View("terway-nlb", "admin.tnl.abc.com", "198.51.100.9", "client (internet)",
         "admin.tnl.abc.com\nA 10.30.1.250",
         f"public DNS: 198.51.100.9 is outside {TNL_VPC} (10.30.0.0/16)", "10.30.1.250"),
    View("flannel-nodeport", "web.fln.abc.com", "10.20.200.5", f"client (inside {FLN_VPC})",
         "web.fln.abc.com\nA 203.0.113.60",
         f"resolved as a client inside {FLN_VPC} sees it: PrivateZone zone fln.abc.com ({FLN_ZONE}) "
         "record web: A 203.0.113.60", "203.0.113.60"),
    View("terway-nlb", "admin.tnl.abc.com", "10.30.200.5", f"client (inside {TNL_VPC})",
         "admin.tnl.abc.com\nA 10.30.1.250",
         f"resolved as a client inside {TNL_VPC} sees it: PrivateZone zone tnl.abc.com ({TNL_ZONE}) "
         "record admin: A 10.30.1.250", "10.30.1.250"),
    View("terway-nlb", "shop.tnl.abc.com", "10.30.1.20", f"client (inside {TNL_VPC})",
         f"shop.tnl.abc.com\nCNAME {NLB}.\nA 203.0.113.70\nA 203.0.113.71",
         f"public DNS: no PrivateZone zone bound to {TNL_VPC} answers shop.tnl.abc.com", "203.0.113.70"),
]  # fmt: skip


def trace_of(world: str | Path, domain: str, client_ip: str | None = None) -> Trace:
    wb = Workbook.from_world(world) if isinstance(world, Path) else Workbook.demo(world)
    return wb.trace(domain, client_ip=client_ip)


@pytest.mark.parametrize("case", VIEWS, ids=lambda c: f"{c.world}:{c.domain}:{c.client_ip}")
def test_the_client_picks_the_resolver_view(case: View) -> None:
    trace = trace_of(case.world, case.domain, case.client_ip)
    client, hop = trace.hops[0], next(h for h in trace.hops if h.kind == "dns")
    assert (client.id, client.label) == ("client", case.client)
    assert hop.label == case.label and dict(hop.details)["view"] == case.view
    assert trace.step("dns").addresses[0] == case.lb_address
    looked_up = next(h for h in trace.hops if h.kind == "lb")
    assert looked_up.label.endswith("\n" + case.lb_address), looked_up.label


@pytest.mark.parametrize(
    ("world", "vpc", "domain", "on_vswitch", "elsewhere", "cidrs"),
    [("flannel-nodeport", FLN_VPC, "web.fln.abc.com", "10.20.1.50", "10.20.200.5", "10.20.1.0/24"),
     ("terway-nlb", TNL_VPC, "admin.tnl.abc.com", "10.30.1.20", "10.30.200.5",
      "10.30.1.0/24, 10.30.2.0/24, 10.30.64.0/20, 10.30.80.0/20")],
)  # fmt: skip
def test_without_the_vpcs_cidr_blocks_only_the_vswitches_are_known_and_the_trace_says_so(
    tmp_path: Path, world: str, vpc: str, domain: str, on_vswitch: str, elsewhere: str, cidrs: str
) -> None:
    """No vpc:DescribeVpcs answer: a client on the cluster's vSwitches is still inside; one elsewhere
    is resolved publicly with the unread CIDR blocks as a finding, never silently."""
    root = tmp_path / "world"
    shutil.copytree(str(demo_world_root(world)), root)
    (root / "cloud/vpc/DescribeVpcs.json").unlink()
    inside = trace_of(root, domain, on_vswitch)
    assert dict(next(h for h in inside.hops if h.kind == "dns").details)["view"].startswith(
        f"resolved as a client inside {vpc} sees it"
    )
    unsure = trace_of(root, domain, elsewhere)
    hop = next(h for h in unsure.hops if h.kind == "dns")
    assert dict(hop.details)["view"] == (
        f"public DNS: {elsewhere} is outside the cluster's vSwitches in {vpc} ({cidrs}); whether it is "
        "elsewhere in the VPC could not be read"
    )
    unread = [f for f in unsure.findings if f.hop == hop.id and f.code.startswith("SOURCE_")]
    assert unread and f"the CIDR blocks of {vpc}" in unread[0].message, [f.code for f in unsure.findings]
    sources = {e.source for e in inside.step("dns").evidence}
    assert "vpc:DescribeVSwitchAttributes" in sources and "vpc:DescribeVpcs" not in sources


def test_the_private_view_follows_the_zone_and_lists_its_record() -> None:
    trace = trace_of("terway-nlb", "admin.tnl.abc.com", "10.30.1.20")
    rows = trace.step("dns").rows
    assert rows == [{"name": "admin.tnl.abc.com.", "type": "A", "ttl": 60, "value": "10.30.1.250",
                     "source": f"PrivateZone tnl.abc.com ({TNL_VPC})"}]  # fmt: skip
    evidence = {(e.source, e.locator) for e in trace.step("dns").evidence}
    assert ("pvtz:DescribeZoneRecords", f"ZoneId={TNL_ZONE} Keyword=admin Records.Record[]") in evidence
    assert ("cs:DescribeClusterDetail", "vpc_id") in evidence
    assert ("vpc:DescribeVpcs", f"{TNL_VPC} CidrBlock") in evidence
    assert not any(r["source"].startswith("Alidns") for r in rows), "the public record is not this view's"


def _without(root: Path, world: str, zone: str, rr: str) -> Path:
    shutil.copytree(str(demo_world_root(world)), root)
    stored = root / "cloud/pvtz/DescribeZoneRecords" / f"{zone}.json"
    body = json.loads(stored.read_text())
    body["Records"]["Record"] = [r for r in body["Records"]["Record"] if r["Rr"] != rr]
    stored.write_text(json.dumps(body))
    return root


def test_a_zone_without_the_record_shadows_the_public_answer_for_vpc_clients(tmp_path: Path) -> None:
    """Zone fln.abc.com (ProxyPattern ZONE) loses record api: clients inside the VPC get NXDOMAIN
    although Alidns still holds api; internet clients are not affected."""
    root = _without(tmp_path / "world", "flannel-nodeport", FLN_ZONE, "api")
    inside = trace_of(root, "api.fln.abc.com", "10.20.1.50")
    (finding,) = [f for f in inside.findings if f.code == "DNS_PRIVATE_ZONE_SHADOWS"]
    assert finding.severity is Severity.ERROR and finding.hop == "dns:api.fln.abc.com"
    assert f"PrivateZone zone fln.abc.com ({FLN_ZONE})" in finding.message
    assert "ProxyPattern ZONE" in finding.message
    assert any(e.source == "pvtz:DescribeZones" and e.excerpt == "ZONE" for e in finding.evidence)
    assert inside.verdict is Verdict.BLOCKED and dead_end(inside) == finding.message
    outside = trace_of(root, "api.fln.abc.com", "192.0.2.7")
    assert outside.verdict is Verdict.OK and not [f for f in outside.findings if f.code.startswith("DNS_P")]


def test_a_record_pattern_zone_lets_a_missing_name_go_on_to_public_dns(tmp_path: Path) -> None:
    """Zone tnl.abc.com (ProxyPattern RECORD) loses record admin: VPC clients get the public answer."""
    root = _without(tmp_path / "world", "terway-nlb", TNL_ZONE, "admin")
    trace = trace_of(root, "admin.tnl.abc.com", "10.30.1.20")
    hop = next(h for h in trace.hops if h.kind == "dns")
    view = f"public DNS: no PrivateZone zone bound to {TNL_VPC} answers admin.tnl.abc.com"
    assert dict(hop.details)["view"] == view
    assert trace.step("dns").addresses == ["10.30.1.250"] and trace.verdict is Verdict.OK


@dataclass(frozen=True)
class Status:
    world: str
    domain: str
    client_ip: str | None
    ingress: str
    published: str  # the status address as the finding names it
    resolved: str
    verdict: Verdict


STATUS = [
    Status("terway-nlb", "admin.tnl.abc.com", None, "ops/admin-ingress",
           f"{NLB} (203.0.113.70, 203.0.113.71)", "10.30.1.250", Verdict.DEPENDS),
    Status("terway-nlb", "admin.tnl.abc.com", "10.30.1.20", "ops/admin-ingress",
           f"{NLB} (203.0.113.70, 203.0.113.71)", "10.30.1.250", Verdict.OK),
    Status("pvtz-record-stale", "web.fln.abc.com", "10.20.1.50", "app/web-ingress", "203.0.113.60",
           "203.0.113.59", Verdict.BLOCKED),
]  # fmt: skip


@pytest.mark.parametrize("case", STATUS, ids=lambda c: f"{c.world}:{c.client_ip}")
def test_an_ingress_status_the_host_does_not_resolve_to_is_a_warning(case: Status) -> None:
    trace = trace_of(case.world, case.domain, case.client_ip)
    (finding,) = [f for f in trace.findings if f.code == "INGRESS_STATUS_ADDRESS_DIFFERS"]
    assert finding.severity is Severity.WARNING and finding.hop == f"dns:{case.domain}"
    assert finding.message.startswith(
        f"Ingress {case.ingress} publishes {case.published} in status.loadBalancer, but {case.domain} "
        f"resolves to {case.resolved} ("
    )
    namespace, name = case.ingress.split("/")
    status = [e for e in finding.evidence if e.source == "kube:ingresses"]
    assert [e.locator.split(" ")[0] for e in status] == [f"{namespace}/{name}"]
    assert status[0].excerpt == case.published.split(" ")[0]
    assert any(case.resolved in e.excerpt for e in finding.evidence if e.source != "kube:ingresses")
    assert trace.verdict is case.verdict


@pytest.mark.parametrize(
    ("world", "domain", "client_ip"),
    [("pvtz-record-stale", "web.fln.abc.com", "192.0.2.7"),
     ("flannel-nodeport", "web.fln.abc.com", "10.20.1.50"),
     ("terway-nlb", "shop.tnl.abc.com", "10.30.1.20"), ("terway-nlb", "pay.tnl.abc.com", None)],
)  # fmt: skip
def test_a_host_that_resolves_to_its_status_address_has_no_such_finding(
    world: str, domain: str, client_ip: str | None
) -> None:
    trace = trace_of(world, domain, client_ip)
    assert not [f for f in trace.findings if f.code == "INGRESS_STATUS_ADDRESS_DIFFERS"]
    assert trace.verdict is Verdict.OK


def _trace_json(env: dict[str, str] | None, *args: str) -> dict[str, object]:
    command = [sys.executable, "-m", "ackwb.cli", "trace", *args, "--output", "json"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    assert run.returncode in (0, 1), run.stderr
    document = json.loads(run.stdout)
    document.pop("world")  # names the source: the live profile or the built-in world
    return document


@pytest.mark.parametrize(
    ("world", "requests"),
    [("flannel-nodeport", [("web.fln.abc.com", "10.20.1.50"), ("web.fln.abc.com", "192.0.2.7"),
                           ("web.fln.abc.com", "10.20.200.5")]),
     ("terway-nlb", [("admin.tnl.abc.com", "10.30.1.20"), ("admin.tnl.abc.com", "198.51.100.9"),
                     ("shop.tnl.abc.com", "10.30.1.20")])],
)  # fmt: skip
def test_a_live_trace_through_the_real_peers_equals_the_world_trace(
    world: str, requests: list[tuple[str, str]], tmp_path: Path
) -> None:
    with live_lab(load_world(demo_world_root(world)), tmp_path / "lab") as lab:
        ssh = lab.ssh  # the lab's ssh_config names the demo world's node range: add this world's nodes
        nodes = " ".join(ssh.node.ports)
        with ssh.config.open("a", encoding="utf-8") as config:
            config.write(f"Host {nodes}\n    User {ssh.user}\n    IdentityFile {ssh.key}\n")
            config.write("    ProxyJump jump\n")
        for domain, client_ip in requests:
            live = _trace_json(lab.env(), domain, "--profile", "lab", "--client-ip", client_ip)
            stored = _trace_json(None, domain, "--scenario", world, "--client-ip", client_ip)
            assert live == stored
            dns_hop = next(h for h in live["hops"] if h["kind"] == "dns")  # type: ignore[index]
            assert dns_hop["details"]["view"] == next(
                v.view for v in VIEWS if (v.world, v.domain, v.client_ip) == (world, domain, client_ip)
            )
        asked = {(r.product, r.action) for r in lab.cloud.requests}
    wanted = {("pvtz", "DescribeZones"), ("pvtz", "DescribeZoneRecords"), ("cs", "DescribeClusterDetail"),
              ("vpc", "DescribeVpcs")}  # fmt: skip
    assert wanted <= asked


# --- wildcard records ----------------------------------------------------------------------------


def _with_records(root: Path, world: str, zone: str, drop: str, add: list[tuple[str, str, str]]) -> Path:
    """A copy of ``world`` whose zone loses record ``drop`` and gains ``add`` (Rr, Type, Value)."""
    template = json.loads(
        (demo_world_root(world) / f"cloud/pvtz/DescribeZoneRecords/{zone}.json").read_text()
    )
    _without(root, world, zone, drop)
    stored = root / "cloud/pvtz/DescribeZoneRecords" / f"{zone}.json"
    body = json.loads(stored.read_text())
    template = template["Records"]["Record"][0]
    for i, (rr, kind, value) in enumerate(add):
        body["Records"]["Record"].append(
            {**template, "Rr": rr, "Type": kind, "Value": value, "RecordId": 900 + i}
        )
    stored.write_text(json.dumps(body))
    return root


@pytest.mark.parametrize(
    ("world", "zone", "vpc", "drop", "domain", "client_ip", "address"),
    [("flannel-nodeport", FLN_ZONE, FLN_VPC, "api", "api.fln.abc.com", "10.20.1.50", "203.0.113.60"),
     ("terway-nlb", TNL_ZONE, TNL_VPC, "admin", "admin.tnl.abc.com", "10.30.1.20", "10.30.1.250")],
)  # fmt: skip
def test_a_wildcard_record_answers_a_name_the_zone_does_not_hold(
    tmp_path: Path, world: str, zone: str, vpc: str, drop: str, domain: str, client_ip: str, address: str
) -> None:
    """Zone record ``*`` answers every name under the zone that has no record of its own, for VPC
    clients; a name under a held name (x.y with y held) is not answered by the apex wildcard."""
    root = _with_records(tmp_path / "world", world, zone, drop, [("*", "A", address), ("y", "A", "10.9.9.9")])
    trace = trace_of(root, domain, client_ip)
    hop = next(h for h in trace.hops if h.kind == "dns")
    zone_name = domain.split(".", 1)[1]
    assert dict(hop.details)["view"] == (
        f"resolved as a client inside {vpc} sees it: PrivateZone zone {zone_name} ({zone}) "
        f"record *: A {address}"
    )
    assert trace.step("dns").addresses == [address]
    assert ("pvtz:DescribeZoneRecords", f"ZoneId={zone} Keyword=* Records.Record[]") in {
        (e.source, e.locator) for e in trace.step("dns").evidence
    }
    under_held = trace_of(root, f"x.y.{zone_name}", client_ip)
    assert address not in under_held.step("dns").addresses  # y exists, so * does not answer x.y
    internet = trace_of(root, domain, "192.0.2.7")
    assert dict(next(h for h in internet.hops if h.kind == "dns").details)["view"].startswith("public DNS")


def test_the_closest_wildcard_answers_a_deeper_name(tmp_path: Path) -> None:
    root = _with_records(
        tmp_path / "world", "flannel-nodeport", FLN_ZONE, "api",
        [("*", "A", "203.0.113.60"), ("*.int", "A", "10.20.1.200"), ("db.int", "A", "10.20.1.201")],
    )  # fmt: skip
    trace = trace_of(root, "cache.int.fln.abc.com", "10.20.1.50")
    assert trace.step("dns").addresses == ["10.20.1.200"]
    assert dict(next(h for h in trace.hops if h.kind == "dns").details)["view"].endswith(
        "record *.int: A 10.20.1.200"
    )
    held = trace_of(root, "db.int.fln.abc.com", "10.20.1.50")
    assert held.step("dns").addresses == ["10.20.1.201"]  # a name's own record wins over the wildcard
