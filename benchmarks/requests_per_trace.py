"""Requests and bytes one live trace costs, in a small and in a big cluster: they must not grow.

Builds two worlds from the demo (10 extra Services, and 5,000 extra Services with 50,000
Pods), serves each with the real peers (Kubernetes API, OpenAPI, sshd, dnsmasq), traces
app1.qas.abc.com through a live profile, and prints per source the requests the peers
recorded, the bytes the sources returned, and the ratio big / small. Independent reads of
a step run concurrently (``Sources.gather``) and a read-ahead starts each read as soon as its
inputs are known (``ackwb.readahead``), so it also measures the critical path: with every peer
answering ``--rtt`` seconds late (Kubernetes API, OpenAPI, sshd's commands, DNS through a
delaying forwarder), the reads on the longest chain of reads each of which started after the
previous one ended, and the trace's wall time in round trips; the same trace without the
read-ahead is the baseline, in the same run.

    python benchmarks/requests_per_trace.py [--services 5000] [--pods-per-service 10] [--rtt 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from peers.lab import FAKE_KEY_ID, FAKE_SECRET, Lab, live_lab  # noqa: E402
from scale_world import build_scaled_world  # noqa: E402

from ackwb.sources.world import load_world  # noqa: E402
from ackwb.trace import run_trace  # noqa: E402

DOMAIN = "app1.qas.abc.com"
# The SDK reads credentials from the environment once, at import: set the lab's fake keys first.
os.environ.update(
    ALIBABA_CLOUD_ACCESS_KEY_ID=FAKE_KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET=FAKE_SECRET,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
)


class Measured:
    """Wraps one source; adds the size of every answer to ``sizes`` under the source's name and
    the (start, end) time of every read to ``spans``."""

    def __init__(self, inner: Any, name: str, sizes: Counter, spans: list[tuple[float, float]]) -> None:
        self._inner, self._name, self._sizes, self._spans = inner, name, sizes, spans
        self.region = getattr(inner, "region", "")

    def __getattr__(self, method: str) -> Any:
        call = getattr(self._inner, method)

        def measured(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            answer = call(*args, **kwargs)
            self._spans.append((start, time.perf_counter()))
            self._sizes[self._name] += len(_text(answer).encode())
            return answer

        return measured


def critical_path(spans: list[tuple[float, float]]) -> int:
    """The most reads that ran one after another: the longest chain of spans each starting after
    the previous one ended (reads that overlapped ran concurrently and count once)."""
    ordered = sorted(spans)
    longest: list[int] = []
    for start, _ in ordered:
        before = [n for (_, end), n in zip(ordered[: len(longest)], longest, strict=True) if end <= start]
        longest.append(1 + max(before, default=0))
    return max(longest, default=0)


def _text(answer: Any) -> str:
    if hasattr(answer, "stdout"):
        return answer.stdout
    return json.dumps(answer, default=lambda o: o.__dict__)


def measured_sources(lab: Lab) -> tuple[Any, Counter, list[tuple[float, float]]]:
    from ackwb.profiles import load_profile
    from ackwb.sources.live import live_sources

    sources = live_sources(load_profile("lab", lab.profiles))
    sizes: Counter = Counter()
    spans: list[tuple[float, float]] = []
    names = {"kube": "kube", "cloud": "cloud", "dns": "dns", "node": "ssh", "pod_exec": "kube exec"}
    measured = replace(sources, **{field: Measured(getattr(sources, field), name, sizes, spans)
                                   for field, name in names.items()})  # fmt: skip
    return measured, sizes, spans


def timed(lab: Lab, rtt: float, readahead: bool) -> tuple[int, int, float]:
    """(reads, reads on the critical path, wall seconds) of one trace with every peer ``rtt`` late;
    SSH connections and SDK clients are made by a first trace, as in a session that has started."""
    sources, _, spans = measured_sources(lab)
    run_trace(sources, DOMAIN, readahead=readahead)
    spans.clear()
    lab.delay(rtt)
    try:
        started = time.perf_counter()
        trace = run_trace(sources, DOMAIN, readahead=readahead)
        wall = time.perf_counter() - started
    finally:
        lab.delay(0)
    assert trace.rows, "the trace found nothing"
    return len(spans), critical_path(spans), wall


def measure(lab: Lab) -> tuple[dict[str, tuple[int, int]], int, int]:
    measured, sizes, spans = measured_sources(lab)
    lab.kube.requests.clear()
    lab.cloud.requests.clear()
    ssh_before, dns_before = len(lab.ssh.node.commands()), len(lab.dns.queries())
    trace = run_trace(measured, DOMAIN)
    assert trace.rows, "the trace found nothing"
    exec_requests = sum(1 for r in lab.kube.requests if r.path.endswith("/exec"))
    counts = {
        "kube": (len(lab.kube.requests) - exec_requests, sizes["kube"]),
        "kube exec": (exec_requests, sizes["kube exec"]),
        "cloud": (len(lab.cloud.requests), sizes["cloud"]),
        "ssh": (len(lab.ssh.node.commands()) - ssh_before, sizes["ssh"]),
        "dns": (len(lab.dns.queries()) - dns_before, sizes["dns"]),
    }
    return counts, len(spans), critical_path(spans)


def run(
    label: str, services: int, pods: int, workdir: Path, rtt: float = 0.0
) -> tuple[dict[str, tuple[int, int]], int, int, list[tuple[int, int, float]]]:
    world_dir = build_scaled_world(workdir / f"world-{label}", services, pods)
    started = time.perf_counter()
    with live_lab(load_world(world_dir), workdir / f"lab-{label}", latency=bool(rtt)) as lab:
        print(f"  {services} services: peers up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        counts, reads, path = measure(lab)
        timings = [timed(lab, rtt, readahead) for readahead in (False, True)] if rtt else []
        return counts, reads, path, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--pods-per-service", type=int, default=10)
    parser.add_argument("--rtt", type=float, default=0.05, help="seconds every peer waits per answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, small_reads, small_path, timings = run("small", 10, args.pods_per_service, Path(tmp), args.rtt)
        big, big_reads, big_path, _ = run("big", args.services, args.pods_per_service, Path(tmp))
    print(f"trace of {DOMAIN}; baseline: the same trace in a world with 10 extra Services")
    print(f"{'source':<10} {'requests':>17} {'ratio':>6}   {'bytes':>23} {'ratio':>6}")
    for name in small:
        (r1, b1), (r2, b2) = small[name], big[name]
        requests = f"{r1:>7} → {r2:>7} {r2 / max(r1, 1):>6.2f}"
        print(f"{name:<10} {requests}   {b1:>10} → {b2:>10} {b2 / max(b1, 1):>6.2f}")
    total = [sum(v[i] for v in d.values()) for d in (small, big) for i in (0, 1)]
    print(f"{'total':<10} {total[0]:>7} → {total[2]:>7} {total[2] / total[0]:>6.2f}   "
          f"{total[1]:>10} → {total[3]:>10} {total[3] / total[1]:>6.2f}")  # fmt: skip
    print(f"reads (source calls): {small_reads} (small), {big_reads} (big)")
    print(f"reads on the critical path: {small_path} (small), {big_path} (big); "
          f"{small_reads - small_path} run concurrently with others")  # fmt: skip
    (base_reads, base_path, base_wall), (reads, path, wall) = timings
    rtt = args.rtt
    print(f"every peer {rtt * 1000:.0f} ms late (RTT), small world; baseline: the trace without read-ahead")
    print(f"  {'':<16} {'reads':>6} {'critical path':>14} {'wall':>9} {'wall / RTT':>11}")
    print(f"  {'without':<16} {base_reads:>6} {base_path:>14} {base_wall:>8.2f}s {base_wall / rtt:>11.1f}")
    print(f"  {'with read-ahead':<16} {reads:>6} {path:>14} {wall:>8.2f}s {wall / rtt:>11.1f}")
    print(f"  ratio: critical path {path / base_path:.2f}, wall {wall / base_wall:.2f}"
          f"  (goal: ≤ 12 reads, ≤ 15 × RTT)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
