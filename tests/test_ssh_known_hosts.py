"""Host keys are checked against the known_hosts files OpenSSH reads, markers included, on real sshd.

``@cert-authority`` lines (and lines ackwb cannot read) used to make paramiko raise
``InvalidHostKey`` through the trace; ``@revoked`` was ignored; only the profile's file was read;
and ``accept_unknown_hosts = true`` with no known_hosts file trusted every key, changed ones
included. Now: markers never crash, a revoked key is refused even when the profile accepts unknown
keys, ssh_config's ``UserKnownHostsFile`` / ``GlobalKnownHostsFile`` (default
``/etc/ssh/ssh_known_hosts``) are read, and accepting unknown keys without any known_hosts file is
refused with a sentence saying why.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers.sshd import SshLab, ssh_lab

from ackwb.errors import Forbidden
from ackwb.sources import commands
from ackwb.sources.live_ssh import LiveNodes
from ackwb.sources.live_ssh_config import SshConfig
from ackwb.sources.live_ssh_known_hosts import DEFAULT_GLOBAL_FILES, DEFAULT_USER_FILES, KnownHosts
from ackwb.sources.world import load_demo_world

NODE = "10.17.10.11"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshLab]:
    with ssh_lab(load_demo_world(), tmp_path_factory.mktemp("ssh")) as started:
        yield started


@pytest.fixture
def nodes(lab: SshLab, tmp_path: Path) -> Iterator[object]:
    made: list[LiveNodes] = []

    def make(known_lines: list[str] | None = None, config_lines: str = "", **settings: object) -> LiveNodes:
        config = tmp_path / "ssh_config"
        if "GlobalKnownHostsFile" not in config_lines:  # keeps /etc/ssh out of the test unless asked for
            config_lines += f"    GlobalKnownHostsFile {tmp_path / 'no-global-known-hosts'}\n"
        config.write_text(f"Host *\n{config_lines}Include {lab.config}\n")
        options: dict = {"config_file": str(config), "allow_agent": False}
        if known_lines is not None:
            known = tmp_path / "known_hosts"
            known.write_text("".join(line + "\n" for line in known_lines))
            options["known_hosts"] = str(known)
        made.append(LiveNodes(**{**options, **settings}))
        return made[-1]

    yield make
    for made_nodes in made:
        made_nodes.close()


def lab_lines(lab: SshLab) -> list[str]:
    return [lab.node.host_key_line(n) for n in lab.node.ports] + [lab.jump.host_key_line("jump")]


def node_key(lab: SshLab) -> str:
    return " ".join(lab.node.host_key_line(NODE).split()[1:])


def test_cert_authority_and_unreadable_lines_do_not_break_the_check(lab: SshLab, nodes) -> None:
    lines = [f"@cert-authority *.example.com {OTHER_KEY}", "@cert-authority", "garbage line here",
             "# a comment", "127.0.0.9 ssh-ed25519 not-base64!!", *lab_lines(lab)]  # fmt: skip
    assert nodes(lines).run(NODE, commands.proxy_mode()).stdout == "ipvs"


def test_a_cert_authority_line_for_the_host_is_not_a_plain_key(lab: SshLab, nodes) -> None:
    port = lab.node.ports[NODE]
    lines = [f"@cert-authority [127.0.0.1]:{port} {node_key(lab)}", lab.jump.host_key_line("jump")]
    with pytest.raises(Forbidden, match="is not in"):
        nodes(lines).run(NODE, commands.proxy_mode())


@pytest.mark.parametrize("accept_unknown", [False, True])
def test_a_revoked_key_is_refused_even_when_listed_and_accepting_unknown_keys(
    lab: SshLab, nodes, accept_unknown: bool
) -> None:
    logged = len(lab.node.commands())
    lines = [f"@revoked * {node_key(lab)}", *lab_lines(lab)]
    with pytest.raises(Forbidden, match="REVOKED") as caught:
        nodes(lines, accept_unknown_hosts=accept_unknown).run(NODE, commands.proxy_mode())
    assert "@revoked in " in str(caught.value) and ":1)" in str(caught.value)
    assert len(lab.node.commands()) == logged  # nothing ran


def test_a_hashed_entry_is_matched(lab: SshLab, nodes) -> None:
    salt = b"0123456789abcdefghij"
    hashed = []
    for line in lab_lines(lab):
        name, rest = line.split(" ", 1)
        digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
        hashed.append(f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()} {rest}")
    assert nodes(hashed).run(NODE, commands.proxy_mode()).stdout == "ipvs"


def test_user_and_global_known_hosts_files_from_ssh_config_are_read(
    lab: SshLab, nodes, tmp_path: Path
) -> None:
    user, global_ = tmp_path / "user_known", tmp_path / "global_known"
    user.write_text(lab.jump.host_key_line("jump") + "\n")  # the jump host in the user file,
    global_.write_text("".join(lab.node.host_key_line(n) + "\n" for n in lab.node.ports))  # nodes globally
    config = f"    UserKnownHostsFile {tmp_path / 'absent'} {user}\n    GlobalKnownHostsFile {global_}\n"
    assert nodes(None, config_lines=config).run(NODE, commands.proxy_mode()).stdout == "ipvs"
    with pytest.raises(Forbidden, match="is not in"):  # without the global file the node is unknown
        nodes(None, config_lines=f"    UserKnownHostsFile {user}\n").run(NODE, commands.proxy_mode())


def test_openssh_default_files_when_ssh_config_names_none(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host 10.*\n    User root\n")
    endpoint, _ = SshConfig(str(config)).node(NODE)
    assert endpoint.user_known_hosts == DEFAULT_USER_FILES == ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
    assert endpoint.global_known_hosts == DEFAULT_GLOBAL_FILES == (
        "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"
    )  # fmt: skip
    assert KnownHosts((), (str(tmp_path / "g"),)).files == (str(tmp_path / "g"),)


def test_accepting_unknown_keys_without_any_known_hosts_file_is_refused(
    lab: SshLab, nodes, tmp_path: Path
) -> None:
    missing = tmp_path / "missing_known_hosts"
    made = nodes(None, accept_unknown_hosts=True, known_hosts=str(missing))
    with pytest.raises(Forbidden, match="no known_hosts file exists.*changed one included"):
        made.run(NODE, commands.proxy_mode())
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    trusting = nodes(None, accept_unknown_hosts=True, known_hosts=str(empty))
    assert trusting.run(NODE, commands.proxy_mode()).stdout == "ipvs"  # a file exists: trust on first use
    assert empty.read_text() == ""  # never written


def test_a_trace_with_a_revoked_node_key_has_an_unknown_hop_not_a_crash(lab: SshLab, nodes) -> None:
    from dataclasses import replace

    from ackwb.trace import run_trace

    made = nodes([f"@revoked * {node_key(lab)}", f"@cert-authority * {OTHER_KEY}", *lab_lines(lab)])
    trace = run_trace(replace(load_demo_world().sources(), node=made), "app1.qas.abc.com")
    revoked = [f for f in trace.findings if "REVOKED" in repr(f.evidence)]
    assert revoked and revoked[0].code == "SOURCE_FORBIDDEN"
