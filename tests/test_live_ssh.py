"""The live node source against real OpenSSH servers: a node behind a jump host, on loopback.

The node sshd answers every allow-listed command with the demo world's output for that
node (see tests/peers/sshd.py), so live answers are compared with the world source's. The
test's ssh_config maps the node IPs 10.17.10.x to loopback ports: no private address is
ever contacted, and the cluster DNS is a dnsmasq on loopback reached through the node.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from peers.dnsmasq import DnsPeer, dnsmasq
from peers.sshd import SshLab, ssh_lab

from ackwb.errors import Forbidden, InputError, SourceError, Unreachable
from ackwb.profiles import load_profile
from ackwb.sources import commands
from ackwb.sources.base import CommandOutput, Sources
from ackwb.sources.commands import Command
from ackwb.sources.live_dns import LiveDns
from ackwb.sources.live_ssh import LiveNodes
from ackwb.sources.live_ssh_config import SshConfig, split_spec
from ackwb.sources.world import World, WorldNodes, load_demo_world
from ackwb.trace import run_trace

NODE = "10.17.10.11"
MakeNodes = Callable[..., LiveNodes]


@pytest.fixture(scope="module")
def world() -> World:
    return load_demo_world()


@pytest.fixture(scope="module")
def lab(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshLab]:
    with ssh_lab(world, tmp_path_factory.mktemp("ssh")) as started:
        yield started


@pytest.fixture(scope="module")
def cluster_dns(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsPeer]:
    with dnsmasq(world.files.json("dns/cluster.json"), tmp_path_factory.mktemp("kube-dns")) as peer:
        yield peer


@pytest.fixture
def make_nodes(lab: SshLab) -> Iterator[MakeNodes]:
    """LiveNodes on the lab's ssh_config and known_hosts (no agent); all closed after the test."""
    made: list[LiveNodes] = []

    def make(**settings: object) -> LiveNodes:
        options: dict = {
            "config_file": str(lab.config),
            "known_hosts": str(lab.known_hosts),
            "allow_agent": False,
        }
        nodes = LiveNodes(**{**options, **settings})
        made.append(nodes)
        return nodes

    yield make
    for nodes in made:
        nodes.close()


def node_commands() -> list[Command]:
    """Every allow-listed node command: those without arguments and one narrowed ipvsadm."""
    built = [build() for name, build in commands.NODE_COMMANDS.items() if name != "ipvsadm-service"]
    return [
        *built,
        commands.ipvsadm_service("192.168.195.85", 8080),
        commands.ipvsadm_service("192.0.2.9", 1),
    ]


def test_commands_through_the_jump_host_answer_what_the_world_holds(
    world: World, lab: SshLab, make_nodes
) -> None:
    nodes, expected = make_nodes(), WorldNodes(world.files)
    for node in lab.node.ports:
        for command in node_commands():
            live = nodes.run(node, command)
            try:
                assert live == expected.run(node, command), (node, command)
            except Unreachable:  # the world has no such output: a real node lacks the tool
                assert live == CommandOutput("", 127, f"sh: 1: {command.argv[0]}: not found\n")
    assert nodes.connections_opened == 1 + len(lab.node.ports)  # the jump host, then each node once


def test_the_node_receives_exactly_the_quoted_command_and_argv(world: World, lab: SshLab, make_nodes) -> None:
    nodes, before = make_nodes(), len(lab.node.argvs())
    command = commands.ipvsadm_service("192.168.195.85", 8080)
    nodes.run(NODE, command)
    assert lab.node.commands()[-1] == {"node": NODE, "command": command.shell()}
    assert lab.node.argvs()[before:] == [{"node": NODE, "argv": list(command.argv)}]


def test_hostile_arguments_arrive_as_one_argv_element(lab: SshLab, make_nodes) -> None:
    """A host name from a cluster object travels quoted: no shell on the node interprets it."""
    hostile = "x'; touch /tmp/ackwb-pwned; echo \"$(id)\" `id` | & ;'"
    command = commands.nginx_server_block(hostile)  # allow-listed, with the richest quoting
    nodes, before = make_nodes(), len(lab.node.argvs())
    nodes._execute(NODE, command, "test")  # bypasses only the node/pod check: awk is faked on this node
    assert lab.node.argvs()[before:] == [{"node": NODE, "argv": list(command.argv)}]
    assert not Path("/tmp/ackwb-pwned").exists()


def test_one_connection_per_node_and_one_shared_jump_host(lab: SshLab, make_nodes) -> None:
    node_before, jump_before = lab.node.accepted_logins(), lab.jump.accepted_logins()
    nodes = make_nodes()
    for _ in range(3):
        nodes.run(NODE, commands.proxy_mode())
        nodes.run("10.17.10.12", commands.ipvsadm_list())
    assert lab.node.accepted_logins() - node_before == 2
    assert lab.jump.accepted_logins() - jump_before == 1
    assert (nodes.connections_opened, nodes.commands_run) == (3, 6)


def test_concurrent_reads_share_one_login_per_node_and_jump_host(
    world: World, lab: SshLab, make_nodes
) -> None:
    """Steps read several nodes at once (Sources.gather): every thread that needs a connection
    waits for the one that logs in, so no node and no jump host is logged into twice."""
    node_before, jump_before = lab.node.accepted_logins(), lab.jump.accepted_logins()
    nodes, expected = make_nodes(), WorldNodes(world.files)
    work = [node for node in sorted(lab.node.ports) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        answers = list(pool.map(lambda node: nodes.run(node, commands.proxy_mode()), work))
    assert answers == [expected.run(node, commands.proxy_mode()) for node in work]
    assert lab.node.accepted_logins() - node_before == len(lab.node.ports)
    assert lab.jump.accepted_logins() - jump_before == 1
    assert nodes.connections_opened == 1 + len(lab.node.ports)


def test_jump_host_from_the_profile_overrides_proxyjump(lab: SshLab, make_nodes) -> None:
    jump_before = lab.jump.accepted_logins()
    nodes = make_nodes(jump_host=f"{lab.user}@127.0.0.1:{lab.jump.ports['jump']}", identity_file=str(lab.key))
    assert nodes.run(NODE, commands.proxy_mode()).stdout == "ipvs"
    assert lab.jump.accepted_logins() - jump_before == 1
    direct = make_nodes(jump_host="none")
    assert direct.run(NODE, commands.proxy_mode()).stdout == "ipvs"
    assert lab.jump.accepted_logins() - jump_before == 1  # "none": straight to the node


def test_unknown_host_key_is_refused_unless_the_profile_accepts_it(
    lab: SshLab, make_nodes, tmp_path: Path
) -> None:
    known = lab.write_known_hosts(tmp_path / "known_hosts", nodes=False)
    before = known.read_text()
    logged = len(lab.node.commands())
    with pytest.raises(Forbidden) as caught:
        make_nodes(known_hosts=str(known)).run(NODE, commands.proxy_mode())
    message = str(caught.value)
    port = lab.node.ports[NODE]
    assert f"ssh {NODE}:" in message and f"[127.0.0.1]:{port}" in message and "SHA256:" in message
    assert "accept_unknown_hosts = true" in message and f"ssh {NODE}" in message
    assert len(lab.node.commands()) == logged  # nothing ran
    trusting = make_nodes(known_hosts=str(known), accept_unknown_hosts=True)
    assert trusting.run(NODE, commands.proxy_mode()).stdout == "ipvs"
    assert known.read_text() == before  # trusted in memory, never written


def test_unknown_jump_host_key_is_refused_too(lab: SshLab, make_nodes, tmp_path: Path) -> None:
    known = lab.write_known_hosts(tmp_path / "known_hosts", jump=False)
    with pytest.raises(Forbidden, match=rf"jump .*\[127\.0\.0\.1\]:{lab.jump.ports['jump']}"):
        make_nodes(known_hosts=str(known)).run(NODE, commands.proxy_mode())


def test_changed_host_key_is_refused_as_a_possible_attack(lab: SshLab, make_nodes, tmp_path: Path) -> None:
    impostor = Path(f"{lab.wrong_key}.pub").read_text().split()[:2]
    lines = [f"[127.0.0.1]:{port} {' '.join(impostor)}" for port in lab.node.ports.values()]
    known = tmp_path / "known_hosts"
    known.write_text("\n".join([*lines, lab.jump.host_key_line("jump")]) + "\n")
    with pytest.raises(Forbidden, match="CHANGED.*ssh-keygen -R"):
        make_nodes(known_hosts=str(known), accept_unknown_hosts=True).run(NODE, commands.proxy_mode())


FORGED = {
    "extra argument": Command("ipvsadm", ("ipvsadm", "-Ln", ";", "reboot")),
    "other program under a known name": Command("proxy-mode", ("rm", "-rf", "/")),
    "unknown name": Command("shell", ("sh", "-c", "id")),
    "pod command on a node": commands.nginx_backends(),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_commands_are_refused_without_connecting(case: str, lab: SshLab, make_nodes) -> None:
    logins = lab.node.accepted_logins() + lab.jump.accepted_logins()
    nodes = make_nodes()
    with pytest.raises(Forbidden) as caught:
        nodes.run(NODE, FORGED[case])
    assert caught.value.source.startswith(f"ssh {NODE}: ")
    assert nodes.connections_opened == 0
    assert lab.node.accepted_logins() + lab.jump.accepted_logins() == logins


def test_command_timeout_is_unreachable_and_the_connection_survives(lab: SshLab, make_nodes) -> None:
    nodes = make_nodes(command_timeout=0.5)
    nodes.run(NODE, commands.proxy_mode())
    lab.node.hang(3)
    try:
        started = time.monotonic()
        with pytest.raises(Unreachable, match=r"no complete answer within 0.5 s"):
            nodes.run(NODE, commands.ipvsadm_list())
        assert time.monotonic() - started < 2
    finally:
        lab.node.hang(None)
    assert nodes.run(NODE, commands.proxy_mode()).stdout == "ipvs"
    assert nodes.connections_opened == 2  # jump host and node, reused after the timeout


def test_cluster_dns_through_the_node_equals_the_world(
    world: World, lab: SshLab, cluster_dns: DnsPeer, make_nodes
) -> None:
    """kube-dns (a dnsmasq on loopback standing in for 192.168.0.10) is asked over the node's connection."""
    nodes = make_nodes()
    live = LiveDns(
        cluster_dns="127.0.0.1",
        cluster_dns_port=cluster_dns.port,
        open_channel=lambda address: nodes.open_channel(NODE, address),
    )
    logged = len(lab.node.commands())
    expected = world.sources().dns
    for row in world.files.json("dns/cluster.json"):
        assert live.resolve_in_cluster(row["name"]) == expected.resolve_in_cluster(row["name"])
    with pytest.raises(InputError, match="NXDOMAIN from the cluster DNS"):
        live.resolve_in_cluster("missing.app.svc.cluster.local")
    assert nodes.connections_opened == 2 and len(lab.node.commands()) == logged  # no shell command ran
    assert ("A", "app1-service.app.svc.cluster.local") in cluster_dns.queries()


def test_forwarding_to_a_closed_port_is_unreachable(make_nodes) -> None:
    nodes = make_nodes()
    with pytest.raises(Unreachable, match="cannot connect to 127.0.0.1:9"):
        nodes.open_channel(NODE, ("127.0.0.1", 9))


def test_wrong_key_is_forbidden_and_a_missing_key_file_is_named(lab: SshLab, make_nodes) -> None:
    with pytest.raises(Forbidden) as caught:
        make_nodes(identity_file=str(lab.wrong_key)).run(NODE, commands.proxy_mode())
    assert f"login as {lab.user}" in str(caught.value) and caught.value.permission.startswith(
        "SSH public key"
    )
    with pytest.raises(SourceError, match="identity_file .*absent.* does not exist"):
        make_nodes(identity_file="/nonexistent/absent_key").run(NODE, commands.proxy_mode())


def test_stopped_servers_are_unreachable(lab: SshLab, make_nodes) -> None:
    connected = make_nodes()
    connected.run(NODE, commands.proxy_mode())
    lab.node.stop()
    try:
        with pytest.raises(Unreachable, match="127.0.0.1"):  # the jump host cannot connect to it
            make_nodes().run(NODE, commands.proxy_mode())
        with pytest.raises(Unreachable, match="refused"):
            make_nodes(jump_host="none").run(NODE, commands.proxy_mode())
        with pytest.raises(Unreachable):  # the cached connection died with the server
            connected.run(NODE, commands.proxy_mode())
    finally:
        lab.node.start()
    lab.jump.stop()
    try:
        with pytest.raises(Unreachable, match="jump"):
            make_nodes().run(NODE, commands.proxy_mode())
    finally:
        lab.jump.start()
    assert make_nodes().run(NODE, commands.proxy_mode()).stdout == "ipvs"


def test_trace_with_live_nodes_and_dns_equals_the_demo_trace(
    world: World, lab: SshLab, cluster_dns: DnsPeer, make_nodes, tmp_path: Path
) -> None:
    demo = world.sources()
    with dnsmasq(world.files.json("dns/public.json"), tmp_path / "public-dns") as public:
        nodes = make_nodes()
        node_ip = NODE  # any node: kube-dns answers the same from each
        live = Sources(
            kube=demo.kube,
            cloud=demo.cloud,
            dns=LiveDns(
                resolvers=[f"127.0.0.1:{public.port}"],
                cluster_dns="127.0.0.1",
                cluster_dns_port=cluster_dns.port,
                open_channel=lambda address: nodes.open_channel(node_ip, address),
            ),
            node=nodes,
            pod_exec=demo.pod_exec,
            description=demo.description,
            settings=demo.settings,
        )
        got, expected = run_trace(live, "app1.qas.abc.com"), run_trace(demo, "app1.qas.abc.com")
    assert got.rows == expected.rows
    assert [(s.step, s.rows) for s in got.steps] == [(s.step, s.rows) for s in expected.steps]
    assert [(f.code, f.message) for f in got.findings] == [(f.code, f.message) for f in expected.findings]
    assert any(c["command"] == "ipvsadm -Ln" for c in lab.node.commands())


def test_a_profile_maps_onto_the_live_sources(lab: SshLab, cluster_dns: DnsPeer, tmp_path: Path) -> None:
    file = tmp_path / "ackwb.toml"
    file.write_text(
        f'[profiles.lab]\nregion = "cn-hangzhou"\n'
        f'[profiles.lab.ssh]\nconfig_file = "{lab.config}"\nknown_hosts = "{lab.known_hosts}"\n'
        "command_timeout = 5\n"
        f'[profiles.lab.dns]\ncluster_dns = "127.0.0.1"\ncluster_dns_port = {cluster_dns.port}\n'
    )
    profile = load_profile("lab", file)
    with LiveNodes.from_settings(profile.ssh) as nodes:
        assert nodes.run(NODE, commands.proxy_mode()).stdout == "ipvs"
        dns = LiveDns.from_settings(
            profile.dns, "127.0.0.2", lambda address: nodes.open_channel(NODE, address)
        )
        assert [r.value for r in dns.resolve_in_cluster("kube-dns.kube-system.svc.cluster.local")] == [
            "192.168.0.10"
        ]  # the profile's cluster_dns (the dnsmasq) won over the discovered address


def test_only_allow_listed_commands_ever_reached_a_node(lab: SshLab, make_nodes) -> None:
    """Read-only: every command line and argv any test of this module sent to a node is allow-listed."""
    make_nodes().run(NODE, commands.ip_addresses())
    logged, argvs = lab.node.commands(), [a["argv"] for a in lab.node.argvs()]
    assert logged and len(argvs) == len(logged)  # each command line ran exactly one (fake) program
    for argv in argvs:
        assert any(commands.is_allowed(Command(name, tuple(argv))) for name in commands.ALLOWED), argv
    assert {entry["command"] for entry in logged} == {shlex.join(argv) for argv in argvs}


# --- ssh_config handling without servers ------------------------------------------------------


def test_proxyjump_chains_and_includes_resolve_like_openssh(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "nodes.conf").write_text(
        "Host 10.0.0.5\n    HostName node5.internal\n    Port 2200\n"
    )
    config = tmp_path / "config"
    config.write_text(
        f"Include {tmp_path}/conf.d/*.conf\n"
        "Host outer\n    HostName outer.example.com\n    User alice\n"
        "Host inner\n    HostName 10.0.0.2\n    ProxyJump outer\n"
        "Host 10.0.0.*\n    User ops\n    ProxyJump inner,bob@relay:2022\n"
    )
    target, hops = SshConfig(str(config)).node("10.0.0.5")
    assert (target.hostname, target.port, target.user) == ("node5.internal", 2200, "ops")
    assert [(h.hostname, h.port, h.user != "") for h in hops] == [
        ("outer.example.com", 22, True),
        ("10.0.0.2", 22, True),
        ("relay", 2022, True),
    ]
    assert hops[0].user == "alice" and hops[2].user == "bob"
    profile = SshConfig(str(config), user="root", port=22, jump_host="none")
    target, hops = profile.node("10.0.0.5")
    assert (target.user, target.port, hops) == ("root", 22, [])


def test_proxyjump_loops_and_bad_specs_are_input_errors(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Host a\n    ProxyJump b\nHost b\n    ProxyJump a\n")
    with pytest.raises(InputError, match="ProxyJump chain longer"):
        SshConfig(str(config), jump_host="a").node("10.0.0.1")
    assert split_spec("u@[::1]:2222") == ("u", "::1", 2222)
    with pytest.raises(InputError, match="not a TCP port"):
        split_spec("host:ssh")
