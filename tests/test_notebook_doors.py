"""The step-4 notebook and the overview name the loaded world's front door and what it evaluates.

04_ingress and 00_overview are executed headless (as tests/test_notebook_branches.py runs them) on
four doors: ingress-nginx (healthy), an ALB whose rule forwards to a server group of type Ip
(alb-gateway www), an ALB whose group is of type Instance, nodes on the NodePort
(flannel-nodeport store), and an L4 Service (flannel-nodeport mqtt, port 1883). The section each
shows is read back from its output; the names it must hold come from the world's own trace.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from test_notebook_branches import outputs_of
from test_notebooks import Run, assert_ran_cleanly, execute

from ackwb import Workbook

HEADING = "The front door: who answers behind the listener"
STORE = (("scenario", "flannel-nodeport"), ("domain", "store.fln.abc.com"))
RUNS = {
    "04-healthy": Run("04_ingress.ipynb"),
    "04-alb-ip": Run("04_ingress.ipynb", (("scenario", "alb-gateway"), ("domain", "www.alb.abc.com"))),
    "04-alb-instance": Run("04_ingress.ipynb", STORE),
    "04-l4": Run(
        "04_ingress.ipynb", (("scenario", "flannel-nodeport"), ("domain", "mqtt.fln.abc.com"), ("port", 1883))
    ),  # fmt: skip
    "00-alb-instance": Run("00_overview.ipynb", STORE),
}
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def executed() -> dict[str, nbformat.NotebookNode]:
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores, shared
        done = dict(zip(RUNS, pool.map(execute, RUNS.values()), strict=True))
    failed = {run: failure for run, (_, failure) in done.items() if failure}
    assert not failed, f"notebooks failed to execute: {failed}"
    return {run: nb for run, (nb, _) in done.items()}


def section(executed: dict[str, nbformat.NotebookNode], run: str) -> str:
    nb = executed[run]
    assert_ran_cleanly(run, nb)
    text = outputs_of(nb, "front_door_section(")
    assert HEADING in text, f"{run}: no front door section"
    return text


def test_healthy_shows_nginx_and_its_ingress(executed: dict[str, nbformat.NotebookNode]) -> None:
    text = section(executed, "04-healthy")
    ing = Workbook.demo("healthy").trace("app1.qas.abc.com").step("ingress")
    assert "Front door: nginx." in text and f"Ingress app/{ing.ingress_name}" in text
    assert "ALB" not in text and "no HTTP evaluation" not in text


def test_alb_ip_lists_the_rules_tried_in_order_and_the_ip_group(
    executed: dict[str, nbformat.NotebookNode],
) -> None:
    text = section(executed, "04-alb-ip")
    assert "Front door: ALB." in text
    order = [text.index(f"rule-80-{n} (priority {n})") for n in (1, 2, 3)]
    assert order == sorted(order), "the rules in priority order"
    assert (
        "rule-80-3 (priority 3) | taken" in text and "| shop-shop-8080 | Ip | 100% | shop/shop/8080 |" in text
    )
    assert "type Ip holds Pod IPs" in text and "type Instance" not in text


def test_alb_instance_names_the_nodes_on_the_node_port(executed: dict[str, nbformat.NotebookNode]) -> None:
    nodes = ", ".join(f"10.20.1.1{i}:30910" for i in range(1, 5))
    for run in ("04-alb-instance", "00-alb-instance"):
        text = section(executed, run)
        assert (
            "Front door: ALB." in text
            and f"| app-store-80 | Instance | 100% | app/store/80 | {nodes} |" in text
        )
        assert "type Instance holds ECS nodes on the Service's NodePort" in text
        assert "externalTrafficPolicy Cluster" in text and "type Ip holds" not in text


def test_l4_says_no_http_is_evaluated_and_lists_the_node_ports(
    executed: dict[str, nbformat.NotebookNode],
) -> None:
    text = section(executed, "04-l4")
    assert "Front door: L4 Service." in text and "no HTTP evaluation" in text
    assert "Service app/mqtt owns the load balancer" in text and "port 1883" in text
    assert "| 10.20.1.11:31883 | NodePort on the node, then kube-proxy's rule to a Pod | yes |" in text
    assert "server block" not in text and "forwarding rules" not in text
