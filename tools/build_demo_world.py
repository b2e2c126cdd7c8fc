"""Write the demo world "healthy" into ackwb/demo/worlds/healthy from tools/demo_world.

The generated files are committed and are the truth the package reads; this script only
keeps them consistent with each other. Run from the repository root:

    python tools/build_demo_world.py           # rewrite the world
    python tools/build_demo_world.py --check   # exit 1 when the committed files differ
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.demo_world import cloud, cloud_lb, facts, kube, nginx, node  # noqa: E402

WORLD = ROOT / "ackwb" / "demo" / "worlds" / "healthy"


def world_files() -> dict[str, str]:
    """Relative path → file content."""
    files: dict[str, str] = {}
    meta = {
        "name": "healthy",
        "description": "ACK cluster qas in cn-hangzhou as in the article: app1/app2 on public-lb, app3 on "
        "private-lb (office whitelist), ingress-nginx on the host network, Terway ENIIP, "
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
    for path, text in node.outputs(lists["endpointslices"]["items"]).items():
        files[f"nodes/{path}"] = text
    pods = lists["pods"]["items"]
    conf, backends = nginx.nginx_conf(), nginx.backends_json(pods)
    for p in pods:
        if p["metadata"]["labels"].get("app") == "ingress-nginx":
            folder = f"pods/{p['metadata']['namespace']}/{p['metadata']['name']}"
            files[f"{folder}/nginx.conf"] = conf
            files[f"{folder}/backends.json"] = backends
    return files


def write(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    for relative, content in world_files().items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def differences(target: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "world"
        write(fresh)
        want = {p.relative_to(fresh).as_posix(): p.read_bytes() for p in fresh.rglob("*") if p.is_file()}
    have = {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    return sorted(name for name in want.keys() | have.keys() if want.get(name) != have.get(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        diff = differences(WORLD)
        for name in diff:
            print(f"differs: {name}")
        return 1 if diff else 0
    write(WORLD)
    print(f"wrote {WORLD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
