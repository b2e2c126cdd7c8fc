"""Which Ingress asked for the ALB rule a request took, and whether the ALB's rules drifted from
the Ingresses (part 1's ``ingress_rule_drift``), for the traced host only.

The ALB Ingress controller tags the instance it made with the AlbConfig's name
(``ingress.k8s.alibaba/albconfig``); the IngressClasses whose ``spec.parameters`` name that
AlbConfig (``alibabacloud.com`` ``AlbConfig``) are the classes of its Ingresses. That chain is
read from the world, not from a controller name. Drift about another host of the same ALB is
left out; drift about the traced host keeps its severity only when the missing or diverted
Ingress path would take the traced request (an error there means the request goes elsewhere),
else it is a warning.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Finding, Severity
from ackwb.parse.alb_rules import AlbRule
from ackwb.parse.wildcard import PatternError, alb_match
from ackwb.sources import Sources
from ackwb.steps.alb_drift import ExpectedRule, expected_rules, ingress_rule_drift
from ackwb.steps.alb_result import AlbPathResult
from ackwb.steps.common import dig, kube_evidence, source_finding
from ackwb.steps.slb.result import LoadBalancerResult

ALBCONFIG_KIND = ("alibabacloud.com", "AlbConfig")


def alb_ingresses(sources: Sources, albconfig: str) -> list[dict[str, Any]]:
    """The Ingress objects of the IngressClasses whose parameters name ``albconfig``."""
    classes = {
        str(dig(c, "metadata", "name"))
        for c in sources.kube.list("ingressclasses")
        if (dig(c, "spec", "parameters", "apiGroup"), dig(c, "spec", "parameters", "kind")) == ALBCONFIG_KIND
        and dig(c, "spec", "parameters", "name") == albconfig
    }
    return [i for i in sources.kube.list("ingresses") if dig(i, "spec", "ingressClassName") in classes]


def _takes(want: ExpectedRule, path: str) -> bool:
    for pattern in want.paths:
        try:
            if alb_match(pattern, path).matched:
                return True
        except PatternError:
            continue
    return False


def sync_findings(
    sources: Sources, result: AlbPathResult, lb: LoadBalancerResult, rules: list[AlbRule]
) -> None:
    """Name the Ingress behind the matched rule and add the drift findings about the traced host."""
    front, match = lb.alb, result.match
    if front is None or match is None or not front.albconfig:
        return
    try:
        ingresses = alb_ingresses(sources, front.albconfig)
    except SourceError as error:
        result.findings.append(source_finding(error, result.rule_hop, "the Ingresses of the ALB's AlbConfig"))
        return
    listener, host, path = match.listener, result.domain, match.request.path
    wanted = [w for w in expected_rules(ingresses, listener) if w.host == host]
    by_locator = {w.locator: w for w in wanted}
    taken = match.rule
    if taken is not None:
        paths = {v for c in taken.conditions if c.type == "Path" for v in c.values}
        owner = next((w for w in wanted if set(w.paths) == paths), None)
        if owner is not None:
            result.namespace, result.ingress_name = owner.ingress.namespace, owner.ingress.name
            where = owner.locator.split(" ", 1)[1]
            said = f"{host} {' or '.join(owner.paths)}"
            result.evidence.append(
                kube_evidence("ingresses", owner.ingress.namespace, owner.ingress.name, where, said)
            )
    groups = result.groups
    for finding in ingress_rule_drift(ingresses, rules, groups, listener, result.rule_hop):
        want = by_locator.get(finding.evidence[0].locator) if finding.evidence else None
        if finding.code == "ALB_RULE_WITHOUT_INGRESS":
            if host in finding.message:
                result.findings.append(finding)
            continue
        if want is None:
            continue
        if finding.code == "ALB_RULE_BACKEND_DRIFT" and not _known(finding, groups):
            continue  # the rule forwards to groups this trace did not read: nothing to compare
        severe = _takes(want, path)
        result.findings.append(finding if severe else replace(finding, severity=Severity.WARNING))


def _known(finding: Finding, groups: list[Any]) -> bool:
    return any(g.server_group_id in finding.message for g in groups)
