"""No credential survives a capture: every pattern, planted in every place the review found one.

The planted world is the demo world with a bundle of credentials (an ``LTAI…`` AccessKey ID, a
PEM block, a PEM block with no END line, ``Basic …`` and ``Bearer …`` credentials, an
``Authorization`` header, ``password=``, ``token:``, ``"secret": …`` and ``api_key=`` values) put
into: Pod, Node, Service and Ingress annotations (kept ones included), container ``args`` and
``command``, ``env`` of containers, init containers and ephemeral containers, probes and
lifecycle hooks, an Ingress ``configuration-snippet`` and the nginx.conf it renders into
(``proxy_set_header Authorization``), the dynamic backends JSON, cloud answers (Alidns, SLB),
node command output and ConfigMaps. Every domain is captured, plus a few extra reads, into a
zip; then ``ackwb report`` runs on that zip. Neither the zip nor the report may hold any of it,
and the snapshot must still replay to the same traces.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.sources import commands
from ackwb.sources.recording import REDACTED, recording, world_meta
from ackwb.sources.redact import redact_data, redact_text, scrub_kube
from ackwb.trace import run_trace

MARK = "PLANTED"
NEEDLES: list[str] = [MARK]  # each planted credential contains MARK, or is added here (base64)


def bundle(tag: str) -> list[str]:
    """Every credential pattern, each carrying a marker naming where it was planted."""
    basic = base64.b64encode(f"user:{MARK}{tag}".encode()).decode()
    NEEDLES.append(basic)
    return [
        f"LTAI5t{MARK}{tag}Key1",
        f"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{MARK}{tag}pem\nQUJDREVGR0hJSktMTU5PUFFS\n"
        "-----END RSA PRIVATE KEY-----",
        f"-----BEGIN PRIVATE KEY-----\nMIIEvgIBADAN{MARK}{tag}noend\nQUJDREVGR0hJSktMTU5PUFFS",
        f"Basic {basic}",
        f"Authorization: Bearer {MARK}{tag}bearer",
        f"Authorization: Digest {MARK}{tag}digest",
        f"password={MARK}{tag}pw",
        f"token: {MARK}{tag}tok",
        f'"secret": "{MARK}{tag}sec"',
        f"api_key={MARK}{tag}ak&x=1",
    ]


def text(tag: str) -> str:
    return "\n".join(bundle(tag))


def edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def leaky_container(tag: str, name: str) -> dict[str, Any]:
    return {
        "name": name, "image": "busybox",
        "command": ["sh", "-c", f"curl -H 'X-Key: {MARK}{tag}cmd' {text(tag + 'cmd')}"],
        "args": ["--watch-ingress-without-class=true", "--ingress-class", f"LTAI5t{MARK}{tag}flag",
                 f"--token={MARK}{tag}arg", "--password", f"{MARK}{tag}argpw"],
        "env": [{"name": "DB_URL", "value": f"postgres://app:{MARK}{tag}@db/app"},
                {"name": "API", "value": text(tag + "env")},
                {"name": "FROM", "valueFrom": {"secretKeyRef": {"name": f"{MARK}{tag}ref", "key": "k"}}}],
        "envFrom": [{"secretRef": {"name": f"{MARK}{tag}envfrom"}}],
        "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", f"echo {MARK}{tag}hook"]}}},
        "livenessProbe": {"exec": {"command": ["check", f"--key={MARK}{tag}probe"]}},
        "readinessProbe": {"httpGet": {"path": "/", "port": 80,
                                       "httpHeaders": [{"name": "X-Token", "value": f"{MARK}{tag}hdr"}]}},
    }  # fmt: skip


def plant_kube(world: Path) -> None:
    def pods(data: dict) -> None:
        for i, pod in enumerate(data["items"]):
            pod["metadata"]["annotations"] = {
                "example.com/leak": text(f"podann{i}"),
                "kubectl.kubernetes.io/last-applied-configuration": text(f"lac{i}"),
            }
            main = pod["spec"]["containers"][0]
            extra = leaky_container(f"pod{i}", main["name"])
            main.update({k: v for k, v in extra.items() if k not in ("name", "image")})
            pod["spec"]["initContainers"] = [leaky_container(f"init{i}", "init")]
            pod["spec"]["ephemeralContainers"] = [leaky_container(f"eph{i}", "debugger")]

    def annotate(data: dict, kind: str, kept: dict[str, str]) -> None:
        for i, item in enumerate(data["items"]):
            annotations = item["metadata"].setdefault("annotations", {})
            annotations["example.com/leak"] = text(f"{kind}ann{i}")
            annotations.update({k: v.format(i=i) for k, v in kept.items()})

    edit_json(world / "kube" / "pods.json", pods)
    edit_json(world / "kube" / "nodes.json", lambda d: annotate(d, "node", {}))
    edit_json(world / "kube" / "services.json", lambda d: annotate(d, "svc", {
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id": f"token={MARK}svckept{{i}}"}))
    snippet = 'proxy_set_header Authorization "Basic {b}";'
    edit_json(world / "kube" / "ingresses.json", lambda d: annotate(d, "ing", {
        "nginx.ingress.kubernetes.io/configuration-snippet": snippet.format(b=bundle("snippet")[3][6:]),
        "nginx.ingress.kubernetes.io/canary-by-header-value": f"password={MARK}canary{{i}}"}))
    eni_conf = json.dumps({"access_key": f"LTAI5t{MARK}enikey", "access_secret": f"{MARK}enisecret"})
    maps = [
        {"metadata": {"name": "eni-config", "namespace": "kube-system"},
         "data": {"disable_network_policy": "false", "eni_conf": eni_conf}},
        {"metadata": {"name": "app-config", "namespace": "app"},
         "data": {"DB_PASSWORD": f"{MARK}cmpw", "config.yaml": text("cm")},
         "binaryData": {"key.bin": base64.b64encode(MARK.encode()).decode()}},
    ]  # fmt: skip
    items = [{"apiVersion": "v1", "kind": "ConfigMap", **item} for item in maps]
    listing = {"apiVersion": "v1", "kind": "List", "items": items}
    (world / "kube" / "configmaps.json").write_text(json.dumps(listing), encoding="utf-8")


def plant_files(world: Path) -> None:
    for conf in world.glob("pods/*/*/nginx.conf"):
        lines = "".join(f"\t\t# {line}\n" for line in text("conf").splitlines())
        directives = (
            f'\t\tproxy_set_header Authorization "Bearer {MARK}confbearer";\n'
            f'\t\tproxy_set_header Authorization "Basic {bundle("confbasic")[3][6:]}";\n'
        )
        original = conf.read_text(encoding="utf-8")
        marker = "## end server app1.qas.abc.com"
        conf.write_text(original.replace(marker, lines + directives + "\t" + marker, 1), encoding="utf-8")
    for backends in world.glob("pods/*/*/backends.json"):
        leak = {"leak": text("backends"), "password": f"{MARK}bkpw"}
        edit_json(backends, lambda d, leak=leak: [b.update(leak) for b in d])
    edit_json(world / "cloud" / "slb" / "DescribeLoadBalancers.json", lambda d: [
        lb.update({"Tags": {"Tag": [{"TagKey": "deploy", "TagValue": text("slb")}]},
                   "AccessKeySecret": f"{MARK}slbsecret"})
        for lb in d["LoadBalancers"]["LoadBalancer"]])  # fmt: skip
    remark = {"Remark": text("alidns")}
    edit_json(world / "cloud" / "alidns" / "DescribeDomainRecords" / "abc.com.json",
              lambda d: [r.update(remark) for r in d["DomainRecords"]["Record"]])  # fmt: skip
    saved = world / "nodes" / "10.17.10.11" / "iptables-save.txt"
    saved.write_text("".join(f"# {line}\n" for line in text("iptables").splitlines()) + "*nat\nCOMMIT\n")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("planted") / "world"
    shutil.copytree(str(demo_world_root()), world)
    plant_kube(world)
    plant_files(world)
    return world


@pytest.fixture(scope="module")
def snapshot(planted: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wb = Workbook.from_world(planted)
    sources, rec = recording(wb.sources)
    for domain in wb.domains():
        run_trace(sources, domain)
    sources.node.run("10.17.10.11", commands.iptables_save_nat())  # command output
    pod = "nginx-ingress-controller-7rd2bmgfrg-zjxcw"
    sources.pod_exec.run("kube-system", pod, "nginx-ingress-controller", commands.nginx_backends())
    sources.kube.list("configmaps")
    output = tmp_path_factory.mktemp("out") / "planted.zip"
    return rec.write(output, world_meta("planted", "t", sources.settings))


def found(haystack: str) -> list[str]:
    return [needle for needle in NEEDLES if needle in haystack]


def test_the_planted_world_really_holds_every_credential(planted: Path) -> None:
    everything = "".join(p.read_text(encoding="utf-8") for p in planted.rglob("*") if p.is_file())
    assert everything.count(MARK) > 200 and all(needle in everything for needle in NEEDLES)


def test_no_credential_is_in_the_snapshot(snapshot: Path) -> None:
    archive = zipfile.ZipFile(snapshot)
    stored = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    leaks = {name: found(body) for name, body in stored.items() if found(body)}
    assert leaks == {}
    assert "kube/configmaps.json" in stored and "nodes/10.17.10.11/iptables-save.txt" in stored
    everything = "\n".join(stored.values())
    assert REDACTED in everything
    for absent in ("last-applied-configuration", "example.com/leak", "envFrom", "lifecycle", "eni_conf",
                   "binaryData", "httpHeaders"):  # fmt: skip
        assert absent not in everything, absent
    assert f'"proxy_set_header Authorization {REDACTED}' in everything  # the snippet is kept, not its secret


def test_what_steps_read_is_kept(snapshot: Path) -> None:
    archive = zipfile.ZipFile(snapshot)
    pods = json.loads(archive.read("kube/pods.json"))["items"]
    controller = next(p for p in pods if p["metadata"]["name"].startswith("nginx-ingress-controller"))
    container = controller["spec"]["containers"][0]
    assert container["args"] == ["--watch-ingress-without-class=true", "--ingress-class", REDACTED]
    assert [e["name"] for e in container["env"]] == ["DB_URL", "API", "FROM"]
    assert all(set(e) == {"name"} for e in container["env"])
    configmaps = json.loads(archive.read("kube/configmaps.json"))["items"]
    assert {c["metadata"]["name"]: c["data"] for c in configmaps} == {
        "app-config": {}, "eni-config": {"disable_network_policy": "false"}
    }
    ingresses = json.loads(archive.read("kube/ingresses.json"))["items"]
    app2 = next(i for i in ingresses if i["spec"]["rules"][0]["host"] == "app2.qas.abc.com")
    assert app2["metadata"]["annotations"]["nginx.ingress.kubernetes.io/service-upstream"] == "true"
    assert app2["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-by-header-value"] == (
        f"password={REDACTED}"
    )


def test_the_snapshot_replays_to_the_same_traces(planted: Path, snapshot: Path) -> None:
    live, replay = Workbook.from_world(planted), Workbook.from_snapshot(snapshot)
    for domain in live.domains():
        assert replay.trace(domain).rows == live.trace(domain).rows, domain


def test_no_credential_is_in_a_report_made_from_the_snapshot(snapshot: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    run = subprocess.run(
        [sys.executable, "-m", "ackwb.cli", "report", "app1.qas.abc.com", "--world", str(snapshot), "-o",
         str(output)], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert found(output.read_text(encoding="utf-8")) == []
    assert found(run.stderr + run.stdout) == []


@pytest.mark.parametrize(
    "raw",
    ["LTAI5tAbCdEfGhIjKlMn", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----",
     "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\nQUJD",
     "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Basic dXNlcjpwYXNzd29yZA==",
     "Proxy-Authorization: Negotiate YIIabc", "mysql://u:p@h?password=s3cr3t&x=1", 'token: "abc123def"',
     "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI",
     "STS.NUgYrLnoC37mZZCNnAbez2Mp5"],
)  # fmt: skip
def test_each_credential_pattern_is_redacted(raw: str) -> None:
    cleaned = redact_text(f"before {raw} after")
    assert REDACTED in cleaned and cleaned.startswith("before")
    secrets = ("AbCdEf", "MHcCAQEEIB", "b3BlbnNzaC1r", "eyJhbGci", "dXNlcjpw", "YIIabc", "s3cr3t", "abc123",
               "wJalrXUtnFEMI", "NUgYrLno")  # fmt: skip
    for secret in secrets:
        assert secret not in cleaned


def test_scrub_keeps_the_shape_a_step_needs() -> None:
    weight = {"nginx.ingress.kubernetes.io/canary-weight": "20"}
    container = {"name": "c", "ports": [{"containerPort": 80}], "args": ["--v=2"]}
    pod = {"metadata": {"name": "p", "annotations": {**weight, "x": "y"}, "managedFields": [{}]},
           "spec": {"containers": [container]}}  # fmt: skip
    kept = scrub_kube(pod, "pods")
    assert kept["metadata"] == {"name": "p", "annotations": weight}
    assert kept["spec"]["containers"] == [{"name": "c", "ports": [{"containerPort": 80}], "args": []}]
    assert pod["metadata"]["annotations"]["x"] == "y"  # the caller's object is not changed


def test_a_secret_is_named_but_never_read() -> None:
    """An Ingress names its TLS Secret; the name is what the trace shows, the key material is not."""
    ingress = {"spec": {"tls": [{"hosts": ["a.example.com"], "secretName": "shop-tls"}]},
               "data": {"tls.key": "c2VjcmV0", "password": "hunter22"}}  # fmt: skip
    kept = redact_data(ingress)
    assert kept["spec"]["tls"][0]["secretName"] == "shop-tls"
    assert kept["data"]["password"] == REDACTED


# Strings shaped like annotation keys that are not annotations: label keys (labels are kept whole)
# and the ingress-nginx controller class value.
NOT_ANNOTATIONS = {
    "kubernetes.io/service-name",
    "kubernetes.io/metadata.name",
    "k8s.io/ingress-nginx",
    "gateway.envoyproxy.io/owning-gateway-name",  # Envoy Gateway's labels on its proxy Service
    "gateway.envoyproxy.io/owning-gateway-namespace",
    "gateway.envoyproxy.io/gatewayclass-controller",  # Envoy Gateway's GatewayClass controllerName
    "gateways.alibabacloud.com/gateway",  # a tag on an ALB (cloud), not a Kubernetes annotation
}


def test_every_annotation_a_step_reads_is_kept() -> None:
    """Full keys in the step and parser sources, and ingress-nginx ones read by their short name
    (``record.annotation("use-regex")``, ``record.flag("canary")``)."""
    import re

    from ackwb.sources.kept_fields import keeps_annotation

    root = Path(__file__).resolve().parent.parent / "ackwb"
    keys = set()
    for path in [*(root / "steps").rglob("*.py"), *(root / "parse").rglob("*.py")]:
        text = path.read_text("utf-8")
        keys |= set(re.findall(r'"([a-z0-9.-]+\.(?:io|com|k8s)/[A-Za-z0-9._-]+)"', text))
        short = re.findall(r'\.(?:annotation|flag)\("([a-z0-9-]+)"\)', text)
        short += re.findall(r"SNIPPETS = \(([^)]*)\)", text) and re.findall(r'"([a-z-]+-snippet)"', text)
        keys |= {f"nginx.ingress.kubernetes.io/{name}" for name in short}
    assert "nginx.ingress.kubernetes.io/service-upstream" in keys, "the pattern above needs updating"
    assert [key for key in sorted(keys - NOT_ANNOTATIONS) if not keeps_annotation(key)] == []
