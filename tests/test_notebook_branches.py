"""The notebooks teach the branch of the loaded world, not the demo's branch everywhere.

Each section notebook and the overview are executed headless (as tests/test_notebooks.py does)
on the built-in design worlds, with papermill-style parameters, and their lesson outputs are read
back: 06 on flannel-nodeport names kube-proxy's NodePort chains (KUBE-EXT, KUBE-SVL) on every
backend node the trace went through; 08 there shows the masquerade to each node address the
trace found; 03 on terway-nlb says the backends are Pod IPs; and the same notebooks on the
healthy world claim none of it. The overview's answers differ the way the worlds do: TLS ends
at the CLB on terway-eni-https, in nginx on flannel-nodeport. Expected names come from the
traces the notebooks display, computed here through the same API.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import nbformat
import pytest
from test_notebooks import Run, assert_ran_cleanly, code_cells, execute, import_checkout_ackwb

HEADING = "The branch this world takes"
FLANNEL = (("scenario", "flannel-nodeport"), ("domain", "web.fln.abc.com"))
TEE_443 = (("scenario", "terway-eni-https"), ("domain", "www.tee.abc.com"), ("port", 443))
API = (("scenario", "flannel-nodeport"), ("domain", "api.fln.abc.com"))
RUNS = {
    "03-healthy": Run("03_ecs.ipynb"),
    "03-terway-nlb": Run("03_ecs.ipynb", (("scenario", "terway-nlb"), ("domain", "shop.tnl.abc.com"))),
    "05-flannel-api": Run("05_service.ipynb", API),
    "06-healthy": Run("06_kube_proxy.ipynb"),
    "06-flannel": Run("06_kube_proxy.ipynb", FLANNEL),
    "06-terway-eni-https": Run("06_kube_proxy.ipynb", TEE_443),
    "07-flannel": Run("07_pod.ipynb", FLANNEL),
    "08-healthy": Run("08_egress.ipynb"),
    "08-flannel": Run("08_egress.ipynb", FLANNEL),
    "00-tee-443": Run("00_overview.ipynb", TEE_443),
    "00-flannel-443": Run(
        "00_overview.ipynb", (("scenario", "flannel-nodeport"), ("domain", "shop.fln.abc.com"), ("port", 443))
    ),
}
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def executed() -> dict[str, nbformat.NotebookNode]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(RUNS, pool.map(execute, RUNS.values()), strict=True))
    failed = {run: failure for run, (_, failure) in done.items() if failure}
    assert not failed, f"notebooks failed to execute: {failed}"
    return {run: nb for run, (nb, _) in done.items()}


def plain(markdown: str) -> str:
    """Markdown as a reader sees it: backslash escapes removed, emphasis marks dropped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")


def outputs_of(nb: nbformat.NotebookNode, source: str) -> str:
    """The Markdown a code cell whose source holds ``source`` displayed, as a reader sees it."""
    texts = [
        plain(out.data["text/markdown"])
        for cell in code_cells(nb)
        if source in cell.source
        for out in cell.outputs
        if "text/markdown" in out.get("data", {})
    ]
    assert texts, f"no cell holding {source!r} displayed Markdown"
    return "\n".join(texts)


def lesson(executed: dict[str, nbformat.NotebookNode], run: str) -> str:
    nb = executed[run]
    assert_ran_cleanly(run, nb)
    text = outputs_of(nb, "lessons.")
    assert HEADING in text, f"{run}: the lesson has no heading"
    return text


def trace(scenario: str, domain: str, **client: Any) -> Any:
    import_checkout_ackwb()
    from ackwb import Workbook

    return Workbook.demo(scenario).trace(domain, **client)


def test_06_on_flannel_shows_the_nodeport_chain_on_every_backend_node(executed: dict) -> None:
    text = lesson(executed, "06-flannel")
    nodeports = [h for h in trace("flannel-nodeport", "web.fln.abc.com").hops if h.kind == "nodeport"]
    assert nodeports, "the flannel world's trace should go through NodePorts"
    for hop in nodeports:
        line = next((line for line in text.splitlines() if hop.label.splitlines()[0] in line), "")
        assert re.search(r"KUBE-NODEPORTS → KUBE-EXT-\w+ → KUBE-SVL-\w+ → one of: KUBE-SEP-\w+", line), line
        assert "client's address is kept" in line and "Local" in line, line
    assert "KUBE-SERVICES → KUBE-SVC-" in text, "the ClusterIP's own chains are missing"


def test_06_on_the_nftables_world_shows_the_masquerade_of_the_cluster_policy(executed: dict) -> None:
    text = lesson(executed, "06-terway-eni-https")
    nodes = [h for h in trace("terway-eni-https", "www.tee.abc.com", port=443).hops if h.kind == "nodeport"]
    for hop in nodes:
        address = hop.arrives.dst.rsplit(":", 1)[0]
        assert f"masquerade to the node's address {address}" in text
    assert "map service-nodeports → chain external-" in text and "KUBE-" not in text


def test_06_on_healthy_claims_no_nodeport_hop(executed: dict) -> None:
    text = lesson(executed, "06-healthy")
    assert "KUBE-" not in text and "masquerade" not in text
    assert "not NodePorts" in text and "IPVS virtual server TCP 192.168.195.85:8080" in text


def test_08_on_flannel_shows_the_masquerade_to_each_node(executed: dict) -> None:
    text = lesson(executed, "08-flannel")
    out = trace("flannel-nodeport", "web.fln.abc.com").step("egress")
    prefix = "masquerade to "
    nodes = {e.label.removeprefix(prefix) for e in out.edges if e.label.startswith(prefix)}
    assert nodes, "Flannel Pods should be masqueraded to their node"
    for address in nodes:
        assert f"masquerades the Pods' traffic to the node's address {address}" in text
    assert "node's vSwitch decides" in text and "keep their own VPC address" not in text
    for group in out.groups:
        assert group.vswitch_id in text and all(ip in text for ip in group.egress_ips)


def test_08_on_healthy_claims_no_masquerade(executed: dict) -> None:
    text = lesson(executed, "08-healthy")
    assert "masquerade" not in text and "keep their own VPC address 10.17.10.91" in text


def test_03_on_terway_nlb_says_the_backends_are_pod_ips(executed: dict) -> None:
    text = lesson(executed, "03-terway-nlb")
    assert "The backends are Pod IPs" in text and "ECS instances on NodePort" not in text
    controllers = trace("terway-nlb", "shop.tnl.abc.com").step("ecs").serving
    assert controllers and all(c.name in text for c in controllers)


def test_03_on_healthy_says_node_enis_not_pod_ips(executed: dict) -> None:
    text = lesson(executed, "03-healthy")
    assert "The backends are node ENIs" in text
    assert "backends are Pod IPs" not in text and "ECS instances on NodePort" not in text


def test_05_with_service_upstream_puts_the_cluster_ip_on_the_request_path(executed: dict) -> None:
    text = lesson(executed, "05-flannel-api")
    svc = trace("flannel-nodeport", "api.fln.abc.com").step("service")
    assert f"ClusterIP {svc.cluster_ip}:{svc.port.port}" in text and "on the request path" in text
    assert "straight to Pod IPs" not in text


def test_07_on_flannel_names_the_vpc_route_of_a_pod_on_another_node(executed: dict) -> None:
    text = lesson(executed, "07-flannel")
    assert "Flannel (Pod CIDR per node)" in text
    assert re.search(r"VPC route 172\.20\.\d+\.0/24 → i-\w+", text), text


def test_overview_tls_ends_at_the_clb_on_the_https_world(executed: dict) -> None:
    nb = executed["00-tee-443"]
    assert_ran_cleanly("00-tee-443", nb)
    tls = outputs_of(nb, "questions.tls_end")
    certificate = trace("terway-eni-https", "www.tee.abc.com", port=443).step("slb").listener.certificate
    assert "TLS ends at the load balancer (listener HTTPS 443" in tls and certificate in tls
    assert "ends in nginx" not in tls
    source = outputs_of(nb, "questions.source_address")
    assert "replaced at listener HTTPS 443" in source


def test_overview_tls_ends_in_nginx_on_the_flannel_world(executed: dict) -> None:
    nb = executed["00-flannel-443"]
    assert_ran_cleanly("00-flannel-443", nb)
    tls = outputs_of(nb, "questions.tls_end")
    assert "passes through the load balancer (listener TCP 443) to nginx" in tls
    assert "ends in nginx, with the certificate of Secret shop/shop-tls" in tls
    assert "ends at the load balancer" not in tls
    assert "replaced at Ingress shop-ingress" in outputs_of(nb, "questions.source_address")
    assert "not the host network" in outputs_of(nb, "questions.cluster_dns")
    assert "VPC route 172.20.2.0/24" in outputs_of(nb, "questions.node_to_pod")


def test_overview_contrasts_every_built_in_design(executed: dict) -> None:
    import_checkout_ackwb()
    from ackwb import Workbook

    table = outputs_of(executed["00-flannel-443"], "questions.design_table")
    header = table.splitlines()[0]
    assert all(name in header for name in Workbook.worlds()), header
    row = next(line for line in table.splitlines() if line.startswith("| backends"))
    assert "ECS:NodePort" in row and "ENI = node IP" in row and "Pod IP" in row, row
