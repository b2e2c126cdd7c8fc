"""Trusting SSH servers, and what a failed login means, for the live node source.

Host keys are checked as OpenSSH's ``StrictHostKeyChecking yes`` does: a key missing from
known_hosts stops the connection unless the profile sets ``accept_unknown_hosts`` (then it
is trusted for this run only, never written to a file); a changed key always stops it. Every
exception paramiko or the socket layer raises while connecting becomes one of ackwb's source
errors, with a sentence saying what to do.
"""

from __future__ import annotations

import logging
from typing import Any

from ackwb.errors import Forbidden, SourceError, Unreachable
from ackwb.sources.live_ssh_config import Endpoint


class UnknownHostKey(Exception):
    def __init__(self, name: str, key: Any) -> None:
        super().__init__(name)
        self.name, self.key = name, key


class RefuseUnknown:
    """paramiko host key policy: an unknown key stops the connection (OpenSSH's StrictHostKeyChecking)."""

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        raise UnknownHostKey(hostname, key)


class TrustUnknown:
    """paramiko host key policy for ``accept_unknown_hosts``: trust on first use, in memory only."""

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)


def quiet_paramiko() -> None:
    """paramiko logs the failures it also raises; with no handler, Python would print them to stderr."""
    logger = logging.getLogger("paramiko")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


def connect_error(error: Exception, endpoint: Endpoint, source: str, known_hosts: str) -> Exception:
    """One SourceError subclass for whatever connect() raised."""
    import paramiko

    if isinstance(error, UnknownHostKey):
        key = error.key
        return Forbidden(
            source,
            f"the host key of {endpoint.label} ({key.get_name()} {key.fingerprint}, known as {error.name})"
            f" is not in {known_hosts or 'any known_hosts file'}. Check the fingerprint, then add it, for"
            f" example by connecting once with OpenSSH (ssh {endpoint.alias}) and accepting it; or set "
            "accept_unknown_hosts = true in the profile's [ssh] table",
            f"host key of {error.name} in known_hosts",
        )
    if isinstance(error, paramiko.BadHostKeyException):
        return Forbidden(
            source,
            f"the host key of {endpoint.label} CHANGED: it sent {error.key.get_name()} "
            f"{error.key.fingerprint}, known_hosts expects {error.expected_key.fingerprint}. This can be"
            f" an attack; if the host was rebuilt, remove the old entry (ssh-keygen -R '{error.hostname}')",
            f"host key of {error.hostname} in known_hosts",
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
