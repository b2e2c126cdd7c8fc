"""The built-in design worlds' design records, traced when the worlds are built, not in a notebook.

00_overview sets the loaded world's design beside every built-in design ("How this cluster is
built"). Tracing the five design worlds there took a third of the notebook's run time, although
their records change only when the worlds or the steps change. So ``tools/build_demo_world.py``
traces them once and stores the records in ``ackwb/demo/designs.json``; its ``--check`` and
``tests/test_design_records.py`` trace again and say when the stored records are stale.

A design world's record is one per load balancer (one host each: hosts behind one load
balancer share its design), each a mapping axis → what that trace read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ackwb.model import Trace
from ackwb.workbook import Workbook

Records = dict[str, list[dict[str, str]]]  # design world → one {axis: value} per load balancer


def records_of(traces: Iterable[Trace]) -> list[dict[str, str]]:
    """Each trace's design rows as {axis: value}."""
    return [{row["axis"]: row["this cluster"] for row in t.design.rows} for t in traces]


def trace_design_records() -> Records:
    """Trace one host per load balancer of every built-in design world (what the build stores)."""
    records: Records = {}
    for name in Workbook.worlds():
        world = Workbook.demo(name)
        by_address: dict[tuple[str, ...], str] = {}
        for host in world.domains():
            answer = tuple(sorted(f"{r.type} {r.value}" for r in world.sources.dns.resolve(host)))
            by_address.setdefault(answer, host)
        records[name] = records_of(world.trace(host) for host in by_address.values())
    return records


def dumps(records: Records) -> str:
    """The stored form: design worlds in their registry order, axes in the trace's order."""
    return json.dumps(records, indent=1, ensure_ascii=False) + "\n"
