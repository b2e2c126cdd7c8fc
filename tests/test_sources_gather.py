"""``Sources.gather``: independent reads of a step, concurrent for live sources, in order always."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from ackwb.errors import SourceError
from ackwb.sources.base import Sources
from ackwb.sources.world import load_demo_world
from ackwb.steps.common import attempt, unwrap


@pytest.fixture
def sources() -> Sources:
    return load_demo_world().sources()


def meeting(parties: int, timeout: float = 10) -> threading.Barrier:
    """Reads that each wait for the others: they can only all finish when they run at once."""
    return threading.Barrier(parties, timeout=timeout)


def test_parallel_sources_run_the_reads_at_once_and_keep_their_order(sources: Sources) -> None:
    barrier = meeting(3)
    reads = [lambda n=n: (barrier.wait(), n)[1] for n in range(3)]
    assert replace(sources, parallel=4).gather(reads) == [0, 1, 2]


def test_a_stored_world_runs_them_one_after_another(sources: Sources) -> None:
    assert sources.parallel == 1
    barrier = meeting(2, timeout=0.5)
    with pytest.raises(threading.BrokenBarrierError):
        sources.gather([barrier.wait, barrier.wait])


def test_the_first_failing_read_raises_as_a_loop_would(sources: Sources) -> None:
    def fails(name: str):
        def read() -> None:
            raise SourceError(f"kube:get nodes {name}", "refused")

        return read

    for parallel in (1, 4):
        with pytest.raises(SourceError, match="nodes a"):
            replace(sources, parallel=parallel).gather([lambda: 1, fails("a"), fails("b")])


def test_attempt_hands_the_error_to_where_the_answer_is_used(sources: Sources) -> None:
    def refused() -> int:
        raise SourceError("kube:list pods", "refused")

    ok, failed = replace(sources, parallel=2).gather([attempt(lambda: 7), attempt(refused)])
    assert unwrap(ok) == 7
    with pytest.raises(SourceError, match="kube:list pods"):
        unwrap(failed)
