"""DOT output: golden files per case in tests/golden, order independence, escaping, colours.

Each ``tests/golden/<case>.json`` holds hops and edges as plain data; ``<case>.dot`` is the
exact text ``to_dot`` must produce. A case marked ``"whole_path": true`` is drawn the way a
trace's whole-path diagram is: parallel branches folded, top to bottom. After an intended
change, regenerate the golden files with ``ACKWB_UPDATE_GOLDEN=1 pytest
tests/test_render_dot.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path as FilePath

import pytest

from ackwb.model import Edge, Hop, Path, Verdict
from ackwb.render.dot import layer_of, to_dot, unquote_id
from ackwb.render.fold import fold_parallel

GOLDEN = FilePath(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def load_case(name: str) -> tuple[list[Hop], list[Edge], str]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    hops = [
        Hop(
            id=h["id"],
            kind=h["kind"],
            label=h["label"],
            path=Path(h.get("path", "request")),
            verdict=Verdict(h.get("verdict", "ok")),
            details=tuple(tuple(d) for d in h.get("details", [])),
        )
        for h in data["hops"]
    ]
    edges = [
        Edge(e["src"], e["dst"], e.get("label", ""), Path(e.get("path", "request"))) for e in data["edges"]
    ]
    if data.get("whole_path"):
        hops, edges = fold_parallel(hops, edges)
    return hops, edges, data.get("title", "")


def draw(case: str, hops: list[Hop], edges: list[Edge], title: str) -> str:
    """``to_dot`` as the case asks: top to bottom for a whole-path case, else left to right."""
    whole = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8")).get("whole_path", False)
    return to_dot(hops, edges, title, rankdir="TB" if whole else "LR")


def test_there_are_golden_cases() -> None:
    assert "article" in CASES and len(CASES) >= 2


@pytest.mark.parametrize("case", CASES)
def test_dot_matches_golden_file(case: str) -> None:
    hops, edges, title = load_case(case)
    text = draw(case, hops, edges, title)
    golden = GOLDEN / f"{case}.dot"
    if os.environ.get("ACKWB_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run with ACKWB_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_input_order_does_not_change_the_dot(case: str, seed: int) -> None:
    hops, edges, title = load_case(case)
    shuffled_hops, shuffled_edges = hops[:], edges[:]
    rng = random.Random(seed)
    rng.shuffle(shuffled_hops)
    rng.shuffle(shuffled_edges)
    assert (shuffled_hops, shuffled_edges) != (hops, edges)
    assert draw(case, shuffled_hops, shuffled_edges, title) == draw(case, hops, edges, title)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("case", CASES)
def test_graphviz_accepts_the_dot_without_warnings(case: str) -> None:
    hops, edges, title = load_case(case)
    done = subprocess.run(
        ["dot", "-Tsvg"],
        input=draw(case, hops, edges, title).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().strip() == ""
    svg = done.stdout.decode()
    for hop in hops:  # every hop is a node, named by its id
        assert f"<title>{_xml(hop.id)}</title>" in svg


def test_article_case_draws_three_paths_and_both_verdicts() -> None:
    hops, edges, title = load_case("article")
    text = to_dot(hops, edges, title)
    edge_lines = [line for line in text.splitlines() if " -> " in line]
    assert len(edge_lines) == len(set(edges))
    classes = ("request", "in-cluster", "egress")
    by_class = {cls: [line for line in edge_lines if f'[class="{cls}"' in line] for cls in classes}
    assert all("#1f3a93" in line and "style=solid" in line for line in by_class["request"])
    assert all("style=dashed" in line for line in by_class["in-cluster"])
    assert all("#d6336c" in line for line in by_class["egress"])
    assert [len(v) for v in by_class.values()] == [11, 3, 3]
    assert "curl app1-service.app:8080" in text
    blocked = next(line for line in text.splitlines() if line.strip().startswith('"acl:'))
    assert "#c0392b" in blocked and "BLOCKED" in blocked and "shape=note" in blocked
    unknown = next(line for line in text.splitlines() if line.strip().startswith('"ipvs:'))
    assert "dashed" in unknown and "UNKNOWN" in unknown
    assert "查看域名的 IP" in text and "办公室" in text


def test_clusters_follow_the_article_left_to_right() -> None:
    hops, edges, title = load_case("article")
    text = to_dot(hops, edges, title)
    order = [line.split('"')[1] for line in text.splitlines() if line.strip().startswith("subgraph")]
    assert order == [
        "cluster_client",
        "cluster_lb",
        "cluster_node",
        "cluster_ingress",
        "cluster_service",
        "cluster_proxy",
        "cluster_pod",
        "cluster_egress",
    ]


@pytest.mark.parametrize(
    ("kind", "path", "layer"),
    [
        ("listener", Path.REQUEST, "lb"),
        ("backend", Path.REQUEST, "node"),
        ("pod", Path.EGRESS, "pod"),
        ("service", Path.IN_CLUSTER, "service"),
        ("route", Path.EGRESS, "egress"),
        ("weird", Path.EGRESS, "egress"),
        ("weird", Path.REQUEST, "other"),
        ("IPVS", Path.IN_CLUSTER, "proxy"),
    ],
)
def test_layer_of(kind: str, path: Path, layer: str) -> None:
    assert layer_of(Hop(id="h", kind=kind, label="h", path=path)) == layer


def test_text_is_escaped_and_ids_stay_distinct() -> None:
    hops = [
        Hop(id='a"b', kind="pod", label="<script>x</script> & 服务"),
        Hop(id='a\\"b', kind="pod", label="y"),
    ]
    text = to_dot(hops, [Edge('a"b', 'a\\"b', label="<b>")])
    assert "<script>" not in text and "&lt;script&gt;x&lt;/script&gt; &amp; 服务" in text
    assert "&lt;b&gt;" in text
    assert '"a%22b"' in text and '"a%5C%22b"' in text
    assert unquote_id("a%5C%22b%25") == 'a\\"b%'


def test_duplicate_hops_keep_the_worst_verdict() -> None:
    ok = Hop(id="p", kind="pod", label="fine")
    bad = Hop(id="p", kind="pod", label="broken", verdict=Verdict.BLOCKED)
    for hops in ([ok, bad], [bad, ok]):
        text = to_dot(hops, [])
        assert "broken" in text and "fine" not in text


def test_edge_to_an_undescribed_hop_is_drawn_as_unknown() -> None:
    text = to_dot([Hop(id="a", kind="pod", label="a")], [Edge("a", "ghost")])
    ghost = next(line for line in text.splitlines() if line.strip().startswith('"ghost" ['))
    assert "UNKNOWN" in ghost and "not traced" in ghost


def test_no_legend_without_edges() -> None:
    assert "ackwb:legend" not in to_dot([Hop(id="a", kind="pod", label="a")], [])


def _xml(text: str) -> str:
    from ackwb.render.dot import _quote

    escaped = _quote(text)[1:-1].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("-", "&#45;")
