"""Step 6, Kube-proxy (virtual IP → Pod IP): on the node where the controller runs, the
proxy mode and the rule that turns the Service's ClusterIP into Pod IPs.

In IPVS mode the ClusterIP:port is a virtual server with one real server per endpoint
kube-proxy uses (the ready ones); in iptables and nftables mode it is a rule leading to a
KUBE-SVC / ``service-`` chain that DNATs each new connection to one endpoint, by share
(``kube_proxy_rules`` reads those rules). Either way the targets must be those endpoints: a
stale rule (targets ≠ endpoints), a missing virtual server or rule, or (IPVS) a weight-0 real
server is a finding. The proxy mode is read on every node of the trace (the load balancer's
backends and the endpoints' nodes), because a node that runs another mode handles the
Service differently. Windows' ``kernelspace`` mode is reported as not analysed, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, StepResult, Verdict
from ackwb.parse.endpointslices import kube_proxy_endpoints
from ackwb.parse.ipvsadm import IpvsTable, VirtualService, parse_ipvsadm
from ackwb.parse.proxy_mode import parse_proxy_mode
from ackwb.sources import Sources, commands
from ackwb.steps.common import attempt, details, dig, settle_verdicts, source_finding, unwrap
from ackwb.steps.ecs import NodeResult
from ackwb.steps.rules import (
    RULE_MODES,
    RuleLookup,
    Target,
    check,
    no_endpoints,
    read_rules,
    rows,
    stale_rules,
)
from ackwb.steps.service import ServiceResult

TITLE = "6. Virtual IP → Pod IP (Kube-proxy)"


@dataclass(kw_only=True)
class KubeProxyResult(StepResult):
    node: str = ""  # node name
    node_ip: str = ""
    mode: str = ""  # ipvs, iptables, nftables
    modes: dict[str, str] = field(default_factory=dict)  # node name → mode, for every node of the trace
    virtual_service: VirtualService | None = None  # IPVS mode
    rules: RuleLookup | None = None  # iptables and nftables mode

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


def _read_modes(sources: Sources, result: KubeProxyResult, svc: ServiceResult, nodes: NodeResult) -> None:
    """kube-proxy's mode on the controller's node and on the other nodes of the trace, read at
    once. Only the controller node's failure raises: its rules are the ones this step reads."""
    targets = {result.node: result.node_ip}
    targets.update(
        (name, ip) for name, ip in _trace_nodes(sources, svc, nodes).items() if name != result.node
    )
    answers = sources.gather(
        [attempt(lambda ip=ip: sources.node.run(ip, commands.proxy_mode())) for ip in targets.values()]
    )
    for (name, ip), answer in zip(targets.items(), answers, strict=True):
        try:
            mode = parse_proxy_mode(unwrap(answer).stdout)
        except AckwbError:
            if name == result.node:
                raise
            continue  # an unreadable node is not a disagreement; its own hop says what was seen
        result.evidence.append(Evidence(f"node {ip}: {commands.proxy_mode()}", "stdout", mode))
        result.modes[name] = mode
    result.mode = result.modes[result.node]


def _follow(sources: Sources, result: KubeProxyResult, svc: ServiceResult, nodes: NodeResult) -> None:
    assert svc.port is not None
    where = f"node {result.node_ip}: ipvsadm -Ln -t {svc.cluster_ip}:{svc.port.port}"
    table = None
    try:
        _read_modes(sources, result, svc, nodes)
        _compare_modes(result)
        if result.mode == "ipvs":
            command = commands.ipvsadm_service(svc.cluster_ip, svc.port.port, svc.port.protocol)
            listing = sources.node.run(result.node_ip, command)  # exits 1 when there is no such service
            table = parse_ipvsadm(listing.stdout, where) if listing.exit_status == 0 else None
        elif result.mode in RULE_MODES:
            result.rules = read_rules(
                sources, result.node_ip, result.mode, svc.cluster_ip, svc.port.port, svc.port.protocol
            )
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
    if result.mode == "ipvs":
        _follow_ipvs(result, svc, table, where)
    elif result.rules is not None:
        _follow_rules(result, svc, result.rules)
    else:
        _mode_not_analysed(result, svc)


def _follow_ipvs(result: KubeProxyResult, svc: ServiceResult, table: IpvsTable | None, where: str) -> None:
    assert svc.port is not None
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
        _vip_missing(result, message, evidence, f"ipvsadm -Ln -t {svc.cluster_ip}:{svc.port.port}")
        _add_hop(result, svc, Verdict.BLOCKED, f"IPVS: no {svc.cluster_ip}:{svc.port.port}")
        return
    head = (Evidence(where, f"line {vs.line}", vs.raw),)
    targets = [
        Target(rs.address, rs.port, rs.weight > 0, (Evidence(where, f"line {rs.line}", rs.raw),))
        for rs in vs.real_servers
    ]
    result.evidence.extend((*head, *(e for t in targets for e in t.evidence)))
    for rs in vs.real_servers:
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
    _compare_with_endpoints(result, svc, targets, head, "IPVS", f"ipvsadm -Ln -t {vs.address}:{vs.port}")
    _weight_zero(result, vs, where)
    forwarding = any(t.forwarding for t in targets)
    _add_hop(
        result,
        svc,
        Verdict.OK if forwarding else Verdict.BLOCKED,
        f"IPVS {vs.scheduler} {vs.address}:{vs.port}",
    )


def _follow_rules(result: KubeProxyResult, svc: ServiceResult, lookup: RuleLookup) -> None:
    """iptables or nftables: the way in for the ClusterIP, the chain, its DNAT targets and shares."""
    assert svc.port is not None
    vip, port, mode = svc.cluster_ip, svc.port.port, lookup.mode
    by_hand = check(mode, vip, port, svc.port.protocol, lookup.chain.chain if lookup.chain else None)
    result.evidence.extend((*lookup.evidence, *(e for t in lookup.targets for e in t.evidence)))
    result.rows.extend(rows(lookup, result.node))
    if lookup.entry is not None:
        _compare_with_endpoints(result, svc, lookup.targets, lookup.evidence, mode, by_hand)
        forwarding = any(t.forwarding for t in lookup.targets)
        _add_hop(result, svc, Verdict.OK if forwarding else Verdict.BLOCKED, lookup.rule)
        return
    none_ready = svc.endpoints_seen and not kube_proxy_endpoints(svc.endpoints)
    if lookup.rejected is not None or (mode == "iptables" and none_ready):
        result.findings.append(no_endpoints(svc, result.node, result.hop_id, lookup, by_hand))
        _compare_with_endpoints(result, svc, (), lookup.evidence, mode, by_hand)
        _add_hop(result, svc, Verdict.BLOCKED, f"{mode}: REJECT, no endpoints")
        return
    message = (
        f"kube-proxy ({mode}) on node {result.node} has no rule for {svc.port.protocol} {vip}:{port}: "
        "in-cluster clients on this node cannot reach the Service."
    )
    evidence = (Evidence(lookup.where, f"{svc.port.protocol} {vip}:{port}", "(no such rule)"),)
    _vip_missing(result, message, evidence, by_hand)
    _add_hop(result, svc, Verdict.BLOCKED, f"{mode}: no {vip}:{port}")


def _vip_missing(result: KubeProxyResult, message: str, evidence: tuple[Evidence, ...], by_hand: str) -> None:
    result.findings.append(
        Finding("KUBE_PROXY_VIP_MISSING", Severity.ERROR, result.hop_id, message, evidence, by_hand)
    )
    result.dead_end = message


def _trace_nodes(sources: Sources, svc: ServiceResult, nodes: NodeResult) -> dict[str, str]:
    """Node name → internal IP of the load balancer's backend nodes and the endpoints' nodes."""
    found = {n.name: n.internal_ip for n in nodes.nodes}
    names = sorted({e.node for e in svc.endpoints if e.node} - set(found))
    answers = sources.gather([attempt(lambda name=name: sources.kube.get("nodes", name)) for name in names])
    for name, answer in zip(names, answers, strict=True):
        try:
            obj = unwrap(answer)
        except SourceError:
            continue
        addresses = dig(obj or {}, "status", "addresses") or []
        ip = next((a.get("address") for a in addresses if a.get("type") == "InternalIP"), None)
        if ip:
            found[name] = ip
    return found


def _compare_modes(result: KubeProxyResult) -> None:
    """Say when kube-proxy's mode differs between the nodes of the trace."""
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
    result: KubeProxyResult,
    svc: ServiceResult,
    targets: Sequence[Target],
    head: tuple[Evidence, ...],
    what: str,
    by_hand: str,
) -> None:
    finding = stale_rules(svc, result.node, result.hop_id, targets, head, what, by_hand)
    if finding is not None:
        result.findings.append(finding)
        if finding.severity is Severity.ERROR:
            result.dead_end = result.dead_end or finding.message


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
            result.mode if result.mode in ("ipvs", *RULE_MODES) else "kube-proxy",
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
    """A mode whose rules ackwb does not read (``kernelspace``: Windows' HNS load balancers)."""
    result.findings.append(
        Finding(
            "KUBE_PROXY_MODE_NOT_ANALYSED",
            Severity.INFO,
            result.hop_id,
            f"kube-proxy on {result.node} runs in {result.mode} mode; ackwb reads IPVS, iptables and "
            "nftables rules only.",
            check="hnsdiag list loadbalancers  (on the Windows node)",
        )
    )
    _add_hop(result, svc, Verdict.UNKNOWN, "")
