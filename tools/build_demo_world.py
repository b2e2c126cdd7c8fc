"""Write the built-in worlds into ackwb/demo/worlds/ from tools/demo_world.

Each design world (tools/demo_world/designs/) is a complete world; every broken scenario
(tools/demo_world/scenarios.py) is an overlay folder beside it holding its ``world.json``,
which names its design world as ``base``, and only the files that differ. The generated
files are committed and are the truth the package reads; this script only keeps them
consistent with each other and with the registry in ``ackwb/demo/__init__.py``, and stores each
design world's design records (``ackwb/demo/designs.json``, traced by ``ackwb.designs``). Run from
the repository root:

    python tools/build_demo_world.py           # rewrite every world
    python tools/build_demo_world.py --check   # exit 1 when the committed files differ
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.demo_world.designs import DESIGNS  # noqa: E402
from tools.demo_world.designs.healthy import DESIGN as HEALTHY  # noqa: E402
from tools.demo_world.scenarios import SCENARIOS, overlay  # noqa: E402
from tools.demo_world.world import world_files as design_files  # noqa: E402

WORLDS = ROOT / "ackwb" / "demo" / "worlds"
DESIGN_RECORDS = ROOT / "ackwb" / "demo" / "designs.json"
WORLD = WORLDS / "healthy"


def world_files() -> dict[str, str]:
    """Relative path → file content of the healthy world."""
    return design_files(HEALTHY)


def all_worlds() -> dict[str, dict[str, str]]:
    """World name → its files: each design world whole, then each scenario as an overlay of its design."""
    designs = {name: design_files(d) for name, d in DESIGNS.items()}
    scenarios = {s.name: overlay(s, designs[s.base], DESIGNS[s.base]) for s in SCENARIOS}
    return {**designs, **scenarios}


def write(target: Path, files: dict[str, str] | None = None) -> None:
    if target.exists():
        shutil.rmtree(target)
    for relative, content in (world_files() if files is None else files).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def differences(target: Path, files: dict[str, str] | None = None) -> list[str]:
    """Relative paths whose committed content differs from ``files`` (default: the healthy world)."""
    want = {k: v.encode() for k, v in (world_files() if files is None else files).items()}
    have = {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    return sorted(name for name in want.keys() | have.keys() if want.get(name) != have.get(name))


def expected_registry() -> list[tuple[str, str, str]]:
    """(name, design, summary) of every built-in world, design worlds first."""
    rows = [(name, name, d.summary) for name, d in DESIGNS.items()]
    return rows + [(s.name, s.base, s.summary) for s in SCENARIOS]


def package_listing_problems() -> list[str]:
    """ackwb.demo must list the generated worlds, in order, with the same designs and summaries."""
    from ackwb.demo import DESIGNS as LISTED_DESIGNS
    from ackwb.demo import WORLDS as LISTED

    problems = []
    if list(LISTED_DESIGNS) != list(DESIGNS):
        problems.append(f"ackwb/demo/__init__.py DESIGNS should read {tuple(DESIGNS)!r}")
    expected = expected_registry()
    if [(w.name, w.design, w.summary) for w in LISTED.values()] != expected:
        problems.append(
            "ackwb/demo/__init__.py WORLDS differs from the generator; its entries should read:\n"
            + "\n".join(f"    ({name!r}, {design!r}, {summary!r})," for name, design, summary in expected)
        )
    return problems


def check() -> list[str]:
    problems = []
    worlds = all_worlds()
    for name, files in worlds.items():
        problems += [f"differs: {name}/{path}" for path in differences(WORLDS / name, files)]
    strays = sorted(p.name for p in WORLDS.iterdir() if p.is_dir() and p.name not in worlds)
    problems += [f"not generated (remove it): {name}/" for name in strays]
    problems += package_listing_problems()
    if not problems and _stored_records() != _traced_records():
        problems.append(f"differs: {DESIGN_RECORDS.relative_to(ROOT)} (the design worlds trace differently)")
    return problems


def _traced_records() -> str:
    """The design records of the written worlds, traced by the installed ackwb (``ackwb.designs``)."""
    from ackwb.designs import dumps, trace_design_records

    return dumps(trace_design_records())


def _stored_records() -> str:
    return DESIGN_RECORDS.read_text(encoding="utf-8") if DESIGN_RECORDS.exists() else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    worlds = all_worlds()
    for name, files in worlds.items():
        write(WORLDS / name, files)
    print(f"wrote {len(worlds)} worlds into {WORLDS.relative_to(ROOT)}")
    problems = package_listing_problems()
    if not problems:  # the records trace the registered worlds
        DESIGN_RECORDS.write_text(_traced_records(), encoding="utf-8")
        print(f"wrote the design records into {DESIGN_RECORDS.relative_to(ROOT)}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
