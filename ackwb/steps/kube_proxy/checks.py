"""Step 6's judgements of kube-proxy's rules against the Service's endpoints: stale targets
(IPVS real servers or DNAT targets that are not the ready endpoints) and a Service kube-proxy
rejects for want of endpoints. They apply to every mode alike, as ``Target`` lists. Also the
differences between nodes (kube-proxy's mode) and IPVS real servers left at weight 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.endpointslices import kube_proxy_endpoints
from ackwb.parse.ipvsadm import VirtualService
from ackwb.sources import commands
from ackwb.steps.common import sh
from ackwb.steps.kube_proxy.result import KubeProxyResult, NodeRules
from ackwb.steps.rules import RuleLookup, Target
from ackwb.steps.service.result import ServiceResult


def stale_rules(
    svc: ServiceResult,
    node: str,
    hop_id: str,
    targets: Sequence[Target],
    head: tuple[Evidence, ...],
    what: str,
    by_hand: str,
) -> Finding | None:
    """KUBE_PROXY_STALE_RULES when what kube-proxy forwards to (IPVS real servers with weight,
    DNAT targets with a share) is not the endpoints it should use: the ready ones. ``head`` is
    the evidence of the rule for the ClusterIP itself, ``what`` names the data plane (IPVS,
    iptables, nftables). An error (the hop's dead end) when a target is stale or none is left."""
    if not svc.endpoints_seen:
        return None  # the EndpointSlices could not be read: nothing to compare with
    port = svc.port.port if svc.port else ""
    rules = {t.hostport for t in targets if t.forwarding}
    wanted = {f"{e.address}:{e.port}" for e in kube_proxy_endpoints(svc.endpoints)}
    extra, missing = sorted(rules - wanted), sorted(wanted - rules)
    if not extra and not missing:
        return None
    wrong = [f"stale {', '.join(extra)} (no ready endpoint)"] if extra else []
    wrong += [f"missing {', '.join(missing)}"] if missing else []
    message = (
        f"{what} on {node} sends {svc.cluster_ip}:{port} to {', '.join(sorted(rules)) or 'nothing'}, "
        f"but the ready endpoints are {', '.join(sorted(wanted)) or 'none'}: {'; '.join(wrong)}. "
        "kube-proxy on this node has not applied the latest endpoints (its logs say why)."
    )
    evidence = (
        *head,
        *(e for t in targets for e in t.evidence),
        Evidence(
            "kube:endpointslices",
            f"{svc.namespace}/{svc.name} ready endpoints",
            ", ".join(sorted(wanted)) or "(none)",
        ),
    )
    broken = bool(extra) or not rules
    severity = Severity.ERROR if broken else Severity.WARNING
    return Finding("KUBE_PROXY_STALE_RULES", severity, hop_id, message, evidence, by_hand)


def no_endpoints(svc: ServiceResult, node: str, hop_id: str, lookup: RuleLookup, by_hand: str) -> Finding:
    """kube-proxy rejects the ClusterIP because it knows no endpoint. As for an IPVS virtual
    server without real servers, the hop is blocked but kube-proxy is not the culprit (info):
    the Service step says why no endpoint is ready, and ``stale_rules`` when some are."""
    assert svc.port is not None
    if lookup.rejected is not None:
        how = f'its rule "{lookup.rejected.service or "?"} has no endpoints" rejects new connections'
        evidence = lookup.evidence
    else:
        how = (
            "the nat table has no rule for it: for a Service without endpoints kube-proxy writes "
            "only a REJECT rule, in the filter table"
        )
        evidence = (
            Evidence(lookup.where, f"{svc.port.protocol} {svc.cluster_ip}:{svc.port.port}", "(no rule)"),
        )
    message = (
        f"kube-proxy ({lookup.mode}) on {node} has no endpoint for {svc.cluster_ip}:{svc.port.port}: "
        f"{how}, so in-cluster clients are refused."
    )
    return Finding("KUBE_PROXY_NO_ENDPOINTS", Severity.INFO, hop_id, message, evidence, by_hand)


def mode_differs(result: KubeProxyResult) -> None:
    """Say when kube-proxy's mode differs between the nodes of the trace."""
    if len(set(result.modes.values())) < 2 or not result.read:
        return
    by_mode: dict[str, list[str]] = {}
    for name, mode in sorted(result.modes.items()):
        by_mode.setdefault(mode, []).append(name)
    spread = "; ".join(f"{mode} on {', '.join(names)}" for mode, names in sorted(by_mode.items()))
    message = (
        f"kube-proxy does not run in the same mode on every node of this path: {spread}. The same Service "
        f"is forwarded by different rules depending on the node; a node whose mode differs from the cluster "
        "setting was usually restarted with another configuration."
    )
    evidence = tuple(e for e in result.evidence if e.source.endswith(str(commands.proxy_mode())))
    by_hand = f"curl -s {sh(commands.PROXY_MODE_URL)}  (on each node)"
    result.findings.append(
        Finding(
            "KUBE_PROXY_MODE_DIFFERS", Severity.WARNING, result.read[0].hop_id, message, evidence, by_hand
        )
    )


def weight_zero(result: KubeProxyResult, node: NodeRules, vs: VirtualService, where: str) -> None:
    for rs in vs.real_servers:
        if rs.weight == 0:
            result.findings.append(
                Finding(
                    "KUBE_PROXY_WEIGHT_ZERO",
                    Severity.WARNING,
                    node.hop_id,
                    f"Real server {rs.address}:{rs.port} of {vs.address}:{vs.port} has weight 0 on "
                    f"{node.node}: a terminating endpoint whose {rs.active_conn} open connection(s) drain; "
                    "IPVS sends it no new connections.",
                    (Evidence(where, f"line {rs.line}", rs.raw),),
                    check=f"ipvsadm -Ln -t {sh(vs.address)}:{sh(vs.port)}",
                )
            )
