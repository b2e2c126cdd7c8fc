"""A report of the NodePort world, opened in headless Chromium at 1,280 px (issue 9, Must show).

``ackwb report`` is run for web.fln.abc.com on flannel-nodeport (Flannel, iptables, a CLB to ECS
NodePorts with externalTrafficPolicy Local, two of four backends unhealthy by design) and the
exported file is opened from ``file://`` by Playwright driving Debian's Chromium: the report
names the NodePort hop's KUBE-SVL chain, every link of its contents leads to a heading, the
page asks for nothing but ``file://`` URLs, and the whole-path diagram does not scroll sideways.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_measure import export_report
from report_page import follow_contents, whole_diagram_fits
from test_lab_browser import browser, page  # noqa: F401  (fixtures: Chromium through Playwright)

from ackwb import Workbook

SCENARIO = "flannel-nodeport"
DOMAIN = "web.fln.abc.com"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_report(tmp_path_factory.mktemp("nodeport"), DOMAIN, SCENARIO)


def test_the_nodeport_report_in_chromium(page: Any, report: Path) -> None:  # noqa: F811
    hops = Workbook.demo(SCENARIO).trace(DOMAIN).hops
    chains = {h.label.splitlines()[-1] for h in hops if h.kind == "nodeport"}
    assert chains and all("KUBE-SVL-" in chain for chain in chains), chains

    requested: list[str] = []
    page.context.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    body = page.inner_text("body")
    assert all(chain in body for chain in chains), f"the report does not name {sorted(chains)}"

    follow_contents(page, 5)
    whole_diagram_fits(page)

    outside = [url for url in requested if not url.startswith("file://")]
    assert requested and not outside, f"the report asked for {outside}"
