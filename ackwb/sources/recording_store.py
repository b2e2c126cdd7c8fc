"""What a capture has read, kept until it is written out as a world with its manifest.

Answers are merged per resource into the files a world holds (``files``); every query the
capture made is listed in the manifest (``queries``), with the negative answers no world file
can hold: an error (its kind, where and why), NXDOMAIN, a command's exit status and stderr.
``write`` puts world.json (with the manifest under ``"snapshot"``) and every file through the
credential pass, and writes only inside the output.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ackwb.errors import InputError
from ackwb.sources.queries import QueryKey
from ackwb.sources.redact import redact_data, redact_text
from ackwb.sources.replay import FORMAT
from ackwb.sources.world_archive import inside, safe_relative

Obj = dict[str, Any]
MAX_OUTPUT = 64 * 1024  # characters of a failing command's stdout and stderr a manifest keeps


@dataclass
class Recording:
    """What a capture has read so far, keyed by the file it will be written to."""

    files: dict[str, Any] = field(default_factory=dict)  # relative path → JSON data or text
    server_blocks: dict[str, dict[str, str]] = field(default_factory=dict)  # pod folder → host → block
    queries: dict[str, Obj] = field(default_factory=dict)  # query key → {} or {"error"} / {"output"}
    nodes: set[str] = field(default_factory=set)  # the nodes commands ran on
    calls: int = 0
    refused: list[str] = field(default_factory=list)  # answers not kept: their file name would be unsafe
    progress: Callable[[str], None] = lambda message: None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # reads may run concurrently

    def note(self, what: str) -> None:
        """Count one call (``what`` names it; progress shows the count, not every call)."""
        with self.lock:
            self.calls += 1

    def refuse(self, what: str) -> None:
        """An answer that is not kept because a name in it cannot be a file name."""
        with self.lock:
            self.refused.append(what)
        self.progress(f"not stored (not a plain name, it cannot become a file name): {what}")

    def guard(self, what: str, keep: Callable[[], None]) -> bool:
        """Run ``keep``; an answer of an unexpected shape is not kept, and never breaks the trace.
        True when the answer was kept whole (nothing refused or dropped)."""
        refused = len(self.refused)
        try:
            keep()
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as error:
            kind = type(error).__name__
            self.progress(f"not stored: the answer of {what} has an unexpected shape ({kind})")
            return False
        return len(self.refused) == refused

    def answered(self, key: str, entry: Obj | None = None) -> None:
        """The query ``key`` was asked; ``entry`` holds its failure or failing output, if any."""
        with self.lock:
            self.queries[key] = {"q": key, **(entry or {})}
            if key.startswith("node "):
                self.nodes.add(QueryKey.parse(key).target)

    @staticmethod
    def failed_output(stdout: str, exit_status: int, stderr: str) -> Obj:
        return {
            "output": {
                "stdout": stdout[:MAX_OUTPUT],
                "exit_status": exit_status,
                "stderr": stderr[:MAX_OUTPUT],
            }
        }

    def merge_items(
        self,
        path: str,
        wrapper: Obj,
        items_path: tuple[str, ...],
        key: Callable[[Obj], Any],
        items: list[Obj],
        ordered: bool = False,
    ) -> None:
        """Add the items not yet stored under ``path``; ``ordered`` keeps them sorted by ``key``
        (as the Kubernetes API lists them), whatever order concurrent reads finished in."""
        with self.lock:
            stored = self.files.setdefault(path, wrapper)
            target = stored
            for part in items_path[:-1]:
                target = target.setdefault(part, {})
            existing = target.setdefault(items_path[-1], [])
            seen = {key(item) for item in existing}
            existing.extend(item for item in items if key(item) not in seen)
            if ordered:
                existing.sort(key=key)

    def manifest(self, requests: list[tuple[str, int, str]], world: str, captured_by: str) -> Obj:
        """The ``"snapshot"`` object of world.json: format, scope (requests and queries), the capture."""
        nodes = sorted(self.nodes)
        scope = {
            "hosts": sorted({host for host, _, _ in requests}),
            "ports": sorted({port for _, port, _ in requests}),
            "paths": sorted({path for _, _, path in requests}),
            "requests": [{"host": h, "port": p, "path": path} for h, p, path in requests],
            "nodes": nodes,
            "queries": [self.queries[k] for k in sorted(self.queries)],
        }
        return {"format": FORMAT, "world": world, "captured_by": captured_by, "scope": scope}

    def entries(self, world: Obj) -> dict[str, str]:
        """Every file to write, relative path → text, after the credential pass."""
        entries = {"world.json": json.dumps(redact_data(world), indent=2, sort_keys=True) + "\n"}
        for path, data in sorted(self.files.items()):
            if not safe_relative(path):
                raise InputError(f"refusing to write {path!r}: not a plain relative path")
            if isinstance(data, str) and path.endswith(".json"):  # raw JSON text: redact it as data
                with contextlib.suppress(json.JSONDecodeError):
                    data = json.loads(data)
            entries[path] = (
                redact_text(data)
                if isinstance(data, str)
                else json.dumps(redact_data(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            )
        return entries

    def write(self, output: Path, world: Obj) -> Path:
        """Write the world as a folder, or as a zip file when ``output`` ends in .zip."""
        entries = self.entries(world)
        if output.suffix == ".zip":
            output.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
                for path, text in entries.items():
                    archive.writestr(path, text)
            return output
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise InputError(f"{output} already exists and is not an empty folder: nothing written")
        output.mkdir(parents=True, exist_ok=True)
        for path, text in entries.items():
            target = output / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or not inside(output, target.parent):
                raise InputError(f"refusing to write {target}: it would land outside {output}")
            target.write_text(text, encoding="utf-8")
        return output
