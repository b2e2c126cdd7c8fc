"""Path verdicts by reachability (ackwb.verdicts): a branch that gets through decides, a blocked
branch never does, and what only a blocked branch leads to is "not reached".

Small hand-drawn graphs, each the shape of a real path: a load balancer with two backends, a
listener whose ACL depends on the client, an unseen hop, a Pod on two journeys.
"""

from __future__ import annotations

from ackwb.hops import Edge, Hop, Path, Verdict
from ackwb.model import Client, StepResult, Trace
from ackwb.verdicts import mark_not_reached, path_verdict

OK, BLOCKED, UNKNOWN, DEPENDS = Verdict.OK, Verdict.BLOCKED, Verdict.UNKNOWN, Verdict.DEPENDS
NOT_REACHED = Verdict.NOT_REACHED
KINDS = {
    "client": "client", "lb": "lb", "b1": "backend", "b2": "backend", "n1": "node", "n2": "node",
    "c1": "controller", "c2": "controller", "pod": "pod", "vsw": "vswitch", "internet": "internet",
}  # fmt: skip


def hops(**verdicts: Verdict) -> dict[str, Hop]:
    """Every hop of the two-backend path, ok unless given; the egress hops on their own journey."""
    found = {}
    for hop_id, kind in KINDS.items():
        path = Path.EGRESS if hop_id in ("vsw", "internet") else Path.REQUEST
        found[hop_id] = Hop(hop_id, kind, hop_id, path, verdicts.get(hop_id, OK))
    return found


EDGES = [
    Edge("client", "lb"),
    Edge("lb", "b1"),
    Edge("lb", "b2"),
    Edge("b1", "n1"),
    Edge("b2", "n2"),
    Edge("n1", "c1"),
    Edge("n2", "c2"),
    Edge("c1", "pod"),
    Edge("c2", "pod"),
    Edge("pod", "vsw", path=Path.EGRESS),
    Edge("vsw", "internet", path=Path.EGRESS),
]


def test_one_unhealthy_backend_does_not_block_the_request() -> None:
    graph = hops(b1=BLOCKED)
    assert path_verdict(graph, EDGES) is OK
    settled = mark_not_reached(graph, EDGES)
    assert settled["b1"].verdict is BLOCKED  # its own verdict stays
    assert settled["n1"].verdict is NOT_REACHED and settled["c1"].verdict is NOT_REACHED
    assert settled["n2"].verdict is OK and settled["pod"].verdict is OK  # reached through b2


def test_every_backend_blocked_blocks_the_request_and_nothing_behind_reads_ok() -> None:
    graph = hops(b1=BLOCKED, b2=BLOCKED)
    assert path_verdict(graph, EDGES) is BLOCKED
    settled = mark_not_reached(graph, EDGES)
    assert {settled[h].verdict for h in ("n1", "n2", "c1", "c2", "pod")} == {NOT_REACHED}
    assert settled["lb"].verdict is OK


def test_a_not_ready_pod_still_sends_its_own_traffic_out() -> None:
    graph = hops(pod=BLOCKED)
    assert path_verdict(graph, EDGES) is BLOCKED
    assert path_verdict(graph, EDGES, Path.EGRESS) is OK
    assert mark_not_reached(graph, EDGES)["vsw"].verdict is OK


def test_a_blocked_egress_never_changes_the_request() -> None:
    graph = hops(vsw=BLOCKED)
    assert path_verdict(graph, EDGES) is OK
    assert path_verdict(graph, EDGES, Path.EGRESS) is BLOCKED
    assert mark_not_reached(graph, EDGES)["internet"].verdict is NOT_REACHED


def test_a_decision_on_an_unknown_client_reads_depends() -> None:
    assert path_verdict(hops(lb=DEPENDS), EDGES) is DEPENDS
    assert mark_not_reached(hops(lb=DEPENDS), EDGES)["pod"].verdict is OK


def test_the_best_branch_decides_between_ok_and_unseen() -> None:
    assert path_verdict(hops(b1=UNKNOWN), EDGES) is OK
    assert path_verdict(hops(b1=UNKNOWN, b2=BLOCKED), EDGES) is UNKNOWN
    assert path_verdict(hops(b1=UNKNOWN, b2=UNKNOWN), EDGES) is UNKNOWN
    settled = mark_not_reached(hops(b1=UNKNOWN, b2=BLOCKED), EDGES)
    assert settled["n1"].verdict is OK  # behind an unseen hop: not known to be cut off
    assert settled["n2"].verdict is NOT_REACHED


def test_a_hop_on_two_journeys_is_not_reached_only_when_neither_reaches_it() -> None:
    graph = hops(b1=BLOCKED, b2=BLOCKED)
    in_cluster = [*EDGES, Edge("c2", "svc", path=Path.IN_CLUSTER), Edge("svc", "pod", path=Path.IN_CLUSTER)]
    graph["svc"] = Hop("svc", "service", "svc", Path.IN_CLUSTER)
    settled = mark_not_reached(graph, in_cluster)
    assert settled["pod"].verdict is OK  # a client inside the cluster still reaches it
    assert path_verdict(graph, in_cluster, Path.IN_CLUSTER) is OK
    assert path_verdict(graph, in_cluster) is BLOCKED


def test_a_trace_applies_the_rule_to_what_it_shows() -> None:
    step = StepResult(step="x", title="x", domain="d", hops=list(hops(b2=BLOCKED).values()), edges=EDGES)
    trace = Trace(domain="d", client=Client(), world="w", steps=[step])
    assert trace.verdict is OK
    shown = {h.id: h.verdict for h in trace.hops}
    assert shown["n2"] is NOT_REACHED and shown["c2"] is NOT_REACHED
    assert {row["verdict"] for row in trace.rows if row["what"] in ("n2", "c2")} == {"not reached"}


def test_a_path_without_a_terminal_hop_is_never_ok() -> None:
    graph = {h: v for h, v in hops().items() if h != "pod"}
    edges = [e for e in EDGES if "pod" not in (e.src, e.dst)]
    assert path_verdict(graph, edges) is UNKNOWN
    graph["c1"] = Hop("c1", "controller", "c1", verdict=BLOCKED)
    graph["c2"] = Hop("c2", "controller", "c2", verdict=BLOCKED)
    assert path_verdict(graph, edges) is BLOCKED


def test_a_branch_that_ends_where_nothing_is_known_is_unknown_not_blocked() -> None:
    """One backend blocked, the other leads to a hop nobody could follow (no edge beyond it)."""
    graph = hops(b1=BLOCKED, c2=UNKNOWN)
    ends_unknown = [e for e in EDGES if e.src != "c2"]
    assert path_verdict(graph, ends_unknown) is UNKNOWN
    # the same unknown hop with a blocked hop behind it: that branch is blocked whatever it is
    assert path_verdict(hops(b1=BLOCKED, c2=UNKNOWN, pod=BLOCKED), EDGES) is BLOCKED
