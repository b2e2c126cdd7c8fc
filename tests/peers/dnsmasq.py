"""A real dnsmasq on loopback serving a stored world's DNS records, for the live DNS source's tests.

The records come from a world's ``dns/public.json`` or ``dns/cluster.json`` (rows of name,
type, ttl, value). A and AAAA rows become ``host-record=`` (exact names; ``address=`` would
be a wildcard) and CNAME rows ``cname=``, each with the row's TTL. ``local=/#/`` makes every
other name NXDOMAIN, as in a world, instead of REFUSED for want of an upstream server. Records
come back in one order (``--no-round-robin``): a trace follows a name's first address, and two
traces of a name must agree.

dnsmasq logs every query (``log-queries``) to a file the test can read. Fault modes:
``stop()`` (refused: nothing listens any more), ``pause()`` (the process is stopped with
SIGSTOP, so queries time out) and ``resume()``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
QUERY_LINE = re.compile(r"query\[(\w+)\] (\S+) from")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


def record_options(records: list[dict[str, Any]]) -> list[str]:
    """dnsmasq options serving exactly these records."""
    options = []
    for row in records:
        name, kind, ttl, value = (
            str(row["name"]).rstrip("."),
            str(row["type"]).upper(),
            int(row["ttl"]),
            row["value"],
        )
        if kind in ("A", "AAAA"):
            options.append(f"--host-record={name},{value},{ttl}")
        elif kind == "CNAME":
            options.append(f"--cname={name},{str(value).rstrip('.')},{ttl}")
        else:
            raise ValueError(f"this peer serves A, AAAA and CNAME records, not {kind} ({row})")
    return options


@dataclass
class DnsPeer:
    records: list[dict[str, Any]]
    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / "dnsmasq.log"

    def start(self) -> DnsPeer:
        self.port = self.port or free_port()
        command = [
            DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
            "--conf-file=/dev/null", "--listen-address=127.0.0.1", "--bind-interfaces",
            f"--port={self.port}", "--pid-file=", "--log-queries", f"--log-facility={self.log}",
            "--local=/#/",  # every name not served here is NXDOMAIN, like a world
            "--no-round-robin",  # answers in one order, so two traces of a name follow the same address
            *record_options(self.records),
        ]  # fmt: skip
        if os.geteuid() == 0:
            command.append("--user=root")  # keep writing the log file the test owns
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"dnsmasq exited with {self.process.returncode}: {error}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dnsmasq did not listen on 127.0.0.1:{self.port} within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def queries(self) -> list[tuple[str, str]]:
        """(type, name) of every query dnsmasq logged, in order."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return [(m.group(1), m.group(2)) for m in QUERY_LINE.finditer(text)]


@contextmanager
def dnsmasq(records: list[dict[str, Any]], workdir: Path) -> Iterator[DnsPeer]:
    peer = DnsPeer(records, workdir).start()
    try:
        yield peer
    finally:
        peer.stop()
