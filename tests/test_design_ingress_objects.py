"""Checks across Ingress objects, traced: what one Ingress does to another's paths, which of two
Ingresses claiming a path wins, a canary with no main Ingress, an Ingress without a class, a
``tls`` host with no rule, snippets. Each is found by the ingress step for the host being traced
and quoted with the objects' fields as evidence.

The nginx scenarios of terway-nlb (nginx-duplicate-path, nginx-canary-without-main,
nginx-class-missing) each yield their exact finding; the other checks edit a copy of a design
world's objects (terway-nlb's and flannel-nodeport's), so the same check turns on two designs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ackwb import Workbook
from ackwb.demo import demo_world_root
from ackwb.model import Finding, Severity, Trace, Verdict
from ackwb.trace import dead_end

PREFIX = "nginx.ingress.kubernetes.io/"
SNIPPET = "more_set_headers 'X: 1';"


def trace_of(world: str | Path, domain: str, path: str = "/", port: int = 80) -> Trace:
    book = Workbook.from_world(world) if isinstance(world, Path) else Workbook.demo(world)
    return book.trace(domain, path=path, port=port)


def only(trace: Trace, code: str) -> Finding:
    found = [f for f in trace.findings if f.code == code]
    assert len(found) == 1, sorted((f.code, f.hop) for f in trace.findings)
    return found[0]


def fields(finding: Finding) -> list[tuple[str, str]]:
    return [(e.locator, e.excerpt) for e in finding.evidence]


def edited(tmp_path: Path, world: str, resource: str, change: Callable[[list[dict[str, Any]]], None]) -> Path:
    root = tmp_path / world
    if not root.exists():
        shutil.copytree(str(demo_world_root(world)), root)
    path = root / f"kube/{resource}.json"
    body = json.loads(path.read_text())
    change(body["items"])
    path.write_text(json.dumps(body, indent=1))
    return root


def ingress(items: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    return next(i for i in items if (i["metadata"]["namespace"], i["metadata"]["name"]) == (namespace, name))


def test_use_regex_on_one_ingress_changes_the_exact_path_of_another() -> None:
    trace = trace_of("terway-nlb", "api.tnl.abc.com", "/healthz")
    assert trace.verdict is Verdict.OK
    finding = only(trace, "INGRESS_REGEX_HOST_WIDE")
    assert finding.hop == "ingress:shop/api-healthz" and finding.severity is Severity.WARNING
    assert finding.message.startswith("Ingress shop/api-ingress sets use-regex")
    assert 'Exact /healthz now matches every path starting with it, in any case (~* "^/healthz") ' in (
        finding.message
    )
    assert fields(finding) == [
        ("shop/api-ingress metadata.annotations[nginx.ingress.kubernetes.io/use-regex]", "true"),
        ("shop/api-healthz spec.rules[0].http.paths[0]", '{"path": "/healthz", "pathType": "Exact"}'),
    ]
    assert finding.check


def test_use_regex_turns_a_prefix_path_on_another_design(tmp_path: Path) -> None:
    def add_search(items: list[dict[str, Any]]) -> None:
        extra = json.loads(json.dumps(ingress(items, "shop", "shop-ingress")))
        extra["metadata"]["name"] = "shop-search"
        extra["metadata"]["annotations"] = {f"{PREFIX}use-regex": "true"}
        extra["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/search/[0-9]+"
        extra["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "ImplementationSpecific"
        extra["spec"].pop("tls", None)
        items.append(extra)

    root = edited(tmp_path, "flannel-nodeport", "ingresses", add_search)
    finding = only(trace_of(root, "shop.fln.abc.com", port=443), "INGRESS_REGEX_HOST_WIDE")
    assert finding.message.startswith("Ingress shop/shop-search sets use-regex")
    assert "Prefix / now matches anything, in any case" in finding.message
    assert ("shop/shop-ingress spec.rules[0].http.paths[0]", '{"path": "/", "pathType": "Prefix"}') in fields(
        finding
    )


def test_duplicate_path_names_the_older_ingress_as_the_winner() -> None:
    trace = trace_of("nginx-duplicate-path", "shop.tnl.abc.com")
    assert trace.verdict is Verdict.OK
    finding = only(trace, "INGRESS_DUPLICATE_PATH")
    assert finding.hop == "ingress:shop/shop-ingress"
    assert finding.message == (
        "2 Ingresses claim shop.tnl.abc.com/ (Prefix): the controller serves it from shop/shop-ingress, "
        "because it is the oldest (creationTimestamp); shop-v6/shop-ingress is ignored for this path."
    )
    stamps = [e for e in finding.evidence if e.locator.endswith("metadata.creationTimestamp")]
    assert [e.locator.split()[0] for e in stamps] == ["shop/shop-ingress", "shop-v6/shop-ingress"]
    assert stamps[0].excerpt < stamps[1].excerpt
    assert {h.id.split("/")[0] for h in trace.hops if h.kind == "pod"} == {"pod:shop"}  # not shop-v6's Pods


def test_canary_without_main_is_why_the_host_has_no_server() -> None:
    trace = trace_of("nginx-canary-without-main", "promo.tnl.abc.com")
    assert trace.verdict is Verdict.BLOCKED
    finding = only(trace, "INGRESS_CANARY_WITHOUT_MAIN")
    assert finding.hop == "ingress:promo.tnl.abc.com" and dead_end(trace) == finding.message
    assert "no server block" in finding.message and "drops the canary backend" not in finding.message
    assert fields(finding) == [
        ("shop/promo-canary spec.rules[0].http.paths[0]", '{"path": "/", "pathType": "Prefix"}'),
        ("shop/promo-canary metadata.annotations[nginx.ingress.kubernetes.io/canary]", "true"),
    ]
    assert not [f for f in trace.findings if f.code == "INGRESS_NOT_RENDERED"]


def test_ingress_without_class_is_not_served_without_the_flag() -> None:
    trace = trace_of("nginx-class-missing", "beta.tnl.abc.com")
    assert trace.verdict is Verdict.BLOCKED
    finding = only(trace, "INGRESS_WITHOUT_CLASS")
    assert finding.severity is Severity.ERROR and finding.hop == "ingress:beta.tnl.abc.com"
    assert "runs without --watch-ingress-without-class" in finding.message
    assert fields(finding) == [("shop/beta-ingress spec.ingressClassName", "(none)")]
    assert dead_end(trace) == finding.message


def test_ingress_without_class_served_because_of_the_flag(tmp_path: Path) -> None:
    """The scenario's objects on a copy of its design world whose controllers run with the flag."""
    scenario = demo_world_root("nginx-class-missing")
    root = edited(tmp_path, "terway-nlb", "pods", lambda items: None)
    for overlay in ("kube/ingresses.json", "dns/public.json"):
        shutil.copyfile(scenario / overlay, root / overlay)

    def watch(items: list[dict[str, Any]]) -> None:
        for pod in items:
            if pod["metadata"]["name"].startswith("nginx-ingress-controller-"):
                pod["spec"]["containers"][0]["args"].append("--watch-ingress-without-class=true")

    edited(tmp_path, "terway-nlb", "pods", watch)
    finding = only(trace_of(root, "beta.tnl.abc.com"), "INGRESS_WITHOUT_CLASS")
    assert finding.severity is Severity.WARNING
    flag = "--watch-ingress-without-class=true"
    assert f"served only because the controller runs with {flag}" in finding.message


@pytest.mark.parametrize("world,namespace,name,host,port", [
    ("terway-nlb", "shop", "pay-ingress", "pay.tnl.abc.com", 443),
    ("flannel-nodeport", "shop", "shop-ingress", "shop.fln.abc.com", 443),
])  # fmt: skip
def test_tls_host_without_rule_and_snippets(
    tmp_path: Path, world: str, namespace: str, name: str, host: str, port: int
) -> None:
    def add(items: list[dict[str, Any]]) -> None:
        found = ingress(items, namespace, name)
        found["spec"]["tls"][0]["hosts"].append(f"old-{host}")
        annotations = found["metadata"].setdefault("annotations", {})
        annotations[f"{PREFIX}configuration-snippet"] = SNIPPET

    root = edited(tmp_path, world, "ingresses", add)
    trace = trace_of(root, host, port=port)
    tls = only(trace, "INGRESS_TLS_HOST_WITHOUT_RULE")
    assert f"lists old-{host} under tls" in tls.message and "never served" in tls.message
    assert tls.evidence[0].locator == f"{namespace}/{name} spec.tls[hosts=old-{host}]"
    snippet = only(trace, "INGRESS_SNIPPET")
    assert snippet.hop == f"ingress:{namespace}/{name}" and "configuration-snippet" in snippet.message
    assert fields(snippet) == [
        (f"{namespace}/{name} metadata.annotations[{PREFIX}configuration-snippet]", SNIPPET)
    ]
    untouched = trace_of(world, host, port=port)
    codes = {f.code for f in untouched.findings}
    assert not codes & {"INGRESS_TLS_HOST_WITHOUT_RULE", "INGRESS_SNIPPET"}


@pytest.mark.parametrize("world,namespace,name,host", [
    ("terway-nlb", "shop", "shop-ingress", "shop.tnl.abc.com"),
    ("flannel-nodeport", "shop", "shop-ingress", "shop.fln.abc.com"),
])  # fmt: skip
@pytest.mark.parametrize("value,fate", [
    ("true", "the ConfigMap allows them"),
    ("false", "the ConfigMap disallows them"),
])  # fmt: skip
def test_snippets_are_judged_by_the_controllers_configmap(
    tmp_path: Path, world: str, namespace: str, name: str, host: str, value: str, fate: str
) -> None:
    """The controller's ``--configmap`` names the ConfigMap whose allow-snippet-annotations decides."""

    def annotate(items: list[dict[str, Any]]) -> None:
        found = ingress(items, namespace, name)
        found["metadata"].setdefault("annotations", {})[f"{PREFIX}server-snippet"] = SNIPPET

    root = edited(tmp_path, world, "ingresses", annotate)
    without = only(trace_of(root, host), "INGRESS_SNIPPET")
    assert "dropped unless the ConfigMap sets allow-snippet-annotations: true" in without.message
    assert len(without.evidence) == 1  # the world has no controller ConfigMap: the default applies

    controller = next(iter(Workbook.from_world(root).sources.kube.list("pods", label_selector=CONTROLLERS)))
    args = next(c["args"] for c in controller["spec"]["containers"] if c.get("args"))
    ref = next(a.split("=", 1)[1] for a in args if a.startswith("--configmap="))
    cm_namespace, _, cm_name = ref.replace(
        "$(POD_NAMESPACE)", controller["metadata"]["namespace"]
    ).rpartition("/")

    def add_configmap(items: list[dict[str, Any]]) -> None:
        meta = {"name": cm_name, "namespace": cm_namespace}
        items.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {SNIPPETS_KEY: value}}
        )

    edited(tmp_path, world, "configmaps", add_configmap)
    snippet = only(trace_of(root, host), "INGRESS_SNIPPET")
    assert fate in snippet.message, snippet.message
    assert fields(snippet)[-1] == (f"{cm_namespace}/{cm_name} data[{SNIPPETS_KEY}]", value)
    assert snippet.evidence[-1].source == "kube:configmaps"


SNIPPETS_KEY = "allow-snippet-annotations"
CONTROLLERS = "app=ingress-nginx"  # the controller Pods' label in every design world
