"""The README agrees with the repository: its notebook table, the demo world, the exit statuses.

A newcomer reads the README first; each check here is something it once got wrong: a notebook
table that left notebooks out, "both load balancers" in a world that has three, and an exit
status of ``ackwb diff`` that a script relies on but nobody had written down.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NUMBER_WORDS = {2: ("both", "two"), 3: ("three",), 4: ("four",)}


def section(title: str) -> str:
    """The text of the README's ``## title`` section, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no section '## {title}'"
    return match.group(1)


def notebook_table_names() -> list[str]:
    """The first column of the table under '## The notebooks', without backticks."""
    rows = [line for line in section("The notebooks").splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]


def test_notebook_table_lists_every_notebook_once() -> None:
    names = notebook_table_names()
    assert len(names) == len(set(names)), f"a notebook is listed twice: {names}"
    on_disk = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(names) == on_disk, (
        f"README's notebook table {sorted(names)} differs from notebooks/*.ipynb {on_disk}"
    )


def test_demo_world_section_names_every_load_balancer_and_their_number() -> None:
    sys.path.insert(0, str(ROOT))
    from ackwb import Workbook

    balancers = {row["load balancer"].split()[0] for row in Workbook.demo().cluster_map().rows}
    text = section("The demo world")
    for name in balancers:
        assert f"`{name}`" in text, f"the demo world section does not name {name}"
    wrong = [words for count, words in NUMBER_WORDS.items() if count != len(balancers)]
    for words in wrong:
        for word in words:
            assert not re.search(rf"\b{word} load balancers\b", text, re.I), (
                f"README says '{word} load balancers' but the demo world has {len(balancers)}"
            )
    right = NUMBER_WORDS[len(balancers)]
    assert any(re.search(rf"\b{word} load balancers\b", text, re.I) for word in right)


def test_diff_exit_status_is_documented_and_true() -> None:
    text = section("Command line")
    assert re.search(r"`diff`.*?exits 0 when.*?1 when it found changes", text, re.S)
    ackwb = [sys.executable, "-m", "ackwb.cli"]
    same = subprocess.run([*ackwb, "diff", "healthy", "healthy"], capture_output=True, timeout=120)
    changed = subprocess.run([*ackwb, "diff", "healthy", "pod-crashloop"], capture_output=True, timeout=120)
    assert (same.returncode, changed.returncode) == (0, 1)


def test_status_does_not_call_shown_features_unshown() -> None:
    status = section("Status")
    assert not re.search(r"canary[^.]*not yet shown", status), "04_ingress shows canary splits"
    assert "--output wide" in README, "the README should say how to see the trace's cells whole"


def subsection(title: str) -> str:
    """The text under a ``### title`` heading, up to the next heading of level 2 or 3."""
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^##+ |\Z)", README, re.S | re.M)
    assert match, f"README has no section '### {title}'"
    return match.group(1)


def test_json_section_names_every_top_level_field_of_the_schema() -> None:
    import json

    schema = json.loads((ROOT / "ackwb" / "render" / "trace.schema.json").read_text(encoding="utf-8"))
    text = subsection("JSON")
    assert f'"{schema["properties"]["schema"]["const"]}"' in text
    missing = [name for name in schema["properties"] if f"`{name}`" not in text]
    assert not missing, f"the README's JSON section leaves out {missing}"


def test_every_verdict_is_explained_and_the_exit_statuses_are_true() -> None:
    sys.path.insert(0, str(ROOT))
    from ackwb.model import Verdict

    text = section("Verdicts, exit statuses and the JSON output")
    rows = {re.match(r"\| `([^`]+)`", line).group(1) for line in text.splitlines() if line.startswith("| `")}
    assert rows == {v.value for v in Verdict}, rows
    said = r"exits 0 when the verdict is `ok` or `depends on the client`, 1 when it is\s+`blocked`"
    assert re.search(said, text)
    ackwb = [sys.executable, "-m", "ackwb.cli", "trace"]
    runs = {
        "ok": [*ackwb, "app1.qas.abc.com"],
        "depends": [*ackwb, "app3.qas.abc.com"],
        "blocked": [*ackwb, "app1.qas.abc.com", "--scenario", "lb-listener-stopped"],
        "bad input": [*ackwb, "not a host!"],
    }
    codes = {}
    for name, command in runs.items():
        codes[name] = subprocess.run(command, capture_output=True, timeout=120).returncode
    assert codes == {"ok": 0, "depends": 0, "blocked": 1, "bad input": 2}


def test_the_worlds_table_lists_every_design_and_its_scenarios() -> None:
    sys.path.insert(0, str(ROOT))
    from ackwb import Workbook

    text = section("Built-in worlds: five designs and broken worlds to practise on")
    for design, worlds in Workbook.worlds().items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{design}` |")), None)
        assert row, f"the worlds table has no row for {design}"
        named = set(re.findall(r"`([a-z0-9-]+)`", row.split("|")[-2]))
        assert named == {w.name for w in worlds if w.name != design}, (design, named)


COUNTED = {"two": 2, "four": 4, "six": 6, "nine": 9}


def hosts_in_cell(cell: str) -> set[str] | int:
    """The first labels a worlds-table hosts cell names (`app1`–`app4.qas.abc.com` is a range), or
    the number it gives ("nine `*.tnl.abc.com` hosts")."""
    counted = re.match(r"\s*([a-z]+) `\*\.", cell)
    if counted:
        return COUNTED[counted.group(1)]
    ranged = re.fullmatch(r"\s*`([a-z]+)(\d+)`–`\1(\d+)\.[a-z.]+`\s*", cell)
    if ranged:
        prefix, first, last = ranged.group(1), int(ranged.group(2)), int(ranged.group(3))
        return {f"{prefix}{i}" for i in range(first, last + 1)}
    return {name.split(".")[0] for name in re.findall(r"`([a-z0-9.*-]+)`", cell)}


def test_the_worlds_table_names_every_host_of_each_design() -> None:
    """The hosts column agrees with each design world's Alidns zone (Ingress and L4 hosts alike)."""
    text = section("Built-in worlds: five designs and broken worlds to practise on")
    header = next(line for line in text.splitlines() if line.startswith("| design world |"))
    column = [c.strip() for c in header.split("|")].index("hosts")
    for design in ("healthy", "flannel-nodeport", "terway-nlb", "terway-eni-https"):
        row = next(line for line in text.splitlines() if line.startswith(f"| `{design}` |"))
        zone = ROOT / "ackwb/demo/worlds" / design / "cloud/alidns/DescribeDomainRecords/abc.com.json"
        records = json.loads(zone.read_text())["DomainRecords"]["Record"]
        labels = {r["RR"].split(".")[0] for r in records}
        named = hosts_in_cell(row.split("|")[column])
        assert named == (len(labels) if isinstance(named, int) else labels), (design, named, labels)


def test_permissions_name_every_resource_and_action_the_code_reads() -> None:
    sys.path.insert(0, str(ROOT))
    from ackwb.sources.cloud_actions import ALLOWED_ACTIONS

    text = subsection("Permissions (read-only)")
    actions = [f"{product}:{action}" for product, action in sorted(ALLOWED_ACTIONS)]
    missing = [a for a in actions if f"`{a}`" not in text]
    assert not missing, f"RAM actions on the allow-list that the README does not name: {missing}"
    rbac = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    granted = {r for line in re.findall(r"resources: \[([^\]]*)\]", rbac) for r in re.split(r",\s*", line)}
    code = [*(ROOT / "ackwb" / "steps").rglob("*.py"), *(ROOT / "ackwb").glob("*.py")]
    read = {m for path in code for m in re.findall(r'kube\.(?:get|list)\(\s*"([a-z]+)"', path.read_text())}
    assert read and read <= granted, f"resources read but not granted: {sorted(read - granted)}"
