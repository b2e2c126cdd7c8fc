"""The allow-list of read-only commands ackwb runs on nodes and inside Pods.

Commands are argv tuples, never shell strings: a host name taken from a cluster object
travels as one argument and is never interpolated into a shell. Sources refuse any
``Command`` not built here.
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass

NGINX_CONF = "/etc/nginx/nginx.conf"
BACKENDS_URL = "http://127.0.0.1:10246/configuration/backends"
PROXY_MODE_URL = "http://127.0.0.1:10249/proxyMode"


@dataclass(frozen=True)
class Command:
    """One allow-listed command: ``name`` says what it reads, ``argv`` how."""

    name: str
    argv: tuple[str, ...]

    def shell(self) -> str:
        """The command quoted for a POSIX shell (how SSH transmits it)."""
        return shlex.join(self.argv)

    def __str__(self) -> str:
        return self.shell()


def proxy_mode() -> Command:
    """kube-proxy's mode: prints ``ipvs``, ``iptables`` or ``nftables``."""
    return Command("proxy-mode", ("curl", "-s", "--max-time", "5", PROXY_MODE_URL))


def ipvsadm_list() -> Command:
    return Command("ipvsadm", ("ipvsadm", "-Ln"))


IPVS_PROTOCOL_FLAGS = {"TCP": "-t", "UDP": "-u", "SCTP": "--sctp-service"}


def ipvsadm_service(address: str, port: int, protocol: str = "TCP") -> Command:
    """One IPVS virtual service and its real servers (output without the version line)."""
    flag = IPVS_PROTOCOL_FLAGS[protocol.upper()]
    host = f"[{address}]" if ":" in address else address
    return Command("ipvsadm-service", ("ipvsadm", "-Ln", flag, f"{host}:{int(port)}"))


def service_of(command: Command) -> tuple[str, str, int]:
    """(protocol, address, port) of an ``ipvsadm-service`` command."""
    protocol = next(p for p, flag in IPVS_PROTOCOL_FLAGS.items() if flag == command.argv[2])
    host, _, port = command.argv[3].rpartition(":")
    return protocol, host.strip("[]"), int(port)


def service_file_name(command: Command) -> str:
    """Where a snapshot keeps one ``ipvsadm-service`` answer, e.g. ``TCP_192.168.195.85_8080.txt``."""
    protocol, address, port = service_of(command)
    return f"{protocol}_{address.replace(':', '.')}_{port}.txt"


def iptables_save_nat() -> Command:
    return Command("iptables-save", ("iptables-save", "-t", "nat"))


def nft_kube_proxy() -> Command:
    return Command("nft", ("nft", "-j", "list", "table", "ip", "kube-proxy"))


def ip_addresses() -> Command:
    return Command("ip-addr", ("ip", "-o", "addr"))


def nginx_server_block(host: str) -> Command:
    """Print only the rendered server block of ``host``, between its markers."""
    # ingress-nginx indents the markers, so each line is compared with its blanks trimmed.
    program = (
        r'{ line = $0; sub(/^[ \t]+/, "", line); sub(/[ \t\r]+$/, "", line) } '
        'line == "## start server " h { on = 1 } '
        "on { print } "
        'on && line == "## end server " h { exit }'
    )
    return Command("nginx-server-block", ("awk", "-v", f"h={host}", program, NGINX_CONF))


def nginx_conf() -> Command:
    """The whole rendered nginx.conf: every server block at once, for a sweep of every host."""
    return Command("nginx-conf", ("cat", NGINX_CONF))


def nginx_backends() -> Command:
    """The controller's dynamic backends JSON (what the Lua balancer really uses)."""
    return Command("nginx-backends", ("/dbg", "backends", "all"))


def nginx_backend(name: str) -> Command:
    """One dynamic backend by name: what the balancer uses for one location, whatever the cluster size."""
    return Command("nginx-backend", ("/dbg", "backends", "get", name))


def nginx_backends_curl() -> Command:
    """Fallback for controllers whose image has no ``/dbg``."""
    return Command("nginx-backends", ("curl", "-s", "--max-time", "5", BACKENDS_URL))


NODE_COMMANDS = {
    "proxy-mode": proxy_mode,
    "ipvsadm": ipvsadm_list,
    "ipvsadm-service": ipvsadm_service,
    "iptables-save": iptables_save_nat,
    "nft": nft_kube_proxy,
    "ip-addr": ip_addresses,
}
POD_COMMANDS = {"nginx-server-block", "nginx-conf", "nginx-backend", "nginx-backends"}
ALLOWED = frozenset(NODE_COMMANDS) | POD_COMMANDS


def host_of(command: Command) -> str:
    """The host argument of an ``nginx-server-block`` command."""
    return command.argv[2].removeprefix("h=")


def is_allowed(command: Command) -> bool:
    """True only for a command exactly as a builder of this module makes it (no forged argv)."""
    if command.name == "ipvsadm-service":
        try:
            protocol, address, port = service_of(command)
            ipaddress.ip_address(address)  # the -t argument is exactly IP:port, nothing else
        except (IndexError, StopIteration, ValueError):
            return False
        return 0 < port < 65536 and command == ipvsadm_service(address, port, protocol)
    if command.name == "nginx-server-block":
        return len(command.argv) == 5 and command == nginx_server_block(host_of(command))
    if command.name == "nginx-backends":
        return command in (nginx_backends(), nginx_backends_curl())
    if command.name == "nginx-conf":
        return command == nginx_conf()
    if command.name == "nginx-backend":
        return len(command.argv) == 4 and command == nginx_backend(command.argv[3])
    build = NODE_COMMANDS.get(command.name)
    return build is not None and command == build()
