"""HTML for step results and traces: escaping, findings, the summary, the registered presenter."""

from __future__ import annotations

import html.parser
import re
import shutil

import pytest

import ackwb.render  # noqa: F401  (registers the presenter)
from ackwb.model import Client, Edge, Evidence, Finding, Hop, Path, Presentable, Severity, StepResult, Trace
from ackwb.render.html import findings_html, rows_html, trace_summary_html
from ackwb.render.presenter import HtmlPresenter

EVIL = "<script>alert('x')</script>"


def finding(severity: Severity = Severity.ERROR, message: str = "the ACL denies the client") -> Finding:
    return Finding(
        code="LB_ACL_DENIES_CLIENT",
        severity=severity,
        hop="acl:1",
        message=message,
        evidence=(Evidence("slb:DescribeAccessControlListAttribute", "AclEntrys[0]", "192.0.2.0/24 办公室"),),
        check="aliyun slb DescribeAccessControlListAttribute --AclId acl-1",
    )


def article_trace(service_on_request_path: bool = False) -> Trace:
    service_path = Path.REQUEST if service_on_request_path else Path.IN_CLUSTER
    front = StepResult(
        step="slb",
        title="Load balancer 查看公网 IP 对应的 SLB",
        domain="app1.qas.abc.com",
        rows=[{"listener": 80, "acl": None}, {"listener": 443, "acl": ["acl-1", "acl-2"]}],
        hops=[
            Hop(id="dns:app1", kind="dns", label="app1.qas.abc.com", details=(("A", "203.0.113.10"),)),
            Hop(id="lb:1", kind="lb", label="public-lb", details=(("address", "203.0.113.10"),)),
        ],
        edges=[Edge("dns:app1", "lb:1", "A 203.0.113.10")],
        findings=[finding(Severity.INFO, "listener 443 has an ACL")],
    )
    back = StepResult(
        step="pod",
        title="Pod",
        domain="app1.qas.abc.com",
        hops=[
            Hop(id="svc:1", kind="service", label="app1-service 192.168.195.85:8080", path=service_path),
            Hop(id="pod:1", kind="pod", label="app1 10.17.10.91:8080"),
            Hop(id="eip:1", kind="eip", label="EIP 198.51.100.20", path=Path.EGRESS),
        ],
        edges=[
            Edge("lb:1", "pod:1"),
            Edge("lb:1", "svc:1", "in-cluster path", service_path),
            Edge("pod:1", "eip:1", "SNAT", Path.EGRESS),
        ],
    )
    world = "demo world (healthy)"
    return Trace(domain="app1.qas.abc.com", client=Client(), world=world, steps=[front, back])


class TagCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


def tags_of(page: str) -> list[str]:
    collector = TagCollector()
    collector.feed(page)
    return collector.tags


def bare_cells(page: str) -> str:
    """The page with table cells stripped of their attributes, for comparing cell contents."""
    return re.sub(r"<(td|th)[^>]*>", r"<\1>", page)


def test_presenter_is_registered_on_import() -> None:
    assert isinstance(Presentable.presenter, HtmlPresenter)


def test_step_html_has_title_table_diagram_and_findings() -> None:
    step = article_trace().steps[0]
    page = step._repr_html_()
    assert "Load balancer 查看公网 IP 对应的 SLB" in page
    assert "<td>acl-1, acl-2</td>" in bare_cells(page)
    assert "LB_ACL_DENIES_CLIENT" in page and "listener 443 has an ACL" in page
    assert "ackwb-diagram" in page
    if shutil.which("dot"):
        assert "<svg" in page


def test_trace_html_has_summary_hops_diagram_findings() -> None:
    page = article_trace()._repr_html_()
    for part in ("ackwb-summary", "<h4>Hops</h4>", "ackwb-diagram", "<h4>Findings</h4>", "ackwb-finding"):
        assert part in page
    assert page.index("<h4>this cluster: ") < page.index("ackwb-summary")  # the design record first
    assert page.count('<table class="ackwb-table">') == 2  # the design record and the hops


@pytest.mark.parametrize("where", ["label", "row", "message", "title"])
def test_text_from_the_model_is_escaped(where: str) -> None:
    label = EVIL if where == "label" else "pod"
    step = StepResult(
        step="pod",
        title=EVIL if where == "title" else "Pod",
        domain="d",
        rows=[{"name": EVIL if where == "row" else "x"}],
        hops=[Hop(id="pod:1", kind="pod", label=label, details=(("k", EVIL),))],
        findings=[finding(message=EVIL if where == "message" else "m")],
    )
    page = step._repr_html_()
    assert "<script" not in page and "script" not in tags_of(page)
    assert "&lt;script&gt;" in page


def test_findings_are_coloured_by_severity_with_evidence_and_check() -> None:
    page = findings_html([finding(Severity.ERROR), finding(Severity.WARNING), finding(Severity.INFO)])
    assert page.index("#c0392b") < page.index("#b7791f") < page.index("#2c6fbb")
    assert "<code>192.0.2.0/24 办公室</code>" in page
    assert "aliyun slb DescribeAccessControlListAttribute --AclId acl-1" in page
    assert "ackwb-error" in page and "ackwb-warning" in page and "ackwb-info" in page
    assert findings_html([]) == "<p><em>No findings.</em></p>"


def test_rows_html_handles_ragged_rows_and_none() -> None:
    page = rows_html([{"a": 1}, {"b": None, "a": 2}])
    assert page.count("</th>") == 2
    assert "<td>1</td><td></td>" in bare_cells(page)
    assert rows_html([]) == "<p><em>(no rows)</em></p>"


def test_summary_names_the_in_cluster_path_and_both_ips() -> None:
    page = trace_summary_html(article_trace())
    assert "straight to Pod IPs" in page and "in-cluster" in page.lower()
    assert "203.0.113.10" in page and "198.51.100.20" in page
    assert "a different address" in page
    assert page.index("203.0.113.10") < page.index("198.51.100.20")


def test_summary_says_when_the_request_passes_the_cluster_ip() -> None:
    page = trace_summary_html(article_trace(service_on_request_path=True))
    assert "passes the Service's ClusterIP" in page
    assert "straight to Pod IPs" not in page


def test_summary_without_eip_says_not_found() -> None:
    trace = article_trace()
    trace.steps[1].hops = [h for h in trace.steps[1].hops if h.kind != "eip"]
    page = trace_summary_html(trace)
    assert "Pods reach the internet as)</th><td>not found" in bare_cells(page)


def test_presenter_diagram_uses_the_trace_domain_as_title() -> None:
    diagram = article_trace().diagram()
    assert "app1.qas.abc.com" in diagram.dot.splitlines()[1]
    assert {r["path"] for r in diagram.edge_rows()} == {"request", "in-cluster", "egress"}
