"""Trusting SSH servers, and what a failed login means, for the live node source.

Host keys are checked as OpenSSH's ``StrictHostKeyChecking yes`` does, against the known_hosts
files OpenSSH reads (``live_ssh_known_hosts``): a revoked key (``@revoked``) and a changed key
always stop the connection; a key missing from known_hosts stops it unless the profile sets
``accept_unknown_hosts`` (then it is trusted for this run only, never written to a file, and a
host that later shows another key is refused as changed). ``accept_unknown_hosts`` needs at least
one known_hosts file: with none, every key would be new, changed ones included, so ackwb refuses.
Every exception paramiko or the socket layer raises while connecting becomes one of ackwb's
source errors, with a sentence saying what to do.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ackwb.errors import Forbidden, SourceError, Unreachable
from ackwb.sources.live_ssh_config import Endpoint
from ackwb.sources.live_ssh_known_hosts import Entry, HostKeyState, KnownHosts


class UnknownHostKey(Exception):
    def __init__(self, name: str, key: Any, files: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self.name, self.key, self.files = name, key, files


class HostKeyRefused(Exception):
    """A key known_hosts refuses: ``state`` is REVOKED or CHANGED; ``entry`` the line that says so."""

    def __init__(self, name: str, key: Any, state: HostKeyState, entry: Entry | None) -> None:
        super().__init__(name)
        self.name, self.key, self.state, self.entry = name, key, state, entry


class NoKnownHosts(Exception):
    def __init__(self, files: tuple[str, ...]) -> None:
        super().__init__(", ".join(files))
        self.files = files


class CheckHostKey:
    """paramiko host key policy doing the whole check (paramiko's own known_hosts is left empty, so
    paramiko hands every key to ``missing_host_key``). ``trusted`` holds the keys accepted for the
    first time in this run, shared by every connection of one ``LiveNodes``."""

    def __init__(
        self, known: KnownHosts, accept_unknown: bool, trusted: dict[str, bytes], lock: threading.Lock
    ) -> None:
        self.known, self.accept_unknown, self.trusted, self.lock = known, accept_unknown, trusted, lock

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        blob = key.asbytes()
        state, entry = self.known.check(hostname, key.get_name(), blob)
        if state is HostKeyState.KNOWN:
            return
        if state is not HostKeyState.UNKNOWN:
            raise HostKeyRefused(hostname, key, state, entry)
        with self.lock:
            seen = self.trusted.get(hostname)
            if seen is not None and seen != blob:
                raise HostKeyRefused(hostname, key, HostKeyState.CHANGED, None)
            if seen is None and not self.accept_unknown:
                raise UnknownHostKey(hostname, key, self.known.present)
            if seen is None and not self.known.present:
                raise NoKnownHosts(self.known.files)
            self.trusted[hostname] = blob


def quiet_paramiko() -> None:
    """paramiko logs the failures it also raises; with no handler, Python would print them to stderr."""
    logger = logging.getLogger("paramiko")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


def connect_error(error: Exception, endpoint: Endpoint, source: str) -> Exception:
    """One SourceError subclass for whatever connect() raised."""
    import paramiko

    if isinstance(error, UnknownHostKey):
        key = error.key
        where = ", ".join(error.files) or "any known_hosts file (none exists)"
        return Forbidden(
            source,
            f"the host key of {endpoint.label} ({key.get_name()} {key.fingerprint}, known as {error.name})"
            f" is not in {where}. Check the fingerprint, then add it, for"
            f" example by connecting once with OpenSSH (ssh {endpoint.alias}) and accepting it; or set "
            "accept_unknown_hosts = true in the profile's [ssh] table",
            f"host key of {error.name} in known_hosts",
        )
    if isinstance(error, HostKeyRefused) and error.state is HostKeyState.REVOKED:
        where = error.entry.where if error.entry else "known_hosts"
        return Forbidden(
            source,
            f"the host key of {endpoint.label} ({error.key.get_name()} {error.key.fingerprint}) is REVOKED"
            f" (@revoked in {where}): ackwb will not log in with it",
            f"a host key of {error.name} that is not revoked",
        )
    if isinstance(error, HostKeyRefused):
        expected = (
            f"known_hosts expects another {error.key.get_name()} key ({error.entry.where})"
            if error.entry
            else "an earlier connection of this run saw another key"
        )
        return Forbidden(
            source,
            f"the host key of {endpoint.label} CHANGED: it sent {error.key.get_name()} "
            f"{error.key.fingerprint}, {expected}. This can be"
            f" an attack; if the host was rebuilt, remove the old entry (ssh-keygen -R '{error.name}')",
            f"host key of {error.name} in known_hosts",
        )
    if isinstance(error, NoKnownHosts):
        return Forbidden(
            source,
            "accept_unknown_hosts = true, but no known_hosts file exists (looked for "
            f"{', '.join(error.files)}): every key, a changed one included, would be trusted. Create one "
            "(for example by connecting once with OpenSSH), or name one with known_hosts in the profile",
            "an existing known_hosts file",
        )
    if isinstance(error, paramiko.AuthenticationException):
        return Forbidden(
            source,
            f"login as {endpoint.user} on {endpoint.label} was refused: {error}",
            f"SSH public key login as {endpoint.user} on {endpoint.hostname}",
        )
    if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError):
        reasons = sorted({e.strerror or str(e) for e in error.errors.values()})
        return Unreachable(source, f"cannot connect to {endpoint.label}: {', '.join(reasons).lower()}")
    if isinstance(error, (OSError, EOFError, paramiko.SSHException)):
        detail = str(error) or type(error).__name__
        if isinstance(error, TimeoutError) or "timed out" in detail:
            detail = f"timed out after the connect timeout ({detail})"
        return Unreachable(source, f"cannot connect to {endpoint.label}: {detail}")
    if isinstance(error, SourceError):
        return error
    return SourceError(source, f"connecting to {endpoint.label} failed: {type(error).__name__}: {error}")
