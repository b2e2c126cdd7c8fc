"""Is a demo trace cheap? Times `ackwb trace DOMAIN` against `python -c "import ackwb"`.

Both run as whole processes from the same environment as the Python running this script, so
interpreter start-up counts on both sides. The runs are interleaved (trace, import, trace, ...)
so that a slow moment of the machine hits both alike; the first pair is a warm-up and is not
counted. The goal from the issue: median trace time / median import time <= 1.3.

    python benchmarks/trace_vs_import.py [--runs N] [--domain D]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 1.3


def console_script() -> str:
    """The `ackwb` console script installed beside this interpreter."""
    beside = Path(sys.executable).parent / "ackwb"
    if beside.exists():
        return str(beside)
    found = shutil.which("ackwb")
    if found is None:
        sys.exit(f"no `ackwb` console script next to {sys.executable}: run `pip install -e .` first")
    return found


def run_once(command: list[str]) -> float:
    """Seconds one run of ``command`` takes; exits with its stderr if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr.strip()}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs of each command (default 15)")
    parser.add_argument("--domain", default="app1.qas.abc.com", help="domain to trace (default %(default)s)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    commands = {
        "trace": [console_script(), "trace", args.domain],
        "baseline": [sys.executable, "-c", "import ackwb"],
    }
    for command in commands.values():  # warm-up: fills the OS file cache and the .pyc files
        run_once(command)

    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(run_once(command))

    trace = statistics.median(times["trace"])
    baseline = statistics.median(times["baseline"])
    ratio = trace / baseline
    print(f"runs:     {args.runs} of each, interleaved, after one warm-up run each")
    print(f"trace:    {trace * 1000:7.1f} ms  median of `ackwb trace {args.domain}`")
    print(f'baseline: {baseline * 1000:7.1f} ms  median of `python -c "import ackwb"`')
    print(f"ratio:    {ratio:7.2f}     goal <= {GOAL}: {'PASS' if ratio <= GOAL else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
