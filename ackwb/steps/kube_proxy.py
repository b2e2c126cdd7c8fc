"""Step 6, Kube-proxy (virtual IP → Pod IP): on the node where the controller runs, the
proxy mode and the rule that turns the Service's ClusterIP into Pod IPs.

In IPVS mode the ClusterIP:port is a virtual server with one real server per ready
endpoint; a stale rule (real servers ≠ ready endpoints) or a missing virtual server
is a finding. The iptables and nftables modes are read in a later version and are
reported as not yet analysed, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, StepResult, Verdict
from ackwb.parse.ipvsadm import VirtualService, parse_ipvsadm
from ackwb.parse.proxy_mode import parse_proxy_mode
from ackwb.sources import Sources, commands
from ackwb.steps.common import details, source_finding
from ackwb.steps.ecs import NodeResult
from ackwb.steps.service import ServiceResult

TITLE = "6. Virtual IP → Pod IP (Kube-proxy)"


@dataclass(kw_only=True)
class KubeProxyResult(StepResult):
    node: str = ""  # node name
    node_ip: str = ""
    mode: str = ""  # ipvs, iptables, nftables
    virtual_service: VirtualService | None = None

    @property
    def hop_id(self) -> str:
        return f"kube-proxy:{self.node}"


def kube_proxy(sources: Sources, svc: ServiceResult) -> KubeProxyResult:
    result = KubeProxyResult(step="kube_proxy", title=TITLE, domain=svc.domain, prev=svc)
    nodes = svc.earlier("ecs")
    ingress = svc.earlier("ingress")
    controller = getattr(ingress, "controller", None)
    if svc.port is None or not isinstance(nodes, NodeResult) or controller is None:
        result.dead_end = svc.dead_end or "no Service port to look up"
        return result
    node = next((n for n in nodes.nodes if n.name == controller.node), None)
    result.node = controller.node
    result.node_ip = node.internal_ip if node else controller.pod_ip
    hop = f"node {result.node_ip}"
    try:
        mode_output = sources.node.run(result.node_ip, commands.proxy_mode())
        result.mode = parse_proxy_mode(mode_output.stdout)
        result.evidence.append(Evidence(f"{hop}: {commands.proxy_mode()}", "stdout", result.mode))
        if result.mode != "ipvs":
            return _mode_not_analysed(result, svc)
        listing = sources.node.run(result.node_ip, commands.ipvsadm_list())
        table = parse_ipvsadm(listing.stdout, f"{hop}: ipvsadm -Ln")
    except SourceError as error:
        return _unknown(result, svc, error)
    except AckwbError as error:
        result.findings.append(Finding("KUBE_PROXY_UNREADABLE", Severity.WARNING, result.hop_id, str(error)))
        return _add_hop(result, svc, Verdict.UNKNOWN, "")
    result.virtual_service = vs = table.find(svc.cluster_ip, svc.port.port, svc.port.protocol)
    if vs is None:
        result.findings.append(
            Finding(
                "KUBE_PROXY_VIP_MISSING",
                Severity.ERROR,
                result.hop_id,
                f"IPVS on node {result.node} has no virtual server {svc.cluster_ip}:{svc.port.port}: "
                "in-cluster clients on this node cannot reach the Service.",
                check=f"ipvsadm -Ln -t {svc.cluster_ip}:{svc.port.port}",
            )
        )
        return _add_hop(result, svc, Verdict.BLOCKED, f"IPVS: no {svc.cluster_ip}:{svc.port.port}")
    result.evidence.append(Evidence(f"{hop}: ipvsadm -Ln", f"line {vs.line}", vs.raw))
    for rs in vs.real_servers:
        result.evidence.append(Evidence(f"{hop}: ipvsadm -Ln", f"line {rs.line}", rs.raw))
        result.rows.append(
            {
                "node": result.node,
                "mode": result.mode,
                "virtual server": f"{vs.protocol} {vs.address}:{vs.port}",
                "scheduler": vs.scheduler,
                "real server": f"{rs.address}:{rs.port}",
                "forward": rs.forward,
                "weight": rs.weight,
                "active": rs.active_conn,
                "inactive": rs.inactive_conn,
            }
        )
    _compare_with_endpoints(result, svc, vs)
    blocked = not vs.real_servers or all(rs.weight == 0 for rs in vs.real_servers)
    return _add_hop(
        result,
        svc,
        Verdict.BLOCKED if blocked else Verdict.OK,
        f"IPVS {vs.scheduler} {vs.address}:{vs.port}",
    )


def _compare_with_endpoints(result: KubeProxyResult, svc: ServiceResult, vs: VirtualService) -> None:
    rules = {f"{rs.address}:{rs.port}" for rs in vs.real_servers if rs.weight > 0}
    ready = {f"{e.address}:{e.port}" for e in svc.ready_endpoints}
    if rules != ready:
        result.findings.append(
            Finding(
                "KUBE_PROXY_STALE_RULES",
                Severity.ERROR,
                result.hop_id,
                f"IPVS on {result.node} sends {svc.cluster_ip}:{vs.port} "
                f"to {', '.join(sorted(rules)) or 'nothing'}"
                f", but the ready endpoints are {', '.join(sorted(ready)) or 'none'}.",
                check=f"ipvsadm -Ln -t {vs.address}:{vs.port}",
            )
        )
    for rs in vs.real_servers:
        if rs.weight == 0:
            result.findings.append(
                Finding(
                    "KUBE_PROXY_WEIGHT_ZERO",
                    Severity.WARNING,
                    result.hop_id,
                    f"Real server {rs.address}:{rs.port} has weight 0 (a terminating endpoint): "
                    "IPVS sends it "
                    "no new connections.",
                    (Evidence("ipvsadm -Ln", f"line {rs.line}", rs.raw),),
                )
            )


def _add_hop(result: KubeProxyResult, svc: ServiceResult, verdict: Verdict, rule: str) -> KubeProxyResult:
    result.hops.append(
        Hop(
            result.hop_id,
            "ipvs" if result.mode == "ipvs" else "kube-proxy",
            f"{rule or 'kube-proxy ' + (result.mode or '?')}\non {result.node}",
            svc.path_kind,
            verdict,
            details(mode=result.mode, node_ip=result.node_ip),
        )
    )
    result.edges.append(
        Edge(
            svc.hop_id, result.hop_id, f"{svc.cluster_ip}:{svc.port.port if svc.port else ''}", svc.path_kind
        )
    )
    if verdict is Verdict.BLOCKED:
        result.dead_end = result.dead_end or f"kube-proxy on {result.node} does not forward {svc.cluster_ip}"
    return result


def _mode_not_analysed(result: KubeProxyResult, svc: ServiceResult) -> KubeProxyResult:
    result.findings.append(
        Finding(
            "KUBE_PROXY_MODE_NOT_ANALYSED",
            Severity.INFO,
            result.hop_id,
            f"kube-proxy on {result.node} runs in {result.mode} mode; this version reads IPVS rules only.",
            check="iptables-save -t nat" if result.mode == "iptables" else "nft -j list table ip kube-proxy",
        )
    )
    return _add_hop(result, svc, Verdict.UNKNOWN, "")


def _unknown(result: KubeProxyResult, svc: ServiceResult, error: SourceError) -> KubeProxyResult:
    result.findings.append(
        source_finding(error, result.hop_id, f"the kube-proxy rules on node {result.node}")
    )
    return _add_hop(result, svc, Verdict.UNKNOWN, "")
