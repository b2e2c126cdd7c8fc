"""The README agrees with the repository: its notebook table, the demo world, the exit statuses.

A newcomer reads the README first; each check here is something it once got wrong: a notebook
table that left notebooks out, "both load balancers" in a world that has three, and an exit
status of ``ackwb diff`` that a script relies on but nobody had written down.
"""

from __future__ import annotations

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
