"""The explorer's widgets and its Run button, driven without a notebook: set values, press, read the output.

The notebook itself runs headless in tests/test_notebooks.py.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path as FilePath

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.render.explorer import Explorer, ExploreResult, explore_html, finding_rows, listener_ports

pytest.importorskip("ipywidgets")

OUTSIDE_ACL = "203.0.113.77"  # not in private-lb's whitelist


def shown_text(explorer: Explorer) -> str:
    """What the output area holds: the text/html of its single output."""
    [output] = explorer.output.outputs
    return html.unescape(output["data"]["text/html"])


def test_widgets_start_from_the_parameters() -> None:
    explorer = Explorer(domain="app2.qas.abc.com", client_ip="192.0.2.10", port=443, path="/api")
    assert [value for _, value in explorer.scenario.options] == list(Workbook.scenarios())
    assert explorer.scenario.value == "healthy"
    assert list(explorer.domain.options) == Workbook.demo().domains()
    assert explorer.domain.value == "app2.qas.abc.com"
    assert (explorer.client_ip.value, explorer.port.value, explorer.path.value) == ("192.0.2.10", 443, "/api")
    assert explorer.output.outputs == (), "nothing runs before the button is pressed"


def test_run_shows_diagram_findings_and_outcome() -> None:
    explorer = Explorer(domain="app1.qas.abc.com")
    trace = explorer.on_run(explorer.run_button)
    assert trace is not None and trace.domain == "app1.qas.abc.com"
    text = shown_text(explorer)
    assert text == html.unescape(explore_html(trace))
    assert "app1.qas.abc.com" in text and "the request gets through" in text
    assert "ackwb-diagram" in text
    for finding in trace.findings:
        assert finding.code in text and finding.message in text


def test_button_click_runs_the_trace() -> None:
    explorer = Explorer()
    explorer.run_button.click()  # the handler registered with on_click
    assert explorer.trace is not None and explorer.trace.domain == explorer.domain.value


def test_client_outside_the_whitelist_is_blocked_with_the_acl_named() -> None:
    explorer = Explorer()
    explorer.domain.value = "app3.qas.abc.com"
    explorer.client_ip.value = OUTSIDE_ACL
    trace = explorer.on_run()
    assert trace is not None
    errors = [f for f in trace.findings if f.severity.value == "error"]
    assert errors, "the demo world's private-lb should refuse a client outside its whitelist"
    text = shown_text(explorer)
    assert "the request stops" in text
    for finding in errors:
        assert finding.code in text and finding.message in text
    assert "blocked" in text  # the hop's class in the SVG, or the DOT text without Graphviz
    assert [row["severity"] for row in finding_rows(trace)][0] == "error", "errors come first"


def test_bad_client_ip_shows_one_line_not_a_traceback() -> None:
    explorer = Explorer()
    explorer.client_ip.value = "not-an-ip"
    assert explorer.on_run() is None and explorer.trace is None
    text = shown_text(explorer)
    assert "ackwb:" in text and "not-an-ip" in text and "Traceback" not in text


def test_ports_hint_lists_the_load_balancers_listeners() -> None:
    explorer = Explorer(domain="app3.qas.abc.com")
    ports = listener_ports(Workbook.demo(), "app3.qas.abc.com")
    assert ports and all(str(port) in explorer.ports_hint.value for port in ports)
    assert listener_ports(Workbook.demo(), "no-such.qas.abc.com") == []


def test_changing_the_world_refreshes_the_domains(tmp_path: FilePath) -> None:
    import json

    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    ingresses_file = world / "kube" / "ingresses.json"
    ingresses = json.loads(ingresses_file.read_text(encoding="utf-8"))
    ingresses["items"] = [i for i in ingresses["items"] if i["metadata"]["name"] != "app2-service-ingress"]
    ingresses_file.write_text(json.dumps(ingresses), encoding="utf-8")

    explorer = Explorer(domain="app3.qas.abc.com")
    explorer.world.value = str(world)
    assert list(explorer.domain.options) == ["app1.qas.abc.com", "app3.qas.abc.com", "app4.qas.abc.com"]
    assert explorer.domain.value == "app3.qas.abc.com", "the chosen domain is kept when the new world has it"
    assert str(world) in explorer.status.value
    trace = explorer.on_run()
    assert trace is not None and str(world) in trace.world


def test_a_world_that_cannot_be_opened_says_so(tmp_path: FilePath) -> None:
    explorer = Explorer()
    explorer.world.value = str(tmp_path / "missing")
    assert list(explorer.domain.options) == []
    assert "cannot open the world" in explorer.status.value
    assert explorer.on_run() is None
    assert "choose a domain" in shown_text(explorer)


@pytest.mark.parametrize("scenario", sorted(set(Workbook.scenarios()) - {"healthy"})[:3])
def test_choosing_a_scenario_switches_the_world(scenario: str) -> None:
    explorer = Explorer()
    explorer.scenario.value = scenario
    assert list(explorer.domain.options) == Workbook.demo(scenario).domains()
    assert scenario in explorer.status.value


def test_explore_result_displays_like_the_output_area() -> None:
    trace = Workbook.demo().trace("app3.qas.abc.com", client_ip=OUTSIDE_ACL)
    result = ExploreResult(trace)
    assert result._repr_html_() == explore_html(trace)
    assert repr(result).startswith("app3.qas.abc.com: ")


def test_headers_box_sends_each_line_as_a_request_header() -> None:
    explorer = Explorer(domain="shop.tnl.abc.com", scenario="terway-nlb", headers=["X-Canary: always"])
    assert explorer.headers.value == "X-Canary: always"
    explorer.headers.value = "X-Canary: always\n\n  X-Region: eu  \n"
    trace = explorer.on_run()
    assert trace is not None and trace.client.headers == (("X-Canary", "always"), ("X-Region", "eu"))
    assert "headers <code>X-Canary: always; X-Region: eu</code>" in shown_text(explorer)
    explorer.headers.value = "X-Canary always"
    assert explorer.on_run() is None and explorer.trace is None
    assert "header 'X-Canary always' must read 'Name: value'" in shown_text(explorer)
    explorer.headers.value = ""
    trace = explorer.on_run()
    assert trace is not None and trace.client.headers == ()
    assert "headers" not in shown_text(explorer).split("·")[0]
