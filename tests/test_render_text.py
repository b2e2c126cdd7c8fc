"""Terminal rendering: columns aligned by display width (Chinese is two cells wide), findings text."""

from __future__ import annotations

import pytest

from ackwb.model import Evidence, Finding, Severity
from ackwb.render.text import display_width, findings_text, hop_table, truncate


@pytest.mark.parametrize(
    ("text", "width"),
    [("abc", 3), ("服务", 4), ("查看域名的 IP", 13), ("e\u0301", 1), ("ＡＢ", 4), ("", 0), ("…", 1)],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


ROWS = [
    {"hop": "dns:app1", "what": "查看域名的 IP", "verdict": "ok"},
    {"hop": "lb:lb-bp1public", "what": "public-lb", "verdict": "blocked"},
    {"hop": "pod:应用", "what": "Pod 10.17.10.91", "verdict": "unknown"},
]


def column_starts(line: str, cells: list[str]) -> list[int]:
    """Display column at which each cell's text starts in ``line``."""
    starts, offset = [], 0
    for cell in cells:
        index = line.index(cell, offset)
        starts.append(display_width(line[:index]))
        offset = index + len(cell)
    return starts


def test_columns_line_up_with_chinese_text() -> None:
    lines = hop_table(ROWS).splitlines()
    assert len(lines) == 2 + len(ROWS)
    expected = column_starts(lines[0], ["hop", "what", "verdict"])
    assert expected[1] == display_width("lb:lb-bp1public") + 2  # widest cell plus the gap
    assert expected[2] == expected[1] + display_width("Pod 10.17.10.91") + 2
    for line, row in zip(lines[2:], ROWS, strict=True):
        assert column_starts(line, list(row.values())) == expected
    assert set(lines[1].replace(" ", "")) == {"-"}


def test_columns_can_be_chosen_and_long_cells_cut_in_the_middle() -> None:
    rows = [{"a": "controller:kube-system/" + "x" * 100 + "-zjxcw", "b": "服" * 40}]
    text = hop_table(rows, columns=["b", "a"], max_width=20)
    header, _, line = text.splitlines()
    assert header.startswith("b")
    first, second = line.split("  ")
    assert display_width(first) == 19 and first == "服" * 5 + "…" + "服" * 4  # 19: no half characters
    assert display_width(second) == 20 and second.startswith("controlle") and second.endswith("x-zjxcw")
    assert second.count("…") == 1


def test_cells_are_single_line_and_free_of_terminal_escapes() -> None:
    text = hop_table([{"a": "one\ntwo", "b": "\x1b[31mred", "c": None, "d": ["x", "y"]}])
    line = text.splitlines()[2]
    assert "one two" in line and "\x1b" not in text and "x, y" in line


def test_truncate_never_exceeds_width() -> None:
    for width in range(1, 12):
        cut = truncate("服务服务服务abc", width)
        assert display_width(cut) <= width and cut.count("…") == 1
    assert truncate("short", 5) == "short"


def test_empty_table() -> None:
    assert hop_table([]) == "(no rows)"


def test_findings_text() -> None:
    findings = [
        Finding(
            "LB_ACL_DENIES_CLIENT",
            Severity.ERROR,
            "acl:1",
            "the ACL denies 198.51.100.77\n(whitelist)",
            (Evidence("slb:DescribeAccessControlListAttribute", "AclEntrys[0]", "192.0.2.0/24"),),
            check="aliyun slb DescribeAccessControlListAttribute --AclId acl-1",
        ),
        Finding("POD_NOT_READY", Severity.WARNING, "pod:1", "not ready"),
    ]
    text = findings_text(findings)
    lines = text.splitlines()
    assert lines[0] == "ERROR   LB_ACL_DENIES_CLIENT [acl:1]: the ACL denies 198.51.100.77 (whitelist)"
    assert "slb:DescribeAccessControlListAttribute AclEntrys[0]: 192.0.2.0/24" in lines[1]
    assert lines[2].strip() == "check: aliyun slb DescribeAccessControlListAttribute --AclId acl-1"
    assert lines[3].startswith("WARNING POD_NOT_READY [pod:1]")
    assert findings_text([]) == "No findings."
