"""Lazy, cached access to the files of a stored world (a directory or a packaged resource tree).

A world is read file by file, only when a query needs the file, and each file is read at
most once. The root may be a ``pathlib.Path`` or an ``importlib.resources`` Traversable,
so the same code reads the demo world inside the installed package and a world on disk.
Names that come from queries (IDs, pod names, node IPs) never leave the world's tree.
"""

from __future__ import annotations

import json
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ackwb.errors import SourceError

MISSING = object()


def safe_name(name: str) -> bool:
    """True when ``name`` can be one path component inside the world (no ``/``, ``..`` tricks)."""
    return (
        bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name
    )


class WorldFiles:
    """The files of one world; ``label`` names the world in error messages."""

    def __init__(self, root: Path | Traversable, label: str) -> None:
        self.root = root
        self.label = label
        self._text: dict[str, str | None] = {}
        self._json: dict[str, Any] = {}

    def _node(self, relative: str) -> Traversable | Path:
        node: Traversable | Path = self.root
        for part in relative.split("/"):
            node = node.joinpath(part)
        return node

    def is_dir(self, relative: str) -> bool:
        return self._node(relative).is_dir()

    def names(self, folder: str) -> list[str]:
        """File names directly inside ``folder`` (empty when the folder is absent)."""
        node = self._node(folder)
        if not node.is_dir():
            return []
        return sorted(child.name for child in node.iterdir() if child.is_file())

    def text(self, relative: str) -> str | None:
        """The file's text, or None when the world does not hold it."""
        if relative not in self._text:
            node = self._node(relative)
            try:
                self._text[relative] = node.read_text(encoding="utf-8") if node.is_file() else None
            except (OSError, UnicodeDecodeError) as error:
                raise SourceError(f"world {self.label}", f"cannot read {relative}: {error}") from error
        return self._text[relative]

    def json(self, relative: str) -> Any:
        """The file's parsed JSON, or None when the world does not hold it."""
        cached = self._json.get(relative, MISSING)
        if cached is not MISSING:
            return cached
        raw = self.text(relative)
        value = None
        if raw is not None:
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as error:
                raise SourceError(
                    f"world {self.label}", f"{relative} is not valid JSON (line {error.lineno}): {error.msg}"
                ) from error
        self._json[relative] = value
        return value


def plain_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars); several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_copy(item) for item in value]
    return value
