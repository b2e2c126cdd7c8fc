"""Screenshot an HTML file with headless Chromium (Debian's `chromium` package), for report tests.

No browser automation library: Chromium's own ``--screenshot`` switch loads a ``file://``
URL and writes a PNG. Networking features that would reach out are switched off, so the
page is seen exactly as a reader without network would see it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

BROWSER_NAMES = ("chromium", "chromium-browser")
# What this machine's Chromium needs: no sandbox (root), no GPU, and nothing that reaches out on
# its own (background networking, component updates, sync, QUIC), which a closed network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, BROWSER_NAMES) if path), None)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_chromium() -> str:
    """The Chromium executable; skips the test when absent, unless CI is set (then it fails)."""
    found = find_chromium()
    if found:
        return found
    if in_ci():
        pytest.fail("chromium is not installed but CI is set: install it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); browser tests need it")


def require_pillow() -> Any:
    """The ``PIL`` package, to read screenshots; skips when absent, unless CI is set (then it fails)."""
    try:
        import PIL.Image
        import PIL.ImageChops
    except ImportError:
        if in_ci():
            pytest.fail(
                "Pillow is not installed but CI is set: install the test extra (pip install -e .[test])"
            )
        pytest.skip("Pillow is not installed (pip install pillow); it reads the screenshots")
    return PIL


def screenshot(
    html_path: Path, png_path: Path, width: int = 1400, height: int = 1000, timeout: float = 120
) -> Path:
    """Render ``html_path`` at ``width``×``height`` CSS pixels into ``png_path``; returns ``png_path``."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium not found on PATH")
    png_path = Path(png_path).resolve()
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="ackwb-chromium-") as profile:
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png_path}",
            Path(html_path).resolve().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not png_path.exists():
        raise RuntimeError(f"chromium exited {done.returncode} without a screenshot:\n{done.stderr[-2000:]}")
    return png_path


REQUEST_BLUE = (0x1F, 0x3A, 0x93)  # the request path's colour in ackwb.render.dot


def bounding_box(image, colour: tuple[int, int, int], tolerance: int = 40) -> tuple[int, ...] | None:
    """Smallest box holding every pixel within ``tolerance`` of ``colour`` on each channel, or None."""
    masks = [
        channel.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0)
        for channel, c in zip(image.split(), colour, strict=True)
    ]
    chops = require_pillow().ImageChops
    both = chops.multiply(chops.multiply(masks[0], masks[1]), masks[2])
    return both.getbbox()


def ink_ratio(image, box: tuple[int, int, int, int]) -> float:
    """Share of pixels in ``box`` that are not (nearly) white."""
    region = image.crop(box).convert("L")
    dark = sum(region.point(lambda v: 255 if v < 235 else 0).histogram()[255:])
    return dark / (region.width * region.height)
