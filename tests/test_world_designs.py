"""The built-in design worlds: the registry, how they are listed and opened, and their raw shapes.

Every design world is a whole cluster stored raw like the healthy one: its cloud bodies
round-trip through the Alibaba Cloud SDK's response models, its Kubernetes objects through
the kubernetes client's models, and every broken scenario is an overlay of its own design
world. ``ackwb worlds`` and ``Workbook.worlds()`` group the scenarios under their design.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from design_worlds import NEW_DESIGNS, View, scenarios_of
from test_world_shapes import KUBE_MODELS, assert_round_trip, comparable, deserialize

from ackwb import Workbook
from ackwb.cli import main as cli_main
from ackwb.demo import DESIGNS, SCENARIOS, WORLDS, demo_world_root
from ackwb.errors import InputError

RESOURCES = [
    "nodes", "pods", "services", "endpointslices", "ingresses", "ingressclasses", "namespaces",
    "networkpolicies", "daemonsets", "configmaps",
]  # fmt: skip
MODELS = {**KUBE_MODELS, "Namespace": "V1Namespace", "NetworkPolicy": "V1NetworkPolicy",
          "DaemonSet": "V1DaemonSet", "ConfigMap": "V1ConfigMap"}  # fmt: skip


# ------------------------------------------------------------------------------------- registry
def test_the_registry_lists_the_design_worlds_first_then_their_scenarios() -> None:
    assert DESIGNS == ("healthy", "flannel-nodeport", "terway-nlb", "terway-eni-https", "alb-gateway")
    names = list(WORLDS)
    assert names[: len(DESIGNS)] == list(DESIGNS)
    assert all(WORLDS[d].design == d for d in DESIGNS)
    designs_in_order = [WORLDS[n].design for n in names[len(DESIGNS) :]]
    assert designs_in_order == sorted(designs_in_order, key=DESIGNS.index)  # grouped by design
    assert {name: w.summary for name, w in WORLDS.items()} == SCENARIOS
    for design in NEW_DESIGNS:
        assert len(scenarios_of(design)) >= 2, design


@pytest.mark.parametrize("name", [n for n in WORLDS if n not in DESIGNS])
def test_every_scenario_is_an_overlay_of_its_design_world(name: str) -> None:
    root = Path(str(demo_world_root(name)))
    meta = json.loads((root / "world.json").read_text())
    assert meta["base"] == WORLDS[name].design and meta["description"] == WORLDS[name].summary
    base = Path(str(demo_world_root(meta["base"])))
    own = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != "world.json"
    )
    assert own == meta["files"] and own
    for relative in own:
        if (base / relative).is_file():
            assert (root / relative).read_bytes() != (base / relative).read_bytes(), relative
    hosts = {*Workbook.demo(meta["base"]).domains(), *Workbook.demo(name).domains(), *_dns_names(base)}
    assert meta["try"]["domain"] in hosts  # a host the design serves, or one the scenario's Ingress adds


def test_the_package_holds_exactly_the_listed_worlds() -> None:
    folders = {p.name for p in Path(str(demo_world_root())).parent.iterdir() if p.is_dir()}
    assert folders == set(WORLDS)


def test_workbook_worlds_groups_scenarios_under_their_design() -> None:
    groups = Workbook.worlds()
    assert list(groups) == list(DESIGNS)
    for design, (first, *rest) in groups.items():
        assert first.name == design and first.design == design
        assert [w.name for w in rest] == scenarios_of(design)
    assert sum(len(g) for g in groups.values()) == len(WORLDS)


def test_ackwb_worlds_prints_each_design_then_its_scenarios_indented(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main(["worlds"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = []
    for design in DESIGNS:
        expected.append((design, False, WORLDS[design].summary))
        expected += [(n, True, WORLDS[n].summary) for n in scenarios_of(design)]
    assert [
        (line.split()[0], line.startswith("  "), line.split("  ")[-1].strip()) for line in lines
    ] == expected


def test_demo_opens_a_design_world_and_rejects_unknown_names() -> None:
    wb = Workbook.demo("flannel-nodeport")
    assert wb.domains() == [
        f"{name}.fln.abc.com" for name in ("api", "logs", "partner", "shop", "store", "web")
    ]
    assert wb.sources.settings.cluster_id == View("flannel-nodeport").meta["cluster_id"]
    assert Workbook.demo("terway-nlb").domains() == [
        f"{name}.tnl.abc.com" for name in ("admin", "api", "ext", "grpc", "old", "pay", "search", "shop")
    ]
    with pytest.raises(InputError, match="no built-in world"):
        Workbook.demo("flannel")


# --------------------------------------------------------------------------------------- shapes
def _cloud_files() -> list[tuple[str, str]]:
    found = []
    for name in [*NEW_DESIGNS, *(n for d in NEW_DESIGNS for n in scenarios_of(d))]:
        root = Path(str(demo_world_root(name))) / "cloud"
        found += [(name, p.relative_to(root).as_posix()) for p in sorted(root.rglob("*.json"))]
    return found


@pytest.mark.parametrize(("world", "relative"), _cloud_files())
def test_stored_cloud_bodies_round_trip_through_the_sdk(world: str, relative: str) -> None:
    product, action = relative.split("/")[:2]
    body = View(world).json(f"cloud/{relative}")
    assert_round_trip(product, action.removesuffix(".json"), body)


@pytest.mark.parametrize("world", DESIGNS)
@pytest.mark.parametrize("resource", RESOURCES)
def test_kubernetes_objects_deserialise_into_client_models(world: str, resource: str) -> None:
    client = pytest.importorskip("kubernetes.client")
    listing = View(world).json(f"kube/{resource}.json")
    assert (listing["apiVersion"], listing["kind"]) == ("v1", "List")
    api = client.ApiClient()
    for item in listing["items"]:
        model = deserialize(api, item, MODELS[item["kind"]])
        assert comparable(api.sanitize_for_serialization(model)) == comparable(item), item["metadata"]["name"]
    if resource != "networkpolicies" or world == "terway-nlb":
        assert listing["items"], f"{world} stores no {resource}"


def _dns_names(root: Path) -> set[str]:
    """Every name the world's Alidns zones hold (an L4 Service's host has no Ingress)."""
    names = set()
    for zone in (root / "cloud" / "alidns" / "DescribeDomainRecords").glob("*.json"):
        for record in json.loads(zone.read_text())["DomainRecords"]["Record"]:
            names.add(f"{record['RR']}.{record['DomainName']}")
    return names
