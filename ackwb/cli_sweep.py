"""``ackwb snapshot capture`` and ``ackwb sweep``: the commands that trace a whole cluster.

Both plan the same requests (``ackwb.plan``: every Ingress host × rule path × listener port,
or the hosts, ports and paths named) and trace them in one session. A capture also traces
every Service of type LoadBalancer by its address, records what every trace read and writes
it as a snapshot with its manifest; a sweep prints one row per path and can write an HTML
overview. Progress goes to stderr: a bar (with the calls made and the nodes reached) on a
terminal, one line per request otherwise.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ackwb.cli_common import EXIT_BROKEN, EXIT_OK, err, open_workbook, out, output_path, world_options
from ackwb.model import Client
from ackwb.workbook import Workbook, check_domain, make_client

SWEEP_COLUMNS = ("host", "path", "port", "client", "front door", "verdict", "first finding")


def add_commands(commands: argparse._SubParsersAction) -> None:
    snapshot = commands.add_parser("snapshot", help="capture what traces read into a snapshot file")
    snapshot_commands = snapshot.add_subparsers(required=True, metavar="ACTION")
    capture = snapshot_commands.add_parser(
        "capture", help="trace every host, path and port (or those named) and store the raw world they read"
    )
    world_options(capture)
    capture.add_argument(
        "domains", nargs="*", metavar="DOMAIN", help="hosts to trace (default: every Ingress host and "
        "every Service of type LoadBalancer, by its address)",
    )  # fmt: skip
    _scope_options(capture)
    capture.add_argument("-o", "--output", type=Path, required=True, help="snapshot file (.zip) or folder")
    capture.set_defaults(run=_capture)

    sweep = commands.add_parser("sweep", help="trace every host, path and port: one row each")
    world_options(sweep)
    sweep.add_argument(
        "--host", action="append", default=[], metavar="HOST", help="only this host (repeatable)"
    )
    _scope_options(sweep)
    sweep.add_argument(
        "--client-ip",
        help="the client's IP: decides ACL verdicts and who resolves the name "
        "(inside the cluster's VPC: its PrivateZone zones)",
    )
    sweep.add_argument("-o", "--output", type=Path, help="also write the HTML overview to this file")
    sweep.set_defaults(run=_sweep)


def _scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", action="append", type=int, default=[], help="only this listener port (repeatable; "
        "default: every listener port of each host's load balancer)",
    )  # fmt: skip
    parser.add_argument(
        "--path", action="append", default=[], help="only this request path (repeatable; default: "
        "every path of each host's Ingress rules)",
    )  # fmt: skip


def world_option(args: argparse.Namespace) -> str:
    """How the command named its world, for a capture command that would recapture it."""
    if args.profile:
        return f"--profile {shlex.quote(args.profile)}"
    if args.world:
        return f"--world {shlex.quote(str(args.world))}"
    return f"--scenario {shlex.quote(args.scenario)}"


def _check(args: argparse.Namespace, hosts: Sequence[str]) -> None:
    for host in hosts:
        check_domain(host)
    for port in args.port:
        make_client(port=port)
    for path in args.path:
        make_client(path=path)


class Progress:
    """A tqdm bar on a terminal (requests done, calls made, nodes reached), else one line per request."""

    def __init__(self, total: int, what: str, counts: Callable[[], dict[str, int]] | None = None) -> None:
        self.total, self.done, self.counts = total, 0, counts or (lambda: {})
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            try:
                size = os.get_terminal_size(sys.stderr.fileno())
            except OSError:
                size = os.terminal_size((0, 0))
            # a terminal that tells no size (a bare pty) still gets a bar
            self.bar = tqdm(total=total, desc=what, unit="path", file=sys.stderr, leave=False,
                            ncols=size.columns or 100, nrows=size.lines or 24)  # fmt: skip

    def step(self, label: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(self.counts(), refresh=False)
            self.bar.update(1)
        else:
            counted = ", ".join(f"{n} {name}" for name, n in self.counts().items())
            err(f"ackwb: [{self.done}/{self.total}] {label}" + (f" ({counted})" if counted else ""))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def capture_to(
    wb: Workbook,
    output: Path,
    hosts: Sequence[str] = (),
    ports: Sequence[int] = (),
    paths: Sequence[str] = (),
    world: str = "",
    captured_by: str = "",
) -> Path:
    """Trace the planned requests through recording sources; write what they read as a snapshot."""
    from ackwb.plan import plan
    from ackwb.sources.recording import recording, world_meta
    from ackwb.sources.session import session
    from ackwb.trace import run_trace

    sources, rec = recording(wb.sources, progress=lambda line: err(f"  {line}"))
    shared = session(sources, broad=not hosts and sources.parallel > 1)
    requests = plan(shared, hosts, ports, paths, services=True)
    progress = Progress(len(requests), "capturing", lambda: {"calls": rec.calls, "nodes": len(rec.nodes)})
    try:
        for request in requests:
            run_trace(shared, request.host, Client(port=request.port, path=request.path), readahead=False)
            progress.step(f"traced {request}")
        _client_views(shared, sorted({r.host for r in requests}))
    finally:
        progress.close()
    traced = ", ".join(sorted({r.host for r in requests}))
    meta = world_meta(output.stem, f"snapshot of the {wb.description}: {traced}", wb.sources.settings)
    meta["snapshot"] = rec.manifest([(r.host, r.port, r.path) for r in requests], world, captured_by)
    written = rec.write(output, meta)
    err(
        f"ackwb: wrote {written}: {len(requests)} requests, {rec.calls} calls, {len(rec.nodes)} nodes, "
        f"{len(rec.files)} files"
    )
    return written


def _client_views(sources: Any, hosts: Sequence[str]) -> None:
    """Read what a replayed trace with a client address reads besides: the cluster's VPC (is the
    client inside it?) and, for a client inside it, each host's answer from PrivateZone. A read
    that fails is recorded as failed, as a trace's would be."""
    from ackwb.errors import AckwbError
    from ackwb.steps.dns_private import cluster_vpc, private_answer

    try:
        vpc = cluster_vpc(sources)
        for host in hosts:
            private_answer(sources, vpc, host)
    except AckwbError:
        return


def _capture(args: argparse.Namespace) -> int:
    _check(args, args.domains)
    output = output_path(args.output, folder=args.output.suffix != ".zip")
    wb = open_workbook(args)
    command = (
        "ackwb " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["snapshot"] else "ackwb snapshot capture"
    )
    capture_to(wb, output, args.domains, args.port, args.path, world_option(args), command)
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from ackwb.render.text import hop_table

    _check(args, args.host)
    output = output_path(args.output) if args.output else None
    wb = open_workbook(args)
    progress: Progress | None = None

    def started(total: int) -> None:
        nonlocal progress
        progress = Progress(total, "sweeping")

    def each(traced: Any) -> None:
        if progress is not None:
            progress.step(f"{traced.request}: {traced.trace.verdict.value}")

    try:
        result = wb.sweep(args.host, args.port, args.path, args.client_ip, started=started, each=each)
    finally:
        if progress is not None:
            progress.close()
    out(hop_table(result.rows, list(SWEEP_COLUMNS), max_width=70))
    broken = result.broken
    out(f"\n{len(result.traced)} paths, {len(broken)} not ok")
    if output is not None:
        from ackwb.render.sweep_html import sweep_page

        output.write_text(sweep_page(result), encoding="utf-8")
        err(f"ackwb: wrote {output}")
    return EXIT_BROKEN if broken else EXIT_OK
