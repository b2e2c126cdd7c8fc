"""Loading worlds, DNS answers, node commands and the controller exec emulation.

Small worlds written into tmp_path exercise what the demo world does not contain (CNAME
chains, broken files); the demo world checks the real artefacts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from ackwb.demo import SCENARIOS, demo_world_root
from ackwb.errors import Forbidden, InputError, NotCaptured, ParseError, SourceError, Unreachable
from ackwb.sources import commands
from ackwb.sources.commands import Command
from ackwb.sources.world import load_demo_world, load_world, server_block

CONTROLLER = "nginx-ingress-controller"
HOSTS = ["app1.qas.abc.com", "app2.qas.abc.com", "app3.qas.abc.com", "_"]


def write_world(root: Path, files: dict[str, object]) -> Path:
    files = {"world.json": {"name": "tiny", "region": "cn-hangzhou"}, **files}
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return root


@pytest.fixture(scope="module")
def demo():
    return load_demo_world().sources()


@pytest.fixture(scope="module")
def controller(demo) -> str:
    return demo.kube.list("pods", "kube-system", "app=ingress-nginx")[0]["metadata"]["name"]


# -------------------------------------------------------------------------------------- loading
def test_demo_scenarios() -> None:
    assert "healthy" in SCENARIOS
    assert demo_world_root("healthy").joinpath("world.json").is_file()
    with pytest.raises(InputError) as error:
        demo_world_root("broken-acl")
    assert "'broken-acl'" in str(error.value) and "healthy" in str(error.value)


def test_descriptions_and_settings(tmp_path: Path) -> None:
    builtin = load_world(demo_world_root()).sources()
    assert builtin.description == "demo world 'healthy' (built in, no cluster needed)"
    assert builtin.settings.cluster_id.startswith("c") and len(builtin.settings.cluster_id) == 33
    assert builtin.settings.ingress_selector == "app=ingress-nginx"
    stored = load_world(write_world(tmp_path, {})).sources()
    assert stored.description == f"stored world 'tiny' from {tmp_path}"
    assert stored.settings.ingress_container == CONTROLLER  # defaults when world.json says nothing
    assert load_world(str(tmp_path)).name == "tiny"


@pytest.mark.parametrize(
    ("content", "error"),
    [(None, InputError), ("{not json", ParseError), ("[]", ParseError),
     ({"region": "cn-hangzhou"}, InputError), ({"name": "x", "region": ""}, InputError)],
)  # fmt: skip
def test_bad_world_json(tmp_path: Path, content, error) -> None:
    if content is not None:
        (tmp_path / "world.json").write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(error) as raised:
        load_world(tmp_path)
    assert str(tmp_path) in str(raised.value)


def test_files_are_read_only_when_needed(tmp_path: Path) -> None:
    world = load_world(
        write_world(
            tmp_path,
            {
                "cloud/slb/DescribeLoadBalancers.json": "{broken",
                "kube/pods.json": {"apiVersion": "v1", "kind": "List", "items": []},
                "kube/services.json": {"items": "not a list"},
            },
        )
    )
    sources = world.sources()
    assert sources.kube.list("pods") == []
    with pytest.raises(NotCaptured, match=r"holds no kube/nodes.json"):  # absent file: unknown, not empty
        sources.kube.list("nodes")
    with pytest.raises(SourceError, match="DescribeLoadBalancers.json is not valid JSON"):
        sources.cloud.call("slb", "DescribeLoadBalancers", {})
    with pytest.raises(SourceError, match="not a Kubernetes List"):
        sources.kube.list("services")
    # a listing the world does not hold is unknown, never an account without such resources
    with pytest.raises(NotCaptured, match=r"holds no cloud/vpc/DescribeEipAddresses.json"):
        sources.cloud.call("vpc", "DescribeEipAddresses", {})


# ------------------------------------------------------------------------------------------ dns
def test_demo_dns(demo) -> None:
    (record,) = demo.dns.resolve("app3.qas.abc.com")
    assert (record.name, record.type, record.value) == ("app3.qas.abc.com.", "A", "198.51.100.20")
    (svc,) = demo.dns.resolve_in_cluster("app1-service.app.svc.cluster.local")
    assert svc.value == "192.168.195.85"
    with pytest.raises(InputError, match="does not resolve"):
        demo.dns.resolve("app1-service.app.svc.cluster.local")  # cluster names are not public
    with pytest.raises(InputError, match="does not resolve"):
        demo.dns.resolve("nope.qas.abc.com")


def test_cname_chains(tmp_path: Path) -> None:
    dns = (
        load_world(
            write_world(
                tmp_path,
                {
                    "dns/public.json": [
                        {"name": "www.abc.com.", "type": "CNAME", "ttl": 60, "value": "edge.abc.com."},
                        {"name": "edge.abc.com", "type": "CNAME", "ttl": 60, "value": "lb.abc.com"},
                        {"name": "lb.abc.com.", "type": "A", "ttl": 600, "value": "203.0.113.10"},
                        {"name": "lb.abc.com.", "type": "A", "ttl": 600, "value": "203.0.113.11"},
                        {"name": "dangling.abc.com.", "type": "CNAME", "ttl": 60, "value": "gone.abc.com."},
                        {"name": "loop-a.abc.com.", "type": "CNAME", "ttl": 60, "value": "loop-b.abc.com."},
                        {"name": "loop-b.abc.com.", "type": "CNAME", "ttl": 60, "value": "loop-a.abc.com."},
                        {"name": "mail.abc.com.", "type": "MX", "ttl": 60, "value": "10 mx.abc.com."},
                    ]
                },
            )
        )
        .sources()
        .dns
    )
    answer = dns.resolve("WWW.abc.com")
    assert [(r.name, r.type, r.value) for r in answer] == [
        ("www.abc.com.", "CNAME", "edge.abc.com."),
        ("edge.abc.com.", "CNAME", "lb.abc.com"),
        ("lb.abc.com.", "A", "203.0.113.10"),
        ("lb.abc.com.", "A", "203.0.113.11"),
    ]
    assert [r.type for r in dns.resolve("www.abc.com.", "CNAME")] == ["CNAME"]
    assert dns.resolve("mail.abc.com", "A") == []  # exists, no A: NOERROR, empty answer
    with pytest.raises(InputError, match="gone.abc.com. does not resolve.*dangling.abc.com."):
        dns.resolve("dangling.abc.com")
    with pytest.raises(SourceError, match="longer than"):
        dns.resolve("loop-a.abc.com")


def test_broken_dns_file(tmp_path: Path) -> None:
    dns = load_world(write_world(tmp_path, {"dns/public.json": [{"name": "a.", "type": "A"}]})).sources().dns
    with pytest.raises(SourceError, match="record 1"):
        dns.resolve("a")


# ---------------------------------------------------------------------------------------- nodes
def test_node_commands(demo) -> None:
    mode = demo.node.run("10.17.10.11", commands.proxy_mode())
    assert mode.stdout == "ipvs" and mode.exit_status == 0
    table = demo.node.run("10.17.10.13", commands.ipvsadm_list()).stdout
    assert "TCP  192.168.195.85:8080 rr\n  -> 10.17.10.91:8080" in table
    assert "kube-ipvs0" in demo.node.run("10.17.10.12", commands.ip_addresses()).stdout


def test_node_refusals(demo) -> None:
    with pytest.raises(Unreachable) as unknown:
        demo.node.run("10.17.10.99", commands.ipvsadm_list())
    assert "10.17.10.99" in str(unknown.value)
    with pytest.raises(Unreachable) as missing:
        demo.node.run("10.17.10.11", commands.iptables_save_nat())
    assert "10.17.10.11" in str(missing.value) and "iptables-save" in str(missing.value)
    for forged in (Command("ipvsadm", ("rm", "-rf", "/")), Command("cat", ("cat", "/etc/shadow"))):
        with pytest.raises(Forbidden):
            demo.node.run("10.17.10.11", forged)
    with pytest.raises(Forbidden):
        demo.node.run("10.17.10.11", commands.nginx_backends())
    with pytest.raises(Unreachable):
        demo.node.run("../10.17.10.11", commands.ipvsadm_list())


# ------------------------------------------------------------------------------------ pod exec
@pytest.mark.parametrize("host", HOSTS)
def test_server_block(demo, controller: str, host: str) -> None:
    block = demo.pod_exec.run("kube-system", controller, CONTROLLER, commands.nginx_server_block(host)).stdout
    lines = block.splitlines()
    assert lines[0].strip() == f"## start server {host}" and lines[-1].strip() == f"## end server {host}"
    assert f"server_name {host} ;" in block and block.endswith("\n")
    assert block.count("## start server") == 1


def test_server_block_of_unknown_host_is_empty(demo, controller: str) -> None:
    assert (
        demo.pod_exec.run(
            "kube-system", controller, CONTROLLER, commands.nginx_server_block("app1.qas.abc")
        ).stdout
        == ""
    )


def test_server_block_cut() -> None:
    conf = (
        "a\n\t## start server x\n\tserver {\n\t}\n\t## end server x\n\t## start server y\n\t## end server y\n"
    )
    assert server_block(conf, "x") == "\t## start server x\n\tserver {\n\t}\n\t## end server x\n"
    assert server_block("## start server x\nno end\n", "x") == "## start server x\nno end\n"
    assert server_block(conf, "x.y") == ""


def test_backends(demo, controller: str) -> None:
    pretty = demo.pod_exec.run("kube-system", controller, CONTROLLER, commands.nginx_backends()).stdout
    raw = demo.pod_exec.run("kube-system", controller, CONTROLLER, commands.nginx_backends_curl()).stdout
    assert json.loads(pretty) == json.loads(raw)
    assert pretty.startswith('[\n  {\n    "name"') and "\n" not in raw
    names = [b["name"] for b in json.loads(raw)]
    assert names == sorted(names) and "upstream-default-backend" in names


def test_exec_refusals(demo, controller: str) -> None:
    with pytest.raises(Forbidden):
        demo.pod_exec.run("kube-system", controller, CONTROLLER, commands.ipvsadm_list())
    with pytest.raises(Forbidden):
        demo.pod_exec.run(
            "kube-system",
            controller,
            CONTROLLER,
            Command("nginx-server-block", ("cat", "/etc/nginx/nginx.conf")),
        )
    with pytest.raises(SourceError, match="not found"):
        demo.pod_exec.run(
            "kube-system", "nginx-ingress-controller-gone", CONTROLLER, commands.nginx_backends()
        )
    with pytest.raises(SourceError, match="not valid for pod"):
        demo.pod_exec.run("kube-system", controller, "controller", commands.nginx_backends())
    coredns = demo.kube.list("pods", "kube-system", "k8s-app=kube-dns")[0]["metadata"]["name"]
    with pytest.raises(Unreachable, match=re.escape(coredns)):
        demo.pod_exec.run("kube-system", coredns, "coredns", commands.nginx_backends())


def test_a_world_inside_a_zip_file(tmp_path: Path) -> None:
    """A snapshot file holds the same tree: any Traversable root works, zipfile.Path included."""
    demo_dir = Path(str(demo_world_root()))
    archive = tmp_path / "snapshot.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in demo_dir.rglob("*"):
            if path.is_file():
                zf.write(path, path.relative_to(demo_dir).as_posix())
    sources = load_world(zipfile.Path(archive)).sources()
    assert sources.description.startswith("stored world 'healthy' from ")
    assert [r.value for r in sources.dns.resolve("app2.qas.abc.com")] == ["203.0.113.10"]
    records = sources.cloud.call("alidns", "DescribeSubDomainRecords", {"SubDomain": "app3.qas.abc.com"})
    assert records["TotalCount"] == 1
    assert sources.node.run("10.17.10.12", commands.proxy_mode()).stdout == "ipvs"
    controller = sources.kube.list("pods", "kube-system", "app=ingress-nginx")[0]["metadata"]["name"]
    block = sources.pod_exec.run("kube-system", controller, CONTROLLER, commands.nginx_server_block("_"))
    assert "upstream-default-backend" in block.stdout


@pytest.mark.parametrize("host", [*HOSTS, "app1.qas.abc", "no.such.host"])
def test_emulation_prints_what_the_allow_listed_awk_prints(demo, controller: str, host: str) -> None:
    if shutil.which("awk") is None:
        pytest.skip("no awk on this machine")
    conf = Path(str(demo_world_root())) / "pods" / "kube-system" / controller / "nginx.conf"
    command = commands.nginx_server_block(host)
    real = subprocess.run([*command.argv[:-1], str(conf)], capture_output=True, text=True, check=True).stdout
    assert demo.pod_exec.run("kube-system", controller, CONTROLLER, command).stdout == real
