"""A stored world is hostile input: size caps, safe member names, and no symlink out of a world folder.

A small zip can declare a member of a gigabyte (it compresses to almost nothing); a member name
such as ``../../x`` is what makes extracting tools write outside their folder; a world folder can
hold a symlink to any file of the machine. Each is refused with a clear message: a zip before it
is used (``InputError``), a file of a folder when it is read (a ``SourceError``, which the step
reading it turns into an unknown hop and a finding).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.errors import InputError, SourceError
from ackwb.sources.world import open_world
from ackwb.sources.world_archive import MAX_FILE_BYTES, MAX_WORLD_BYTES, safe_relative
from ackwb.trace import run_trace

MiB = 1024 * 1024


def demo_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    root = demo_world_root()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(Path(str(root)).rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(Path(str(root))).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_a_zip_member_larger_than_the_cap_is_refused_unread(tmp_path: Path) -> None:
    bomb = demo_zip(tmp_path / "bomb.zip", {"nodes/10.17.10.11/bomb.txt": b"\0" * (MAX_FILE_BYTES + 1)})
    assert bomb.stat().st_size < 2 * MiB  # small on disk, huge once unpacked
    with pytest.raises(InputError, match=r"unpacks to 128\.0 MiB, more than the 128\.0 MiB"):
        Workbook.from_snapshot(bomb)


def test_a_zip_whose_members_together_exceed_the_cap_is_refused(tmp_path: Path) -> None:
    count = MAX_WORLD_BYTES // (100 * MiB) + 1
    members = {f"nodes/10.17.10.11/big{i}.txt": b"\0" * (100 * MiB) for i in range(count)}
    with pytest.raises(InputError, match="its members unpack to"):
        Workbook.from_snapshot(demo_zip(tmp_path / "many.zip", members))


@pytest.mark.parametrize("name", ["../escape.json", "/etc/passwd", "kube/../../x", "C:/x", "a\\b", "kube//x"])
def test_a_zip_with_an_unsafe_member_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="not a plain relative path"):
        open_world(demo_zip(tmp_path / "unsafe.zip", {name: b"{}"}))


def test_a_world_file_over_the_cap_is_an_unknown_hop_naming_the_cap(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    with open(world / "kube" / "services.json", "r+b") as big:  # sparse: costs no disk
        big.truncate(MAX_FILE_BYTES + 1)
    trace = run_trace(Workbook.from_world(world).sources, "app1.qas.abc.com")
    quoted = [e.excerpt for f in trace.findings for e in f.evidence]
    assert any("size cap" in text and "services.json" in text for text in quoted), quoted
    assert any(h.kind == "service" and h.verdict.value == "unknown" for h in trace.hops)


def test_world_json_over_the_cap_is_refused(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    with open(world / "world.json", "r+b") as big:
        big.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match="size cap"):
        Workbook.from_world(world)


def test_symlinks_out_of_a_world_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    stolen = json.loads((demo_world_root() / "kube" / "services.json").read_text(encoding="utf-8"))
    stolen["items"][0]["metadata"]["annotations"] = {"leaked": "SECRET-FROM-OUTSIDE"}
    (outside / "services.json").write_text(json.dumps(stolen), encoding="utf-8")
    shutil.copytree(str(demo_world_root() / "nodes" / "10.17.10.11"), outside / "node")
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    (world / "kube" / "services.json").unlink()
    os.symlink(outside / "services.json", world / "kube" / "services.json")
    shutil.rmtree(world / "nodes" / "10.17.10.11")
    os.symlink(outside / "node", world / "nodes" / "10.17.10.11")
    files = open_world(world).files
    with pytest.raises(SourceError, match="symlink to outside the world"):
        files.text("kube/services.json")
    with pytest.raises(SourceError, match="symlink to outside the world"):
        files.text("nodes/10.17.10.11/ipvsadm.txt")
    assert files.names("nodes/10.17.10.11") == []
    trace = run_trace(Workbook.from_world(world).sources, "app1.qas.abc.com")
    assert "SECRET-FROM-OUTSIDE" not in repr(trace)


def test_a_symlink_inside_the_world_is_read(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(str(demo_world_root()), world)
    (world / "kube" / "services.json").rename(world / "services-copy.json")
    os.symlink(world / "services-copy.json", world / "kube" / "services.json")
    assert open_world(world).files.json("kube/services.json")["items"]


@pytest.mark.parametrize(
    "path, ok",
    [("kube/pods.json", True), ("cloud/slb/X/lb-1.json", True), ("../x", False), ("a/../b", False),
     ("/abs", False), ("a\\b", False), ("", False), ("a//b", False), ("a/./b", False), ("x\0", False),
     ("c:/x", False), ("nodes/10.0.0.1/ip-addr.txt", True)],
)  # fmt: skip
def test_safe_relative(path: str, ok: bool) -> None:
    assert safe_relative(path) is ok
