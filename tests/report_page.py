"""Checks of an exported report opened in headless Chromium, shared by the report browser tests.

``follow_contents`` clicks every link of the contents list and requires each to land on a
heading in view; ``whole_diagram_fits`` requires the first diagram (the whole path) not to scroll
sideways at the page's width. ``page`` is a Playwright page with the report loaded.
"""

from __future__ import annotations

import re
from typing import Any

from browser_measure import DIAGRAM_BOXES

TARGET = """() => { const t = document.querySelector(':target');
                    return t && {tag: t.tagName, top: t.getBoundingClientRect().top,
                                 height: window.innerHeight}; }"""


def follow_contents(page: Any, at_least: int) -> None:
    contents = page.locator("a[href^='#']:not(.anchor-link)")
    assert contents.count() >= at_least, "the report has no contents list"
    for index in range(contents.count()):
        link = contents.nth(index)
        page.evaluate("window.scrollTo(0, 0)")
        link.click()
        target = page.evaluate(TARGET)
        assert target, f"link {link.get_attribute('href')!r} leads nowhere"
        assert re.fullmatch(r"H[1-6]", target["tag"]) and -2 <= target["top"] < target["height"], target


def whole_diagram_fits(page: Any) -> None:
    boxes = page.evaluate(f"() => {{ {DIAGRAM_BOXES} }}")
    assert boxes, "the report draws no diagram"
    whole = boxes[0]  # the whole-path diagram comes first
    assert whole["scrollWidth"] <= whole["clientWidth"], f"the whole-path diagram scrolls sideways: {whole}"
    assert whole["svgWidth"] <= whole["clientWidth"] + 1 and whole["pageWidth"] <= whole["windowWidth"], whole
