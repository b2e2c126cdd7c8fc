"""A report of the Gateway-on-ALB host, opened in headless Chromium at 1,280 px (issue 12, Must show).

``ackwb report`` is run for store.gw.alb.abc.com/api on alb-gateway (Gateway shop/alb-gw on its own
ALB, HTTPRoute shop/store sending 80 % to api and 20 % to api-v2) and the exported file is opened
from ``file://`` by Playwright driving Debian's Chromium: the report names the Gateway, the
HTTPRoute rule, the ALB rule and both Services' Pods, every link of its contents leads to a
heading, the page asks for nothing but ``file://`` URLs, and the whole-path diagram does not
scroll sideways.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from report_page import follow_contents, whole_diagram_fits
from test_lab_browser import browser, page  # noqa: F401  (fixtures: Chromium through Playwright)

from ackwb import Workbook

SCENARIO, DOMAIN, PATH = "alb-gateway", "store.gw.alb.abc.com", "/api"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("albgw") / "report.html"
    command = [sys.executable, "-m", "ackwb.cli", "report", DOMAIN, "--scenario", SCENARIO, "--path", PATH]
    run = subprocess.run([*command, "-o", str(target)], capture_output=True, text=True, timeout=240)
    assert run.returncode == 0 and target.exists(), run.stderr[-2000:]
    return target


def test_the_gateway_report_in_chromium(page: Any, report: Path) -> None:  # noqa: F811
    hops = Workbook.demo(SCENARIO).trace(DOMAIN, path=PATH).hops
    names = [" ".join(h.label.split()) for h in hops if h.kind in ("gateway", "httproute", "pod")]
    assert len(names) == 4, names  # the Gateway, the HTTPRoute rule, a Pod of api and one of api-v2

    requested: list[str] = []
    page.context.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    body = " ".join(page.inner_text("body").split())
    missing = [
        n for n in ["Gateway shop/alb-gw", "HTTPRoute shop/store", "rule-80-1", *names[2:]] if n not in body
    ]
    assert not missing, f"the report does not name {missing}"

    follow_contents(page, 5)
    whole_diagram_fits(page)

    outside = [url for url in requested if not url.startswith("file://")]
    assert requested and not outside, f"the report asked for {outside}"
