"""A stored world as a ``Sources`` bundle: the demo world, and later snapshots.

A world is a folder (``world.json``, ``kube/``, ``cloud/``, ``dns/``, ``nodes/``, ``pods/``)
holding what the real systems returned. ``load_world`` reads only ``world.json`` (and
that of its base, when ``"base"`` names a world folder beside it: the folder is then an
overlay holding only the files that differ); every other file is read when a query
first needs it. The sources answer queries (by selector,
by ID, by IP, by host) from the stored data, so steps may change which calls they make
without re-recording anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ackwb.errors import InputError, ParseError, SourceError
from ackwb.sources.base import ClusterSettings, Sources
from ackwb.sources.replay import Scope, replayed
from ackwb.sources.shapes import checked
from ackwb.sources.world_archive import READ_ERRORS, open_snapshot, read_capped
from ackwb.sources.world_cloud import WorldCloud
from ackwb.sources.world_commands import (
    WorldNodes,
    WorldPodExec,
    ipvs_service_output,
    one_backend,
    server_block,
)
from ackwb.sources.world_dns import WorldDns
from ackwb.sources.world_files import WorldFiles, safe_name
from ackwb.sources.world_kube import WorldKube

__all__ = ["World", "WorldNodes", "WorldPodExec", "ipvs_service_output", "load_world", "one_backend",
           "open_world", "server_block"]  # fmt: skip

# A world's name is shown in notebooks, reports and terminals: letters, digits, space and . _ + -
WORLD_NAME = re.compile(r"^\w[\w .+-]{0,99}$")
# world.json keys that must be strings when present, and the one table of strings.
TEXT_KEYS = ("name", "description", "region", "cluster_id", "cluster_domain", "cluster_dns", "base")
CONTROLLER_KEYS = ("namespace", "label_selector", "container")


@dataclass
class World:
    """A stored world: its ``world.json`` and lazy access to everything else."""

    root: Path | Traversable
    meta: dict[str, Any]
    builtin: bool = False
    base: Path | Traversable | None = None  # the world this one overlays

    def __post_init__(self) -> None:
        self.files = WorldFiles(self.root, self.name, self.base)
        manifest = self.meta.get("snapshot")
        # a snapshot holds what its capture asked; a world without a manifest is complete
        self.scope = (
            Scope.from_manifest(manifest, f"{self.root}/world.json") if manifest is not None else None
        )
        self.files.complete = self.scope is None

    @property
    def name(self) -> str:
        return str(self.meta["name"])

    @property
    def description(self) -> str:
        if self.builtin:
            return f"demo world {self.name!r} (built in, no cluster needed)"
        return f"stored world {self.name!r} from {self.root}"

    @property
    def settings(self) -> ClusterSettings:
        controller = self.meta.get("ingress_controller") or {}
        defaults = ClusterSettings()
        return ClusterSettings(
            region=self.meta["region"],
            cluster_id=self.meta.get("cluster_id", ""),
            cluster_domain=self.meta.get("cluster_domain", defaults.cluster_domain),
            ingress_namespace=controller.get("namespace", defaults.ingress_namespace),
            ingress_selector=controller.get("label_selector", defaults.ingress_selector),
            ingress_container=controller.get("container", defaults.ingress_container),
        )

    def sources(self) -> Sources:
        kube = WorldKube(self.files)
        stored = Sources(
            kube=kube,
            cloud=WorldCloud(self.files, self.meta["region"]),
            dns=WorldDns(self.files),
            node=WorldNodes(self.files),
            pod_exec=WorldPodExec(self.files, kube),
            description=self.description,
            settings=self.settings,
        )
        return checked(stored if self.scope is None else replayed(stored, self.scope))


def _is_builtin(root: Path | Traversable) -> bool:
    from ackwb.demo import SCENARIOS, demo_world_root

    return any(str(root) == str(demo_world_root(name)) for name in SCENARIOS)


def load_world(root: Path | Traversable | str, builtin: bool | None = None) -> World:
    """Open a stored world; only ``world.json`` is read now. ``builtin`` defaults to "is a demo world"."""
    if isinstance(root, str):
        root = Path(root).expanduser()
    meta = _manifest(root)
    base_root = _base_root(root, meta)
    if base_root is not None:
        meta = {**_manifest(base_root), **meta}  # settings not repeated by the overlay come from its base
    for key in ("name", "region"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise InputError(f"{root}/world.json: {key!r} is missing (it must be a non-empty string)")
    if not WORLD_NAME.match(meta["name"]):
        raise InputError(
            f"{root}/world.json: name {meta['name'][:60]!r} is not allowed: a world name holds letters, "
            "digits, spaces and . _ + - only (at most 100 characters)"
        )
    return World(root, meta, _is_builtin(root) if builtin is None else builtin, base_root)


def open_world(path: Path | str) -> World:
    """A stored world by path: a snapshot .zip (checked before use) or a folder with world.json."""
    root = Path(path).expanduser()
    if root.suffix == ".zip" and root.is_file():
        return load_world(open_snapshot(root))
    if not (root / "world.json").is_file():
        raise InputError(f"{root} is not a world: it is neither a snapshot .zip nor a folder with world.json")
    return load_world(root)


def _manifest(root: Path | Traversable) -> dict[str, Any]:
    where = f"{root}/world.json"
    manifest = root.joinpath("world.json")
    if not manifest.is_file():
        raise InputError(f"{root} is not a stored world: it has no world.json")
    try:
        with manifest.open("rb") as stream:
            meta = json.loads(read_capped(stream, str(root), "world.json").decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(f"{where} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ParseError(where, error.msg, error.lineno) from None
    except SourceError as error:
        raise InputError(f"{where}: {error.reason}") from None
    except READ_ERRORS as error:
        raise InputError(f"cannot read {where}: {getattr(error, 'strerror', None) or error}") from None
    if not isinstance(meta, dict):
        raise ParseError(where, "must be a JSON object")
    for key in TEXT_KEYS:
        if key in meta and not isinstance(meta[key], str):
            raise InputError(f"{where}: {key!r} must be a string, not {_json_type(meta[key])}")
    if "snapshot" in meta and not isinstance(meta["snapshot"], dict):
        raise InputError(f"{where}: 'snapshot' must be an object, not {_json_type(meta['snapshot'])}")
    controller = meta.get("ingress_controller", {})
    if not isinstance(controller, dict):
        raise InputError(f"{where}: 'ingress_controller' must be an object, not {_json_type(controller)}")
    for key in CONTROLLER_KEYS:
        if key in controller and not isinstance(controller[key], str):
            value = _json_type(controller[key])
            raise InputError(f"{where}: 'ingress_controller.{key}' must be a string, not {value}")
    return meta


def _json_type(value: Any) -> str:
    """How JSON calls the type of a decoded value."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def _base_root(root: Path | Traversable, meta: dict[str, Any]) -> Path | Traversable | None:
    """The folder of the world ``meta["base"]`` names, beside ``root``; None for a complete world."""
    base = meta.get("base")
    if base is None:
        return None
    where = f"{root}/world.json"
    if not isinstance(base, str) or not safe_name(base):
        raise InputError(f"{where}: 'base' must name a world folder beside it, not {base!r}")
    parent = getattr(root, "parent", None)
    base_root = parent.joinpath(base) if parent is not None else None
    if base_root is None or not base_root.joinpath("world.json").is_file():
        raise InputError(f"{where}: its base world {base!r} is not a world folder beside it")
    if "base" in _manifest(base_root):
        raise InputError(f"{where}: its base {base!r} is itself an overlay; only one level is supported")
    return base_root


def load_demo_world(scenario: str = "healthy") -> World:
    """One of the worlds that ship with the package (``ackwb.demo.SCENARIOS``)."""
    from ackwb.demo import demo_world_root

    return load_world(demo_world_root(scenario), builtin=True)
