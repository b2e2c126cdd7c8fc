"""The ``ackwb`` command as a user runs it: a separate process, its exit status, what it prints,
and the HTML report it writes, opened in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser import REQUEST_BLUE, bounding_box, in_ci, ink_ratio, require_chromium, require_pillow, screenshot

ACKWB = [sys.executable, "-m", "ackwb.cli"]


def ackwb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ACKWB, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_trace_app1_prints_the_article_path() -> None:
    run = ackwb("trace", "app1.qas.abc.com")
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == ["ackwb: using the demo world 'healthy' (built in, no cluster needed)"]
    for fact in (
        "public-lb 203.0.113.10",
        "listener TCP 80",
        "listener TCP 443",
        "backend 10.17.10.11:80",
        "Ingress app1-service-ingress",
        "Service app1-service 192.168.195.85:8080",
        "IPVS rr 192.168.195.85:8080",
        "10.17.10.91:8080",
        "EIP 203.0.113.200",
        "path ok",
    ):
        assert fact in run.stdout, fact


def test_trace_app3_goes_through_private_lb_and_lists_the_acl() -> None:
    run = ackwb("trace", "app3.qas.abc.com")
    assert run.returncode == 0, run.stderr
    assert "private-lb 198.51.100.20" in run.stdout
    assert "192.0.2.0/24 (office-hangzhou)" in run.stdout and "198.51.100.64/26 (vpn)" in run.stdout


def test_trace_app2_takes_the_service_upstream_path() -> None:
    run = ackwb("trace", "app2.qas.abc.com")
    assert run.returncode == 0, run.stderr
    assert re.search(r"Service app2-service 192\.168\.37\.214:8080 .* request ", run.stdout)


def test_client_outside_the_whitelist_is_blocked() -> None:
    run = ackwb("trace", "app3.qas.abc.com", "--client-ip", "203.0.113.7")
    assert run.returncode == 1
    assert "LB_ACL_DENIES_CLIENT" in run.stdout and "path broken" in run.stdout


def test_whitelisted_location_answers_403_to_other_clients_and_lets_allowed_ones_in() -> None:
    """terway-nlb's shop-admin Ingress: /admin allowed to 192.0.2.0/24 only (whitelist-source-range)."""
    args = ("trace", "shop.tnl.abc.com", "--scenario", "terway-nlb", "--path", "/admin", "--client-ip")
    refused = ackwb(*args, "203.0.113.9")
    assert refused.returncode == 1, refused.stderr
    assert re.search(r"^answer +nginx answers 403 .* request +blocked", refused.stdout, re.MULTILINE)
    assert "ERROR   NGINX_ACCESS_DENIED [answer:shop.tnl.abc.com/admin]" in refused.stdout
    allow_line = r"evidence: .*nginx\.conf \(server shop\.tnl\.abc\.com\) line \d+: allow 192\.0\.2\.0/24;"
    assert re.search(allow_line, refused.stdout)
    assert "path broken: answered by nginx: 403" in refused.stdout
    allowed = ackwb(*args, "192.0.2.9")
    assert allowed.returncode == 0, allowed.stderr
    assert "nginx answers" not in allowed.stdout and "NGINX_ACCESS_DENIED" not in allowed.stdout
    assert re.search(r"^pod +Pod shop-\S+ 10\.30\.64\.21:8080 .* request +ok", allowed.stdout, re.MULTILINE)
    assert "\npath ok\n" in allowed.stdout


def test_unknown_domain_exits_non_zero_with_one_line() -> None:
    run = ackwb("trace", "no-such.qas.abc.com")
    assert run.returncode == 1
    assert run.stdout == ""
    assert len(run.stderr.splitlines()) == 2
    assert "no-such.qas.abc.com does not resolve" in run.stderr.splitlines()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trace", "app1.qas.abc.com", "--client-ip", "x.y"], "client IP 'x.y' is not an IP address"),
        (["trace", "app1.qas.abc.com", "--scenario", "nope"], "no demo scenario 'nope'"),
        (["trace", "app1.qas.abc.com", "--world", "/nonexistent"], "/nonexistent is not a world"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    run = ackwb(*args)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_scenarios_lists_healthy_and_every_broken_world() -> None:
    from ackwb.demo import SCENARIOS

    run = ackwb("scenarios")
    assert run.returncode == 0
    assert [line.split()[0] for line in run.stdout.splitlines()] == list(SCENARIOS)
    assert len(SCENARIOS) >= 11
    # private-lb's whitelist admits the office range and the VPN range (tools/demo_world/facts.py)
    lines = {line.split()[0]: line for line in run.stdout.splitlines()}
    assert "office and VPN ranges" in lines["healthy"]
    assert "only the VPN range is left" in lines["lb-acl-entry-removed"]


def test_domains() -> None:
    run = ackwb("domains")
    assert run.stdout.split() == [
        "app1.qas.abc.com",
        "app2.qas.abc.com",
        "app3.qas.abc.com",
        "app4.qas.abc.com",
    ]


def test_report_is_self_contained_html_with_the_diagram(tmp_path: Path) -> None:
    if shutil.which("dot") is None and not in_ci():
        pytest.skip("Graphviz 'dot' is not installed: the report has no SVG")
    output = tmp_path / "app1.html"
    run = ackwb("report", "app1.qas.abc.com", "-o", str(output))
    assert run.returncode == 0, run.stderr
    # stderr holds ackwb's own progress lines and nothing from papermill or the kernel
    # (such as "KeyboardInterrupt caught in kernel" from a shutdown that interrupted it)
    noise = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith("ackwb: ")]
    assert not noise, f"kernel or library noise on stderr: {noise}"
    assert f"ackwb: wrote {output}" in run.stderr
    page = output.read_text(encoding="utf-8")
    assert "<svg" in page and not re.search(r"<script[^>]+src=\"https?:", page)
    assert "In [" not in page  # code cells and prompts hidden
    headings = [
        " ".join(re.sub(r"<[^>]+>|¶", "", text).split())
        for _, text in re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", page, re.S)
    ]
    assert len(headings) >= 10 and len(headings) == len(set(headings)), f"a heading repeats: {headings}"
    for fact in (
        "public-lb",
        "app1-service-ingress",
        "192.168.195.85:8080",
        "IPVS rr",
        "10.17.10.91:8080",
        "203.0.113.200",
    ):
        assert fact in page, fact

    require_chromium()
    pil = require_pillow()
    png = screenshot(output, tmp_path / "app1.png", width=1400, height=2400)
    image = pil.Image.open(png).convert("RGB")
    box = bounding_box(image, REQUEST_BLUE)
    assert box is not None, "no request-path colour on the page: the diagram was not drawn"
    left, top, right, bottom = box
    assert right - left > 400 and bottom - top > 100, f"diagram area too small: {box}"
    assert ink_ratio(image, box) > 0.03


def test_report_of_unknown_domain_fails_clearly(tmp_path: Path) -> None:
    run = ackwb("report", "no-such.qas.abc.com", "-o", str(tmp_path / "x.html"))
    assert run.returncode == 1 and "does not resolve" in run.stderr
    assert not (tmp_path / "x.html").exists()
