"""A step's diagram draws the earlier hops its edges start from with their real verdict, faded.

Only an edge end that no step of the chain describes is drawn as "not traced".
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import ackwb.render  # noqa: F401  (registers the presenter)
from ackwb import Workbook
from ackwb.model import Edge, Hop, StepResult, Verdict
from ackwb.render.dot import CONTEXT_TEXT
from ackwb.render.html import context_hops


def node_line(dot: str, hop_id: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(f'"{hop_id}" [id='))


def chain() -> StepResult:
    """dns → slb (the ACL blocks) → ecs, where ecs's edges start at the slb's backend and listener."""
    first = StepResult(
        step="dns",
        title="DNS",
        domain="d",
        hops=[Hop(id="dns:d", kind="dns", label="d A 1.2.3.4", details=(("records", "1"),))],
    )
    second = StepResult(
        step="slb",
        title="LB",
        domain="d",
        hops=[
            Hop(id="lb:1", kind="lb", label="lb 1.2.3.4", details=(("type", "internet"),)),
            Hop(id="listener:1", kind="listener", label="listener 80", verdict=Verdict.BLOCKED),
            Hop(id="backend:1", kind="backend", label="backend 10.0.0.1:80"),
        ],
        edges=[Edge("dns:d", "lb:1"), Edge("lb:1", "listener:1"), Edge("listener:1", "backend:1")],
        prev=first,
    )
    return StepResult(
        step="ecs",
        title="ECS",
        domain="d",
        hops=[Hop(id="node:1", kind="node", label="node 10.0.0.1")],
        edges=[Edge("backend:1", "node:1"), Edge("listener:1", "node:1"), Edge("ghost:1", "node:1")],
        prev=second,
    )


def test_context_hops_are_found_by_walking_back_the_chain() -> None:
    hops = context_hops(chain())
    assert [h.id for h in hops] == ["backend:1", "listener:1"]
    assert {h.id: h.verdict for h in hops}["listener:1"] is Verdict.BLOCKED


def test_the_nearest_earlier_step_describes_a_hop() -> None:
    step = chain()
    assert step.prev is not None and step.prev.prev is not None
    step.prev.prev.hops.append(Hop(id="backend:1", kind="backend", label="stale", verdict=Verdict.UNKNOWN))
    [backend] = [h for h in context_hops(step) if h.id == "backend:1"]
    assert backend.label == "backend 10.0.0.1:80" and backend.verdict is Verdict.OK


def test_step_diagram_draws_earlier_hops_faded_with_their_verdict() -> None:
    dot = chain().diagram().dot
    listener = node_line(dot, "listener:1")
    assert "context" in listener and "blocked" in listener and "BLOCKED" in listener
    assert "not traced" not in listener
    backend = node_line(dot, "backend:1")
    assert "context" in backend and f'fontcolor="{CONTEXT_TEXT}"' in backend
    assert re.search(r'color="#[0-9a-f]{6}66"', backend), "a context hop's line colour is faded"
    own = node_line(dot, "node:1")
    assert "context" not in own and "fontcolor" not in own
    assert "faded box: from an earlier step" in dot


def test_an_edge_end_no_step_describes_stays_not_traced() -> None:
    dot = chain().diagram().dot
    ghost = node_line(dot, "ghost:1")
    assert "not traced" in ghost and "UNKNOWN" in ghost and "context" not in ghost


def test_a_step_without_a_chain_draws_unknown_ends_as_before() -> None:
    step = chain()
    step.prev = None
    dot = step.diagram().dot
    assert "not traced" in node_line(dot, "backend:1")
    assert "context" not in dot


def test_the_step_html_uses_the_same_context() -> None:
    page = chain()._repr_html_()  # SVG with Graphviz, the DOT text without: both carry the classes
    assert "context" in page and "listener 80" in page
    assert page.count("not traced") == 1  # the ghost only


@pytest.mark.parametrize("domain", Workbook.demo().domains())
def test_no_demo_step_draws_a_traced_hop_as_not_traced(domain: str) -> None:
    trace = Workbook.demo().trace(domain)
    described = {hop.id for step in trace.steps for hop in step.hops}
    for step in trace.steps:
        dot = step.diagram().dot
        for end in {end for edge in step.edges for end in (edge.src, edge.dst)}:
            line = node_line(dot, end)
            if end in described:
                assert "not traced" not in line, f"{domain} {step.step}: {end} is drawn as not traced"
            else:
                assert "not traced" in line


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_graphviz_draws_faded_hops_without_warnings() -> None:
    dot = chain().diagram().dot
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr.decode().strip() == ""
