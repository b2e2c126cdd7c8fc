"""Write the demo worlds into ackwb/demo/worlds/ from tools/demo_world.

``healthy`` is a complete world; every broken scenario (tools/demo_world/scenarios.py) is an
overlay folder beside it holding its ``world.json`` and only the files that differ. The
generated files are committed and are the truth the package reads; this script only keeps
them consistent with each other. Run from the repository root:

    python tools/build_demo_world.py           # rewrite every world
    python tools/build_demo_world.py --check   # exit 1 when the committed files differ
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.demo_world import cloud, cloud_lb, facts, kube, nginx, node  # noqa: E402
from tools.demo_world.scenarios import SCENARIOS, overlay  # noqa: E402

WORLDS = ROOT / "ackwb" / "demo" / "worlds"
WORLD = WORLDS / "healthy"
HEALTHY_SUMMARY = (
    "app1/app2 on public-lb, app3 on private-lb (whitelist: office and VPN ranges), app4 on the NLB "
    "public-nlb; every hop works"
)


def world_files() -> dict[str, str]:
    """Relative path → file content of the healthy world."""
    files: dict[str, str] = {}
    meta = {
        "name": "healthy",
        "description": "ACK cluster qas in cn-hangzhou as in the article: app1/app2 on public-lb, app3 on "
        "private-lb (whitelist: office and VPN ranges), app4 on the NLB public-nlb (security group open "
        "on 80 and 443), "
        "ingress-nginx on the host network, Terway ENIIP, "
        "kube-proxy IPVS, egress through a NAT gateway. Everything works.",
        "region": facts.REGION,
        "cluster_id": facts.CLUSTER_ID,
        "cluster_domain": facts.CLUSTER_DOMAIN,
        "cluster_dns": facts.CLUSTER_DNS,
        "ingress_controller": {
            "namespace": facts.INGRESS_NAMESPACE,
            "label_selector": ",".join(f"{k}={v}" for k, v in facts.INGRESS_LABELS.items()),
            "container": facts.INGRESS_CONTAINER,
        },
    }
    files["world.json"] = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    lists = kube.resources()
    for resource, listing in lists.items():
        files[f"kube/{resource}.json"] = kube.dump(listing)
    for path, body in cloud.responses().items():
        files[f"cloud/{path}"] = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    files["dns/public.json"] = json.dumps(cloud_lb.public_dns(), indent=2) + "\n"
    files["dns/cluster.json"] = json.dumps(cloud_lb.cluster_dns(), indent=2) + "\n"
    for path, text in node.outputs(lists["services"]["items"], lists["endpointslices"]["items"]).items():
        files[f"nodes/{path}"] = text
    pods = lists["pods"]["items"]
    conf, backends = nginx.nginx_conf(), nginx.backends_json(pods)
    for p in pods:
        if p["metadata"]["labels"].get("app") == "ingress-nginx":
            folder = f"pods/{p['metadata']['namespace']}/{p['metadata']['name']}"
            files[f"{folder}/nginx.conf"] = conf
            files[f"{folder}/backends.json"] = backends
    return files


def all_worlds() -> dict[str, dict[str, str]]:
    """World name → its files: the healthy world whole, each scenario as an overlay."""
    healthy = world_files()
    return {"healthy": healthy, **{s.name: overlay(s, healthy) for s in SCENARIOS}}


def write(target: Path, files: dict[str, str] | None = None) -> None:
    if target.exists():
        shutil.rmtree(target)
    for relative, content in (world_files() if files is None else files).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def differences(target: Path, files: dict[str, str] | None = None) -> list[str]:
    """Relative paths whose committed content differs from ``files`` (default: the healthy world)."""
    want = {k: v.encode() for k, v in (world_files() if files is None else files).items()}
    have = {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    return sorted(name for name in want.keys() | have.keys() if want.get(name) != have.get(name))


def package_listing_problems() -> list[str]:
    """ackwb.demo.SCENARIOS must name the generated worlds, in order, with the same summaries."""
    from ackwb.demo import SCENARIOS as LISTED

    expected = {"healthy": HEALTHY_SUMMARY, **{s.name: s.summary for s in SCENARIOS}}
    if list(LISTED.items()) == list(expected.items()):
        return []
    return [
        "ackwb/demo/__init__.py SCENARIOS differs from the generator; it should read:\n"
        + "\n".join(f"    {name!r}: {summary!r}," for name, summary in expected.items())
    ]


def check() -> list[str]:
    problems = []
    worlds = all_worlds()
    for name, files in worlds.items():
        problems += [f"differs: {name}/{path}" for path in differences(WORLDS / name, files)]
    strays = sorted(p.name for p in WORLDS.iterdir() if p.is_dir() and p.name not in worlds)
    problems += [f"not generated (remove it): {name}/" for name in strays]
    return problems + package_listing_problems()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    worlds = all_worlds()
    for name, files in worlds.items():
        write(WORLDS / name, files)
    print(f"wrote {len(worlds)} worlds into {WORLDS.relative_to(ROOT)}")
    problems = package_listing_problems()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
