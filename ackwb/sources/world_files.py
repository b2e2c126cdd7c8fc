"""Lazy, cached access to the files of a stored world (a directory or a packaged resource tree).

A world is read file by file, only when a query needs the file, and each file is read at
most once. The root may be a ``pathlib.Path`` or an ``importlib.resources`` Traversable,
so the same code reads the demo world inside the installed package and a world on disk.
Names that come from queries (IDs, pod names, node IPs) never leave the world's tree, a
symlink that points out of a world folder is not followed, and no file may be larger than
``world_archive.MAX_FILE_BYTES``.

A world may be an overlay of a base world (the demo's broken scenarios are): it holds
only the files that differ, and every other relative path is read from the base. An
overlay can replace or add files, never remove them; one level of base is supported.
"""

from __future__ import annotations

import json
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ackwb.errors import NotCaptured, SourceError
from ackwb.sources.world_archive import MAX_FILE_BYTES, READ_ERRORS, inside, read_capped, size_text

MISSING = object()


def absent(label: str, source: str, relative: str, what: str) -> NotCaptured:
    """The error for a file a query needs and the world does not hold: unknown, never "does not exist"."""
    return NotCaptured(source, f"this world ({label}) holds no {relative}, so {what} cannot be known")


def safe_name(name: str) -> bool:
    """True when ``name`` can be one path component inside the world (no ``/``, ``..`` tricks)."""
    return (
        bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name
    )


class WorldFiles:
    """The files of one world; ``label`` names the world in error messages."""

    def __init__(self, root: Path | Traversable, label: str, base: Path | Traversable | None = None) -> None:
        self.root = root
        self.label = label
        self.base = base  # the world an overlay is based on; None for a complete world
        # complete: every file a query needs is here, and an ID without its file does not exist (the
        # built-in worlds); a snapshot is not: what it holds no file of was never captured
        self.complete = True
        self._text: dict[str, str | None] = {}
        self._json: dict[str, Any] = {}

    def _roots(self) -> list[Path | Traversable]:
        return [self.root] if self.base is None else [self.root, self.base]

    @staticmethod
    def _join(root: Path | Traversable, relative: str) -> Traversable | Path:
        node: Traversable | Path = root
        for part in relative.split("/"):
            node = node.joinpath(part)
        return node

    def _node(self, relative: str) -> Traversable | Path:
        """The overlay's file or folder when it has one, else the base's."""
        node = self._join(self.root, relative)
        if self.base is None or node.is_file() or node.is_dir():
            return node
        return self._join(self.base, relative)

    def is_dir(self, relative: str) -> bool:
        return any(self._join(root, relative).is_dir() for root in self._roots())

    def names(self, folder: str) -> list[str]:
        """File names directly inside ``folder``, overlay and base together (empty when absent)."""
        found: set[str] = set()
        for root in self._roots():
            node = self._join(root, folder)
            if node.is_dir():
                found.update(
                    child.name for child in node.iterdir() if child.is_file() and not self._escapes(child)
                )
        return sorted(found)

    def _escapes(self, node: Traversable | Path) -> bool:
        """True for a file of a world folder that is a symlink to somewhere outside the world."""
        if not isinstance(node, Path):
            return False
        return not any(inside(root, node) for root in self._roots() if isinstance(root, Path))

    def text(self, relative: str) -> str | None:
        """The file's text, or None when the world does not hold it."""
        if relative not in self._text:
            node = self._node(relative)
            if not node.is_file():
                self._text[relative] = None
                return None
            if self._escapes(node):
                raise SourceError(
                    f"world {self.label}", f"{relative} is a symlink to outside the world: not followed"
                )
            try:
                if isinstance(node, Path) and node.stat().st_size > MAX_FILE_BYTES:  # refused unread
                    raise SourceError(
                        f"world {self.label}",
                        f"{relative} is larger than {size_text(MAX_FILE_BYTES)}: refused (size cap)",
                    )
                with node.open("rb") as stream:
                    data = read_capped(stream, self.label, relative)
                self._text[relative] = data.decode("utf-8")
            except UnicodeDecodeError as error:
                reason = f"{relative} is not UTF-8 text ({error.reason})"
                raise SourceError(f"world {self.label}", reason) from None
            except READ_ERRORS as error:
                reason = getattr(error, "strerror", None) or error
                raise SourceError(f"world {self.label}", f"cannot read {relative}: {reason}") from None
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
