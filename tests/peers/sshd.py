"""Real OpenSSH sshd processes on loopback: a node (one port per world node) and a jump host.

Keys are made by the test with ssh-keygen (ed25519): each sshd has its own host key, and the
client's public key is the only authorized one. The settings work without root privileges
where sshd allows it (UsePAM no, StrictModes no, PidFile and logs in the work directory).

The node sshd runs every command through ``ForceCommand node_shell.py <node-ip>`` (chosen by
``Match LocalPort``, so each world node has its own port): the script logs the command line
exactly as sshd received it, then hands it to ``/bin/sh -c`` with a PATH holding only fake
executables (curl, ipvsadm, iptables-save, nft, ip, awk). Each fake logs the argv the shell
gave it, so a test sees the quoting as a real node would apply it, and prints the world's
stored output for that node (exit 127 "command not found" when the world holds none, as a
node without the tool would). Nothing else can run: there is no other program on the PATH.
Fault modes: ``stop()`` (refused), ``hang(seconds)`` (the fakes sleep before answering).

The jump host only forwards TCP (``AllowTcpForwarding yes``; sessions get /bin/false).
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ackwb.errors import SourceError
from ackwb.sources import commands
from ackwb.sources.world import World, WorldNodes

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd needs it when started as root
FAKE_PROGRAMS = ["awk", "curl", "ip", "iptables-save", "ipvsadm", "nft"]

NODE_SHELL = """\
import json, os, sys
peer, node = os.path.dirname(os.path.abspath(__file__)), sys.argv[1]
original = os.environ.get("SSH_ORIGINAL_COMMAND")
with open(os.path.join(peer, "commands.log"), "a") as log:
    log.write(json.dumps({"node": node, "command": original}) + "\\n")
if original is None:
    sys.stderr.write("this test node runs commands only\\n")
    sys.exit(1)
env = {"PATH": os.path.join(peer, "bin"), "PEER_DIR": peer, "NODE_IP": node, "LANG": "C.UTF-8"}
os.execve("/bin/sh", ["sh", "-c", original], env)
"""

FAKE_PROGRAM = """\
import json, os, sys, time
peer, node = os.environ["PEER_DIR"], os.environ["NODE_IP"]
argv = [os.path.basename(sys.argv[0]), *sys.argv[1:]]
with open(os.path.join(peer, "argv.log"), "a") as log:
    log.write(json.dumps({"node": node, "argv": argv}) + "\\n")
hang = os.path.join(peer, "hang")
if os.path.exists(hang):
    with open(hang) as seconds:
        time.sleep(float(seconds.read()))
with open(os.path.join(peer, "responses.json")) as responses:
    answer = json.load(responses).get(node, {}).get(json.dumps(argv))
if answer is None and argv[:2] == ["ipvsadm", "-Ln"] and len(argv) == 4:
    answer = {"stdout": "", "exit_status": 1, "stderr": "Memory allocation problem\\n"}  # no such service
if answer is None:
    answer = {"stdout": "", "exit_status": 2, "stderr": argv[0] + ": the test node has no answer\\n"}
sys.stdout.write(answer["stdout"])
sys.stderr.write(answer["stderr"])
sys.exit(answer["exit_status"])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_key(path: Path) -> Path:
    """A new ed25519 key pair (``path`` and ``path.pub``) without a passphrase."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True
    )
    return path


@dataclass
class SshPeer:
    """One sshd. ``ports`` maps a name (a node IP, or "jump") to the port it listens on for it."""

    name: str
    workdir: Path
    authorized_key: Path  # the client's public key
    ports: dict[str, int]
    match_blocks: dict[str, str] = field(default_factory=dict)  # name → sshd lines for its port
    forward: bool = True
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / "sshd.log"
        self.host_key = make_key(self.workdir / "ssh_host_ed25519_key")
        shutil.copy(self.authorized_key, self.workdir / "authorized_keys")
        self.config = self.workdir / "sshd_config"
        self.config.write_text(self._config_text(), encoding="utf-8")

    def _config_text(self) -> str:
        lines = [f"ListenAddress 127.0.0.1:{port}" for port in self.ports.values()]
        lines += [
            f"HostKey {self.host_key}",
            f"PidFile {self.workdir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.workdir / 'authorized_keys'}",
            "UsePAM no", "StrictModes no", "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "PermitTTY no",
            f"AllowTcpForwarding {'yes' if self.forward else 'no'}", "X11Forwarding no",
            "AllowAgentForwarding no", "LogLevel VERBOSE", "MaxSessions 64", "MaxStartups 64",
            "SetEnv SHLVL=1",  # bash skips ~/.bashrc (which it reads under sshd) when nested
        ]  # fmt: skip
        for name, block in self.match_blocks.items():
            lines += [f"Match LocalPort {self.ports[name]}", *(f"    {line}" for line in block.splitlines())]
        return "\n".join(lines) + "\n"

    def host_key_line(self, name: str) -> str:
        """The known_hosts line for the port of ``name``, as OpenSSH writes it for 127.0.0.1."""
        kind, key = Path(f"{self.host_key}.pub").read_text(encoding="utf-8").split()[:2]
        return f"[127.0.0.1]:{self.ports[name]} {kind} {key}"

    def start(self) -> SshPeer:
        if os.geteuid() == 0:
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        check = subprocess.run([SSHD, "-t", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"sshd rejects {self.config}: {check.stderr}")
        command = [SSHD, "-D", "-f", str(self.config), "-E", str(self.log)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        for port in self.ports.values():
            while not _answers_ssh(port):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"sshd {self.name} did not listen on {port}; see {self.log}")
                time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop the listener and every connection it forked (each calls setsid, so no process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in _descendants(self.process.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def accepted_logins(self) -> int:
        """How many logins sshd accepted so far (one per SSH connection)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text.count("Accepted publickey for ")


def _descendants(root: int) -> list[int]:
    """Ids of every process below ``root``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _answers_ssh(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
            return probe.recv(8).startswith(b"SSH-")
    except OSError:
        return False


class NodePeer(SshPeer):
    """The node sshd: one port per node of the world, commands answered from the world's files."""

    def __init__(self, world: World, workdir: Path, authorized_key: Path) -> None:
        nodes = _node_dirs(world)
        python = f"{sys.executable} -S"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "node_shell.py").write_text(NODE_SHELL, encoding="utf-8")
        _install_fakes(workdir / "bin", python)
        (workdir / "responses.json").write_text(json.dumps(_responses(world, nodes)), encoding="utf-8")
        super().__init__(
            name="node",
            workdir=workdir,
            authorized_key=authorized_key,
            ports={node: free_port() for node in nodes},
            match_blocks={
                node: f"ForceCommand {python} {workdir / 'node_shell.py'} {node}" for node in nodes
            },
        )

    def commands(self) -> list[dict[str, Any]]:
        """Every command line sshd handed to a session: {"node", "command"}."""
        return _json_lines(self.workdir / "commands.log")

    def argvs(self) -> list[dict[str, Any]]:
        """Every argv a fake program received from the shell: {"node", "argv"}."""
        return _json_lines(self.workdir / "argv.log")

    def hang(self, seconds: float | None) -> None:
        """Make every command sleep ``seconds`` before answering; None answers at once again."""
        flag = self.workdir / "hang"
        if seconds is None:
            flag.unlink(missing_ok=True)
        else:
            flag.write_text(str(seconds), encoding="utf-8")


def _node_dirs(world: World) -> list[str]:
    """The world's nodes: an overlay's node folders and its base's together."""
    found: set[str] = set()
    for root in (world.root, world.files.base):
        folder = root.joinpath("nodes") if root is not None else None
        if folder is not None and folder.is_dir():
            found.update(child.name for child in folder.iterdir() if child.is_dir())
    return sorted(found)


def _responses(world: World, nodes: list[str]) -> dict[str, dict[str, Any]]:
    """node → json(argv) → what the world's own node source answers, for every allow-listed node
    command: those without arguments, and ``ipvsadm -Ln -t|-u VIP:PORT`` for each virtual service
    of the node's listing. A command the world holds no output of is "not found" (exit 127)."""
    source = WorldNodes(world.files)
    answers: dict[str, dict[str, Any]] = {}
    for node in nodes:
        wanted = [build() for name, build in commands.NODE_COMMANDS.items() if name != "ipvsadm-service"]
        try:
            listing = source.run(node, commands.ipvsadm_list()).stdout
        except SourceError:
            listing = ""
        answers[node] = _virtual_services(listing)
        for command in wanted:
            try:
                out = source.run(node, command)
                answer = {"stdout": out.stdout, "exit_status": out.exit_status, "stderr": out.stderr}
            except SourceError:
                answer = {
                    "stdout": "",
                    "exit_status": 127,
                    "stderr": f"sh: 1: {command.argv[0]}: not found\n",
                }
            answers[node][json.dumps(list(command.argv))] = answer
    return answers


def _virtual_services(listing: str) -> dict[str, Any]:
    """json(argv) → the answer of ``ipvsadm -Ln -t|-u VIP:PORT`` for each virtual service of a node's
    listing: its two column-title lines, the service line and its real servers (one pass, so a
    node with thousands of services is ready at once; ``world.ipvs_service_output`` cuts the same)."""
    lines = listing.splitlines(keepends=True)
    answers: dict[str, Any] = {}
    for start, line in enumerate(lines):
        words = line.split()
        if len(words) < 2 or words[0] not in commands.IPVS_PROTOCOL_FLAGS:
            continue
        end = start + 1
        while end < len(lines) and lines[end].startswith("  ->"):
            end += 1
        address, _, port = words[1].rpartition(":")
        command = commands.ipvsadm_service(address.strip("[]"), int(port), words[0])
        text = "".join(lines[1:3] + lines[start:end])
        answers[json.dumps(list(command.argv))] = {"stdout": text, "exit_status": 0, "stderr": ""}
    return answers


def _install_fakes(bin_dir: Path, python: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    program = bin_dir / "fake_program.py"
    program.write_text(f"#!{python}\n{FAKE_PROGRAM}", encoding="utf-8")
    program.chmod(0o755)
    for name in FAKE_PROGRAMS:
        (bin_dir / name).unlink(missing_ok=True)
        (bin_dir / name).symlink_to(program)


def _json_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class SshLab:
    """A node sshd, a jump sshd, the client's keys, known_hosts and an ssh_config pointing at them."""

    node: NodePeer
    jump: SshPeer
    key: Path  # the authorized private key
    wrong_key: Path  # a key no server accepts
    known_hosts: Path
    config: Path
    user: str

    def write_known_hosts(self, path: Path, nodes: bool = True, jump: bool = True) -> Path:
        lines = [self.node.host_key_line(n) for n in self.node.ports] if nodes else []
        lines += [self.jump.host_key_line("jump")] if jump else []
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path


def write_client_config(workdir: Path, node: NodePeer, jump: SshPeer, user: str, key: Path) -> Path:
    """~/.ssh/config for the lab: node IPs map to loopback ports, reached through ``jump``.

    The node blocks live in an included file, so the source's Include handling is exercised.
    """
    nodes = workdir / "nodes.conf"
    nodes.write_text(
        "".join(f"Host {ip}\n    HostName 127.0.0.1\n    Port {port}\n" for ip, port in node.ports.items()),
        encoding="utf-8",
    )
    config = workdir / "ssh_config"
    # the healthy world's node range, and that of the world served (its nodes' first two octets)
    ranges = " ".join(sorted({"10.17.*", *(".".join(ip.split(".")[:2]) + ".*" for ip in node.ports)}))
    config.write_text(
        f"Include {nodes}\n"
        f"Host jump\n    HostName 127.0.0.1\n    Port {jump.ports['jump']}\n    User {user}\n"
        f"    IdentityFile {key}\n"
        f"Host {ranges}\n    User {user}\n    IdentityFile {key}\n    ProxyJump jump\n",
        encoding="utf-8",
    )
    return config


@contextmanager
def ssh_lab(world: World, workdir: Path) -> Iterator[SshLab]:
    """Start both sshd processes; stop them on exit."""
    keys = workdir / "client"
    keys.mkdir(parents=True, exist_ok=True)
    key, wrong_key = make_key(keys / "id_ed25519"), make_key(keys / "id_wrong")
    public = Path(f"{key}.pub")
    node = NodePeer(world, workdir / "node", public)
    jump = SshPeer(
        "jump", workdir / "jump", public, {"jump": free_port()}, {"jump": "ForceCommand /bin/false"}
    )
    user = getpass.getuser()
    config = write_client_config(keys, node, jump, user, key)
    lab = SshLab(node, jump, key, wrong_key, keys / "known_hosts", config, user)
    lab.write_known_hosts(lab.known_hosts)
    try:
        node.start()
        jump.start()
        yield lab
    finally:
        node.stop()
        jump.stop()
