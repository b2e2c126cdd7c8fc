"""Do the node and ingress parsers hold at real scale? Prints ratios measured in one run.

1. nginx.conf of 20,000 ingress-nginx server blocks (the v1.12 template, as the controller
   renders it): index every host → (location, namespace, service, port) and look up one
   host, each against a full ``crossplane.parse`` of the same file (goals: ≥ 20× and ≥ 200×
   faster) and against ``grep -c "## start server"`` (the floor: reading the file once).
   ``--compact`` renders each location with only the lines the tracer reads, which brings
   the file to the ~13 MB the issue names; the default is the full template (~100 MB).
2. ``ipvsadm -Ln`` with 10,000 virtual services and 100,000 real servers, and
   ``iptables-save -t nat`` with 10,000 Services and 100,000 endpoints (kube-proxy's
   largeClusterMode: no per-endpoint comments): parse time as a ratio to reading the file
   and splitting it into lines (goal: within 10×), and peak memory (tracemalloc). "parse"
   checks every line and builds what a lookup needs; "+ all records" also builds every
   real-server / endpoint record.

    python benchmarks/parse_scale.py [--servers N] [--compact] [--services N] [--skip-crossplane]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ackwb.parse.ipvsadm import parse_ipvsadm  # noqa: E402
from ackwb.parse.kube_iptables import parse_kube_iptables  # noqa: E402
from ackwb.parse.nginx_index import find_server_block, index_nginx_conf  # noqa: E402
from tools.fixtures.ingress_nginx import Host, render_conf  # noqa: E402
from tools.fixtures.ingress_nginx import IngressPath as P  # noqa: E402
from tools.fixtures.iptables_save_format import format_save  # noqa: E402
from tools.fixtures.kube_proxy_world import Endpoint, ServicePort, render_iptables  # noqa: E402


def best(fn: Callable[[], Any], runs: int) -> float:
    """The fastest of ``runs`` timings, garbage collected in between (the least disturbed run)."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def ingress_hosts(count: int) -> list[Host]:
    hosts = []
    for i in range(count):
        namespace = f"team{i % 97}"
        paths = (P("/", "Prefix", namespace, f"web{i}", f"web{i}", "80"),)
        if i % 3 == 0:
            paths += (P("/api", "Prefix", namespace, f"web{i}", f"api{i}", "8080"),)
        hosts.append(Host(f"app{i}.example.com", paths, tls=i % 2 == 0, regex=i % 17 == 0))
    return hosts


def compact(conf: str) -> str:
    """Only the lines the index reads, plus the braces: the issue's ~13 MB for 20,000 servers."""
    keep = (
        "## ",
        "server",
        "location",
        "set $namespace",
        "set $ingress_name",
        "set $service_name",
        "set $service_port",
        "set $location_path",
        "set $proxy_upstream_name",
        "listen",
        "}",
        "http {",
        "proxy_pass",
        "events",
        "stream",
        "upstream",
        "pid",
        "daemon",
    )
    kept = (line for line in conf.splitlines() if line.strip().startswith(keep) or "{" in line or "}" in line)
    return "\n".join(kept) + "\n"


def nginx_section(args: argparse.Namespace, folder: Path) -> None:
    conf = render_conf(ingress_hosts(args.servers), "v1.12")
    if args.compact:
        conf = compact(conf)
    path = folder / "nginx.conf"
    path.write_text(conf)
    host = f"app{args.servers // 2}.example.com"
    print(
        f"\n## nginx.conf: {args.servers:,} server blocks, {mb(len(conf))} "
        f"({'compact' if args.compact else 'full v1.12 template'})"
    )

    def grep() -> None:
        done = subprocess.run(["grep", "-c", "## start server", str(path)], capture_output=True, text=True)
        assert int(done.stdout) == args.servers + 1

    def index() -> None:
        found = index_nginx_conf(path.read_text())
        assert len(found.routes()) > args.servers

    def lookup() -> None:
        assert find_server_block(path.read_text(), host).host == host

    floor = best(grep, 5)
    t_index = best(index, 3)
    t_lookup = best(lookup, 5)
    print(f"grep -c '## start server'      {floor:8.3f} s   (floor)")
    print(f"index every host               {t_index:8.3f} s   {t_index / floor:6.1f}× floor")
    print(f"look up one host               {t_lookup:8.3f} s   {t_lookup / floor:6.1f}× floor")
    if args.skip_crossplane:
        return
    import crossplane

    def full_parse() -> None:
        payload = crossplane.parse(str(path))
        assert payload["status"] == "ok", payload["errors"][:3]

    t_cross = best(full_parse, 1)
    print(f"crossplane.parse (full)        {t_cross:8.3f} s   {t_cross / floor:6.1f}× floor")
    print(f"index vs crossplane            {t_cross / t_index:8.1f}× faster (goal ≥ 20×)")
    print(f"lookup vs crossplane           {t_cross / t_lookup:8.1f}× faster (goal ≥ 200×)")


def _vip(first: int, n: int) -> str:
    """The virtual IP the generators give service number ``n`` (172.<first>.0.0 onwards)."""
    return f"172.{first + n // 65536}.{n // 256 % 256}.{n % 256}"


def ipvsadm_text(services: int, per_service: int) -> str:
    lines = [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    ]
    for s in range(services):
        lines.append(f"TCP  {_vip(16, s)}:80 rr")
        for r in range(per_service):
            hostport = f"10.{s // 256 % 256}.{s % 256}.{r + 1}:8080"
            lines.append("  -> %-28s %-7s %-6d %-10u %-10u" % (hostport, "Masq", 1, r, 3))  # noqa: UP031
    return "\n".join(lines) + "\n"


def iptables_text(services: int, per_service: int) -> str:
    ports = [
        ServicePort(
            f"ns{n % 50}",
            f"svc{n}",
            "http",
            "TCP",
            80,
            _vip(20, n),
            tuple(Endpoint(f"10.{n // 256 % 256}.{n % 256}.{i + 1}", 8080) for i in range(per_service)),
            node_port=30000 + n % 2000 if n % 10 == 0 else None,
        )
        for n in range(services)
    ]
    return format_save(render_iptables(ports, comments=False), tables=("nat",))


def rules_section(
    name: str,
    text: str,
    folder: Path,
    parse: Callable[[str], Any],
    build_all: Callable[[Any], int],
    lookup: Callable[[Any], Any],
) -> None:
    path = folder / name.split()[0]
    path.write_text(text)
    print(f"\n## {name}: {mb(len(text))}, {text.count(chr(10)):,} lines")

    def floor_fn() -> list[str]:
        return path.read_text().splitlines()

    def parse_fn() -> Any:
        return parse(path.read_text())

    def all_fn() -> Any:
        parsed = parse(path.read_text())
        build_all(parsed)
        return parsed

    floor = best(floor_fn, 5)
    t_parse = best(parse_fn, 5)  # as many runs as the floor: the machine's noise hits both alike
    t_all = best(all_fn, 2)
    parsed = parse_fn()
    start = time.perf_counter()
    lookup(parsed)  # the first lookup: it builds the records of that one service
    t_lookup = time.perf_counter() - start
    records = build_all(parsed)
    print(f"read + split into lines        {floor:8.3f} s   (floor)        peak {mb(peak_memory(floor_fn))}")
    print(
        f"parse                          {t_parse:8.3f} s   {t_parse / floor:5.1f}× floor   "
        f"peak {mb(peak_memory(parse_fn))}  (goal ≤ 10×)"
    )
    print(
        f"parse + all {records:,} records {'':<{max(0, 7 - len(f'{records:,}'))}}{t_all:8.3f} s   "
        f"{t_all / floor:5.1f}× floor   peak {mb(peak_memory(all_fn))}"
    )
    print(f"first lookup after parsing     {t_lookup * 1000:8.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=20_000)
    parser.add_argument("--compact", action="store_true", help="trim locations to the lines the index reads")
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--per-service", type=int, default=10)
    parser.add_argument("--skip-crossplane", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="ackwb-bench-") as tmp:
        folder = Path(tmp)
        nginx_section(args, folder)
        total = args.services * args.per_service
        rules_section(
            f"ipvsadm -Ln ({args.services:,} virtual services, {total:,} real servers)",
            ipvsadm_text(args.services, args.per_service),
            folder,
            parse_ipvsadm,
            lambda t: sum(len(s.real_servers) for s in t.services),
            lambda t: t.find(_vip(16, args.services // 2), 80).real_servers[0],
        )
        rules_section(
            f"iptables-save -t nat ({args.services:,} Services, {total:,} endpoints)",
            iptables_text(args.services, args.per_service),
            folder,
            parse_kube_iptables,
            lambda r: sum(len(c.endpoints) for c in r.service_chains()),
            lambda r: r.endpoints(r.find(_vip(20, args.services // 2), 80)),
        )


if __name__ == "__main__":
    main()
