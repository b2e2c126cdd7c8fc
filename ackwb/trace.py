"""Chains the eight steps into one ``Trace`` for a domain and a client.

Every step runs: a step with nothing to follow returns an empty result, and empty
results are left out, so a broken path shows how far the request gets and why.
A step that fails unexpectedly (a bug, or an answer nothing foresaw) becomes an unknown
hop with a finding naming the error, and the trace goes on (``_guarded``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ackwb.model import Client, Evidence, Finding, Hop, Severity, StepResult, Trace, Verdict
from ackwb.sources import Sources
from ackwb.sources.replay import tracing
from ackwb.sources.session import session
from ackwb.steps import (
    DnsResult,
    EgressResult,
    IngressResult,
    KubeProxyResult,
    LoadBalancerResult,
    NodeResult,
    PodResult,
    ServiceResult,
    dns,
    ecs,
    egress,
    ingress,
    kube_proxy,
    pod,
    service,
    slb,
)
from ackwb.steps.alb_path import alb_path
from ackwb.steps.cluster import Cluster, read_cluster
from ackwb.steps.design import describe

if TYPE_CHECKING:
    from ackwb.readahead import Readahead

R = TypeVar("R", bound=StepResult)


def run_trace(
    sources: Sources,
    domain: str,
    client: Client | None = None,
    cluster: Cluster | None = None,
    readahead: bool | None = None,
) -> Trace:
    """Every step for ``domain``; ``cluster`` is what an earlier read learned about the cluster
    (the network plugin), read now when not given.

    The trace reads through a session (``ackwb.sources.session``): its own, unless ``sources``
    already belong to one (a sweep's). ``readahead`` (default: with live sources, whose reads
    are round trips) starts every read whose inputs are known while the steps go on."""
    client = client or Client()
    sources = session(sources)
    ahead = None
    if _reads_ahead(sources, readahead, cluster):  # live sources: loaded only then
        from ackwb.readahead import Readahead

        ahead = Readahead(sources, domain, client)
    try:
        with tracing(domain.strip().lower().rstrip("."), client.port, client.path):
            return _steps(sources, domain, client, cluster, ahead)
    finally:
        if ahead is not None:
            ahead.stop()


def _reads_ahead(sources: Sources, readahead: bool | None, cluster: Cluster | None) -> bool:
    wanted = sources.parallel > 1 if readahead is None else readahead
    return wanted and cluster is None


def _steps(
    sources: Sources, domain: str, client: Client, cluster: Cluster | None, ahead: Readahead | None
) -> Trace:
    if ahead is not None:
        future = ahead.start()
    r1 = _guarded(DnsResult, "dns", domain, None, lambda: dns(sources, domain, client))
    r2 = _guarded(LoadBalancerResult, "slb", domain, r1, lambda: slb(sources, r1, client))
    if cluster is None:
        cluster = future.result() if ahead is not None else read_cluster(sources)
    if r2.front_door == "alb":  # the ALB's rules answer behind its listener: no controller Pod
        r3 = NodeResult(step="ecs", title="", domain=r2.domain, prev=r2)
        r4 = _guarded(
            IngressResult, "ingress", domain, r2, lambda: alb_path(sources, r2, client.path, cluster)
        )
    else:
        r3 = _guarded(NodeResult, "ecs", domain, r2, lambda: ecs(sources, r2, cluster))
        r4 = _guarded(IngressResult, "ingress", domain, r3, lambda: ingress(sources, r3, client.path))
    r5 = _guarded(ServiceResult, "service", domain, r4, lambda: service(sources, r4))
    r6 = _guarded(KubeProxyResult, "kube_proxy", domain, r5, lambda: kube_proxy(sources, r5, cluster))
    r7 = _guarded(PodResult, "pod", domain, r6, lambda: pod(sources, r6, cluster))
    r8 = _guarded(EgressResult, "egress", domain, r7, lambda: egress(sources, r7, cluster))
    results = [r for r in (r1, r2, r3, r4, r5, r6, r7, r8) if r.hops or r.findings or r.rows]
    design = describe(cluster, results)
    return Trace(domain=r1.domain, client=client, world=sources.description, steps=results, design=design)


def _guarded(kind: type[R], name: str, domain: str, prev: StepResult | None, run: Callable[[], R]) -> R:
    """The step's result; if the step raised, an empty result of its type with an unknown hop and a
    finding naming the error, so the steps after it still get the result type they take."""
    try:
        return run()
    except Exception as error:  # the trace must end with a verdict, whatever went wrong in one step
        title = getattr(sys.modules.get(kind.__module__), "TITLE", name)
        failed = kind(step=name, title=title, domain=prev.domain if prev else domain, prev=prev)
        hop = f"step:{name}"
        reason = f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]
        failed.hops.append(Hop(hop, name, f"{name}: could not be checked", verdict=Verdict.UNKNOWN))
        failed.findings.append(Finding(
            "STEP_FAILED", Severity.WARNING, hop,
            f"The {name} step stopped on an error, so this part of the path could not be checked "
            f"({reason}). This is a bug in ackwb or an answer it does not understand; please report it.",
            (Evidence(f"ackwb step {name}", "error", reason),),
        ))  # fmt: skip
        failed.dead_end = f"the {name} step could not be completed ({reason})"
        return failed


def dead_end(trace: Trace) -> str:
    """Why the request does not get through, or "" when it does (or depends on the client).

    The way out (egress) never decides whether the request gets in. When no step gave up
    on the whole path, the first error on a blocked request hop says why.
    """
    if trace.verdict in (Verdict.OK, Verdict.DEPENDS):
        return ""
    reason = next((s.dead_end for s in trace.steps if s.dead_end and s.step != "egress"), "")
    if reason:
        return reason
    blocked = {h.id for h in trace.hops if h.verdict is Verdict.BLOCKED}
    first = next((f for f in trace.findings if f.severity is Severity.ERROR and f.hop in blocked), None)
    if first is not None:
        return first.message
    unseen = next((h for h in trace.hops if h.verdict is Verdict.UNKNOWN), None)
    return _unseen(unseen) if unseen else "no branch of the path reaches a ready Pod"


def _unseen(hop: Hop) -> str:
    return f"{' '.join(hop.label.split())} could not be seen"
