"""The cluster map: golden DOT for the demo world, structure, verdicts, and a legible 50-domain map.

The golden file is ``tests/golden/cluster_map/healthy.dot``; after an intended change,
regenerate it with ``ACKWB_UPDATE_GOLDEN=1 pytest tests/test_clustermap.py`` and review the
diff. The big map is drawn from a generated world (tests/synthetic_world.py) and opened in
headless Chromium: the screenshot must not be blank and the text must stay readable.
"""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path as FilePath

import pytest
from browser import in_ci, ink_ratio, require_chromium, require_pillow, screenshot
from browser_measure import SVG_TEXT_AND_BOXES, measure
from synthetic_world import NAMESPACES, build_big_world

from ackwb import Workbook
from ackwb.model import Client, Hop, StepResult, Trace, Verdict
from ackwb.render.clustermap import ClusterMap, map_node, node_ids
from ackwb.render.dot import BLOCKED_STYLE, UNKNOWN_STYLE

GOLDEN = FilePath(__file__).parent / "golden" / "cluster_map" / "healthy.dot"
OUTSIDE_ACL = "203.0.113.77"
MIN_TEXT_PX = 10.0  # the smallest rendered text height a reader can manage
MIN_BOX_PX = 14.0


def clusters(dot: str) -> dict[str, list[str]]:
    """Cluster id → the node ids declared inside it."""
    found: dict[str, list[str]] = {}
    current = None
    for line in dot.splitlines():
        opened = re.match(r'\s*subgraph "([^"]+)" \{', line)
        if opened:
            current = opened.group(1)
            found[current] = []
        elif line.strip() == "}":
            current = None
        elif current and line.startswith('    "'):
            found[current].append(line.split('"')[1])
    return found


def edges(dot: str) -> set[tuple[str, str]]:
    return set(re.findall(r'^\s*"([^"]+)" -> "([^"]+)"', dot, re.MULTILINE))


@pytest.fixture(scope="module")
def demo_map() -> ClusterMap:
    return Workbook.demo().cluster_map()


def test_demo_map_matches_golden_file(demo_map: ClusterMap) -> None:
    if os.environ.get("ACKWB_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(demo_map.dot, encoding="utf-8")
    assert GOLDEN.exists(), f"missing {GOLDEN}; run with ACKWB_UPDATE_GOLDEN=1 to create it"
    assert demo_map.dot == GOLDEN.read_text(encoding="utf-8")


def test_trace_order_does_not_change_the_dot(demo_map: ClusterMap) -> None:
    traces = list(demo_map.traces)
    random.Random(7).shuffle(traces)
    assert ClusterMap(traces, demo_map.title).dot == demo_map.dot


def test_map_follows_each_domains_trace(demo_map: ClusterMap) -> None:
    wb = Workbook.demo()
    dot = demo_map.dot
    links = edges(dot)
    assert sorted({t.domain for t in demo_map.traces}) == wb.domains()  # each on every path and port
    for domain in wb.domains():
        trace = wb.trace(domain)
        load_balancer = trace.step("slb")
        ingress = trace.step("ingress")
        service = trace.step("service")
        pods = trace.step("pod")
        assert load_balancer and ingress and service and pods
        lb_hop = next(h.id for h in load_balancer.hops if h.kind == "lb")
        ingress_hop = f"ingress:{ingress.namespace}/{ingress.ingress_name}"
        service_hop = f"service:{service.namespace}/{service.name}"
        assert (f"dns:{domain}", lb_hop) in links
        assert (lb_hop, ingress_hop) in links
        assert (ingress_hop, service_hop) in links
        for pod in pods.pods:
            assert (service_hop, f"pod:{pod.namespace}/{pod.name}") in links
        assert load_balancer.load_balancer_name in dot and load_balancer.address in dot


def test_objects_are_grouped_by_namespace(demo_map: ClusterMap) -> None:
    groups = clusters(demo_map.dot)
    assert list(groups)[:2] == ["cluster_dns", "cluster_lb"]
    for cluster, members in groups.items():
        if cluster.startswith("cluster_ns_"):
            namespace = cluster.removeprefix("cluster_ns_")
            assert members and all(m.split(":", 1)[1].startswith(f"{namespace}/") for m in members)
    namespaced = {n for n in node_ids(demo_map.dot) if n.split(":")[0] in ("ingress", "service", "pod")}
    assert namespaced == {m for c, ms in groups.items() if c.startswith("cluster_ns_") for m in ms}


def test_graph_is_compact_left_to_right(demo_map: ClusterMap) -> None:
    head = demo_map.dot.splitlines()[1]
    assert "rankdir=LR" in head and "concentrate=true" in head


def test_a_refused_client_makes_its_load_balancer_red() -> None:
    wb = Workbook.demo()
    outside = wb.cluster_map(client_ip=OUTSIDE_ACL)
    app3_lb = next(h.id for h in wb.trace("app3.qas.abc.com").hops if h.kind == "lb")
    app1_lb = next(h.id for h in wb.trace("app1.qas.abc.com").hops if h.kind == "lb")
    assert outside.nodes[app3_lb].verdict is Verdict.BLOCKED
    assert outside.nodes[app1_lb].verdict is Verdict.OK
    line = next(line for line in outside.dot.splitlines() if line.startswith(f'    "{app3_lb}"'))
    assert BLOCKED_STYLE[0] in line and "blocked" in line
    assert "red box: blocked" in outside.dot
    assert {r["domain"]: r["verdict"] for r in outside.rows}["app3.qas.abc.com"] == "blocked"


def test_unknown_hops_are_grey_and_an_unresolved_name_still_has_a_box() -> None:
    pod = Hop(id="pod:ns/p", kind="pod", label="Pod p 10.0.0.9:80", verdict=Verdict.UNKNOWN)
    traces = [
        Trace(
            domain="a.example",
            client=Client(),
            world="w",
            steps=[StepResult(step="pod", title="", domain="a", hops=[pod])],
        ),
        Trace(domain="b.example", client=Client(), world="w"),
    ]
    cmap = ClusterMap(traces)
    assert cmap.nodes["pod:ns/p"].verdict is Verdict.UNKNOWN
    line = next(line for line in cmap.dot.splitlines() if line.startswith('    "pod:ns/p"'))
    assert UNKNOWN_STYLE[0] in line and "dashed" in line
    assert cmap.nodes["dns:b.example"].verdict is Verdict.UNKNOWN
    assert ("dns:a.example", "pod:ns/p") in cmap.edges


@pytest.mark.parametrize(
    ("hop", "name", "address", "namespace"),
    [
        (
            Hop(id="lb:lb-1", kind="lb", label="public-lb 203.0.113.10"),
            "public-lb",
            "203.0.113.10",
            "(no namespace)",
        ),
        (Hop(id="ingress:app/web", kind="ingress", label="Ingress web a.b/"), "web", "", "app"),
        (
            Hop(id="service:app/s", kind="service", label="Service s 192.168.0.5:80"),
            "s",
            "192.168.0.5:80",
            "app",
        ),
        (Hop(id="pod:x/p-1", kind="pod", label="Pod p-1 10.0.0.1:8080"), "p-1", "10.0.0.1:8080", "x"),
    ],
)
def test_compact_box_names(hop: Hop, name: str, address: str, namespace: str) -> None:
    node = map_node(hop)
    assert (node.name, node.address, node.namespace) == (name, address, namespace)


def test_names_are_escaped() -> None:
    hop = Hop(id='pod:ns/<b>"x"', kind="pod", label="Pod <b>&")
    trace = Trace(
        domain="d<&>",
        client=Client(),
        world="w",
        steps=[StepResult(step="pod", title="", domain="d", hops=[hop])],
    )
    dot = ClusterMap([trace], title="<script>").dot
    assert "<script>" not in dot and "&lt;script&gt;" in dot
    labels = re.findall(r"label=(<.*?>)(?:, |\])", dot)
    assert labels and not any("<b>" in label or "<&>" in label for label in labels)
    assert "&lt;b&gt;&quot;x&quot;" in dot and "d&lt;&amp;&gt;" in dot


# --- fifty domains --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_map(tmp_path_factory: pytest.TempPathFactory) -> ClusterMap:
    root = tmp_path_factory.mktemp("big") / "world"
    build_big_world(root, domains=50)
    return Workbook.from_world(root).cluster_map()


def test_generated_world_maps_fifty_domains_in_their_namespaces(big_map: ClusterMap) -> None:
    assert len({t.domain for t in big_map.traces}) == 50 and len(big_map.traces) == 100  # ports 80, 443
    healthy = (Verdict.OK, Verdict.DEPENDS)  # private-lb admits its whitelist only: "depends"
    assert all(t.verdict in healthy for t in big_map.traces), "the generated world is healthy"
    dot = big_map.dot
    domains = [n for n in node_ids(dot) if n.startswith("dns:")]
    assert len(domains) == 50
    groups = clusters(dot)
    assert {f"cluster_ns_{ns}" for ns in NAMESPACES} | {"cluster_ns_app"} == {
        c for c in groups if c.startswith("cluster_ns_")
    }
    assert len(groups["cluster_lb"]) == 3  # public-lb, private-lb and public-nlb
    assert len(edges(dot)) >= 50 * 4


def require_dot() -> None:
    if shutil.which("dot") is None:
        if in_ci():
            pytest.fail(
                "Graphviz 'dot' is not installed but CI is set: install it (apt-get install graphviz)"
            )
        pytest.skip("Graphviz 'dot' is not installed: no SVG to look at")


def test_fifty_domain_map_is_legible_in_chromium(big_map: ClusterMap, tmp_path: FilePath) -> None:
    require_dot()
    require_chromium()
    pil = require_pillow()
    diagram = big_map.diagram()
    svg = diagram.svg()
    width_pt, height_pt = (
        float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    assert height_pt / 50 >= 18, f"{height_pt}pt for 50 domain rows is too cramped"
    assert width_pt < 1600, f"the map is {width_pt}pt wide: it should read without much sideways scrolling"
    page = diagram.save(tmp_path / "map.html")

    [drawn] = measure(page, SVG_TEXT_AND_BOXES, width=1400, height=1000)
    assert len(drawn["nodes"]) >= 50 * 4
    assert min(drawn["texts"]) >= MIN_TEXT_PX, f"smallest text is {min(drawn['texts']):.1f}px"
    assert min(n["height"] for n in drawn["nodes"]) >= MIN_BOX_PX

    png = screenshot(page, tmp_path / "map.png", width=1400, height=1000)
    image = pil.Image.open(png).convert("RGB")
    left, top = int(drawn["left"]), int(drawn["top"])
    box = (
        left,
        top,
        min(image.width, left + int(drawn["width"])),
        min(image.height, top + int(drawn["height"])),
    )
    assert box[2] - box[0] > 400 and box[3] - box[1] > 400, f"the visible diagram area is too small: {box}"
    ratio = ink_ratio(image, box)
    assert 0.03 < ratio < 0.6, f"ink ratio {ratio:.3f} over the diagram: blank or a smudge"


def test_map_command_prints_the_dot_or_writes_a_file(
    demo_map: ClusterMap, tmp_path: FilePath, capsys: pytest.CaptureFixture[str]
) -> None:
    from ackwb.cli import main

    assert main(["map"]) == 0
    assert capsys.readouterr().out == demo_map.dot
    assert main(["map", "-o", str(tmp_path / "map.gv")]) == 0
    assert (tmp_path / "map.gv").read_text(encoding="utf-8") == demo_map.dot
    assert "4 domains" in capsys.readouterr().err
    assert main(["map", "-o", str(tmp_path / "map.png")]) == 2
    assert "map.png" in capsys.readouterr().err
