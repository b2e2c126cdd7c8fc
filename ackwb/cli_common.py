"""What every ``ackwb`` command shares: safe printing, ``-o`` checks, the world and client options.

Everything printed passes ``terminal_text``: names read from a cluster or a world (hosts, paths,
error messages) cannot move the cursor, recolour or retitle the terminal. ``output_path`` refuses
a place ackwb cannot write before anything is traced.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ackwb.errors import InputError
from ackwb.render.text import terminal_text
from ackwb.workbook import Workbook

EXIT_OK, EXIT_BROKEN, EXIT_ERROR = 0, 1, 2


def out(text: str = "", end: str = "\n") -> None:
    """Print to stdout what a terminal can show safely (line breaks and tabs kept)."""
    print(terminal_text(text, keep="\n\t"), end=end)


def err(text: str) -> None:
    """One line on stderr: line breaks become spaces, control characters are dropped."""
    print(terminal_text(" ".join(text.splitlines())), file=sys.stderr)


def output_path(path: Path, folder: bool = False) -> Path:
    """``-o``: refuse a folder where a file is wanted (or a non-empty one for a world folder), and a
    place ackwb cannot write, before anything is traced."""
    path = path.expanduser()
    if path.is_dir() and not folder:
        raise InputError(f"-o {path} is a folder: name the file to write, for example {path / 'out'}")
    if folder and path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"-o {path} already exists: name a new folder for the snapshot (or a .zip)")
    ancestor = path.parent if not path.exists() else path
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"-o {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"-o {path}: cannot write in {ancestor} (permission denied)")
    if not folder and path.parent.is_dir():  # the only sure test: open it for appending, then tidy up
        existed = path.exists()
        try:
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError as error:
            raise InputError(f"-o {path}: cannot write it ({error.strerror or error})") from None
        if not existed:
            path.unlink()
    return path


def world_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--profile", help="a live profile from the profiles file (read-only access)")
    group.add_argument(
        "--scenario", default="healthy", help="a built-in world, see `ackwb worlds` (default: healthy)"
    )
    group.add_argument(
        "--world",
        "--snapshot",
        dest="world",
        type=Path,
        help="a stored world: a snapshot .zip or a world folder",
    )
    parser.add_argument(
        "--profiles",
        type=Path,
        help="the profiles file (default: $ACKWB_PROFILES, ./ackwb.toml, ~/.config/ackwb/profiles.toml)",
    )


def client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-ip",
        help="the client's IP: decides ACL verdicts and who resolves the name "
        "(inside the cluster's VPC: its PrivateZone zones)",
    )
    parser.add_argument(
        "--port", type=int, default=80, help="the listener port the client uses (default: 80)"
    )
    parser.add_argument("--path", default="/", help="the request path (default: /)")
    parser.add_argument(
        "--scheme",
        default="",
        choices=("", "http", "https"),
        help="http or https (default: https on port 443)",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header nginx may decide on (a canary header), repeatable",
    )


def open_workbook(args: argparse.Namespace) -> Workbook:
    if args.profile:
        wb = Workbook.live(args.profile, args.profiles)
    elif args.world:
        wb = Workbook.from_world(args.world)
    else:
        wb = Workbook.demo(args.scenario)
    err(f"ackwb: using the {wb.description}")
    return wb
