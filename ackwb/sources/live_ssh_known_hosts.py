"""known_hosts read as OpenSSH reads it, for the live node source's host key check.

paramiko's own reader raises ``InvalidHostKey`` on an ``@cert-authority`` line and knows no
``@revoked``, so ackwb reads the files itself and paramiko's key check is never used:

- files: the user files (the profile's ``known_hosts``, else ssh_config's ``UserKnownHostsFile``,
  else ``~/.ssh/known_hosts`` and ``~/.ssh/known_hosts2``) and the global ones (ssh_config's
  ``GlobalKnownHostsFile``, else ``/etc/ssh/ssh_known_hosts`` and ``/etc/ssh/ssh_known_hosts2``);
  a missing file is skipped, an unreadable one is an error;
- lines: ``[marker] hosts keytype base64 [comment]``; hosts are comma-separated patterns with
  ``*``/``?`` wildcards and ``!`` negation, ``[host]:port`` for ports other than 22, or hashed
  (``|1|salt|hash``, HMAC-SHA1); a line ackwb cannot read is skipped, as OpenSSH skips it;
- markers: ``@revoked`` refuses its key for the hosts it names, always; ``@cert-authority``
  lines sign host certificates, which ackwb does not ask for, so they never match a plain key.

``check`` says whether a server's key is known, revoked, changed (the host is listed with
another key of the same type) or unknown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from enum import Enum

from ackwb.errors import SourceError

DEFAULT_USER_FILES = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
DEFAULT_GLOBAL_FILES = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
MAX_BYTES = 16 * 1024 * 1024


class HostKeyState(Enum):
    KNOWN = "known"
    REVOKED = "revoked"
    CHANGED = "changed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Entry:
    """One usable line of a known_hosts file."""

    marker: str  # "", "@revoked" or "@cert-authority"
    hosts: str  # the host field as written
    key_type: str
    blob: bytes
    where: str  # "file:line"

    def names(self, host: str) -> bool:
        """Whether the host field matches ``host`` (``name`` or ``[name]:port``), as OpenSSH matches."""
        if self.hosts.startswith("|1|"):
            return _hashed_match(self.hosts, host)
        matched = False
        for pattern in self.hosts.split(","):
            negated = pattern.startswith("!")
            if _glob(host.lower(), pattern.removeprefix("!").lower()):
                if negated:
                    return False
                matched = True
        return matched


def _glob(text: str, pattern: str) -> bool:
    """OpenSSH's pattern match: ``*`` and ``?`` are wildcards, any other character (``[`` too) is literal."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.S) is not None


def _hashed_match(field: str, host: str) -> bool:
    try:
        _, _, salt, digest = field.split("|", 3)
        key, expected = base64.b64decode(salt), base64.b64decode(digest)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(hmac.new(key, host.encode(), hashlib.sha1).digest(), expected)


def parse_line(line: str, where: str) -> Entry | None:
    """One known_hosts line, or None for a comment, a blank or a line that cannot be read."""
    fields = line.split()
    if not fields or fields[0].startswith("#"):
        return None
    marker = fields.pop(0) if fields[0].startswith("@") else ""
    if marker not in ("", "@revoked", "@cert-authority") or len(fields) < 3:
        return None
    try:
        blob = base64.b64decode(fields[2], validate=True)
    except (ValueError, binascii.Error):
        return None
    return Entry(marker, fields[0], fields[1], blob, where)


class KnownHosts:
    """The entries of the user and global known_hosts files."""

    def __init__(
        self, user_files: tuple[str, ...], global_files: tuple[str, ...] = DEFAULT_GLOBAL_FILES
    ) -> None:
        self.files = tuple(os.path.expanduser(f) for f in (*user_files, *global_files))
        self.present = tuple(f for f in self.files if os.path.isfile(f))
        self.entries: list[Entry] = []
        for path in self.present:
            try:
                with open(path, "rb") as stream:
                    text = stream.read(MAX_BYTES).decode("utf-8", errors="replace")
            except OSError as error:
                reason = f"cannot read it: {error.strerror or error}"
                raise SourceError(f"known_hosts {path}", reason) from None
            for number, line in enumerate(text.splitlines(), start=1):
                entry = parse_line(line, f"{path}:{number}")
                if entry is not None:
                    self.entries.append(entry)

    def check(self, host: str, key_type: str, blob: bytes) -> tuple[HostKeyState, Entry | None]:
        """Whether ``host`` (``name`` or ``[name]:port``) may present this key, and the line that says so."""
        mine = [e for e in self.entries if e.marker != "@cert-authority" and e.names(host)]
        revoked = next((e for e in mine if e.marker == "@revoked" and e.blob == blob), None)
        if revoked is not None:
            return HostKeyState.REVOKED, revoked
        plain = [e for e in mine if not e.marker]
        known = next((e for e in plain if e.blob == blob), None)
        if known is not None:
            return HostKeyState.KNOWN, known
        other = next((e for e in plain if e.key_type == key_type), None)
        if other is not None:
            return HostKeyState.CHANGED, other
        return HostKeyState.UNKNOWN, None


def config_files(value: object, defaults: tuple[str, ...]) -> tuple[str, ...]:
    """The files an ssh_config ``UserKnownHostsFile``/``GlobalKnownHostsFile`` value names ("none": none),
    with ``~``, ``%d`` (home) and ``%u`` (user) expanded as OpenSSH expands them."""
    if not value:
        return defaults
    words = str(value).split()
    home, user = os.path.expanduser("~"), os.environ.get("USER", "")
    expanded = [w.replace("%d", home).replace("%u", user).replace("%%", "%") for w in words]
    return tuple(os.path.expanduser(w) for w in expanded if w.lower() != "none")
