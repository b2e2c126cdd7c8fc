"""Plain-text rendering for the terminal: the hop table and the findings of ``ackwb trace``.

The command line must stay as light as ``import ackwb``, so this module uses neither
pandas nor Graphviz. Columns are aligned by display width, not by character count:
Chinese characters take two terminal cells (``unicodedata.east_asian_width`` "W"/"F"),
combining marks take none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from ackwb.model import Finding

COLUMN_GAP = "  "


def display_width(text: str) -> int:
    """How many terminal cells ``text`` occupies."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def truncate(text: str, max_width: int) -> str:
    """``text`` cut to at most ``max_width`` cells with "…" in the middle, so that both the start
    and the distinguishing end of long ids (``…-7rd2bmgfrg-zjxcw``) stay visible."""
    if display_width(text) <= max_width:
        return text
    budget = max(max_width - 1, 0)
    head = _take(text, (budget + 1) // 2)
    tail = _take(text[::-1], budget - display_width(head))[::-1]
    return head + "…" + tail


def _take(text: str, width: int) -> str:
    """The longest prefix of ``text`` that fits in ``width`` cells."""
    kept, used = [], 0
    for ch in text:
        used += display_width(ch)
        if used > width:
            break
        kept.append(ch)
    return "".join(kept)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def hop_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, max_width: int = 60
) -> str:
    """Rows as an aligned text table with a header and a dashed rule.

    ``columns`` picks and orders columns (default: every key, in order of first appearance);
    cells wider than ``max_width`` cells are cut with "…". Line breaks in cells become spaces.
    """
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    if not columns:
        return "(no rows)"
    cells = [[truncate(_cell(row.get(c)), max_width) for c in columns] for row in rows]
    header = [truncate(_cell(c), max_width) for c in columns]
    widths = [max(display_width(text) for text in column) for column in zip(header, *cells, strict=True)]
    lines = [_line(header, widths), COLUMN_GAP.join("-" * w for w in widths)]
    lines.extend(_line(r, widths) for r in cells)
    return "\n".join(lines)


def findings_text(findings: Iterable[Finding]) -> str:
    """One block per finding: severity, code, hop and message, then evidence and the check command."""
    blocks = []
    for f in findings:
        code, hop, message = (_single_line(t) for t in (f.code, f.hop, f.message))
        lines = [f"{f.severity.value.upper():<7} {code} [{hop}]: {message}"]
        for e in f.evidence:
            lines.append("        " + _single_line(f"evidence: {e.source} {e.locator}: {e.excerpt}"))
        if f.check:
            lines.append("        " + _single_line(f"check: {f.check}"))
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if blocks else "No findings."


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [pad(c, w) for c, w in zip(cells, widths, strict=True)]
    return COLUMN_GAP.join(padded).rstrip()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_cell(v) for v in value)
    return _single_line(str(getattr(value, "value", value)))


def _single_line(text: str) -> str:
    """Line breaks and tabs become spaces; other control characters (terminal escapes) are dropped."""
    if any(ch in text for ch in "\n\r\t\v\f"):
        text = " ".join(text.split())
    return terminal_text(text)


# Characters that reorder what follows them on screen (bidirectional overrides and isolates).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def terminal_text(text: str, keep: str = "") -> str:
    """``text`` safe to print on a terminal: control characters (ESC and the other C0/C1 codes that
    start terminal escapes, carriage returns that overwrite a line) and bidirectional overrides are
    dropped; the characters in ``keep`` (for example a newline) stay."""
    if text.isprintable() and text.isascii():  # the usual case, checked fast
        return text
    return "".join(
        ch
        for ch in text
        if ch in keep or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI_CONTROLS)
    )
