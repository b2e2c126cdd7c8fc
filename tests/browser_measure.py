"""Measure a page as headless Chromium lays it out: run a script in it and read back its JSON.

``screenshot`` (tests/browser.py) shows what a reader sees; this answers questions a
screenshot cannot, such as the rendered size of each SVG text or whether a diagram's right
edge can be scrolled to. The page gets a script appended that stores a JSON value in a
``<pre id="ackwb-measure">``; Chromium's ``--dump-dom`` prints the DOM after scripts ran.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from browser import find_chromium

MEASURE_ID = "ackwb-measure"

# Rendered size of every SVG text (font size × the SVG's scale on screen) and of every node box.
SVG_TEXT_AND_BOXES = """
const svgs = [...document.querySelectorAll('svg')];
return svgs.map(svg => {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].map(t => {
    const size = parseFloat(getComputedStyle(t).fontSize);
    return size * t.getScreenCTM().a;
  });
  const nodes = [...svg.querySelectorAll('g.node')].map(n => n.getBoundingClientRect())
    .map(r => ({width: r.width, height: r.height}));
  return {width: box.width, height: box.height, left: box.left, top: box.top,
          viewBoxWidth: svg.viewBox.baseVal.width, texts, nodes};
});
"""

# Each diagram box: its own width, its content's width, whether it scrolls, where its SVG ends.
DIAGRAM_BOXES = """
return [...document.querySelectorAll('.ackwb-diagram')].map(div => {
  const svg = div.querySelector('svg');
  const box = div.getBoundingClientRect(), drawn = svg.getBoundingClientRect();
  return {clientWidth: div.clientWidth, scrollWidth: div.scrollWidth,
          overflowX: getComputedStyle(div).overflowX, boxLeft: box.left, boxRight: box.right,
          top: box.top, svgWidth: drawn.width, svgHeight: drawn.height,
          naturalWidth: svg.width.baseVal.valueInSpecifiedUnits * 4 / 3,
          pageWidth: document.documentElement.scrollWidth, windowWidth: window.innerWidth};
});
"""


def with_script(page: str, body: str) -> str:
    """``page`` with a script that runs ``body`` (a function body returning JSON-able data)."""
    script = (
        "<script>(function(){"
        f"let value; try {{ value = (function(){{{body}}})(); }}"
        "catch (e) { value = {error: String(e)}; }"
        f"const pre = document.createElement('pre'); pre.id = '{MEASURE_ID}';"
        "pre.textContent = JSON.stringify(value); document.body.appendChild(pre);"
        "})();</script>"
    )
    return page.replace("</body>", script + "</body>") if "</body>" in page else page + script


def measure(page_path: Path, body: str, width: int = 1400, height: int = 1000, timeout: float = 120) -> Any:
    """Open ``page_path`` with the measuring script appended; return the script's value."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium not found on PATH")
    with tempfile.TemporaryDirectory(prefix="ackwb-measure-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(with_script(page_path.read_text(encoding="utf-8"), body), encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={folder}/profile",
            f"--window-size={width},{height}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    found = re.search(rf'<pre id="{MEASURE_ID}">(.*?)</pre>', done.stdout, re.DOTALL)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"chromium exited {done.returncode} without a measurement:\n{done.stderr[-2000:]}")
    value = json.loads(html.unescape(found.group(1)))
    if isinstance(value, dict) and "error" in value:
        raise RuntimeError(f"the measuring script failed: {value['error']}")
    return value


def export_report(folder: Path, domain: str, scenario: str) -> Path:
    """``ackwb report DOMAIN --scenario SCENARIO`` exported to ``folder/report.html``, for a browser."""
    import sys

    target = folder / "report.html"
    command = [sys.executable, "-m", "ackwb.cli", "report", domain, "--scenario", scenario, "-o", str(target)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0 and target.exists(), run.stderr[-2000:]
    return target
