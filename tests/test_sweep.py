"""A sweep traces every host, path and port in one session and lists exactly the paths that break.

The expected broken paths come from what each scenario breaks (its fault), and each row is checked
against a trace of that request made on its own; the HTML overview is opened in headless Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser import in_ci, require_chromium
from browser_measure import measure

from ackwb import Workbook
from ackwb.model import Severity, Verdict
from ackwb.plan import plan, request_path

# scenario → the (host, port, path) its fault breaks; every other path of the world gets through
BROKEN = {
    "pod-crashloop": {("app1.qas.abc.com", 80, "/"), ("app1.qas.abc.com", 443, "/")},
    "lb-listener-stopped": {("app1.qas.abc.com", 80, "/"), ("app2.qas.abc.com", 80, "/")},
    "service-selector-typo": {("app1.qas.abc.com", 80, "/"), ("app1.qas.abc.com", 443, "/")},
    # shop has TLS: on port 80 nginx answers 308 itself, so only 443 needs the lost route
    "flannel-route-missing": {("shop.fln.abc.com", 443, "/")},
    "healthy": set(),
}


@pytest.mark.parametrize("scenario", sorted(BROKEN))
def test_a_sweep_lists_exactly_the_broken_paths(scenario: str) -> None:
    wb = Workbook.demo(scenario)
    result = wb.sweep()
    broken = {(t.request.host, t.request.port, t.request.path) for t in result.broken}
    assert broken == BROKEN[scenario]
    every = {(t.request.host, t.request.port, t.request.path) for t in result.traced}
    assert every == {(r.host, r.port, r.path) for r in plan(wb.sources, services="l4")}
    for traced in result.traced:  # each row is what a trace of that request on its own says
        alone = wb.trace(traced.request.host, port=traced.request.port, path=traced.request.path)
        assert alone.verdict is traced.trace.verdict, traced.request
        assert alone.rows == traced.trace.rows


def test_the_table_names_the_first_finding_of_a_broken_path() -> None:
    result = Workbook.demo("pod-crashloop").sweep()
    rows = {(r["host"], r["port"]): r for r in result.rows}
    columns = ["host", "path", "port", "client", "front door", "verdict", "first finding"]
    assert list(rows[("app1.qas.abc.com", 80)]) == columns
    assert rows[("app1.qas.abc.com", 80)]["verdict"] == "blocked"
    assert "CrashLoopBackOff" in rows[("app1.qas.abc.com", 80)]["first finding"]
    clean = ["app2.qas.abc.com", "/", 80, "any", "nginx", "ok", ""]
    assert rows[("app2.qas.abc.com", 80)] == dict(zip(columns, clean, strict=True))


def test_a_client_ip_is_swept_too() -> None:
    result = Workbook.demo().sweep(client_ip="203.0.113.7")  # outside private-lb's whitelist
    assert {t.request.host for t in result.broken} == {"app3.qas.abc.com"}
    assert all(row["client"] == "203.0.113.7" for row in result.rows)


def test_hosts_ports_and_paths_can_be_named() -> None:
    result = Workbook.demo().sweep(["app2.qas.abc.com"], [443], ["/x"])
    assert [(t.request.host, t.request.port, t.request.path) for t in result.traced] == [
        ("app2.qas.abc.com", 443, "/x")
    ]


@pytest.mark.parametrize(
    ("rule", "path"), [("/", "/"), ("", "/"), ("/api", "/api"), ("/api(/|$)(.*)", "/api"), ("(.*)", "/")]
)
def test_a_rule_path_becomes_a_request_path(rule: str, path: str) -> None:
    assert request_path(rule) == path


def ackwb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ackwb.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_ackwb_sweep_prints_one_row_per_path_and_exits_1_when_one_breaks(tmp_path: Path) -> None:
    run = ackwb("sweep", "--scenario", "lb-listener-stopped")
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    heading = ["host", "path", "port", "client", "front", "door", "verdict", "first", "finding"]
    assert lines[0].split() == heading
    blocked = sorted((line.split()[0], line.split()[2]) for line in lines[2:] if " blocked " in line)
    assert blocked == [("app1.qas.abc.com", "80"), ("app2.qas.abc.com", "80")]
    assert "8 paths, 2 not ok" in run.stdout
    assert "Traceback" not in run.stderr
    assert ackwb("sweep").returncode == 0


def test_the_overview_in_chromium(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        if in_ci():
            pytest.fail(
                "Graphviz 'dot' is not installed but CI is set: install it (apt-get install graphviz)"
            )
        pytest.skip("Graphviz 'dot' is not installed: the overview has no SVG to look at")
    require_chromium()
    page = tmp_path / "overview.html"
    run = ackwb("sweep", "--scenario", "lb-listener-stopped", "-o", str(page))
    assert run.returncode == 1 and page.exists(), run.stderr
    assert "<script" not in page.read_text(encoding="utf-8").lower()
    seen = measure(
        page,
        """
        const rows = [...document.querySelectorAll('tr.ackwb-row')].map(r => ({
            cells: [...r.cells].map(c => c.textContent), state: r.className,
            link: (r.querySelector('a') || {}).hash || ''}));
        const sections = [...document.querySelectorAll('section.ackwb-broken')].map(s => ({
            id: s.id, svg: !!s.querySelector('svg'), findings: s.querySelectorAll('.ackwb-finding-error,'
            + ' li.ackwb-error').length, title: s.querySelector('h3').textContent}));
        const map = document.querySelector('.ackwb-sweep-overview > .ackwb-diagram svg');
        return {rows, sections, mapBoxes: map ? map.querySelectorAll('g.node').length : 0,
                mapWidth: map ? map.getBoundingClientRect().width : 0};
        """,
    )
    assert len(seen["rows"]) == 8 and seen["mapBoxes"] >= 8 and seen["mapWidth"] > 300
    broken = [r for r in seen["rows"] if "ackwb-broken" in r["state"]]
    assert sorted((r["cells"][0], r["cells"][2]) for r in broken) == [
        ("app1.qas.abc.com", "80"),
        ("app2.qas.abc.com", "80"),
    ]
    ids = {s["id"] for s in seen["sections"]}
    assert {r["link"].removeprefix("#") for r in broken} == ids and len(ids) == 2
    assert all(s["svg"] and s["findings"] >= 1 and "blocked" in s["title"] for s in seen["sections"])


def test_the_map_covers_every_path() -> None:
    wb = Workbook.demo()
    cluster_map = wb.cluster_map()
    asked = {(t.domain, t.client.port, t.client.path) for t in cluster_map.traces}
    assert asked == {(r.host, r.port, r.path) for r in plan(wb.sources)}
    assert len(asked) == 8 and {port for _, port, _ in asked} == {80, 443}
    one = wb.cluster_map(port=80, path="/")
    assert {(t.client.port, t.client.path) for t in one.traces} == {(80, "/")}


def test_an_unresolvable_host_is_still_swept() -> None:
    result = Workbook.demo("dns-record-deleted").sweep()
    row = next(t for t in result.traced if t.request.host == "app1.qas.abc.com")
    assert row.request.port == 80 and row.trace.verdict is Verdict.BLOCKED
    assert any(f.severity is Severity.ERROR and f.code == "DNS_NAME_NOT_FOUND" for f in row.trace.findings)
