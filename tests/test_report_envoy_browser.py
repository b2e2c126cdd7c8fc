"""A report of an Envoy Gateway host, opened in headless Chromium at 1,280 px (issue 12, Must show:
a report per front door).

``ackwb report`` is run for shop.gw.tee.abc.com on terway-eni-https (CLB tee-eg-lb → the Envoy
proxy Pods' ENIs → Gateway store/eg → HTTPRoute store/shop rule 2 → web 90% / web-next 10%) and
the exported file is opened from ``file://`` by Playwright driving Debian's Chromium: the report
names the Gateway, the route rule and both weighted backends, its contents links lead to
headings, the whole-path diagram does not scroll sideways, and only ``file://`` URLs are asked for.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_measure import DIAGRAM_BOXES, export_report
from test_lab_browser import browser, page  # noqa: F401  (fixtures: Chromium through Playwright)

from ackwb import Workbook

SCENARIO = "terway-eni-https"
DOMAIN = "shop.gw.tee.abc.com"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_report(tmp_path_factory.mktemp("envoy"), DOMAIN, SCENARIO)


def test_the_envoy_gateway_report_in_chromium(page: Any, report: Path) -> None:  # noqa: F811
    hops = Workbook.demo(SCENARIO).trace(DOMAIN).hops
    labels = [" ".join(h.label.split()) for h in hops if h.kind in ("ingress", "upstream")]
    assert labels == [
        "Gateway store/eg listener http :80",
        "HTTPRoute store/shop rule 2: PathPrefix /",
        "Service store/web:8080 weight 90 (90%)",
        "Service store/web-next:8080 weight 10 (10%)",
    ]
    requested: list[str] = []
    page.context.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    body = " ".join(page.inner_text("body").split())
    for shown in (
        "Gateway store/eg",
        "HTTPRoute store/shop",
        "store/web:8080",
        "store/web-next:8080",
        "10080",
    ):
        assert shown in body, f"the report does not show {shown!r}"
    contents = page.locator("a[href^='#']:not(.anchor-link)")
    assert contents.count() >= 5, "the report has no contents list"
    for index in range(contents.count()):
        link = contents.nth(index)
        page.evaluate("window.scrollTo(0, 0)")
        link.click()
        target = page.evaluate(
            "() => { const t = document.querySelector(':target'); return t && t.tagName; }"
        )
        assert target and re.fullmatch(r"H[1-6]", target), (
            f"link {link.get_attribute('href')!r} leads nowhere"
        )
    boxes = page.evaluate(f"() => {{ {DIAGRAM_BOXES} }}")
    assert boxes, "the report draws no diagram"
    whole = boxes[0]
    assert whole["scrollWidth"] <= whole["clientWidth"], f"the whole-path diagram scrolls sideways: {whole}"
    assert whole["svgWidth"] <= whole["clientWidth"] + 1 and whole["pageWidth"] <= whole["windowWidth"], whole
    drawn = " ".join((page.locator("svg").first.text_content() or "").split())
    assert "Gateway store/eg" in drawn and "HTTPRoute store/shop" in drawn, "the diagram lacks the Envoy hops"
    outside = [url for url in requested if not url.startswith("file://")]
    assert requested and not outside, f"the report asked for {outside}"
