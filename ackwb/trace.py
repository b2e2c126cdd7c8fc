"""Chains the eight steps into one ``Trace`` for a domain and a client.

Every step runs: a step with nothing to follow returns an empty result, and empty
results are left out, so a broken path shows how far the request gets and why.
"""

from __future__ import annotations

from ackwb.model import Client, Hop, Severity, Trace, Verdict
from ackwb.sources import Sources
from ackwb.steps import dns, ecs, egress, ingress, kube_proxy, pod, service, slb
from ackwb.steps.cluster import Cluster, read_cluster
from ackwb.steps.design import describe


def run_trace(
    sources: Sources, domain: str, client: Client | None = None, cluster: Cluster | None = None
) -> Trace:
    """Every step for ``domain``; ``cluster`` is what an earlier read learned about the cluster
    (the network plugin), read now when not given."""
    client = client or Client()
    cluster = cluster or read_cluster(sources)
    r1 = dns(sources, domain)
    r2 = slb(sources, r1, client)
    r3 = ecs(sources, r2, cluster)
    r4 = ingress(sources, r3, client.path)
    r5 = service(sources, r4)
    r6 = kube_proxy(sources, r5, cluster)
    r7 = pod(sources, r6, cluster)
    r8 = egress(sources, r7, cluster)
    results = [r for r in (r1, r2, r3, r4, r5, r6, r7, r8) if r.hops or r.findings or r.rows]
    design = describe(cluster, results)
    return Trace(domain=r1.domain, client=client, world=sources.description, steps=results, design=design)


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
