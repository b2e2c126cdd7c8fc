"""A report per front door, opened in headless Chromium at 1,280 px (issue 12, Must show).

``ackwb report`` is run for one host behind each door: an L4 Service on CLB NodePorts
(mqtt.fln.abc.com, port 1883) and on NLB Pod IPs (redis.tnl.abc.com, port 6379), an ALB whose
rule forwards to a server group of type Ip (www.alb.abc.com) and one of type Instance, nodes on
the NodePort (store.fln.abc.com). Each exported file is opened from ``file://`` by Playwright
driving Debian's Chromium: the page does not scroll sideways, every link of its contents leads to
a heading, it asks for nothing but ``file://`` URLs, and the door's own hops are on the page
(the L4 door's "no HTTP evaluation"; the ALB rule taken and its server group; the Instance
group's NodePort rule on each node). What must be there is read from the world's own trace.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from report_page import follow_contents, whole_diagram_fits
from test_lab_browser import browser, page  # noqa: F401  (fixtures: Chromium through Playwright)

from ackwb import Workbook

pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class Door:
    scenario: str
    domain: str
    port: int
    door: str  # what the front door section says


DOORS = {
    "l4-nodeport": Door("flannel-nodeport", "mqtt.fln.abc.com", 1883, "Front door: L4 Service."),
    "l4-pod-ip": Door("terway-nlb", "redis.tnl.abc.com", 6379, "Front door: L4 Service."),
    "alb-ip": Door("alb-gateway", "www.alb.abc.com", 80, "Front door: ALB."),
    "alb-instance": Door("flannel-nodeport", "store.fln.abc.com", 80, "Front door: ALB."),
}


def export(door: Door, target: Path) -> str:
    args = ["report", door.domain, "--scenario", door.scenario, "--port", str(door.port), "-o", str(target)]
    run = subprocess.run(
        [sys.executable, "-m", "ackwb.cli", *args], capture_output=True, text=True, timeout=300
    )
    return "" if run.returncode == 0 and target.exists() else run.stderr[-2000:]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("doors")
    targets = {name: folder / f"{name}.html" for name in DOORS}
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores, shared
        failures = dict(zip(DOORS, pool.map(export, DOORS.values(), targets.values()), strict=True))
    assert not any(failures.values()), failures
    return targets


def own_hops(door: Door) -> list[str]:
    """Labels (first line, one space) of the hops only this door has, from the world's trace."""
    trace = Workbook.demo(door.scenario).trace(door.domain, port=door.port)
    kinds = ("nodeport", "backend") if "L4" in door.door else ("ingress", "backend", "nodeport")
    labels = [" ".join(h.label.splitlines()[0].split()) for h in trace.hops if h.kind in kinds]
    return [label for label in labels if not label.startswith("backend ") or "L4" in door.door]


@pytest.mark.parametrize("name", sorted(DOORS))
def test_each_door_report_in_chromium(page: Any, reports: dict[str, Path], name: str) -> None:  # noqa: F811
    door = DOORS[name]
    requested: list[str] = []
    page.context.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
    page.goto(reports[name].as_uri())
    page.wait_for_load_state("load")
    body = " ".join(page.inner_text("body").split())
    assert door.door in body, f"{name}: the report does not name its front door"
    wanted = own_hops(door)
    assert wanted and all(label in body for label in wanted), [w for w in wanted if w not in body]
    if "L4" in door.door:
        assert "There is no HTTP evaluation" in body and "none: the load balancer passes connections" in body
    else:  # the rule taken, in the section's table of the rules tried
        trace = Workbook.demo(door.scenario).trace(door.domain, port=door.port)
        rule = next(h for h in trace.hops if h.id.startswith("alb-rule:"))
        assert f"{rule.label.splitlines()[0].removeprefix('ALB rule ')} taken: http://{door.domain}/" in body

    follow_contents(page, at_least=5)
    whole_diagram_fits(page)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the page scrolls sideways at 1,280 px: {width}"
    outside = [url for url in requested if not url.startswith("file://")]
    assert requested and not outside, f"the report asked for {outside}"
