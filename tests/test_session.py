"""A session reads each distinct query once, bounds its cache and its reads in flight, and answers
narrow queries from broad reads without changing a single answer; each product has a rate limit."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.errors import SourceError
from ackwb.render.json_trace import trace_document
from ackwb.sources.rate_limit import RateLimits, TokenBucket
from ackwb.sources.session import ReadCache, session
from ackwb.sources.world import load_demo_world
from ackwb.sweep import sweep


class Counted:
    """Counts the calls of one source by (method, first arguments) and records them in order."""

    def __init__(self, inner: Any, calls: Counter) -> None:
        self._inner, self._calls = inner, calls
        self.region = getattr(inner, "region", "")

    def __getattr__(self, method: str) -> Any:
        call = getattr(self._inner, method)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[(method, repr(args), repr(sorted(kwargs.items())))] += 1
            return call(*args, **kwargs)

        return counted


def counted_sources(scenario: str = "healthy", parallel: int = 1) -> tuple[Any, Counter]:
    sources = load_demo_world(scenario).sources()
    calls: Counter = Counter()
    names = ("kube", "cloud", "dns", "node", "pod_exec")
    counted = replace(sources, parallel=parallel, **{n: Counted(getattr(sources, n), calls) for n in names})
    return counted, calls


def test_single_flight_reads_once_for_every_asker() -> None:
    cache, started, release, fetched = ReadCache(), threading.Event(), threading.Event(), []

    def fetch() -> dict[str, Any]:
        fetched.append(1)
        started.set()
        release.wait(5)
        return {"answer": [1]}

    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.read("k", fetch))) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(fetched) == 1 and answers == [{"answer": [1]}] * 8
    answers[0]["answer"].append(2)  # every asker gets its own copy
    assert cache.read("k", fetch) == {"answer": [1]} and len(fetched) == 1


def test_the_cache_is_bounded_and_keeps_errors() -> None:
    cache, reads = ReadCache(size=3), Counter()

    def fetch(key: str) -> str:
        reads[key] += 1
        if key == "bad":
            raise SourceError("x", "refused")
        return key

    for key in ("a", "b", "c", "d"):
        cache.read(key, lambda key=key: fetch(key))
    cache.read("a", lambda: fetch("a"))  # "a" was the least recently used: evicted, read again
    assert reads["a"] == 2 and len(cache._entries) == 3
    for _ in range(2):
        with pytest.raises(SourceError, match="refused"):
            cache.read("bad", lambda: fetch("bad"))
    assert reads["bad"] == 1


def test_reads_in_flight_are_bounded() -> None:
    cache, lock, flying, most = ReadCache(concurrency=2), threading.Lock(), [0], [0]

    def fetch() -> int:
        with lock:
            flying[0] += 1
            most[0] = max(most[0], flying[0])
        time.sleep(0.02)
        with lock:
            flying[0] -= 1
        return 1

    threads = [threading.Thread(target=cache.read, args=(f"k{i}", fetch)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert most[0] == 2


def test_a_sweep_reads_each_shared_query_once() -> None:
    sources, calls = counted_sources()
    found = sweep(sources)
    assert len(found.traced) == 8
    assert max(calls.values()) == 1, [c for c, n in calls.items() if n > 1]
    listed = [c for c in calls if c[0] == "call" and "DescribeLoadBalancerListeners" in c[1]]
    assert len(listed) == 2  # two CLBs, however many hosts and ports use them
    nat = [c for c in calls if c[0] == "call" and "DescribeNatGateways" in c[1]]
    assert len(nat) == 1


@pytest.mark.parametrize("scenario", ["healthy", "flannel-nodeport", "terway-nlb", "terway-eni-https"])
def test_broad_reads_change_no_answer(scenario: str) -> None:
    precise = sweep(load_demo_world(scenario).sources())
    sources, calls = counted_sources(scenario, parallel=4)  # what a live sweep of a whole cluster does
    broad = sweep(sources)

    def documents(result: Any) -> list[dict[str, Any]]:
        return [{**trace_document(t), "world": ""} for t in result.traces]

    assert documents(broad) == documents(precise)
    kube = [c for c in calls if c[0] in ("get", "list") and c[1].startswith(("('pods'", "('services'"))]
    assert all(c[0] == "list" and c[1] in ("('pods',)", "('services',)") for c in kube), kube


def test_a_trace_outside_a_sweep_reads_fresh() -> None:
    sources, calls = counted_sources()
    wb = Workbook(sources)
    wb.trace("app1.qas.abc.com")
    first = sum(calls.values())
    wb.trace("app1.qas.abc.com")
    assert sum(calls.values()) == 2 * first


def test_a_session_is_not_wrapped_twice() -> None:
    sources = session(load_demo_world().sources())
    assert session(sources) is sources


def test_a_token_bucket_waits_for_its_rate() -> None:
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(2, clock=lambda: now[0], sleep=sleep)
    waits = [bucket.take() for _ in range(5)]
    assert waits == [0, 0, 0.5, 0.5, 0.5] and sum(slept) == pytest.approx(1.5)
    now[0] += 10  # a pause refills the bucket, up to its capacity only
    assert [bucket.take() for _ in range(3)] == [0, 0, 0.5]


def test_each_product_has_its_own_limit() -> None:
    now, slept = [0.0], []
    limits = RateLimits({"slb": 1}, clock=lambda: now[0], sleep=lambda s: slept.append(s) or None)
    for _ in range(3):
        limits.take("slb")
    for _ in range(10):
        limits.take("ecs")  # the default allows a burst of 10
    assert slept == [1.0, 1.0] and limits.rates["ecs"] == 10
