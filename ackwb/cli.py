"""The ``ackwb`` command: trace a domain in the terminal, export an HTML report, list domains.

Exit status: 0 the request gets through, 1 the path is broken (the findings say where),
2 bad input or an error ackwb could not work around, always as one line on stderr. Heavy
libraries (pandas, Graphviz, papermill) are imported only by the commands that need them.
Everything printed passes ``terminal_text``: names read from a cluster or a world (hosts,
paths, error messages) cannot move the cursor, recolour or retitle the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ackwb.cli_common import EXIT_BROKEN, EXIT_ERROR, EXIT_OK
from ackwb.cli_common import client_options as _client_options
from ackwb.cli_common import err as _err
from ackwb.cli_common import open_workbook as _workbook
from ackwb.cli_common import out as _out
from ackwb.cli_common import output_path as _output_path
from ackwb.cli_common import world_options as _world_options
from ackwb.cli_sweep import add_commands, capture_to
from ackwb.errors import AckwbError
from ackwb.model import Path as Journey
from ackwb.model import Trace, Verdict
from ackwb.workbook import Workbook, check_domain

OUTPUTS = ("table", "wide", "json")
TABLE_CELL_WIDTH = 60  # cells wider than this are cut with "…" in the table output


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except AckwbError as error:
        _err(f"ackwb: {error}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("ackwb: interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (ackwb ... | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:  # a file ackwb had to write or read: one line, not a traceback
        where = f"{error.filename}: " if error.filename else ""
        _err(f"ackwb: {where}{error.strerror or error}")
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ackwb", description="Follow a request from a domain to a Pod on ACK."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    trace = commands.add_parser("trace", help="print the hops of a domain's path and the findings")
    _world_options(trace)
    _client_options(trace)
    trace.add_argument(
        "--output",
        choices=OUTPUTS,
        default="table",
        help="table: the hop table, long cells cut (default); wide: every cell whole; "
        "json: the whole trace as JSON (schema ackwb.trace/1, see the README)",
    )
    trace.add_argument("domain", help="the domain a client requests, e.g. app1.qas.abc.com")
    trace.set_defaults(run=_trace)

    report = commands.add_parser("report", help="export an HTML report of a domain's path")
    _world_options(report)
    _client_options(report)
    report.add_argument("domain")
    report.add_argument("-o", "--output", type=Path, help="the HTML file to write (default: DOMAIN.html)")
    report.set_defaults(run=_report)
    add_commands(commands)  # snapshot capture, sweep

    scenarios = commands.add_parser("scenarios", help="list the built-in worlds: designs and broken ones")
    scenarios.set_defaults(run=_scenarios)

    worlds = commands.add_parser(
        "worlds", help="list the built-in design worlds, each with its broken scenarios indented"
    )
    worlds.set_defaults(run=_worlds)

    domains = commands.add_parser("domains", help="list the hosts the world's Ingresses serve")
    _world_options(domains)
    domains.set_defaults(run=_domains)
    _map_and_diff_commands(commands)
    return parser


def _trace(args: argparse.Namespace) -> int:
    from ackwb.render.text import findings_text, hop_table
    from ackwb.trace import dead_end

    check_domain(args.domain)
    trace = _workbook(args).trace(args.domain, args.client_ip, args.port, args.path, args.scheme, args.header)
    reason = dead_end(trace)
    if args.output == "json":
        from ackwb.render.json_trace import trace_json

        print(trace_json(trace), end="")
        return EXIT_OK if trace.verdict in (Verdict.OK, Verdict.DEPENDS) else EXIT_BROKEN
    if len(trace.steps) == 1 and reason:  # nothing past DNS: one line says it all
        _err(f"ackwb: {reason}")
        return EXIT_BROKEN
    _out(_heading(trace))
    rows = trace.rows
    columns = [c for c in dict.fromkeys(k for row in rows for k in row) if any(row.get(c) for row in rows)]
    width = TABLE_CELL_WIDTH if args.output == "table" else 10**6
    _out(hop_table(rows, columns, max_width=width))
    if trace.findings:
        _out()
        _out(findings_text(trace.findings))
    _out()
    _out(verdict_line(trace, reason))
    return EXIT_OK if trace.verdict in (Verdict.OK, Verdict.DEPENDS) else EXIT_BROKEN


def verdict_line(trace: Trace, reason: str) -> str:
    """The last lines of a trace: the request's verdict, the branches it loses, and the in-cluster
    path's verdict when it differs."""
    verdict = trace.verdict
    if verdict is Verdict.OK:
        line = "path ok"
    elif verdict is Verdict.DEPENDS:
        line = "path ok for some clients: it depends on the client's address (give --client-ip)"
    elif verdict is Verdict.UNKNOWN:
        line = f"path not seen whole: {reason}"
    else:
        line = f"path broken: {reason}"
    lost = trace.blocked_branches
    if lost and verdict in (Verdict.OK, Verdict.DEPENDS):
        line += f", but {len(lost)} branch{'es' if len(lost) > 1 else ''} blocked:"
        line += "".join(f"\n  - {' '.join(h.label.split())}: {why or h.verdict.value}" for h, why in lost)
    inside = trace.verdict_of(Journey.IN_CLUSTER)
    if any(e.path is Journey.IN_CLUSTER for e in trace.edges) and inside is not verdict:
        line += f"\nin-cluster path (a client inside the cluster calling the Service): {inside.value}"
    return line


def _heading(trace: Trace) -> str:
    who = trace.client.ip or "any internet client"
    client = f"client {who}, {trace.client.url_scheme} port {trace.client.port}, path {trace.client.path}"
    return f"{trace.domain}: {client}\n{trace.design.summary()}\n"


def _report(args: argparse.Namespace) -> int:
    from ackwb.render.report import export_report
    from ackwb.trace import dead_end

    check_domain(args.domain)
    output = _output_path(args.output or Path(f"{args.domain}.html"))
    wb = _workbook(args)
    trace = wb.trace(args.domain, args.client_ip, args.port, args.path)
    if len(trace.steps) == 1 and dead_end(trace):
        _err(f"ackwb: {dead_end(trace)}")
        return EXIT_BROKEN
    # the notebook runs in another folder: a relative --world must be made absolute here
    world = str(args.world.expanduser().resolve()) if args.world else None
    if args.profile:  # the report notebook reads a snapshot of what this trace reads live
        snapshot = _output_path(output.with_suffix(".snapshot.zip"))
        option, by = f"--profile {args.profile}", f"ackwb report {trace.domain} --profile {args.profile}"
        world = str(capture_to(wb, snapshot, [trace.domain], [args.port], [args.path], option, by).resolve())
    _err(f"ackwb: executing the report notebook for {trace.domain} ...")
    written = export_report(
        trace.domain,
        output,
        world=world,
        scenario=args.scenario,
        client_ip=args.client_ip,
        port=args.port,
        path=args.path,
    )
    _err(f"ackwb: wrote {written}")
    return EXIT_OK


def _scenarios(args: argparse.Namespace) -> int:
    from ackwb.demo import SCENARIOS

    width = max(map(len, SCENARIOS))
    for name, what in SCENARIOS.items():
        _out(f"{name:<{width}}  {what}")
    return EXIT_OK


def _worlds(args: argparse.Namespace) -> int:
    groups = Workbook.worlds()
    width = max(len(world.name) for group in groups.values() for world in group) + 2
    for design, (world, *scenarios) in groups.items():
        print(f"{design:<{width}}  {world.summary}")
        for scenario in scenarios:
            print(f"  {scenario.name:<{width - 2}}  {scenario.summary}")
    return EXIT_OK


def _domains(args: argparse.Namespace) -> int:
    for host in _workbook(args).domains():
        _out(" ".join(str(host).splitlines()))
    return EXIT_OK


# --- ackwb map / ackwb diff --------------------------------------------------------------


def _map_and_diff_commands(commands: argparse._SubParsersAction) -> None:
    cluster_map = commands.add_parser(
        "map", help="draw every domain → load balancer → Ingress → Service → Pods, by namespace"
    )
    _world_options(cluster_map)
    cluster_map.add_argument(
        "-o", "--output", type=Path, help="write the map as .svg, .html, .dot or .gv (default: DOT on stdout)"
    )
    cluster_map.set_defaults(run=_map)

    diff = commands.add_parser(
        "diff",
        help="what changed along each domain's path between two worlds",
        description="Trace every domain in world A and world B and list what changed, hop by hop. "
        "Exit status: 0 no differences, 1 differences, 2 bad input.",
    )
    diff.add_argument(
        "before", metavar="A", help="a demo scenario name (e.g. healthy) or a world folder / .zip"
    )
    diff.add_argument("after", metavar="B", help="the world to compare with A, given the same way")
    diff.add_argument(
        "--domain",
        action="append",
        dest="domains",
        metavar="DOMAIN",
        help="compare only this domain (repeatable; default: every domain of A and B)",
    )
    _client_options(diff)
    diff.add_argument(
        "-o", "--output", type=Path, help="also write the diagram of the changes (.svg, .html, .dot or .gv)"
    )
    diff.set_defaults(run=_diff)


def _map(args: argparse.Namespace) -> int:
    output = _output_path(args.output) if args.output else None
    cluster_map = _workbook(args).cluster_map()
    if output:
        written = cluster_map.diagram().save(output)
        domains = len({trace.domain for trace in cluster_map.traces})
        _err(f"ackwb: wrote {written} ({domains} domains, {len(cluster_map.traces)} paths)")
    else:
        _out(cluster_map.dot, end="")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from ackwb.render.diffview import diff_diagram, diff_text

    for domain in args.domains or []:
        check_domain(domain)
    output = _output_path(args.output) if args.output else None
    before, after = Workbook.open(args.before), Workbook.open(args.after)
    result = before.diff(after, args.domains, args.client_ip, args.port, args.path)
    _out(diff_text(result))
    if output:
        written = diff_diagram(result).save(output)
        _err(f"ackwb: wrote {written}")
    return EXIT_BROKEN if result else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
