"""``ackwb trace --output json``: every trace of every design world validates against the
committed schema (ackwb/render/trace.schema.json), and says what the terminal says.

The schema is checked with jsonschema (Draft 2020-12); a document that breaks it must fail, so a
broken copy is checked too.
"""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from ackwb import Workbook
from ackwb.demo import DESIGNS
from ackwb.render.json_trace import SCHEMA_ID, schema, trace_document
from ackwb.trace import dead_end

VALIDATOR = jsonschema.Draft202012Validator(schema())


def traces():
    for world in DESIGNS:
        wb = Workbook.demo(world)
        for domain in wb.domains():
            for port in (80, 443):
                yield world, domain, port


@pytest.mark.parametrize(("world", "domain", "port"), list(traces()))
def test_every_design_world_trace_fits_the_schema(world: str, domain: str, port: int) -> None:
    trace = Workbook.demo(world).trace(domain, port=port)
    document = trace_document(trace)
    VALIDATOR.validate(document)
    assert document["schema"] == SCHEMA_ID
    assert document["verdict"] == trace.verdict.value and document["reason"] == dead_end(trace)
    assert [h["id"] for h in document["hops"]] == [h.id for h in trace.hops]
    assert document["design"]["summary"] == trace.design.summary()


def test_the_schema_refuses_what_it_does_not_describe() -> None:
    document = trace_document(Workbook.demo().trace("app1.qas.abc.com"))
    for broken in (
        {**document, "verdict": "fine"},
        {**document, "hops": [{**document["hops"][0], "arrives": "client"}]},
        {**document, "extra": 1},
        {k: v for k, v in document.items() if k != "design"},
    ):
        assert not VALIDATOR.is_valid(broken)


def run_json(domain: str, world: str, *more: str) -> tuple[int, dict]:
    command = [
        sys.executable,
        "-m",
        "ackwb.cli",
        "trace",
        domain,
        "--scenario",
        world,
        "--output",
        "json",
        *more,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return run.returncode, json.loads(run.stdout)


def test_the_command_prints_it_and_exits_by_the_verdict() -> None:
    status, document = run_json("web.fln.abc.com", "flannel-route-missing")
    VALIDATOR.validate(document)
    assert status == 0 and document["verdict"] == "ok"  # web's ready Pod is on a controller's node
    status, document = run_json("shop.fln.abc.com", "flannel-route-missing", "--port", "443")
    VALIDATOR.validate(document)
    assert status == 1 and document["verdict"] == "blocked"
    assert any(f["code"] == "VPC_ROUTE_MISSING" for f in document["findings"])
