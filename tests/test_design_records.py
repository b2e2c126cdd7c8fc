"""The design records 00_overview reads are the ones the built-in design worlds trace to today.

The build stores them (``ackwb/demo/designs.json``) so the overview need not trace five worlds;
these tests trace again, so a change to a world or a step that changes a design fails here
until ``tools/build_demo_world.py`` is run.
"""

from __future__ import annotations

import json

from ackwb import Workbook
from ackwb.designs import dumps, records_of, trace_design_records
from ackwb.render.questions import design_table


def test_stored_records_are_what_the_design_worlds_trace_to() -> None:
    stored = Workbook.design_records()
    assert list(stored) == list(Workbook.worlds())
    assert dumps(stored) == dumps(trace_design_records())


def test_every_load_balancer_of_a_design_world_has_a_record() -> None:
    stored = Workbook.design_records()
    kinds = {
        name: {r.get("load balancer", "").split(" ")[0] for r in records} for name, records in stored.items()
    }
    assert kinds["healthy"] >= {"CLB", "NLB"}, kinds
    assert "ALB" in kinds["alb-gateway"], kinds
    assert all(len(records) >= 1 for records in stored.values()), stored
    demo = Workbook.demo("healthy")
    assert records_of([demo.trace("app1.qas.abc.com")])[0] in stored["healthy"]


def test_the_table_from_stored_records_equals_the_table_from_fresh_traces() -> None:
    loaded = Workbook.demo("flannel-nodeport")
    trace = loaded.trace(loaded.domains()[0])
    fresh = trace_design_records()
    table = design_table("flannel-nodeport", trace, Workbook.design_records())
    assert table == design_table("flannel-nodeport", trace, fresh)
    row = next(line for line in table.replace("\\", "").splitlines() if line.startswith("| backends"))
    assert "ECS:NodePort" in row and "ENI = node IP" in row and "Pod IP" in row, row


def test_the_stored_file_is_the_dumped_form() -> None:
    from importlib.resources import files

    text = files("ackwb.demo").joinpath("designs.json").read_text(encoding="utf-8")
    assert text == dumps(json.loads(text))
