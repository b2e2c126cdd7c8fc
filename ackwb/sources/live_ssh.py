"""Live ``NodeSource``: allow-listed read commands on ACK nodes over SSH (paramiko).

kube-proxy's rules (``ipvsadm -Ln``, its mode on 127.0.0.1:10249) are visible only on the
node itself, so the workbook logs in to the node the trace passes through. Connections
follow ``~/.ssh/config`` and the profile (see ``live_ssh_config``), go through jump hosts
with direct-tcpip channels, verify host keys against the known_hosts files OpenSSH reads
(``live_ssh_trust``: revoked and changed keys are refused; unknown keys too unless the profile
opts in, and then an accepted key is kept in memory, never written), and are
opened once per node and reused, the jump host shared by every node behind it.

Only commands built by ``ackwb.sources.commands`` run, sent as their quoted ``shell()``
form. A nonzero exit is an answer (``CommandOutput.exit_status``), not an error; errors
are ``Unreachable`` (refused, timed out, no route), ``Forbidden`` (login refused, host key
unknown or changed) or ``SourceError``. The node connection also forwards TCP for
``LiveDns.resolve_in_cluster`` (``open_channel``), since kube-dns answers only inside.
"""

from __future__ import annotations

import os
import select
import threading
import time
from typing import TYPE_CHECKING, Any

from ackwb.errors import Forbidden, InputError, SourceError, Unreachable
from ackwb.sources import commands
from ackwb.sources.base import CommandOutput
from ackwb.sources.commands import Command
from ackwb.sources.live_ssh_config import Endpoint, SshConfig
from ackwb.sources.live_ssh_known_hosts import KnownHosts
from ackwb.sources.live_ssh_trust import CheckHostKey, connect_error, quiet_paramiko

if TYPE_CHECKING:
    import paramiko

    from ackwb.profiles import SshSettings

READ_CHUNK = 65536


class LiveNodes:
    """``NodeSource`` over SSH. Empty ``user``/``port``/``identity_file``/``jump_host``/``known_hosts``
    defer to ``config_file`` (then root, 22, agent and ~/.ssh keys, direct, OpenSSH's known_hosts
    files); ``jump_host="none"`` goes direct. The global known_hosts files are always read too."""

    def __init__(
        self,
        user: str = "",
        port: int = 0,
        identity_file: str = "",
        jump_host: str = "",
        known_hosts: str = "",
        accept_unknown_hosts: bool = False,
        command_timeout: float = 20.0,
        connect_timeout: float = 10.0,
        config_file: str = "~/.ssh/config",
        allow_agent: bool = True,
    ) -> None:
        self._overrides = dict(
            config_file=config_file, user=user, port=port, identity_file=identity_file, jump_host=jump_host
        )
        self._identity_file = os.path.expanduser(identity_file) if identity_file else ""
        self._known_hosts = os.path.expanduser(known_hosts) if known_hosts else ""
        self._accept_unknown = accept_unknown_hosts
        self._command_timeout = command_timeout
        self._connect_timeout = connect_timeout
        self._allow_agent = allow_agent
        self._config: SshConfig | None = None
        self._clients: dict[tuple[tuple[str, str, int], ...], paramiko.SSHClient] = {}
        self._lock = threading.RLock()  # guards the two dicts, never held during I/O
        self._login_locks: dict[tuple[tuple[str, str, int], ...], threading.Lock] = {}
        self._trusted: dict[str, bytes] = {}  # keys accepted for the first time in this run (never saved)
        self._trust_lock = threading.Lock()
        self.connections_opened = 0  # logins made, jump hosts included (for progress and tests)
        self.commands_run = 0

    @classmethod
    def from_settings(cls, ssh: SshSettings) -> LiveNodes:
        """From a profile's ``[ssh]`` table."""
        return cls(
            user=ssh.user,
            port=ssh.port,
            identity_file=ssh.identity_file,
            jump_host=ssh.jump_host,
            known_hosts=ssh.known_hosts,
            accept_unknown_hosts=ssh.accept_unknown_hosts,
            command_timeout=ssh.command_timeout,
            connect_timeout=ssh.connect_timeout,
            config_file=ssh.config_file,
        )

    # --- NodeSource ---------------------------------------------------------------------------

    def run(self, node: str, command: Command) -> CommandOutput:
        source = f"ssh {node}: {command}"
        if not commands.is_allowed(command):
            raise Forbidden(
                source,
                f"{command.name!r} is not on ackwb's allow-list of read commands",
                "an allow-listed command",
            )
        if command.name not in commands.NODE_COMMANDS:
            raise Forbidden(source, f"{command.name!r} runs inside a Pod, not on a node", "")
        return self._execute(node, command, source)

    def open_channel(self, node: str, address: tuple[str, int]) -> paramiko.Channel:
        """A TCP connection from ``node`` to ``address`` (direct-tcpip over the node's SSH connection)."""
        source = f"ssh {node}: forward to {address[0]}:{address[1]}"
        return self._forward(self._client(node, source), address, source, f"node {node}")

    def close(self) -> None:
        """Close every connection, nodes before the jump hosts they go through."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in reversed(clients):
            client.close()

    def __enter__(self) -> LiveNodes:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- commands -----------------------------------------------------------------------------

    def _execute(self, node: str, command: Command, source: str) -> CommandOutput:
        import paramiko

        for attempt in (1, 2):
            client = self._client(node, source)
            transport = client.get_transport()
            try:
                channel = transport.open_session(timeout=self._connect_timeout)
                break
            except (paramiko.SSHException, EOFError, OSError) as error:
                if attempt == 1 and not transport.is_active():  # the server went away: log in again
                    self._forget(client)
                    continue
                raise Unreachable(
                    source, f"cannot open a session: {error or type(error).__name__}"
                ) from error
        self.commands_run += 1
        try:
            channel.exec_command(command.shell())
            channel.shutdown_write()
            return self._collect(channel, source)
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise Unreachable(source, f"the session broke off: {error or type(error).__name__}") from error
        finally:
            channel.close()

    def _collect(self, channel: paramiko.Channel, source: str) -> CommandOutput:
        """Read stdout and stderr to the end (both, so neither can stall the other), then the exit status."""
        deadline = time.monotonic() + self._command_timeout
        out, err = bytearray(), bytearray()
        while not channel.eof_received and not channel.closed:
            if channel.recv_ready():
                out += channel.recv(READ_CHUNK)
            elif channel.recv_stderr_ready():
                err += channel.recv_stderr(READ_CHUNK)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Unreachable(source, f"no complete answer within {self._command_timeout:g} s")
                select.select([channel], [], [], min(remaining, 1.0))
        while channel.recv_ready():  # everything sent before EOF is already buffered
            out += channel.recv(READ_CHUNK)
        while channel.recv_stderr_ready():
            err += channel.recv_stderr(READ_CHUNK)
        if not channel.status_event.wait(max(deadline - time.monotonic(), 0.5)):
            raise Unreachable(source, f"no exit status within {self._command_timeout:g} s")
        return CommandOutput(
            out.decode("utf-8", errors="replace"), channel.exit_status, err.decode("utf-8", errors="replace")
        )

    # --- connections --------------------------------------------------------------------------

    def _client(self, node: str, source: str) -> paramiko.SSHClient:
        """The node's logged-in client, connecting (through its jump hosts) on first use.

        Nodes connect concurrently; one lock per connection (a node, or a jump host several
        nodes go through) makes every thread that needs it wait for the one that logs in."""
        with self._lock:
            try:  # a bad ssh_config or ProxyJump loop makes this node's hop unknown, like any source failure
                if self._config is None:
                    quiet_paramiko()
                    self._config = SshConfig(**self._overrides)
                target, jumps = self._config.node(node)
            except InputError as error:
                raise SourceError(source, str(error)) from error
        client: paramiko.SSHClient | None = None
        path = [*jumps, target]
        for depth, endpoint in enumerate(path):
            key = tuple((e.user, e.hostname, e.port) for e in path[: depth + 1])
            with self._lock:
                login_lock = self._login_locks.setdefault(key, threading.Lock())
            with login_lock:
                cached = self._clients.get(key)
                transport = cached.get_transport() if cached else None
                if cached and transport and transport.is_active():
                    client = cached
                    continue
                if cached:
                    self._forget(cached)
                sock = None
                if client is not None:
                    via = path[depth - 1]
                    sock = self._forward(
                        client, (endpoint.hostname, endpoint.port), source, f"jump host {via.label}"
                    )
                client = self._login(endpoint, sock, source)
                with self._lock:
                    self._clients[key] = client
        assert client is not None
        return client

    def _forget(self, client: paramiko.SSHClient) -> None:
        with self._lock:
            self._clients = {k: c for k, c in self._clients.items() if c is not client}
        client.close()

    def _forward(
        self, client: paramiko.SSHClient, address: tuple[str, int], source: str, via: str
    ) -> paramiko.Channel:
        import paramiko

        where = f"{address[0]}:{address[1]}"
        try:
            return client.get_transport().open_channel(
                "direct-tcpip", address, ("127.0.0.1", 0), timeout=self._connect_timeout
            )
        except paramiko.ChannelException as error:
            if error.code == 1:  # administratively prohibited
                raise Forbidden(
                    source,
                    f"{via} refuses to forward to {where} ({error.text}); is AllowTcpForwarding off?",
                    f"TCP forwarding on {via}",
                ) from error
            raise Unreachable(source, f"{via} cannot connect to {where}: {error.text}") from error
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise Unreachable(
                source, f"{via} did not open a channel to {where}: {error or 'timed out'}"
            ) from error

    def _login(self, endpoint: Endpoint, sock: Any, source: str) -> paramiko.SSHClient:
        import paramiko

        client = paramiko.SSHClient()  # its own known_hosts stays empty: CheckHostKey sees every key
        user_files = (self._known_hosts,) if self._known_hosts else endpoint.user_known_hosts
        try:
            known = KnownHosts(user_files, endpoint.global_known_hosts)
        except SourceError as error:
            raise SourceError(source, f"{error.source}: {error.reason}") from None
        client.set_missing_host_key_policy(
            CheckHostKey(known, self._accept_unknown, self._trusted, self._trust_lock)
        )
        keys = self._identities(endpoint, source)
        try:
            client.connect(
                endpoint.hostname,
                port=endpoint.port,
                username=endpoint.user,
                key_filename=keys or None,
                look_for_keys=not keys,
                allow_agent=self._allow_agent,
                timeout=self._connect_timeout,
                banner_timeout=self._connect_timeout,
                auth_timeout=self._connect_timeout,
                channel_timeout=self._connect_timeout,
                sock=sock,
            )
        except Exception as error:
            client.close()
            raise connect_error(error, endpoint, source) from error
        self.connections_opened += 1
        client.get_transport().set_keepalive(30)
        return client

    def _identities(self, endpoint: Endpoint, source: str) -> list[str]:
        """Key files that exist; a missing key the profile names is an error, one from ssh_config is not."""
        named = self._identity_file
        if named and named in endpoint.identity_files and not os.path.isfile(named):
            raise SourceError(source, f"identity_file {self._identity_file} (profile [ssh]) does not exist")
        return [path for path in endpoint.identity_files if os.path.isfile(path)]
