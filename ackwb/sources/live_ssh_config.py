"""Where to connect for a node: ``~/.ssh/config`` and the profile, merged as OpenSSH would.

paramiko parses ssh_config but neither follows ``Include`` nor implements ``ProxyJump``, so this
module does both: it inlines included files and turns a node's ProxyJump (or the profile's
jump host) into the ordered list of hops to connect through. The profile's explicit values
win over the config file, as OpenSSH's command-line options do; empty profile values defer to
the config, then to OpenSSH's defaults (user root for nodes, port 22).

Limitation: an ``Include`` inside a ``Host`` block is inlined, so ``Host`` lines in the included
file end that block (OpenSSH resumes the outer block after the included file).
"""

from __future__ import annotations

import getpass
import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ackwb.errors import InputError
from ackwb.sources.live_ssh_known_hosts import DEFAULT_GLOBAL_FILES, DEFAULT_USER_FILES, config_files

MAX_INCLUDE_DEPTH = 8
MAX_JUMPS = 8
NODE_DEFAULT_USER = "root"  # ACK node images log in as root


@dataclass(frozen=True)
class Endpoint:
    """One SSH server to log in to: the name it was asked by and where it really is."""

    alias: str  # the name asked for: a node IP, a jump host alias or "user@host:port"
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...] = ()
    user_known_hosts: tuple[str, ...] = DEFAULT_USER_FILES  # ssh_config UserKnownHostsFile, else OpenSSH's
    global_known_hosts: tuple[str, ...] = DEFAULT_GLOBAL_FILES  # GlobalKnownHostsFile, else OpenSSH's

    @property
    def label(self) -> str:
        where = f"{self.hostname}:{self.port}" if self.port != 22 else self.hostname
        shown = f"{self.user}@{where}"
        return shown if self.alias in (self.hostname, where) else f"{self.alias} ({shown})"


def split_spec(spec: str) -> tuple[str, str, int]:
    """``[user@]host[:port]`` (IPv6 in brackets) → (user, host, port); "" and 0 when absent."""
    user, _, rest = spec.rpartition("@")
    port = 0
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        if tail.startswith(":"):
            port = _port(spec, tail[1:])
    elif rest.count(":") == 1:
        host, _, text = rest.partition(":")
        port = _port(spec, text)
    else:
        host = rest
    if not host:
        raise InputError(f"SSH host {spec!r} has no host name")
    return user, host, port


def _port(spec: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InputError(f"SSH host {spec!r}: {text!r} is not a TCP port")
    return int(text)


def _config_port(found: dict[str, Any], host: str) -> int:
    text = str(found.get("port", 22))
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InputError(f"SSH config for host {host!r}: Port {text!r} is not a TCP port")
    return int(text)


def expand_includes(path: Path, depth: int = 0) -> str:
    """The config text with each ``Include`` replaced by the files it names (globs; relative to ~/.ssh)."""
    if depth > MAX_INCLUDE_DEPTH:
        raise InputError(f"{path}: Include nested more than {MAX_INCLUDE_DEPTH} levels (a loop?)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read SSH config {path}: {error}") from error
    out: list[str] = []
    for line in text.splitlines():
        words = line.strip().replace("=", " ", 1).split()
        if not words or words[0].lower() != "include":
            out.append(line)
            continue
        for pattern in words[1:]:
            pattern = os.path.expanduser(pattern)
            if not os.path.isabs(pattern):
                pattern = str(Path.home() / ".ssh" / pattern)
            for included in sorted(glob.glob(pattern)):
                if os.path.isfile(included):
                    out.append(expand_includes(Path(included), depth + 1))
    return "\n".join(out) + "\n"


class SshConfig:
    """``~/.ssh/config`` (or another file; a missing file is an empty config) plus the profile's overrides."""

    def __init__(
        self,
        config_file: str = "~/.ssh/config",
        user: str = "",
        port: int = 0,
        identity_file: str = "",
        jump_host: str = "",
    ) -> None:
        import paramiko

        path = Path(config_file).expanduser() if config_file else None
        text = expand_includes(path) if path is not None and path.is_file() else ""
        self.file = path
        self._config = paramiko.SSHConfig.from_text(text)
        self._user, self._port = user, port
        self._identity = os.path.expanduser(identity_file) if identity_file else ""
        self._jump_host = jump_host

    def _lookup(self, host: str) -> dict[str, Any]:
        try:
            return dict(self._config.lookup(host))
        except Exception as error:  # paramiko raises its own errors for bad Match/token lines
            raise InputError(
                f"SSH config {self.file}: cannot evaluate it for host {host!r}: {error}"
            ) from error

    def node(self, node: str) -> tuple[Endpoint, list[Endpoint]]:
        """The node's endpoint and the jump hosts to go through, first hop first."""
        found = self._lookup(node)
        identities = (self._identity,) if self._identity else tuple(found.get("identityfile", ()))
        endpoint = Endpoint(
            alias=node,
            hostname=found.get("hostname", node),
            port=self._port or _config_port(found, node),
            user=self._user or found.get("user") or NODE_DEFAULT_USER,
            identity_files=identities,
            **_known_hosts_files(found),
        )
        chain = self._jump_host or found.get("proxyjump", "")
        return endpoint, self._route(chain, 0)

    def _route(self, chain: str, depth: int) -> list[Endpoint]:
        """Jump hosts of a ProxyJump value in connection order (each may have its own ProxyJump)."""
        specs = [s.strip() for s in chain.split(",") if s.strip()]
        if not specs or specs[0].lower() == "none":
            return []
        if depth >= MAX_JUMPS:
            raise InputError(f"ProxyJump chain longer than {MAX_JUMPS} hops (a loop in {self.file}?)")
        first, own_jump = self._jump(specs[0])
        hops = self._route(own_jump, depth + 1) + [first]
        return hops + [self._jump(spec)[0] for spec in specs[1:]]

    def _jump(self, spec: str) -> tuple[Endpoint, str]:
        user, host, port = split_spec(spec)
        found = self._lookup(host)
        identities = tuple(found.get("identityfile", ())) or ((self._identity,) if self._identity else ())
        endpoint = Endpoint(
            alias=spec,
            hostname=found.get("hostname", host),
            port=port or _config_port(found, host),
            user=user or found.get("user") or getpass.getuser(),
            identity_files=identities,
            **_known_hosts_files(found),
        )
        return endpoint, found.get("proxyjump", "")


def _known_hosts_files(found: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {
        "user_known_hosts": config_files(found.get("userknownhostsfile"), DEFAULT_USER_FILES),
        "global_known_hosts": config_files(found.get("globalknownhostsfile"), DEFAULT_GLOBAL_FILES),
    }
