"""Opening a stored world safely: snapshot zips checked before use, size caps, safe relative paths.

A snapshot may come from anyone, so it is treated as hostile input. Before a zip is used as a
world it must be a readable zip file holding ``world.json``, every member name must be a plain
relative path (no absolute path, ``..``, backslash, drive letter or NUL: such a name is what
makes an extracting tool write outside its folder), and the sizes its directory declares must
stay under the caps. Reads are capped again while they happen (``read_capped``), since a zip's
directory can lie about a member's size: a 1 MB file could otherwise unpack to gigabytes.

The same caps apply to the files of a world folder, and ``safe_relative`` is the one check for
every relative path a world is read from or a capture writes to.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import IO

from ackwb.errors import InputError, SourceError

MiB = 1024 * 1024
MAX_FILE_BYTES = 128 * MiB  # one file of a world (a zip member once unpacked, or a file in a folder)
MAX_WORLD_BYTES = 512 * MiB  # every member of a snapshot zip together, unpacked
MAX_MEMBERS = 200_000
READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError)


def safe_relative(path: str) -> bool:
    """True for a plain relative path with ``/`` separators that stays inside its root."""
    if not path or "\\" in path or "\0" in path or path.startswith("/"):
        return False
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    return ":" not in parts[0] and not any(ord(ch) < 32 for ch in path)


def size_text(size: int) -> str:
    return f"{size / MiB:.1f} MiB" if size >= MiB else f"{size} bytes"


def open_snapshot(path: Path) -> zipfile.Path:
    """The root of a snapshot zip, after checking it is one; ``InputError`` names what is wrong."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise InputError(f"{path} is not a snapshot: it is not a readable zip file ({error})") from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise InputError(f"cannot read snapshot {path}: {reason}") from None
    infos = archive.infolist()
    if not infos:
        archive.close()
        raise InputError(f"{path} is an empty zip file: a snapshot holds at least world.json")
    problem = _members_problem(infos)
    if problem:
        archive.close()
        raise InputError(f"{path} is not a usable snapshot: {problem}")
    if "world.json" not in {info.filename for info in infos}:
        archive.close()
        raise InputError(f"{path} is not a snapshot: it holds no world.json at its top level")
    return zipfile.Path(archive)


def _members_problem(infos: list[zipfile.ZipInfo]) -> str:
    if len(infos) > MAX_MEMBERS:
        return f"it holds {len(infos)} members (at most {MAX_MEMBERS})"
    total = 0
    for info in infos:
        name = info.filename.removesuffix("/") if info.is_dir() else info.filename
        if not safe_relative(name):
            return f"member name {name!r} is not a plain relative path (absolute, '..' or odd characters)"
        if info.file_size > MAX_FILE_BYTES:
            return (
                f"member {name} unpacks to {size_text(info.file_size)}, "
                f"more than the {size_text(MAX_FILE_BYTES)} a world file may hold"
            )
        total += info.file_size
    if total > MAX_WORLD_BYTES:
        return f"its members unpack to {size_text(total)}, more than {size_text(MAX_WORLD_BYTES)}"
    return ""


def read_capped(stream: IO[bytes], label: str, relative: str) -> bytes:
    """All bytes of ``stream``, refusing more than ``MAX_FILE_BYTES`` whatever its size claims."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(
            f"world {label}", f"{relative} is larger than {size_text(MAX_FILE_BYTES)}: refused (size cap)"
        )
    return data


def inside(root: Path, target: Path) -> bool:
    """Whether ``target`` (symlinks followed) is ``root`` or below it."""
    try:
        return target.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False
