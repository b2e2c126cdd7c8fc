"""Step 6, Kube-proxy (virtual IP → Pod IP): on the node where the controller runs, the
proxy mode and the rule that turns the Service's ClusterIP into Pod IPs.

In IPVS mode the ClusterIP:port is a virtual server with one real server per endpoint
kube-proxy uses (the ready ones); a stale rule (real servers ≠ those endpoints), a
missing virtual server or a weight-0 real server is a finding. The proxy mode is read on
every node of the trace (the load balancer's backends and the endpoints' nodes), because
a node that runs another mode handles the Service differently. The iptables and nftables
rules are read in a later version and are reported as not yet analysed, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, StepResult, Verdict
from ackwb.parse.endpointslices import kube_proxy_endpoints
from ackwb.parse.ipvsadm import VirtualService, parse_ipvsadm
from ackwb.parse.proxy_mode import parse_proxy_mode
from ackwb.sources import Sources, commands
from ackwb.steps.common import details, dig, settle_verdicts, source_finding
from ackwb.steps.ecs import NodeResult
from ackwb.steps.service import ServiceResult

TITLE = "6. Virtual IP → Pod IP (Kube-proxy)"


@dataclass(kw_only=True)
class KubeProxyResult(StepResult):
    node: str = ""  # node name
    node_ip: str = ""
    mode: str = ""  # ipvs, iptables, nftables
    modes: dict[str, str] = field(default_factory=dict)  # node name → mode, for every node of the trace
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
    _follow(sources, result, svc, nodes)
    settle_verdicts(result)
    return result


def _read_mode(sources: Sources, result: KubeProxyResult, node_ip: str) -> str:
    output = sources.node.run(node_ip, commands.proxy_mode())
    mode = parse_proxy_mode(output.stdout)
    result.evidence.append(Evidence(f"node {node_ip}: {commands.proxy_mode()}", "stdout", mode))
    return mode


def _follow(sources: Sources, result: KubeProxyResult, svc: ServiceResult, nodes: NodeResult) -> None:
    assert svc.port is not None
    where = f"node {result.node_ip}: ipvsadm -Ln -t {svc.cluster_ip}:{svc.port.port}"
    try:
        result.mode = _read_mode(sources, result, result.node_ip)
        result.modes[result.node] = result.mode
        _compare_modes(sources, result, svc, nodes)
        if result.mode != "ipvs":
            _mode_not_analysed(result, svc)
            return
        command = commands.ipvsadm_service(svc.cluster_ip, svc.port.port, svc.port.protocol)
        listing = sources.node.run(result.node_ip, command)  # exits 1 when there is no such service
        table = parse_ipvsadm(listing.stdout, where) if listing.exit_status == 0 else None
    except SourceError as error:
        result.findings.append(
            source_finding(error, result.hop_id, f"the kube-proxy rules on node {result.node}")
        )
        _add_hop(result, svc, Verdict.UNKNOWN, "")
        return
    except AckwbError as error:
        result.findings.append(Finding("KUBE_PROXY_UNREADABLE", Severity.WARNING, result.hop_id, str(error)))
        _add_hop(result, svc, Verdict.UNKNOWN, "")
        return
    vs = table.find(svc.cluster_ip, svc.port.port, svc.port.protocol) if table else None
    result.virtual_service = vs
    if vs is None:
        message = (
            f"IPVS on node {result.node} has no virtual server {svc.cluster_ip}:{svc.port.port}: "
            "in-cluster clients on this node cannot reach the Service."
        )
        evidence = (
            Evidence(where, f"{svc.port.protocol} {svc.cluster_ip}:{svc.port.port}", "(no such line)"),
        )
        check = f"ipvsadm -Ln -t {svc.cluster_ip}:{svc.port.port}"
        result.findings.append(
            Finding("KUBE_PROXY_VIP_MISSING", Severity.ERROR, result.hop_id, message, evidence, check)
        )
        result.dead_end = message
        _add_hop(result, svc, Verdict.BLOCKED, f"IPVS: no {svc.cluster_ip}:{svc.port.port}")
        return
    result.evidence.append(Evidence(where, f"line {vs.line}", vs.raw))
    for rs in vs.real_servers:
        result.evidence.append(Evidence(where, f"line {rs.line}", rs.raw))
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
    _compare_with_endpoints(result, svc, vs, where)
    _weight_zero(result, vs, where)
    forwarding = any(rs.weight > 0 for rs in vs.real_servers)
    _add_hop(
        result,
        svc,
        Verdict.OK if forwarding else Verdict.BLOCKED,
        f"IPVS {vs.scheduler} {vs.address}:{vs.port}",
    )


def _trace_nodes(sources: Sources, svc: ServiceResult, nodes: NodeResult) -> dict[str, str]:
    """Node name → internal IP of the load balancer's backend nodes and the endpoints' nodes."""
    found = {n.name: n.internal_ip for n in nodes.nodes}
    for name in sorted({e.node for e in svc.endpoints if e.node} - set(found)):
        try:
            obj = sources.kube.get("nodes", name)
        except SourceError:
            continue
        addresses = dig(obj or {}, "status", "addresses") or []
        ip = next((a.get("address") for a in addresses if a.get("type") == "InternalIP"), None)
        if ip:
            found[name] = ip
    return found


def _compare_modes(sources: Sources, result: KubeProxyResult, svc: ServiceResult, nodes: NodeResult) -> None:
    """Read kube-proxy's mode on the other nodes of the trace and say when they differ."""
    for name, ip in _trace_nodes(sources, svc, nodes).items():
        if name in result.modes:
            continue
        try:
            result.modes[name] = _read_mode(sources, result, ip)
        except AckwbError:
            continue  # an unreadable node is not a disagreement; its own hop says what was seen
    if len(set(result.modes.values())) < 2:
        return
    by_mode: dict[str, list[str]] = {}
    for name, mode in sorted(result.modes.items()):
        by_mode.setdefault(mode, []).append(name)
    spread = "; ".join(f"{mode} on {', '.join(names)}" for mode, names in sorted(by_mode.items()))
    message = (
        f"kube-proxy does not run in the same mode on every node of this path: {spread}. The same Service "
        f"is forwarded by different rules depending on the node (the rules shown here are those of "
        f"{result.node}); a node whose mode differs from the cluster setting was usually restarted with "
        "another configuration."
    )
    evidence = tuple(e for e in result.evidence if e.source.endswith(str(commands.proxy_mode())))
    check = f"curl -s {commands.PROXY_MODE_URL}  (on each node)"
    result.findings.append(
        Finding("KUBE_PROXY_MODE_DIFFERS", Severity.WARNING, result.hop_id, message, evidence, check)
    )


def _compare_with_endpoints(
    result: KubeProxyResult, svc: ServiceResult, vs: VirtualService, where: str
) -> None:
    """Real servers with weight must be the endpoints kube-proxy should use: the ready ones."""
    if not svc.endpoints_seen:
        return  # the EndpointSlices could not be read: nothing to compare with
    rules = {f"{rs.address}:{rs.port}" for rs in vs.real_servers if rs.weight > 0}
    wanted = {f"{e.address}:{e.port}" for e in kube_proxy_endpoints(svc.endpoints)}
    extra, missing = sorted(rules - wanted), sorted(wanted - rules)
    if not extra and not missing:
        return
    wrong = [f"stale {', '.join(extra)} (no ready endpoint)"] if extra else []
    wrong += [f"missing {', '.join(missing)}"] if missing else []
    message = (
        f"IPVS on {result.node} sends {svc.cluster_ip}:{vs.port} to {', '.join(sorted(rules)) or 'nothing'}, "
        f"but the ready endpoints are {', '.join(sorted(wanted)) or 'none'}: {'; '.join(wrong)}. "
        "kube-proxy on this node has not applied the latest endpoints (its logs say why)."
    )
    broken = bool(extra) or not rules
    evidence = (
        Evidence(where, f"line {vs.line}", vs.raw),
        *(Evidence(where, f"line {rs.line}", rs.raw) for rs in vs.real_servers),
        Evidence(
            "kube:endpointslices",
            f"{svc.namespace}/{svc.name} ready endpoints",
            ", ".join(sorted(wanted)) or "(none)",
        ),
    )
    result.findings.append(
        Finding(
            "KUBE_PROXY_STALE_RULES",
            Severity.ERROR if broken else Severity.WARNING,
            result.hop_id,
            message,
            evidence,
            check=f"ipvsadm -Ln -t {vs.address}:{vs.port}",
        )
    )
    if broken:
        result.dead_end = result.dead_end or message


def _weight_zero(result: KubeProxyResult, vs: VirtualService, where: str) -> None:
    for rs in vs.real_servers:
        if rs.weight == 0:
            result.findings.append(
                Finding(
                    "KUBE_PROXY_WEIGHT_ZERO",
                    Severity.WARNING,
                    result.hop_id,
                    f"Real server {rs.address}:{rs.port} of {vs.address}:{vs.port} has weight 0 on "
                    f"{result.node}: a terminating endpoint whose {rs.active_conn} open connection(s) drain; "
                    "IPVS sends it no new connections.",
                    (Evidence(where, f"line {rs.line}", rs.raw),),
                    check=f"ipvsadm -Ln -t {vs.address}:{vs.port}",
                )
            )


def _add_hop(result: KubeProxyResult, svc: ServiceResult, verdict: Verdict, rule: str) -> None:
    """Draw the hop. A blocked hop names the culprit only through a finding that sets ``dead_end``:
    a virtual server without real servers because no endpoint is ready is not kube-proxy's fault."""
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


def _mode_not_analysed(result: KubeProxyResult, svc: ServiceResult) -> None:
    result.findings.append(
        Finding(
            "KUBE_PROXY_MODE_NOT_ANALYSED",
            Severity.INFO,
            result.hop_id,
            f"kube-proxy on {result.node} runs in {result.mode} mode; this version reads IPVS rules only.",
            check="iptables-save -t nat" if result.mode == "iptables" else "nft -j list table ip kube-proxy",
        )
    )
    _add_hop(result, svc, Verdict.UNKNOWN, "")
