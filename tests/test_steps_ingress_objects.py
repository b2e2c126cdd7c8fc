"""Checks across Ingress objects (issue 14): host-wide regex, classless Ingresses, duplicate paths,
tls hosts without a rule, orphan canaries, snippets, and Service affinity that ingress-nginx bypasses.

Each fixture in tests/fixtures/ingress_objects is the raw objects (Ingresses, IngressClasses and
Services as the API returns them, and the controller's args) and the findings the controller's
rules imply: code, severity, the object named, and phrases the message must contain.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ackwb.errors import ParseError
from ackwb.parse.ingresses import controller_order, read_ingress, read_ingresses
from ackwb.steps.ingress_objects import ClassConfig, check_ingress_objects, class_config, served

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingress_objects"
CASES = sorted(p.stem for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))


def load(name: str) -> tuple[dict, dict]:
    raw = json.loads((FIXTURES / f"{name}.json").read_text())
    return raw, json.loads((FIXTURES / f"{name}.expected.json").read_text())


def test_every_fixture_has_its_expected_file() -> None:
    assert len(CASES) >= 9
    for name in CASES:
        assert (FIXTURES / f"{name}.expected.json").is_file(), name


@pytest.mark.parametrize("name", CASES)
def test_fixture(name: str) -> None:
    raw, expected = load(name)
    found = check_ingress_objects(
        raw["ingresses"], raw.get("classes", ()), raw.get("args", ()), raw.get("services", ())
    )
    assert [(f.code, f.severity.value, f.ingress) for f in found] == [
        tuple(e[:3]) for e in expected["findings"]
    ]
    for finding, wanted in zip(found, expected["findings"], strict=True):
        phrases = wanted[3] if isinstance(wanted[3], list) else [wanted[3]]
        for phrase in phrases:
            assert phrase in finding.message, finding.message
        assert finding.evidence


def test_regex_finding_names_the_annotation_and_each_changed_path() -> None:
    raw, _ = load("regex_host_wide")
    finding = check_ingress_objects(raw["ingresses"], raw["classes"], raw["args"])[0]
    locators = [e.locator for e in finding.evidence]
    assert locators[0] == "shop/api metadata.annotations[nginx.ingress.kubernetes.io/use-regex]"
    assert locators[1:] == ["shop/web spec.rules[0].http.paths[0]", "shop/web spec.rules[0].http.paths[1]"]


def test_controller_order_is_oldest_first_then_name_descending() -> None:
    def obj(ns: str, name: str, created: str) -> dict:
        return {"metadata": {"namespace": ns, "name": name, "creationTimestamp": created}}

    records = read_ingresses(
        [obj("a", "x", "2025-01-02T00:00:00Z"), obj("a", "y", "2025-01-01T00:00:00Z"),
         obj("b", "a", "2025-01-02T00:00:00Z"), obj("a", "z", "2025-01-02T00:00:00Z")]
    )  # fmt: skip
    assert [r.key for r in controller_order(records)] == ["a/y", "b/a", "a/z", "a/x"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ClassConfig()),
        (
            ["--ingress-class", "internal", "--watch-ingress-without-class"],
            ClassConfig("internal", watch_without_class=True),
        ),
        (
            ["--controller-class=acme.io/nginx", "--ingress-class-by-name=true"],
            ClassConfig(controller_class="acme.io/nginx", class_by_name=True),
        ),
    ],
)  # fmt: skip
def test_class_flags(args: list[str], expected: ClassConfig) -> None:
    assert class_config(args) == expected


def test_class_by_name_serves_a_class_of_another_controller_named_like_ingress_class() -> None:
    record = read_ingress(
        {"metadata": {"namespace": "a", "name": "x"}, "spec": {"ingressClassName": "nginx"}}
    )
    classes = {"nginx": "example.com/other"}
    assert served(record, classes, ClassConfig())[0] is False
    assert served(record, classes, ClassConfig(class_by_name=True))[0] is True
    assert "does not exist" in served(record, {}, ClassConfig())[1]


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"metadata": {"namespace": "a"}},
        {"metadata": {"name": "x"}, "spec": {"rules": {}}},
        {"metadata": {"name": "x"}, "spec": {"rules": [{"http": {"paths": [{"path": 7}]}}]}},
        {"metadata": {"name": "x"}, "spec": {"tls": [{"hosts": "abc.com"}]}},
    ],
)
def test_malformed_ingress_is_a_parse_error(obj: object) -> None:
    with pytest.raises(ParseError):
        read_ingress(obj)
