"""The allow-list of read commands: exact argv only, quoting, and the narrowed ipvsadm listing."""

from __future__ import annotations

import shlex

import pytest

from ackwb import Workbook
from ackwb.parse.ipvsadm import parse_ipvsadm
from ackwb.sources import commands
from ackwb.sources.commands import Command


def test_builders_are_allowed_and_forgeries_are_not() -> None:
    built = [
        commands.proxy_mode(),
        commands.ipvsadm_list(),
        commands.ipvsadm_service("192.168.0.10", 53, "UDP"),
        commands.ipvsadm_service("fd00::a", 80),
        commands.iptables_save_nat(),
        commands.nft_kube_proxy(),
        commands.ip_addresses(),
        commands.nginx_server_block("app1.qas.abc.com"),
        commands.nginx_backends(),
        commands.nginx_backends_curl(),
    ]
    assert all(commands.is_allowed(c) for c in built)
    forged = [
        Command("ipvsadm", ("ipvsadm", "-C")),
        Command("ipvsadm-service", ("ipvsadm", "-Ln", "-t", "x; reboot")),
        Command("proxy-mode", ("curl", "-X", "POST", commands.PROXY_MODE_URL)),
        Command("rm", ("rm", "-rf", "/")),
        Command("nginx-server-block", ("awk", "-v", "h=x", 'BEGIN{system("id")}', commands.NGINX_CONF)),
    ]
    assert not any(commands.is_allowed(c) for c in forged)


def test_a_hostile_host_name_stays_one_argument() -> None:
    host = "x.example.com'; cat /etc/shadow; echo '"
    command = commands.nginx_server_block(host)
    assert shlex.split(command.shell()) == list(command.argv)
    assert commands.host_of(command) == host


@pytest.mark.parametrize(
    ("address", "port", "expected"), [("192.168.195.85", 8080, 1), ("192.168.195.85", 9, 0)]
)
def test_narrowed_ipvsadm_cut_from_the_stored_listing(address: str, port: int, expected: int) -> None:
    output = Workbook.demo().sources.node.run("10.17.10.11", commands.ipvsadm_service(address, port))
    if expected:
        table = parse_ipvsadm(output.stdout, "ipvsadm -Ln -t")
        assert [(s.address, s.port) for s in table.services] == [(address, port)]
        assert [r.address for r in table.services[0].real_servers] == ["10.17.10.91"]
    else:
        assert output.exit_status == 1 and output.stdout == ""
