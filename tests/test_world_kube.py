"""Label and field selectors, and the stored world's Kubernetes API (get, list, namespaces).

Selector cases are data: (selector, labels, expected). Queries against the demo world are
checked against a brute-force oracle over the raw List, so a wrong filter cannot pass.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ackwb.demo import demo_world_root
from ackwb.errors import Forbidden, InputError, NotCaptured, SourceError
from ackwb.sources.world import load_world
from ackwb.sources.world_selectors import field_value, parse_field_selector, parse_label_selector

LABELS = {"app": "web", "tier": "front", "version": "7", "example.com/team": "core"}

LABEL_CASES = [
    ("", LABELS, True),
    ("app=web", LABELS, True),
    ("app==web", LABELS, True),
    ("app=api", LABELS, False),
    ("app!=api", LABELS, True),
    ("app!=web", LABELS, False),
    ("missing!=x", LABELS, True),  # != matches objects without the label
    ("app in (api, web)", LABELS, True),
    ("app in (api,db)", LABELS, False),
    ("missing in (a)", LABELS, False),
    ("app notin (api,db)", LABELS, True),
    ("app notin (web)", LABELS, False),
    ("missing notin (a)", LABELS, True),  # notin matches objects without the label
    ("app", LABELS, True),
    ("missing", LABELS, False),
    ("!missing", LABELS, True),
    ("!app", LABELS, False),
    ("app=web,tier=front", LABELS, True),
    ("app=web, tier=back", LABELS, False),
    ("  app = web ,  !missing  ", LABELS, True),
    ("version>6", LABELS, True),
    ("version>7", LABELS, False),
    ("version<8", LABELS, True),
    ("app>1", LABELS, False),  # not an integer: no match
    ("example.com/team=core", LABELS, True),
    ("empty=", {"empty": ""}, True),
    ("empty=", LABELS, False),
    ("app in (web),tier notin (back),!gone,version", LABELS, True),
]

BAD_LABEL_SELECTORS = [
    "app=web,",
    ",app=web",
    "app in ()",
    "app in (web",
    "app in web",
    "app=we b",
    "app=(web)",
    "=web",
    "!",
    "app web",
    "bad key=1",
    "app>x",
    "-app=web",
    "Example.com/team=core",
    "a" * 64 + "=x",
    "app=" + "v" * 64,
    "app notin (a,,b)",
]

POD = {
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"nodeName": "node-a", "hostNetwork": True, "priority": 0},
    "status": {"podIP": "10.0.0.5", "phase": "Running"},
}

FIELD_CASES = [
    ("", True),
    ("metadata.name=web-1", True),
    ("metadata.name==web-1", True),
    ("metadata.name!=web-1", False),
    ("metadata.namespace=shop,status.podIP=10.0.0.5", True),
    ("status.podIP=10.0.0.6", False),
    ("spec.hostNetwork=true", True),
    ("spec.hostNetwork=false", False),
    ("spec.priority=0", True),
    ("spec.missing=", True),  # a missing field compares as ''
    ("spec.missing!=", False),
    ("status.phase!=Pending", True),
    ("metadata.name=web-1,", True),  # empty terms are skipped
    ("metadata=", True),  # an object is not a value
]

BAD_FIELD_SELECTORS = [
    "metadata.name",
    "=web",
    "metadata.name=a=b",
    "x=a\\qb",
    "x=a\\",
    " metadata.name=web-1",
    "a..=1",
]


@pytest.mark.parametrize(("selector", "labels", "expected"), LABEL_CASES)
def test_label_selector(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(selector)(labels) is expected


@pytest.mark.parametrize("selector", BAD_LABEL_SELECTORS)
def test_malformed_label_selector_names_it(selector: str) -> None:
    with pytest.raises(InputError) as error:
        parse_label_selector(selector)
    assert repr(selector) in str(error.value)


@pytest.mark.parametrize(("selector", "expected"), FIELD_CASES)
def test_field_selector(selector: str, expected: bool) -> None:
    assert parse_field_selector(selector)(POD) is expected


def test_field_selector_escapes() -> None:
    obj = {"metadata": {"name": "a,b=c\\d"}}
    assert parse_field_selector(r"metadata.name=a\,b\=c\\d")(obj)
    assert not parse_field_selector(r"metadata.name=a\,b")(obj)
    assert field_value({"spec": {"x": False}}, "spec.x") == "false"


@pytest.mark.parametrize("selector", BAD_FIELD_SELECTORS)
def test_malformed_field_selector_names_it(selector: str) -> None:
    with pytest.raises(InputError) as error:
        parse_field_selector(selector)
    assert repr(selector) in str(error.value)


# ------------------------------------------------------------------------------ the demo world
@pytest.fixture(scope="module")
def world():
    return load_world(demo_world_root())


@pytest.fixture(scope="module")
def kube(world):
    return world.sources().kube


def raw_items(world, resource: str) -> list[dict]:
    return json.loads(world.root.joinpath("kube").joinpath(f"{resource}.json").read_text())["items"]


def names(objects: list[dict]) -> list[str]:
    return [f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in objects]


QUERIES = [
    ("pods", None, "app=ingress-nginx", ""),
    ("pods", "kube-system", "app=ingress-nginx", ""),
    ("pods", "app", "app=ingress-nginx", ""),
    ("pods", None, "app in (app1-service, app2-service)", ""),
    ("pods", None, "k8s-app", ""),
    ("pods", None, "!k8s-app,app notin (ingress-nginx)", ""),
    ("pods", None, "", "spec.nodeName=cn-hangzhou.10.17.10.13"),
    ("pods", None, "", "spec.hostNetwork=true"),
    ("pods", None, "", "status.podIP=10.17.10.91"),
    ("pods", None, "", "status.podIP=10.17.10.11"),
    ("pods", None, "", "metadata.namespace!=kube-system,status.phase=Running"),
    ("services", None, "", "spec.clusterIP=192.168.195.85"),
    ("services", None, "service.k8s.alibaba/loadbalancer-id", ""),
    ("services", "kube-system", "", "spec.type=LoadBalancer"),
    ("endpointslices", "app", "kubernetes.io/service-name=app2-service", ""),
    ("endpointslices", None, "endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io", ""),
    ("nodes", None, "topology.kubernetes.io/zone=cn-hangzhou-k", "metadata.name!=cn-hangzhou.10.17.10.12"),
    ("nodes", "ignored-for-cluster-scope", "", ""),
    ("ingresses", "app", "", "metadata.name=app2-service-ingress"),
    ("ingressclasses", None, "", "spec.controller=k8s.io/ingress-nginx"),
]


def oracle(
    items: list[dict], namespace: str | None, labels: str, fields: str, namespaced: bool
) -> list[dict]:
    """Brute force: evaluate each requirement by hand (only the forms QUERIES use)."""

    def label_ok(obj_labels: dict[str, str], term: str) -> bool:
        term = term.strip()
        if " notin " in term:
            key, values = term.split(" notin ")
            return obj_labels.get(key) not in [v.strip() for v in values.strip("()").split(",")]
        if " in " in term:
            key, values = term.split(" in ")
            return obj_labels.get(key) in [v.strip() for v in values.strip("()").split(",")]
        if term.startswith("!"):
            return term[1:] not in obj_labels
        if "=" in term:
            key, value = term.split("=")
            return obj_labels.get(key) == value
        return term in obj_labels

    def field_ok(obj: dict, term: str) -> bool:
        negate = "!=" in term
        path, value = term.split("!=" if negate else "=")
        current = obj
        for part in path.split("."):
            current = current.get(part, {}) if isinstance(current, dict) else {}
        have = {True: "true", False: "false"}.get(current, current) if not isinstance(current, dict) else ""
        return (str(have) == value) != negate

    terms = [t for t in re.split(r",(?![^()]*\))", labels) if t.strip()]
    out = []
    for obj in items:
        meta = obj["metadata"]
        if namespaced and namespace and meta.get("namespace") != namespace:
            continue
        if all(label_ok(meta.get("labels", {}), t) for t in terms) and all(
            field_ok(obj, t) for t in fields.split(",") if t
        ):
            out.append(obj)
    return out


@pytest.mark.parametrize(("resource", "namespace", "labels", "fields"), QUERIES)
def test_list_matches_oracle(world, kube, resource, namespace, labels, fields) -> None:
    found = kube.list(resource, namespace, labels, fields)
    expected = oracle(
        raw_items(world, resource), namespace, labels, fields, resource not in ("nodes", "ingressclasses")
    )
    assert names(found) == sorted(names(expected))
    expect_empty = namespace == "app" and labels == "app=ingress-nginx"
    assert bool(found) != expect_empty, "each query but one is chosen to match something in the demo world"


def test_list_facts_of_the_article(kube) -> None:
    (pod,) = kube.list("pods", field_selector="status.podIP=10.17.10.91")
    assert pod["metadata"]["labels"]["app"] == "app1-service"
    assert pod["spec"]["nodeName"] == "cn-hangzhou.10.17.10.13"
    controllers = kube.list("pods", "kube-system", "app=ingress-nginx")
    assert sorted(p["status"]["podIP"] for p in controllers) == ["10.17.10.11", "10.17.10.12"]
    assert all(p["spec"]["hostNetwork"] for p in controllers)


def test_get(kube) -> None:
    service = kube.get("services", "app1-service", "app")
    assert service["spec"]["clusterIP"] == "192.168.195.85"
    assert kube.get("services", "app1-service", "kube-system") is None
    assert kube.get("nodes", "cn-hangzhou.10.17.10.11")["spec"]["providerID"].startswith("cn-hangzhou.i-")
    assert kube.get("nodes", "no-such-node") is None
    assert kube.get("ingressclasses", "nginx")["spec"]["controller"] == "k8s.io/ingress-nginx"
    with pytest.raises(InputError, match="namespaced"):
        kube.get("pods", "anything")


def test_answers_are_copies(kube) -> None:
    kube.get("services", "app1-service", "app")["spec"]["clusterIP"] = "changed"
    kube.list("services", "app")[0]["metadata"]["name"] = "changed"
    assert kube.get("services", "app1-service", "app")["spec"]["clusterIP"] == "192.168.195.85"
    assert "changed" not in names(kube.list("services", "app"))


def test_unknown_and_forbidden_resources(kube) -> None:
    with pytest.raises(SourceError, match="doesn't have a resource type 'widgets'"):
        kube.list("widgets")
    with pytest.raises(Forbidden):
        kube.list("secrets", "kube-system")
    # a known resource the world holds no file of: unknown, never an empty cluster
    with pytest.raises(NotCaptured, match=r"holds no kube/statefulsets.json"):
        kube.list("statefulsets")


def test_malformed_selector_from_list(kube) -> None:
    with pytest.raises(InputError, match="app in"):
        kube.list("pods", label_selector="app in (")
    with pytest.raises(InputError, match="status.podIP"):
        kube.list("pods", field_selector="status.podIP")


SELECTOR_ALPHABET = "abk/.-_=!(), <>in0129\\\\"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=SELECTOR_ALPHABET, max_size=30))
def test_any_selector_text_parses_or_raises_input_error(text: str) -> None:
    """Selectors come from users and notebooks: bad text is an InputError, never a traceback."""
    for parse, sample in ((parse_label_selector, LABELS), (parse_field_selector, POD)):
        try:
            matches = parse(text)
        except InputError:
            continue
        assert matches(sample) in (True, False)
