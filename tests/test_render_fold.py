"""Folding parallel branches in the whole-path diagram: counts, honest verdicts, stable output.

A trace's diagram folds the backends, nodes, controller Pods and Pods a request is balanced
over into one box each; a step's own diagram still draws every hop. The cases here are
built by hand so that each rule (worst verdict wins, the tally, listeners never folded,
order independence) is pinned down by a small input.
"""

from __future__ import annotations

import random

from ackwb import Workbook
from ackwb.model import Client, Edge, Hop, Path, StepResult, Trace, Verdict
from ackwb.render.fold import FOLD_PREFIX, fold_parallel
from ackwb.render.presenter import HtmlPresenter


def fan_out(backends: int, verdicts: dict[int, Verdict] | None = None) -> tuple[list[Hop], list[Edge]]:
    """lb → listeners 80 and 443; listener 80 → N backends → N nodes → one ingress."""
    verdicts = verdicts or {}
    hops = [
        Hop("lb", "lb", "lb"),
        Hop("l80", "listener", "listener TCP 80"),
        Hop("l443", "listener", "listener TCP 443"),
        Hop("ing", "ingress", "Ingress"),
    ]
    edges = [Edge("lb", "l80", "port 80"), Edge("lb", "l443", "port 443")]
    for i in range(backends):
        verdict = verdicts.get(i, Verdict.OK)
        hops += [
            Hop(f"b{i}", "backend", f"backend 10.0.0.{i}:80\neni eni-{i}", verdict=verdict),
            Hop(f"n{i}", "node", f"node n{i}\n10.0.0.{i}"),
        ]
        edges += [Edge("l80", f"b{i}", "rsp-1"), Edge(f"b{i}", f"n{i}", f"ENI eni-{i}"), Edge(f"n{i}", "ing")]
    return hops, edges


def test_parallel_backends_and_their_nodes_fold_into_one_box_each() -> None:
    hops, edges = fold_parallel(*fan_out(3))
    by_kind = {hop.kind: hop for hop in hops}
    assert sorted(h.kind for h in hops) == ["backend", "ingress", "lb", "listener", "listener", "node"]
    assert by_kind["backend"].label == "3 backends" and by_kind["node"].label == "3 nodes"
    assert ("", "backend 10.0.0.0:80") in by_kind["backend"].details
    assert {(e.src, e.dst, e.label) for e in edges} >= {
        ("l80", "fold:b0", "rsp-1"),
        ("fold:b0", "fold:n0", "ENI …"),  # labels that differ keep their common words
        ("fold:n0", "ing", ""),
    }
    assert len(edges) == 5, "each folded edge is drawn once"


def test_listeners_are_never_folded_the_port_picks_one() -> None:
    hops, _ = fold_parallel(*fan_out(2))
    assert {h.id for h in hops if h.kind == "listener"} == {"l80", "l443"}


def test_a_folded_box_has_its_worst_members_verdict_and_counts_each() -> None:
    hops, _ = fold_parallel(*fan_out(4, {1: Verdict.BLOCKED, 2: Verdict.NOT_REACHED}))
    box = next(h for h in hops if h.kind == "backend")
    assert box.verdict is Verdict.BLOCKED
    assert dict(box.details)["verdicts"] == "2 ok · 1 blocked · 1 not reached"
    nodes = next(h for h in hops if h.kind == "node")
    assert nodes.verdict is Verdict.OK and dict(nodes.details)["verdicts"] == "4 ok"


def test_hops_reached_from_different_boxes_stay_apart() -> None:
    hops = [Hop("a", "listener", "a"), Hop("b", "listener", "b"), Hop("p", "pod", "p"), Hop("q", "pod", "q")]
    edges = [Edge("a", "p"), Edge("b", "q")]
    assert {h.id for h in fold_parallel(hops, edges)[0]} == {"a", "b", "p", "q"}
    edges_in_cluster = [Edge("a", "p"), Edge("a", "q", path=Path.IN_CLUSTER)]
    assert {h.id for h in fold_parallel(hops, edges_in_cluster)[0]} == {"a", "b", "p", "q"}


def test_many_members_are_counted_not_listed() -> None:
    box = next(h for h in fold_parallel(*fan_out(7))[0] if h.kind == "backend")
    assert box.label == "7 backends"
    assert [v for k, v in box.details if k == ""][-1] == "and 3 more"


def test_folding_does_not_depend_on_input_order() -> None:
    hops, edges = fan_out(5, {3: Verdict.UNKNOWN})
    expected = fold_parallel(hops, edges)
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        shuffled_hops, shuffled_edges = hops[:], edges[:]
        rng.shuffle(shuffled_hops)
        rng.shuffle(shuffled_edges)
        assert fold_parallel(shuffled_hops, shuffled_edges) == expected


def test_whole_path_diagram_is_folded_and_top_to_bottom_step_diagrams_are_not() -> None:
    trace = Workbook.demo().trace("app2.qas.abc.com")
    whole = HtmlPresenter().diagram(trace).dot
    assert "rankdir=TB" in whole
    assert '"hop-fold:' in whole and "2 backends" in whole and "2 Pods" in whole
    assert "folded" in whole
    slb, ecs = trace.step("slb"), trace.step("ecs")
    for step in (slb, ecs):
        step_dot = HtmlPresenter().diagram(step).dot
        assert "rankdir=LR" in step_dot and FOLD_PREFIX not in step_dot
    assert all(f'"hop-{hop.id}"' in HtmlPresenter().diagram(ecs).dot for hop in ecs.hops)


def test_a_blocked_member_turns_the_whole_path_box_red() -> None:
    hops, edges = fan_out(3, {2: Verdict.BLOCKED})
    trace = Trace(
        domain="x.example",
        client=Client(),
        world="hand-made",
        steps=[StepResult(step="slb", title="t", domain="x.example", hops=hops, edges=edges)],
    )
    dot = trace.diagram().dot
    line = next(line for line in dot.splitlines() if line.strip().startswith('"fold:b0"'))
    assert 'class="request blocked folded"' in line and 'color="#c0392b"' in line
