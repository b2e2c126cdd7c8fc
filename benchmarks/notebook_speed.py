"""Does onboarding stay fast? Times each notebook against a notebook whose only cell is `pass`.

A newcomer's first wait is a notebook running top to bottom. Much of it is starting Python,
Jupyter's machinery and a kernel, which no notebook can avoid, so each notebook is measured
against a notebook whose only cell is ``pass`` (the kernel start and stop, nothing else), run
the same way: headless with papermill (as ``ackwb report`` runs its notebook), in a new process
per run, in a fresh ``python3`` kernel, from notebooks/. Two times come from each run: the
whole process (what a headless run costs: the figure the goals are set on) and papermill's
execution alone (kernel start, every cell, kernel shutdown; the start of Python and the
imports of papermill left out, so the notebook's own cost weighs more).

Two situations, each as a median over interleaved runs (pass, notebook, pass, notebook, ...)
so that a slow moment of the machine hits both alike:

- warm: after one unmeasured run of each, as when a notebook is run again;
- first run after setup (cold): before every run, ackwb's bytecode caches are removed and the
  run gets an empty cache folder (XDG_CACHE_HOME: fontconfig's user cache), IPython folder and
  Jupyter runtime folder, as on a machine where ackwb was just installed. The operating
  system's file cache is left alone: dropping it needs root and slows everything else on the
  machine; the interpreter's and libraries' own bytecode stays, as pip compiled it at install.

Goals from the issue: a notebook takes at most 1.5× the `pass` notebook warm, 2× cold.

    python benchmarks/notebook_speed.py [--runs N] [--cold-runs N] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WARM_GOAL, COLD_GOAL = 1.5, 2.0
TIMEOUT_SECONDS = 600

# Runs in a new interpreter: execute one notebook with papermill, print how long that took.
RUN_ONE = """
import json, logging, sys, time
import papermill
from ackwb.render.kernel import quiet_kernel_manager
logging.getLogger("papermill").setLevel(logging.ERROR)
source, folder, target = sys.argv[1:4]
start = time.perf_counter()
papermill.execute_notebook(source, target, kernel_name="python3", progress_bar=False, cwd=folder,
                           kernel_manager_class=quiet_kernel_manager())
print(json.dumps({"execute": time.perf_counter() - start}))
"""


def pass_notebook(folder: Path) -> Path:
    """The baseline: one code cell, ``pass``, with the python3 kernel."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("pass")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = folder / "pass.ipynb"
    nbformat.write(nb, target)
    return target


def clear_ackwb_bytecode() -> None:
    for cache in (ROOT / "ackwb").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def run_once(notebook: Path, cold: bool) -> tuple[float, float]:
    """(whole process, papermill's execution) seconds for one run of ``notebook``; exits if it fails."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="ackwb-nb-speed-") as fresh:
        if cold:
            clear_ackwb_bytecode()
            for name, sub in (
                ("XDG_CACHE_HOME", "cache"),
                ("IPYTHONDIR", "ipython"),
                ("JUPYTER_RUNTIME_DIR", "rt"),
            ):
                env[name] = str(Path(fresh) / sub)
        command = [
            sys.executable,
            "-c",
            RUN_ONE,
            str(notebook),
            str(NOTEBOOKS),
            str(Path(fresh) / "out.ipynb"),
        ]
        start = time.perf_counter()
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
        whole = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{notebook.name} did not run:\n{done.stderr.strip()[-3000:]}")
    return whole, float(json.loads(done.stdout.strip().splitlines()[-1])["execute"])


def measure(notebook: Path, baseline: Path, runs: int, cold: bool) -> dict[str, float]:
    """Medians of interleaved runs of the baseline and the notebook, whole and execution only."""
    if not cold:  # one unmeasured run of each: the bytecode and the OS file cache are warm after it
        run_once(baseline, cold=False)
        run_once(notebook, cold=False)
    times: dict[str, list[float]] = {"base": [], "base_exec": [], "nb": [], "nb_exec": []}
    for _ in range(runs):
        for key, path in (("base", baseline), ("nb", notebook)):
            whole, execute = run_once(path, cold)
            times[key].append(whole)
            times[key + "_exec"].append(execute)
    return {key: statistics.median(values) for key, values in times.items()}


def verdict(ratio: float, goal: float) -> str:
    return "PASS" if ratio <= goal else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: every notebook)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each (default 5)")
    parser.add_argument("--cold-runs", type=int, default=3, help="first runs after setup of each (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cold_runs < 1:
        parser.error("--runs and --cold-runs must be at least 1")
    names = args.notebooks or sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    paths = [NOTEBOOKS / (n if n.endswith(".ipynb") else n + ".ipynb") for n in names]
    for missing in (p for p in paths if not p.is_file()):
        parser.error(f"no notebook {missing.name} in {NOTEBOOKS}")

    print(f"median of {args.runs} warm runs (after one unmeasured run) and {args.cold_runs} first runs after")
    print("setup, each interleaved with the same runs of a notebook whose only cell is `pass`;")
    print("s: the whole headless run (goal set on it); exec: papermill's execution alone\n")
    columns = ("warm s", "pass s", "ratio", "", "exec", "first s", "pass s", "ratio", "", "exec")
    header = f"{'notebook':<16}" + "".join(f"{c:>8}" for c in columns)
    print(header + "\n" + "-" * len(header))
    worst = {"warm": 0.0, "cold": 0.0}
    with tempfile.TemporaryDirectory(prefix="ackwb-nb-speed-") as folder:
        baseline = pass_notebook(Path(folder))
        row = "{:<16}" + "{:8.2f}{:8.2f}{:7.2f}×{:>8}{:7.2f}×" * 2
        for path in paths:
            warm = measure(path, baseline, args.runs, cold=False)
            cold = measure(path, baseline, args.cold_runs, cold=True)
            cells = [path.stem]
            for key, found, goal in (("warm", warm, WARM_GOAL), ("cold", cold, COLD_GOAL)):
                ratio = found["nb"] / found["base"]
                worst[key] = max(worst[key], ratio)
                cells += [
                    found["nb"],
                    found["base"],
                    ratio,
                    verdict(ratio, goal),
                    found["nb_exec"] / found["base_exec"],
                ]
            print(row.format(*cells), flush=True)
    print(
        f"\nworst warm {worst['warm']:.2f}× (goal <= {WARM_GOAL}: {verdict(worst['warm'], WARM_GOAL)}), "
        f"worst first run {worst['cold']:.2f}× (goal <= {COLD_GOAL}: {verdict(worst['cold'], COLD_GOAL)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
