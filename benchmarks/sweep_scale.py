"""Requests of a live sweep as the number of hosts grows: a session's reads must not grow with it.

Builds two worlds from the demo with the same ``--services`` bulk Services (10 Pods each) and
gives ``--small`` and ``--big`` of them an Ingress host each, on the two load balancers in turn
(``scale_world.add_hosts``); serves each with the real peers (Kubernetes API, OpenAPI, sshd,
dnsmasq); runs ``ackwb sweep`` through a live profile (every host × path × port in one session)
and prints, per source, the requests the peers saw, both worlds side by side, and the increment
per extra host. Goal: cloud requests equal; Kubernetes, exec and SSH requests grow by at most 3
per extra host.

    python benchmarks/sweep_scale.py [--services 5000] [--small 10] [--big 500]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from peers.lab import FAKE_KEY_ID, FAKE_SECRET, Lab, live_lab  # noqa: E402
from scale_world import add_hosts, build_scaled_world  # noqa: E402

from ackwb import Workbook  # noqa: E402
from ackwb.sources.world import load_world  # noqa: E402

os.environ.update(
    ALIBABA_CLOUD_ACCESS_KEY_ID=FAKE_KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET=FAKE_SECRET,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
)
SOURCES = ("cloud", "kube", "kube exec", "ssh", "dns")


def requests_of(lab: Lab) -> dict[str, int]:
    execs = sum(1 for r in lab.kube.requests if r.path.endswith("/exec"))
    return {
        "cloud": len(lab.cloud.requests),
        "kube": len(lab.kube.requests) - execs,
        "kube exec": execs,
        "ssh": len(lab.ssh.node.commands()),
        "dns": len(lab.dns.queries()),
    }


def run(label: str, services: int, hosts: int, workdir: Path) -> tuple[dict[str, int], int, int, float]:
    world = add_hosts(build_scaled_world(workdir / f"world-{label}", services, 10), hosts)
    started = time.perf_counter()
    with live_lab(load_world(world), workdir / f"lab-{label}") as lab:
        print(f"  {hosts} hosts: peers up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        wb = Workbook.live("lab", lab.profiles)
        lab.kube.requests.clear()
        lab.cloud.requests.clear()
        ssh_before, dns_before = len(lab.ssh.node.commands()), len(lab.dns.queries())
        started = time.perf_counter()

        def each(traced: object, done: list[int] = [0]) -> None:  # noqa: B006 - a counter
            done[0] += 1
            if done[0] % 100 == 0:
                print(f"    {done[0]} paths traced in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        result = wb.sweep(each=each)
        seconds = time.perf_counter() - started
        counts = requests_of(lab)
        counts["ssh"] -= ssh_before
        counts["dns"] -= dns_before
        return counts, len(result.traced), len(result.broken), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--big", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = run("small", args.services, args.small, Path(tmp))
        big = run("big", args.services, args.big, Path(tmp))
    extra = args.big - args.small
    print(f"live sweep of every host, path and port; {args.services} bulk Services (10 Pods each) per world")
    print(f"baseline: the world with {args.small} hosts; then {args.big} hosts on two load balancers")
    print(f"{'source':<10} {'requests':>17} {'ratio':>6} {'per extra host':>15}")
    for name in SOURCES:
        a, b = small[0][name], big[0][name]
        print(f"{name:<10} {a:>7} → {b:>7} {b / max(a, 1):>6.2f} {(b - a) / extra:>15.3f}")
    a, b = sum(small[0].values()), sum(big[0].values())
    print(f"{'total':<10} {a:>7} → {b:>7} {b / a:>6.2f} {(b - a) / extra:>15.3f}")
    kube_exec_ssh = sum(big[0][n] - small[0][n] for n in ("kube", "kube exec", "ssh")) / extra
    print(f"paths traced: {small[1]} → {big[1]} ({small[2]} → {big[2]} not ok); "
          f"sweep wall time {small[3]:.1f} s → {big[3]:.1f} s")  # fmt: skip
    print(f"goal: cloud requests equal ({'yes' if small[0]['cloud'] == big[0]['cloud'] else 'NO'}); "
          f"Kubernetes + exec + SSH grow by {kube_exec_ssh:.3f} per extra host (≤ 3)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
