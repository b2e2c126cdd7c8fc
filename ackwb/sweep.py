"""A sweep: every host, path and port of a cluster traced in one session, one row each.

``sweep`` plans the requests (``ackwb.plan``), traces them through one session so that shared
reads are made once (``ackwb.sources.session``; with live sources and the whole cluster in
view, narrow queries are answered from broad reads), a few at a time when the sources are
live, and returns a ``Sweep``: the table (host, path, port, client, verdict, first finding),
the traces behind it and the broken ones; ``ackwb.render.sweep_html`` draws its HTML overview.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ackwb.model import Client, Presentable, Severity, Trace, Verdict, rows_to_frame
from ackwb.plan import Request, plan
from ackwb.sources import Sources
from ackwb.sources.session import session
from ackwb.steps.door_name import front_door_name
from ackwb.trace import dead_end, run_trace

if TYPE_CHECKING:
    import pandas

OK_VERDICTS = (Verdict.OK, Verdict.DEPENDS)
LIVE_WORKERS = 4  # traces in flight at once with live sources (the session bounds the reads)


@dataclass(frozen=True)
class Traced:
    request: Request
    trace: Trace

    @property
    def ok(self) -> bool:
        return self.trace.verdict in OK_VERDICTS

    def row(self) -> dict[str, Any]:
        return {
            "host": self.request.host,
            "path": self.request.path,
            "port": self.request.port,
            "client": self.trace.client.ip or "any",
            "front door": front_door_name(self.trace),
            "verdict": self.trace.verdict.value,
            "first finding": first_finding(self.trace),
        }


def first_finding(trace: Trace) -> str:
    """Why a path is not ok (its dead end), else its first warning; "" for a clean path."""
    if trace.verdict not in OK_VERDICTS:
        return dead_end(trace)
    warning = next((f for f in trace.findings if f.severity is Severity.WARNING), None)
    return f"{warning.code}: {warning.message}" if warning else ""


class Sweep(Presentable):
    """The traces of a sweep, in plan order; displays as the overview in a notebook (through the
    presenter ``ackwb.render`` registers; ``ackwb.render.sweep_html.sweep_page`` makes the page)."""

    def __init__(self, traced: Sequence[Traced], title: str = "") -> None:
        self.traced = list(traced)
        self.title = title

    def __repr__(self) -> str:
        return f"Sweep({len(self.traced)} paths, {len(self.broken)} not ok)"

    @property
    def traces(self) -> list[Trace]:
        return [t.trace for t in self.traced]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [t.row() for t in self.traced]

    @property
    def table(self) -> pandas.DataFrame:
        return rows_to_frame(self.rows)

    @property
    def broken(self) -> list[Traced]:
        """The paths a request does not get through (blocked, or not seen whole)."""
        return [t for t in self.traced if not t.ok]


def sweep(
    sources: Sources,
    hosts: Sequence[str] = (),
    ports: Sequence[int] = (),
    paths: Sequence[str] = (),
    client: Client | None = None,
    started: Callable[[int], None] | None = None,
    each: Callable[[Traced], None] | None = None,
    title: str = "",
) -> Sweep:
    """Trace every host, path and port (``plan``; or the hosts, ports and paths given) in one
    session. ``started`` hears how many requests there are, ``each`` every finished one."""
    shared = session(sources, broad=not hosts and sources.parallel > 1)
    todo = plan(shared, hosts, ports, paths, services="l4")
    client = client or Client()
    if started is not None:
        started(len(todo))

    def one(request: Request) -> Traced:
        asked = replace(client, port=request.port, path=request.path)
        traced = Traced(request, run_trace(shared, request.host, asked, readahead=False))
        if each is not None:
            each(traced)
        return traced

    workers = LIVE_WORKERS if shared.parallel > 1 else 1
    if workers == 1:
        return Sweep([one(r) for r in todo], title)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ackwb-sweep") as pool:
        return Sweep(list(pool.map(one, todo)), title)
