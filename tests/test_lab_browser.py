"""A newcomer's first clicks, in a real browser: JupyterLab driven by Playwright, and a report.

JupyterLab is started the way ``make lab`` starts it (loopback, a token, ``--allow-root`` as
root) on a copy of the notebooks (tests/jupyterlab.py), and Playwright drives Debian's
Chromium through ``executable_path`` (Playwright's own browser download is never used):

- explorer.ipynb: Run → Run All Cells, pick the broken scenario lb-acl-entry-removed, the
  domain app3.qas.abc.com and client IP 192.0.2.44 in the widgets, press **Run trace**; the
  diagram must draw the blocked listener in red (its SVG node has class ``blocked`` and a red
  stroke) and the findings table must name LB_ACL_DENIES_CLIENT;
- 00_overview.ipynb: Run All Cells; every code cell ran, every output rendered (the diagram as
  an SVG), and nothing went to stderr or raised; a glossary link opens glossary.md rendered by
  JupyterLab, scrolled to its word, and every glossary word the overview links to is there;
- an exported report opened from ``file://``: every internal link leads to its heading, and the
  page asks for nothing but ``file://`` URLs.

Without chromium or playwright the tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM_FLAGS, in_ci, require_chromium
from jupyterlab import Lab, running_lab
from report_page import follow_contents

from ackwb.render.dot import BLOCKED_STYLE
from ackwb.render.report import export_report

SCENARIO = "lb-acl-entry-removed"
DOMAIN = "app3.qas.abc.com"
CLIENT_IP = "192.0.2.44"  # the office range this scenario removed from private-lb's whitelist
EXPECTED_CODE = "LB_ACL_DENIES_CLIENT"
RUN_TIMEOUT_MS = 60_000
pytestmark = pytest.mark.timeout(240)


def require_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail(
                "playwright is not installed but CI is set: install the test extra (pip install -e .[test])"
            )
        pytest.skip("playwright is not installed (pip install playwright); the browser tests need it")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, launched by Playwright with this machine's flags."""
    chromium = require_chromium()
    with require_playwright()() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=[flag for flag in CHROMIUM_FLAGS if flag != "--headless"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(RUN_TIMEOUT_MS)
    yield opened
    context.close()


def open_and_run_all(page: Any, lab: Lab, notebook: str) -> None:
    """Open a notebook, wait for its kernel, Run → Run All Cells, wait until every cell ran."""
    page.goto(lab.url(notebook))
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").wait_for()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        """() => {
          const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
          return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
        }"""
    )


def error_outputs(page: Any) -> list[str]:
    """The text of every stderr or error output in the open notebook."""
    return page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
        " .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    ).all_inner_texts()


def test_explorer_widgets_show_the_blocked_hop_in_red_and_the_finding(page: Any, lab: Lab) -> None:
    open_and_run_all(page, lab, "explorer.ipynb")
    assert not error_outputs(page)
    widgets = page.locator(".jp-OutputArea-output:has(.widget-dropdown)")
    scenario = widgets.locator(".widget-dropdown:has(label:text-is('scenario')) select")
    option = scenario.locator(f"option[value^='{SCENARIO}:']").get_attribute("value")
    scenario.select_option(value=option)
    widgets.locator(".widget-html", has_text=SCENARIO).wait_for()  # the kernel opened that world
    domain = widgets.locator(".widget-dropdown:has(label:text-is('domain')) select")
    domain.locator(f"option[value='{DOMAIN}']").wait_for(state="attached")
    domain.select_option(value=DOMAIN)
    widgets.locator(".widget-text:has(label:text-is('client IP')) input").fill(CLIENT_IP)
    widgets.get_by_role("button", name="Run trace").click()

    result = widgets.locator(".widget-output .ackwb-explorer-result")
    result.locator("h3", has_text=DOMAIN).wait_for()
    assert CLIENT_IP in result.inner_text()
    blocked = result.locator("svg g.node.blocked")
    assert blocked.count() >= 1, "no hop of the diagram is drawn blocked"
    assert "listener" in blocked.first.get_attribute("id")
    strokes = blocked.first.locator("path, polygon").evaluate_all(
        "shapes => shapes.map(s => s.getAttribute('stroke'))"
    )
    assert BLOCKED_STYLE[0] in strokes, f"the blocked hop is not drawn in red: strokes {strokes}"
    findings = result.locator("table").last.inner_text()
    assert EXPECTED_CODE in findings, f"the findings table does not name {EXPECTED_CODE}: {findings[:500]}"


def test_overview_runs_and_every_output_renders(page: Any, lab: Lab) -> None:
    open_and_run_all(page, lab, "00_overview.ipynb")
    # Outputs render asynchronously: wait for the last ones (the summary, hop table, findings,
    # hosts, backends, nodes, controllers and IP tables; the diagram) before reading them.
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-OutputArea-output table').length >= 8"
        " && document.querySelectorAll('.ackwb-diagram svg g.node').length > 5"
    )
    assert not error_outputs(page), error_outputs(page)
    silent = page.locator(".jp-CodeCell").evaluate_all(
        """cells => cells.map((cell, index) => {
             if (cell.querySelector('.jp-InputArea').innerText.includes('Parameters (papermill')) return -1;
             const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
             const rendered = o => o.innerText.trim() !== '' || o.querySelector('svg') !== null;
             return outputs.length > 0 && outputs.every(rendered) ? -1 : index;
           }).filter(index => index >= 0)"""
    )
    assert not silent, f"code cells {silent} show no rendered output"
    assert page.locator(".ackwb-diagram").count() == 1, "the path diagram is shown once"

    # A glossary link opens glossary.md rendered by JupyterLab, scrolled to the word.
    fragments = page.locator(".jp-RenderedMarkdown a[href*='glossary.md'][href*='#']").evaluate_all(
        "links => links.map(a => new URL(a.href).hash.slice(1))"
    )
    assert "terway" in fragments, fragments
    page.locator(".jp-RenderedMarkdown a[href*='glossary.md'][href$='#terway']").first.click()
    viewer = page.locator(".jp-MarkdownViewer")
    word = viewer.locator("a[data-jupyter-id='terway']")
    word.wait_for(state="attached")
    page.wait_for_function(
        "() => { const a = document.querySelector(\".jp-MarkdownViewer a[data-jupyter-id='terway']\");"
        " const top = a && a.getBoundingClientRect().top; return top > 0 && top < window.innerHeight; }"
    )
    missing = [f for f in fragments if viewer.locator(f"a[data-jupyter-id='{f}']").count() != 1]
    assert not missing, f"glossary links without their word in the rendered glossary: {missing}"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    return export_report(DOMAIN, folder / "report.html", scenario=SCENARIO, client_ip=CLIENT_IP)


def test_report_links_work_and_it_asks_for_nothing_but_files(page: Any, report: Path) -> None:
    requested: list[str] = []
    page.context.route("**/*", lambda route: (requested.append(route.request.url), route.continue_()))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert EXPECTED_CODE in page.inner_text("body")

    follow_contents(page, 10)
    for href in page.locator("a.anchor-link").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        tag = page.evaluate(
            "h => { location.hash = h; const t = document.querySelector(':target'); return t && t.tagName; }",
            href,
        )
        assert tag and re.fullmatch(r"H[1-6]", tag), f"heading anchor {href!r} leads nowhere"

    assert requested, "the browser reported no request at all: the check would be blind"
    outside = [url for url in requested if not url.startswith("file://")]
    assert not outside, f"the report asked for more than files: {outside}"
