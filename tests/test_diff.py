"""``ackwb diff`` and ``ackwb.diff``: what changed along each path between two worlds, hop by hop.

The comparison rules are checked on small hand-made traces; the whole chain (two worlds,
every domain traced, the table, the highlighted diagram, the command) on the demo world
and on copies of it edited in a temporary folder, and on every broken demo scenario.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path as FilePath

import pytest

import ackwb.render  # noqa: F401  (registers the presenter that draws diffs)
from ackwb import Workbook
from ackwb.cli import main
from ackwb.demo import demo_world_root
from ackwb.diff import TraceDiff, WorldDiff, diff_traces
from ackwb.model import Client, Edge, Evidence, Finding, Hop, Path, Severity, StepResult, Trace, Verdict
from ackwb.render.diffview import diff_diagram, diff_text
from ackwb.render.dot import HIGHLIGHT_STYLE

BROKEN_SCENARIOS = sorted(set(Workbook.scenarios()) - {"healthy"})


def trace(hops: list[Hop], edges: list[Edge] = (), findings: list[Finding] = (), world: str = "w") -> Trace:
    step = StepResult(step="s", title="s", domain="d", hops=hops, edges=list(edges), findings=list(findings))
    return Trace(domain="d", client=Client(), world=world, steps=[step])


def finding(code: str, hop: str, message: str = "m", severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, severity, hop, message, (Evidence("src", "loc", "x"),))


LB = Hop(id="lb:1", kind="lb", label="public-lb 203.0.113.10", details=(("type", "internet"),))
POD = Hop(id="pod:a/p", kind="pod", label="Pod p", details=(("ready", "True"), ("restarts", "0")))


# --- the comparison rules -------------------------------------------------------------------


def test_identical_traces_differ_in_nothing() -> None:
    before = trace([LB, POD], [Edge("lb:1", "pod:a/p")], [finding("X", "lb:1")])
    after = trace([LB, POD], [Edge("lb:1", "pod:a/p")], [finding("X", "lb:1")], world="other")
    diff = diff_traces(before, after)
    assert not diff and diff.rows == [] and diff.edge_changes == {}


def test_verdict_change_names_what_changed() -> None:
    broken = Hop(
        id=POD.id,
        kind="pod",
        label=POD.label,
        verdict=Verdict.BLOCKED,
        details=(("ready", "False"), ("restarts", "0")),
    )
    diff = diff_traces(trace([LB, POD]), trace([LB, broken]))
    [change] = diff.hop_changes
    assert (change.hop, change.change) == ("pod:a/p", "verdict")
    assert change.before == "verdict: ok; ready: True" and change.after == "verdict: blocked; ready: False"


@pytest.mark.parametrize(
    ("changed", "text"),
    [
        (Hop(id=POD.id, kind="pod", label="Pod p renamed", details=POD.details), "label: Pod p renamed"),
        (
            Hop(id=POD.id, kind="pod", label=POD.label, path=Path.IN_CLUSTER, details=POD.details),
            "path: in-cluster",
        ),
        (Hop(id=POD.id, kind="pod", label=POD.label, details=(("ready", "True"),)), "restarts: (none)"),
        (Hop(id=POD.id, kind="pod", label=POD.label, details=(*POD.details, ("node", "n1"))), "node: n1"),
    ],
)
def test_label_path_and_detail_changes(changed: Hop, text: str) -> None:
    [change] = diff_traces(trace([LB, POD]), trace([LB, changed])).hop_changes
    assert change.change == "details" and text in change.after


def test_added_and_removed_hops_and_edges() -> None:
    svc = Hop(id="service:a/s", kind="service", label="Service s")
    before = trace([LB, POD], [Edge("lb:1", "pod:a/p")])
    after = trace([LB, svc], [Edge("lb:1", "service:a/s")])
    diff = diff_traces(before, after)
    assert [(c.hop, c.change) for c in diff.hop_changes] == [("service:a/s", "added"), ("pod:a/p", "removed")]
    assert diff.hop_changes[0].after == "ok: Service s" and diff.hop_changes[1].before == "ok: Pod p"
    assert diff.edge_changes == {("lb:1", "pod:a/p"): "removed", ("lb:1", "service:a/s"): "added"}


def test_findings_added_removed_and_reworded() -> None:
    before = trace(
        [LB], findings=[finding("GONE", "lb:1"), finding("SAME", "lb:1"), finding("WORDS", "lb:1", "old")]
    )
    after = trace(
        [LB], findings=[finding("SAME", "lb:1"), finding("WORDS", "lb:1", "new"), finding("NEW", "lb:1")]
    )
    changes = {(c.code, c.change): (c.before, c.after) for c in diff_traces(before, after).finding_changes}
    assert changes == {
        ("WORDS", "changed"): ("error: old", "error: new"),
        ("NEW", "added"): ("", "error: m"),
        ("GONE", "removed"): ("error: m", ""),
    }


def test_rows_list_hops_then_findings() -> None:
    diff = diff_traces(trace([LB]), trace([LB, POD], findings=[finding("NEW", "pod:a/p")]))
    assert [(r["item"], r["id"], r["change"]) for r in diff.rows] == [
        ("hop", "pod:a/p", "added"),
        ("finding", "pod:a/p", "added"),
    ]
    assert set(diff.rows[0]) == {"domain", "item", "id", "kind", "change", "before", "after"}


def test_diagram_highlights_changed_added_and_removed() -> None:
    svc = Hop(id="service:a/s", kind="service", label="Service s")
    broken_lb = Hop(id=LB.id, kind="lb", label=LB.label, verdict=Verdict.BLOCKED, details=LB.details)
    before = trace([LB, POD], [Edge("lb:1", "pod:a/p")])
    after = trace([broken_lb, svc], [Edge("lb:1", "service:a/s")])
    dot = diff_traces(before, after).diagram().dot
    lines = {line.split('"')[1]: line for line in dot.splitlines() if line.startswith('    "')}
    assert "changed" in lines["lb:1"] and HIGHLIGHT_STYLE["changed"][0] in lines["lb:1"]
    assert "BLOCKED" in lines["lb:1"] and "CHANGED" in lines["lb:1"]
    assert "added" in lines["service:a/s"] and HIGHLIGHT_STYLE["added"][0] in lines["service:a/s"]
    assert "removed" in lines["pod:a/p"] and "dashed" in lines["pod:a/p"]
    removed_edge = next(line for line in dot.splitlines() if '"lb:1" -> "pod:a/p"' in line)
    assert "style=dashed" in removed_edge and "removed" in removed_edge
    for legend in ("orange bold box: changed", "green box: added", "dashed white box: removed"):
        assert legend in dot


def test_unknown_highlight_mark_is_refused() -> None:
    from ackwb.render.dot import to_dot

    with pytest.raises(ValueError, match="unknown diff mark"):
        to_dot([LB], [], highlight={"lb:1": "moved"})


# --- worlds -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def healthy() -> Workbook:
    return Workbook.demo()


def edited_world(folder: FilePath, edit) -> FilePath:
    root = folder / "world"
    shutil.copytree(str(demo_world_root()), root)
    edit(root)
    return root


def app1_pod_name(root: FilePath) -> str:
    pods = json.loads((root / "kube" / "pods.json").read_text(encoding="utf-8"))["items"]
    return next(p["metadata"]["name"] for p in pods if p["metadata"]["labels"].get("app") == "app1-service")


def make_app1_pod_unready(root: FilePath) -> None:
    path = root / "kube" / "pods.json"
    pods = json.loads(path.read_text(encoding="utf-8"))
    for pod in pods["items"]:
        if pod["metadata"]["labels"].get("app") == "app1-service":
            for condition in pod["status"]["conditions"]:
                if condition["type"] in ("Ready", "ContainersReady"):
                    condition["status"] = "False"
            for status in pod["status"]["containerStatuses"]:
                status["ready"] = False
    path.write_text(json.dumps(pods, indent=2), encoding="utf-8")


def test_healthy_world_against_itself_lists_nothing(healthy: Workbook) -> None:
    result = healthy.diff(Workbook.demo())
    assert isinstance(result, WorldDiff) and not result
    assert [d.domain for d in result.diffs] == healthy.domains()
    assert result.rows == [] and result.changed == []
    assert "no differences in 4 domains" in diff_text(result)


def test_unready_pod_changes_exactly_its_hop(healthy: Workbook, tmp_path: FilePath) -> None:
    root = edited_world(tmp_path, make_app1_pod_unready)
    result = healthy.diff(Workbook.from_world(root))
    assert [d.domain for d in result.changed] == ["app1.qas.abc.com"]
    app1 = result.domain("app1.qas.abc.com")
    assert isinstance(app1, TraceDiff)
    pod_hop = f"pod:app/{app1_pod_name(root)}"
    assert app1.changed_hops == {pod_hop: "verdict"}
    [change] = app1.hop_changes
    assert "ready: True" in change.before and "ready: False" in change.after
    assert {c.hop for c in app1.finding_changes} <= {pod_hop}
    assert any(c.change == "added" for c in app1.finding_changes)


def test_one_domain_only(healthy: Workbook, tmp_path: FilePath) -> None:
    root = edited_world(tmp_path, make_app1_pod_unready)
    result = healthy.diff(Workbook.from_world(root), "app2.qas.abc.com")
    assert [d.domain for d in result.diffs] == ["app2.qas.abc.com"] and not result


def test_world_diff_diagram_and_html(healthy: Workbook, tmp_path: FilePath) -> None:
    root = edited_world(tmp_path, make_app1_pod_unready)
    result = healthy.diff(Workbook.from_world(root))
    dot = diff_diagram(result).dot
    pod_line = next(
        line for line in dot.splitlines() if line.startswith(f'    "pod:app/{app1_pod_name(root)}"')
    )
    assert "changed" in pod_line and "BLOCKED" in pod_line
    assert "app2-service" not in dot, "unchanged domains are left out of the diagram"
    page = result._repr_html_()
    assert "2 changes in 1 of 4 domains" in page or re.search(r"\d+ changes? in 1 of 4 domains", page)
    assert app1_pod_name(root) in page


def scenario_client(scenario: str) -> dict[str, object]:
    """The client a scenario's world.json says to try (its broken hop may depend on it)."""
    meta = json.loads(demo_world_root(scenario).joinpath("world.json").read_text(encoding="utf-8"))
    tried = meta.get("try", {})
    return {key: tried[key] for key in ("client_ip", "port", "path") if key in tried}


@pytest.mark.parametrize(
    "scenario", BROKEN_SCENARIOS or [pytest.param("none", marks=pytest.mark.skip(reason="no scenarios yet"))]
)
def test_every_scenario_changes_a_verdict_or_adds_a_finding(healthy: Workbook, scenario: str) -> None:
    result = healthy.diff(Workbook.demo(scenario), **scenario_client(scenario))
    assert result, f"scenario {scenario} changes nothing along any path"
    assert any(
        (row["item"] == "hop" and row["change"] in ("verdict", "removed"))
        or (row["item"] == "finding" and row["change"] == "added")
        for row in result.rows
    ), f"scenario {scenario}: no hop changed its verdict and no finding was added: {result.rows}"


def test_acl_scenario_lists_exactly_the_listeners_it_changed(
    healthy: Workbook, capsys: pytest.CaptureFixture[str]
) -> None:
    """The office range left private-lb's ACL: only app3's listeners change, they refuse the client,
    and every hop behind them is not reached any more."""
    client = scenario_client("lb-acl-entry-removed")
    broken = Workbook.demo("lb-acl-entry-removed")
    result = healthy.diff(broken, **client)
    [app3] = result.changed
    assert app3.domain == "app3.qas.abc.com"
    listeners = [h.id for h in healthy.trace(app3.domain, **client).hops if h.kind == "listener"]
    behind = [h.id for h in broken.trace(app3.domain, **client).hops if h.verdict is Verdict.NOT_REACHED]
    assert {h.split(":")[0] for h in behind} >= {"backend", "node", "controller", "ingress"}
    # every listener shows its decision for the client: the ACL (on all of them) now refuses it
    expected = dict.fromkeys(listeners, "verdict") | dict.fromkeys(behind, "verdict")
    assert app3.changed_hops == expected
    assert ("LB_ACL_DENIES_CLIENT", "added") in {(c.code, c.change) for c in app3.finding_changes}

    argv = ["diff", "healthy", "lb-acl-entry-removed", "--client-ip", str(client["client_ip"])]
    assert main(argv) == 1
    hop_lines = [line for line in capsys.readouterr().out.splitlines() if " hop " in line]
    assert sorted(line.split()[2] for line in hop_lines) == sorted(expected)


# --- the command ------------------------------------------------------------------------------


def test_cli_lists_the_changed_hop_and_exits_1(
    tmp_path: FilePath, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_world(tmp_path, make_app1_pod_unready)
    svg = tmp_path / "changes.dot"
    assert main(["diff", "healthy", str(root), "-o", str(svg)]) == 1
    out = capsys.readouterr().out
    assert f"pod:app/{app1_pod_name(root)}" in out and "verdict" in out
    assert "app2.qas.abc.com" not in out
    assert "changed" in svg.read_text(encoding="utf-8")


def test_cli_same_world_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "healthy", "healthy", "--domain", "app3.qas.abc.com"]) == 0
    assert "no differences in 1 domain" in capsys.readouterr().out


def test_cli_bad_world_is_one_clear_line(tmp_path: FilePath, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "healthy", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ackwb: ") and "nowhere" in err and "neither a demo scenario" in err
    assert "Traceback" not in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_graphviz_draws_a_diff_without_warnings(healthy: Workbook, tmp_path: FilePath) -> None:
    import subprocess

    root = edited_world(tmp_path, make_app1_pod_unready)
    dot = diff_diagram(healthy.diff(Workbook.from_world(root))).dot
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr.decode().strip() == ""
