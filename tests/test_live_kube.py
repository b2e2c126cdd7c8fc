"""The live Kubernetes source, with the real ``kubernetes`` client, against a loopback API server.

The server (tests/peers/kube_api.py) serves the demo world and answers by delegating to
the world's own sources, so every answer of ``LiveKube``/``LivePodExec`` must equal the
world source's answer exactly: same dicts, same command output. The server records every
request, which is how the tests see that selectors reach the server, that refused reads
send nothing, and that nothing but GET is ever sent. Faults (refuse, hang, 403, 401) must
come back as the package's errors, on time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers.kube_api import KubeApiPeer, running_kube_api

from ackwb.demo import demo_world_root
from ackwb.errors import Forbidden, InputError, SourceError, Unreachable
from ackwb.sources import Sources, commands
from ackwb.sources.commands import Command
from ackwb.sources.live_kube import LiveKube
from ackwb.sources.live_kube_exec import LivePodExec, exit_status_of
from ackwb.sources.world import World, load_world
from ackwb.trace import run_trace

CONTROLLER_NS = "kube-system"
CONTROLLERS = ["nginx-ingress-controller-7rd2bmgfrg-58r7g", "nginx-ingress-controller-7rd2bmgfrg-zjxcw"]
CONTAINER = "nginx-ingress-controller"
DOMAINS = ["app1.qas.abc.com", "app2.qas.abc.com", "app3.qas.abc.com"]
FAST = {"connect_timeout": 1.0, "read_timeout": 1.0}


@pytest.fixture(scope="module")
def world() -> World:
    return load_world(demo_world_root())


@pytest.fixture(scope="module")
def server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KubeApiPeer, Path]]:
    with running_kube_api(world, tmp_path_factory.mktemp("kube")) as started:
        yield started


@pytest.fixture
def peer(server: tuple[KubeApiPeer, Path]) -> Iterator[KubeApiPeer]:
    server[0].reset()
    yield server[0]
    server[0].reset()


@pytest.fixture
def kubeconfig(server: tuple[KubeApiPeer, Path]) -> Path:
    return server[1]


@pytest.fixture
def kube(peer: KubeApiPeer, kubeconfig: Path) -> Iterator[LiveKube]:
    live = LiveKube(kubeconfig, "peer", **FAST)
    yield live
    live.close()


@pytest.fixture
def pod_exec(peer: KubeApiPeer, kubeconfig: Path) -> LivePodExec:
    return LivePodExec(kubeconfig, "peer", connect_timeout=1.0, command_timeout=1.0)


# --------------------------------------------------------------------------------- reads equal the world
# (resource, namespace, label selector, field selector, the world has matches)
LISTS = [
    ("pods", "app", "app=app1-service", "", True),
    ("pods", None, "app=app2-service", "", True),
    ("pods", CONTROLLER_NS, "app=ingress-nginx", "spec.nodeName=cn-hangzhou.10.17.10.11", True),
    ("pods", CONTROLLER_NS, "app=ingress-nginx", "spec.nodeName=cn-hangzhou.10.17.10.13", False),
    ("pods", "app", "", "status.podIP=10.17.10.92", True),
    ("pods", None, "app in (app2-service,app3-service),pod-template-hash!=vrxcm62m7j", "", True),
    ("endpointslices", "app", "kubernetes.io/service-name=app1-service", "", True),
    ("endpointslices", None, "kubernetes.io/service-name=kube-dns", "", True),
    ("endpointslices", "app", "kubernetes.io/service-name=no-such-service", "", False),
    ("ingresses", None, "", "", True),
    ("ingresses", "app", "", "metadata.name=app3-service-ingress", True),
    ("ingressclasses", None, "", "", True),
    ("nodes", None, "", "", True),
    ("nodes", "app", "kubernetes.io/hostname=cn-hangzhou.10.17.10.12", "", True),  # namespace ignored
    ("services", CONTROLLER_NS, "app", "", True),
    ("namespaces", None, "", "", True),
    ("namespaces", None, "kubernetes.io/metadata.name=app", "", True),
    ("networkpolicies", None, "", "", False),
    ("daemonsets", "kube-system", "k8s-app=kube-proxy-worker", "", True),
    ("configmaps", "kube-system", "", "metadata.name=eni-config", True),
]


@pytest.mark.parametrize(("resource", "namespace", "labels", "fields", "matches"), LISTS)
def test_list_equals_the_world_and_sends_the_selectors(
    kube: LiveKube, peer: KubeApiPeer, world: World, resource, namespace, labels, fields, matches
) -> None:
    expected = world.sources().kube.list(resource, namespace, labels, fields)
    assert bool(expected) == matches, "the case no longer tests what it says"
    assert kube.list(resource, namespace, labels, fields) == expected
    [request] = peer.requests
    assert request.param("labelSelector") == (labels or None)
    assert request.param("fieldSelector") == (fields or None)
    scoped = namespace is not None and resource not in ("nodes", "namespaces", "ingressclasses")
    assert (f"/namespaces/{namespace}/" in request.path) == scoped, request.path


GETS = [
    ("pods", "app1-service-pjqndqqcsj-5qkv4", "app"),
    ("pods", CONTROLLERS[0], CONTROLLER_NS),
    ("services", "app1-service", "app"),
    ("endpointslices", "app2-service-vjt7f", "app"),
    ("ingresses", "app1-service-ingress", "app"),
    ("ingressclasses", "nginx", None),
    ("nodes", "cn-hangzhou.10.17.10.11", None),
    ("pods", "app1-service-pjqndqqcsj-5qkv4", CONTROLLER_NS),  # wrong namespace: missing
    ("services", "no-such-service", "app"),
    ("nodes", "cn-hangzhou.10.17.10.99", None),
]


@pytest.mark.parametrize(("resource", "name", "namespace"), GETS)
def test_get_equals_the_world(kube: LiveKube, world: World, resource: str, name: str, namespace) -> None:
    assert kube.get(resource, name, namespace) == world.sources().kube.get(resource, name, namespace)


def test_list_items_carry_api_version_and_kind_although_the_server_leaves_them_out(kube: LiveKube) -> None:
    slices = kube.list("endpointslices", "app")
    assert slices and {(s["apiVersion"], s["kind"]) for s in slices} == {
        ("discovery.k8s.io/v1", "EndpointSlice")
    }
    assert list(slices[0])[:2] == ["apiVersion", "kind"]


def test_long_lists_are_followed_page_by_page(peer: KubeApiPeer, kubeconfig: Path, world: World) -> None:
    live = LiveKube(kubeconfig, "peer", page_size=3, **FAST)
    expected = world.sources().kube.list("pods")
    assert live.list("pods") == expected
    assert len(peer.requests) == -(-len(expected) // 3)
    assert [r.param("continue") is None for r in peer.requests] == [True] + [False] * (len(peer.requests) - 1)


def test_a_field_the_api_server_does_not_index_is_an_error_naming_it(kube: LiveKube) -> None:
    with pytest.raises(SourceError, match="field label not supported: spec.containers") as caught:
        kube.list("pods", "app", field_selector="spec.containers=x")
    assert caught.value.source == "kube:list pods"


# --------------------------------------------------------------------------------- exec equals the world
EXECS = [commands.nginx_server_block(domain) for domain in DOMAINS] + [
    commands.nginx_server_block("not-served.abc.com"),
    commands.nginx_backends(),
    commands.nginx_backends_curl(),
]


@pytest.mark.parametrize("pod", CONTROLLERS)
@pytest.mark.parametrize(
    "command", EXECS, ids=lambda c: f"{c.name}:{c.argv[2] if len(c.argv) > 2 else c.argv[0]}"
)
def test_exec_output_equals_the_world_and_sends_argv_exactly(
    pod_exec: LivePodExec, peer: KubeApiPeer, world: World, pod: str, command: Command
) -> None:
    expected = world.sources().pod_exec.run(CONTROLLER_NS, pod, CONTAINER, command)
    assert pod_exec.run(CONTROLLER_NS, pod, CONTAINER, command) == expected
    [request] = peer.requests
    assert request.exec_argv == command.argv
    assert request.param("container") == CONTAINER and request.authorized


def test_exit_status_comes_from_the_status_channel(pod_exec: LivePodExec, peer: KubeApiPeer) -> None:
    # coredns has no nginx.conf: the peer's awk fails with exit status 1 and says why on stderr
    out = pod_exec.run(CONTROLLER_NS, "coredns-64cgcrll59-d2dfv", "coredns", commands.nginx_backends())
    assert (out.stdout, out.exit_status) == ("", 1) and "backends.json" in out.stderr
    peer.missing_programs = {"/dbg"}  # an image without /dbg: no exit code, the program is missing
    out = pod_exec.run(CONTROLLER_NS, CONTROLLERS[0], CONTAINER, commands.nginx_backends())
    assert out.exit_status == 127 and '"/dbg"' in out.stderr


STATUSES = [
    ("", 0),
    ('{"metadata":{},"status":"Success"}', 0),
    (
        '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
        3,
    ),
    (
        '{"status":"Failure","reason":"InternalError","message":"exec: \\"x\\": executable file not found"}',
        127,
    ),
    ('{"status":"Failure","reason":"InternalError","message":"permission denied"}', 126),
]


@pytest.mark.parametrize(("text", "code"), STATUSES)
def test_status_channel_parsing(text: str, code: int) -> None:
    assert exit_status_of("pod a/b", text)[0] == code


@pytest.mark.parametrize(
    "text",
    ["not json", "[1]", '{"status":"Failure","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}'],
)
def test_a_malformed_status_is_a_source_error(text: str) -> None:
    with pytest.raises(SourceError, match="pod a/b"):
        exit_status_of("pod a/b", text)


def test_exec_into_a_missing_pod_or_container_names_it(pod_exec: LivePodExec) -> None:
    with pytest.raises(SourceError, match='pods "gone" not found in namespace kube-system'):
        pod_exec.run(CONTROLLER_NS, "gone", CONTAINER, commands.nginx_backends())
    with pytest.raises(SourceError, match="container sidecar is not valid"):
        pod_exec.run(CONTROLLER_NS, CONTROLLERS[0], "sidecar", commands.nginx_backends())


# --------------------------------------------------------------------------------- refused before sending
FORGED = [
    Command("nginx-backends", ("cat", "/etc/shadow")),
    Command("nginx-server-block", ("awk", "-v", "h=x", 'BEGIN { system("id") }', commands.NGINX_CONF)),
    Command("shell", ("sh", "-c", "id")),
    commands.ipvsadm_list(),  # allow-listed, but for nodes
]


@pytest.mark.parametrize("command", FORGED, ids=lambda c: c.name + ":" + c.argv[0])
def test_commands_off_the_pod_allow_list_are_refused_without_a_request(
    pod_exec: LivePodExec, peer: KubeApiPeer, command: Command
) -> None:
    with pytest.raises(Forbidden, match=f"pod {CONTROLLER_NS}/"):
        pod_exec.run(CONTROLLER_NS, CONTROLLERS[0], CONTAINER, command)
    assert peer.requests == []


def test_secrets_are_refused_without_a_request(kube: LiveKube, peer: KubeApiPeer) -> None:
    with pytest.raises(Forbidden, match="never reads Secrets"):
        kube.list("secrets", "app")
    with pytest.raises(Forbidden, match="never reads Secrets"):
        kube.get("secrets", "tls", "app")
    assert peer.requests == []


def test_unknown_resources_and_unscoped_gets_are_refused_without_a_request(
    kube: LiveKube, peer: KubeApiPeer
) -> None:
    with pytest.raises(SourceError, match="'widgets'"):
        kube.list("widgets")
    with pytest.raises(InputError, match="namespaced"):
        kube.get("pods", "app1-service-pjqndqqcsj-5qkv4")
    assert peer.requests == []


# --------------------------------------------------------------------------------- faults
def test_a_refused_connection_is_unreachable(peer: KubeApiPeer, kubeconfig: Path) -> None:
    peer.set_fault("refuse")
    kube, pod_exec = LiveKube(kubeconfig, "peer", **FAST), LivePodExec(kubeconfig, "peer")
    with pytest.raises(Unreachable, match="connection refused") as caught:
        kube.list("pods", "app", "app=app1-service")
    assert caught.value.source == "kube:list pods"
    with pytest.raises(Unreachable, match="refused"):
        kube.get("nodes", "cn-hangzhou.10.17.10.11")
    with pytest.raises(Unreachable, match=f"pod {CONTROLLER_NS}/"):
        pod_exec.run(CONTROLLER_NS, CONTROLLERS[0], CONTAINER, commands.nginx_backends())


def test_a_server_that_never_answers_is_unreachable_on_time(peer: KubeApiPeer, kubeconfig: Path) -> None:
    peer.set_fault("hang")
    kube = LiveKube(kubeconfig, "peer", connect_timeout=1.0, read_timeout=0.5)
    pod_exec = LivePodExec(kubeconfig, "peer", connect_timeout=0.5, command_timeout=0.5)
    start = time.monotonic()
    with pytest.raises(Unreachable, match="did not answer within 0.5 s"):
        kube.get("pods", CONTROLLERS[0], CONTROLLER_NS)
    with pytest.raises(Unreachable, match="no answer within 1 s"):
        pod_exec.run(CONTROLLER_NS, CONTROLLERS[0], CONTAINER, commands.nginx_backends())
    assert time.monotonic() - start < 2.5
    assert len(peer.requests) == 2  # the read was not retried


def test_rbac_403_is_forbidden_naming_the_permission(
    peer: KubeApiPeer, kube: LiveKube, pod_exec: LivePodExec
) -> None:
    peer.set_fault("forbidden", resource="pods")
    assert kube.list("services", "app")  # other resources still readable
    with pytest.raises(Forbidden, match="cannot list resource") as caught:
        kube.list("pods", CONTROLLER_NS, "app=ingress-nginx")
    assert caught.value.source == "kube:list pods"
    assert caught.value.permission == "list pods in namespace kube-system"
    with pytest.raises(Forbidden) as caught:
        kube.list("pods", label_selector="app=app1-service")
    assert caught.value.permission == "list pods in all namespaces"
    with pytest.raises(Forbidden) as caught:
        kube.get("pods", CONTROLLERS[0], CONTROLLER_NS)
    assert caught.value.permission == "get pods in namespace kube-system"
    with pytest.raises(Forbidden) as caught:
        pod_exec.run(CONTROLLER_NS, CONTROLLERS[0], CONTAINER, commands.nginx_backends())
    assert caught.value.permission == "create pods/exec in namespace kube-system"
    peer.set_fault("forbidden")
    with pytest.raises(Forbidden) as caught:
        kube.get("nodes", "cn-hangzhou.10.17.10.11")
    assert caught.value.permission == "get nodes (cluster-wide)"


def test_rejected_credentials_are_forbidden(peer: KubeApiPeer, kubeconfig: Path, tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text(kubeconfig.read_text().replace("peer-test-token", "stale-token"))
    with pytest.raises(Forbidden, match="credentials were rejected"):
        LiveKube(bad, "peer", **FAST).list("nodes")
    assert [r.authorized for r in peer.requests] == [False]


def test_bad_kubeconfig_or_context_is_an_input_error(kubeconfig: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        LiveKube(tmp_path / "missing", "peer")
    with pytest.raises(InputError, match="context nope"):
        LivePodExec(kubeconfig, "nope")


def test_the_global_client_configuration_is_left_alone(kubeconfig: Path) -> None:
    from kubernetes.client import Configuration

    before = Configuration.get_default_copy().host
    LiveKube(kubeconfig, "peer")
    assert Configuration.get_default_copy().host == before


# --------------------------------------------------------------------------------- whole trace
def live_sources(world: World, kubeconfig: Path) -> Sources:
    stored = world.sources()
    return dataclasses.replace(
        stored, kube=LiveKube(kubeconfig, "peer", **FAST), pod_exec=LivePodExec(kubeconfig, "peer")
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_trace_over_the_live_kubernetes_source_equals_the_demo_trace(
    peer: KubeApiPeer, kubeconfig: Path, world: World, domain: str
) -> None:
    demo = run_trace(world.sources(), domain)
    live = run_trace(live_sources(world, kubeconfig), domain)
    assert live.rows == demo.rows and live.findings == demo.findings
    assert len(live.rows) > 5 and peer.requests
    # read-only: GET only (exec is a GET upgrade), allow-listed argv only, every request authorized
    assert {r.method for r in peer.requests} == {"GET"}
    assert all(r.authorized for r in peer.requests)
    for request in peer.requests:
        if request.exec_argv is not None:
            assert any(commands.is_allowed(Command(n, request.exec_argv)) for n in commands.POD_COMMANDS)
    # targeted reads: Pods and EndpointSlices are never listed without a selector
    for request in peer.requests:
        if request.path.endswith(("/pods", "/endpointslices")):
            assert request.param("labelSelector") or request.param("fieldSelector"), request.path
