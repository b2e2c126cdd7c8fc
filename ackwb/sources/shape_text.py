"""The notation of the shape tables: ``"path kind; path kind"`` read into a dict (see ``shape_rules``)."""

from __future__ import annotations

Rules = dict[str, str]


def rules(text: str) -> Rules:
    """``"path kind; path kind"`` (or one pair per line) as a dict."""
    pairs = (item.split() for item in text.replace("\n", ";").split(";") if item.strip())
    return {path: kind for path, kind in pairs}
