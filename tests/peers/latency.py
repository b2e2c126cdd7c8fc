"""A DNS forwarder on loopback that answers every query a set time late, in front of the real dnsmasq.

dnsmasq cannot be told to answer slowly, and a benchmark of a live trace's critical path needs
every peer to take the same round trip. This forwarder listens on UDP and TCP on one port,
waits ``delay`` seconds per query, then relays the query unchanged to dnsmasq and its answer
unchanged to the client (UDP datagrams as they are; TCP with DNS's two-byte length prefix).
The other peers delay their own answers (``KubeApiPeer.delay``, ``OpenApiPeer.delay``,
``NodePeer.hang``).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from contextlib import suppress

from peers.dnsmasq import free_port


class DelayedDns:
    """``start()`` it in front of ``upstream`` (dnsmasq's port); set ``delay`` any time."""

    def __init__(self, upstream: int, delay: float = 0.0) -> None:
        self.upstream, self.delay = upstream, delay
        self.port = free_port()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._stopped = threading.Event()

    def start(self) -> DelayedDns:
        self._udp.bind(("127.0.0.1", self.port))
        self._tcp.bind(("127.0.0.1", self.port))
        self._tcp.listen(16)
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True, name="delayed-dns").start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        for sock in (self._udp, self._tcp):
            with suppress(OSError):
                sock.close()

    def _serve_udp(self) -> None:
        while not self._stopped.is_set():
            try:
                query, client = self._udp.recvfrom(65535)
            except OSError:
                return
            threading.Thread(target=self._relay_udp, args=(query, client), daemon=True).start()

    def _relay_udp(self, query: bytes, client: tuple[str, int]) -> None:
        time.sleep(self.delay)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.settimeout(5)
            out.sendto(query, ("127.0.0.1", self.upstream))
            with suppress(OSError):
                self._udp.sendto(out.recv(65535), client)

    def _serve_tcp(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._relay_tcp, args=(conn,), daemon=True).start()

    def _relay_tcp(self, conn: socket.socket) -> None:
        with conn, socket.create_connection(("127.0.0.1", self.upstream), timeout=5) as out:
            while True:
                message = _read_message(conn)
                if message is None:
                    return
                time.sleep(self.delay)
                out.sendall(message)
                answer = _read_message(out)
                if answer is None:
                    return
                conn.sendall(answer)


def _read_message(sock: socket.socket) -> bytes | None:
    """One length-prefixed DNS message over TCP, prefix included; None when the peer closed."""
    head = _exactly(sock, 2)
    if head is None:
        return None
    body = _exactly(sock, struct.unpack("!H", head)[0])
    return None if body is None else head + body


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data
