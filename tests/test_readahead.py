"""The read-ahead of a live trace changes no answer and reads what the steps would read.

The built-in worlds are read as live sources are (``parallel`` > 1, so ``run_trace`` reads ahead);
each trace must be the same document with and without the read-ahead, every query of the steps
must still be made once (the read-ahead and the step share it), and the read-ahead may guess
wrong only a little. How much earlier the reads start is measured by
benchmarks/requests_per_trace.py against peers that answer late, not here.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from test_session import Counted

from ackwb import Workbook
from ackwb.demo import DESIGNS
from ackwb.render.json_trace import trace_document
from ackwb.sources.world import load_demo_world
from ackwb.trace import run_trace

WORLDS = [*DESIGNS, "pod-crashloop", "lb-acl-entry-removed", "flannel-route-missing", "terway-netpol-denies"]
CASES = [(world, domain) for world in WORLDS for domain in Workbook.demo(world).domains()]


def traced(world: str, domain: str, readahead: bool) -> tuple[dict[str, Any], Counter]:
    sources = load_demo_world(world).sources()
    calls: Counter = Counter()
    names = ("kube", "cloud", "dns", "node", "pod_exec")
    live_like = replace(sources, parallel=4, **{n: Counted(getattr(sources, n), calls) for n in names})
    trace = run_trace(live_like, domain, readahead=readahead)
    return {**trace_document(trace), "world": ""}, calls


@pytest.mark.parametrize(("world", "domain"), CASES, ids=[f"{w}:{d}" for w, d in CASES])
def test_the_readahead_changes_no_answer_and_reads_what_the_steps_read(world: str, domain: str) -> None:
    ahead, with_readahead = traced(world, domain, readahead=True)
    alone, without = traced(world, domain, readahead=False)
    assert ahead == alone
    assert set(without) <= set(with_readahead)  # nothing the steps need is left out or read another way
    assert max(with_readahead.values()) == 1  # a read the read-ahead started is the step's read too
    assert len(set(with_readahead) - set(without)) <= 2, sorted(set(with_readahead) - set(without))


def test_the_readahead_ends_with_its_trace() -> None:
    traced("healthy", "app1.qas.abc.com", readahead=True)
    assert not [t for t in threading.enumerate() if t.name.startswith("ackwb-readahead")]


def test_a_stored_world_is_traced_without_reading_ahead() -> None:
    sources = load_demo_world("flannel-nodeport").sources()
    assert sources.parallel == 1  # its reads cost nothing: nothing to gain by guessing
    calls: Counter = Counter()
    names = ("kube", "cloud", "dns", "node", "pod_exec")
    run_trace(replace(sources, **{n: Counted(getattr(sources, n), calls) for n in names}), "web.fln.abc.com")
    assert set(calls) == set(traced("flannel-nodeport", "web.fln.abc.com", readahead=False)[1])
    assert set(calls) != set(traced("flannel-nodeport", "web.fln.abc.com", readahead=True)[1])
