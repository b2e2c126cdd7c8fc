"""An editable copy of a design world, from which its broken scenarios are made.

``Draft`` holds every file of a design world as an object: JSON files parsed, text files
as strings. A scenario edits the objects (a Pod's status, a listener's ``Status``, a line of
``ipvsadm`` output) and calls ``refresh_node_tables`` / ``refresh_backends`` so that what
kube-proxy and the ingress controller derive from the Kubernetes objects follows them, as
the real components would. ``render`` writes an object back exactly as the healthy
generator does, so a file a scenario leaves alone stays byte-for-byte the same and only the
files that differ go into the scenario's overlay folder.
"""

from __future__ import annotations

import json
from typing import Any

from tools.demo_world import ids, kube, node
from tools.demo_world.design import Design
from tools.demo_world.ids import NOW

__all__ = ["NOW", "Draft", "applied_service", "render"]

Obj = dict[str, Any]
SERVICE_NAME = "kubernetes.io/service-name"


def render(path: str, value: Any) -> str:
    """File text of one artefact: kube Lists as kubectl prints them, other JSON indented by two."""
    if isinstance(value, str):
        return value
    if path.startswith("kube/"):
        return kube.dump(value)
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def applied_service(service: Obj) -> Obj:
    """What ``kubectl apply`` records for an application Service of the demo (ports and selector)."""
    meta, spec = service["metadata"], service["spec"]
    ports = [{"name": p["name"], "port": p["port"], "targetPort": p["targetPort"]} for p in spec["ports"]]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"annotations": {}, "name": meta["name"], "namespace": meta["namespace"]},
        "spec": {"ports": ports, "selector": dict(spec.get("selector", {}))},
    }


class Draft:
    """A design world's files as objects; a scenario edits them in place."""

    def __init__(self, base: dict[str, str], design: Design) -> None:
        self.design = design
        self.files: dict[str, Any] = {}
        for path, text in base.items():
            value = json.loads(text) if path.endswith(".json") else text
            if render(path, value) != text:
                raise ValueError(f"{path} does not survive a parse and re-render; the draft cannot edit it")
            self.files[path] = value

    def rebuild(self, variant: Design) -> None:
        """Replace every file with what ``variant`` (the design after the change) generates.

        For changes whose consequences reach far (Pods rescheduled: their names, slices, rules,
        health); files the variant does not hold stay, as files an overlay cannot remove."""
        from tools.demo_world.world import world_files

        for path, text in world_files(variant).items():
            if path != "world.json":
                self.files[path] = json.loads(text) if path.endswith(".json") else text
        self.design = variant

    def rendered(self) -> dict[str, str]:
        return {path: render(path, value) for path, value in self.files.items()}

    # ---------------------------------------------------------------------------------- access
    def cloud(self, relative: str) -> Any:
        return self.files[f"cloud/{relative}"]

    def items(self, resource: str) -> list[Obj]:
        return self.files[f"kube/{resource}.json"]["items"]

    def get(self, resource: str, name: str, namespace: str | None = None) -> Obj:
        """The object named ``name``, else the one whose name starts with ``name-`` (a Deployment's Pod)."""
        here = [o for o in self.items(resource) if o["metadata"].get("namespace") == namespace]
        found = [o for o in here if o["metadata"]["name"] == name] or [
            o for o in here if o["metadata"]["name"].startswith(name + "-")
        ]
        if len(found) != 1:
            raise KeyError(f"{resource} {namespace}/{name}: {len(found)} objects match")
        return found[0]

    def slice_of(self, namespace: str, service: str) -> Obj:
        (found,) = [
            s
            for s in self.items("endpointslices")
            if s["metadata"]["namespace"] == namespace
            and s["metadata"]["labels"].get(SERVICE_NAME) == service
        ]
        return found

    def controller_folders(self) -> list[str]:
        return sorted({p.rsplit("/", 1)[0] for p in self.files if p.startswith("pods/")})

    # ------------------------------------------------------------------------------- changes
    @staticmethod
    def touched(obj: Obj, seed: str, spec_changed: bool = False) -> None:
        """Give an edited object a new resourceVersion (and a new generation when its spec changed)."""
        meta = obj["metadata"]
        meta["resourceVersion"] = ids.resource_version(f"{seed} {meta['name']} edited")
        if spec_changed and "generation" in meta:
            meta["generation"] += 1

    @staticmethod
    def reapplied(obj: Obj, applied: Obj) -> None:
        """Rewrite ``kubectl apply``'s record of the object after an edit made with kubectl apply."""
        obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = (
            kube.last_applied(applied)
        )

    def node_text(self, node_ip: str, name: str) -> str:
        return self.files[f"nodes/{node_ip}/{name}"]

    def set_node_text(self, node_ip: str, name: str, text: str) -> None:
        self.files[f"nodes/{node_ip}/{name}"] = text

    def refresh_node_tables(self, node_ips: list[str] | None = None) -> None:
        """Recompute what kube-proxy programs (``ipvsadm -Ln``, ``ip -o addr``, its iptables or nft rules)
        from the current Services and EndpointSlices, in each node's current proxy mode."""
        modes = {n.ip: self.node_text(n.ip, "proxy-mode.txt") for n in self.design.nodes}
        fresh = node.outputs(self.design, self.items("services"), self.items("endpointslices"), modes)
        for path, text in fresh.items():
            if node_ips is None or path.split("/", 1)[0] in node_ips:
                self.files[f"nodes/{path}"] = text

    def set_proxy_mode(self, node_ip: str, mode: str) -> None:
        """kube-proxy on ``node_ip`` restarted in ``mode``: it cleans up the other mode's rules."""
        self.set_node_text(node_ip, "proxy-mode.txt", mode)
        self.refresh_node_tables([node_ip])

    def refresh_backends(self) -> None:
        """Recompute the controllers' dynamic backends from the current Services and EndpointSlices.

        ingress-nginx keeps the ready endpoints of the Service port (the slice port's number,
        as a string) and omits ``endpoints`` when there are none; a service-upstream backend
        keeps its single ClusterIP endpoint.
        """
        for folder in self.controller_folders():
            for backend in self.files[f"{folder}/backends.json"]:
                found = self._service_of_backend(backend["name"])
                if found is None:
                    continue
                service, port = found
                spec = backend["service"]["spec"]
                spec["selector"] = dict(service["spec"].get("selector", {}))
                spec["ports"][0]["targetPort"] = port["targetPort"]
                endpoints = backend.get("endpoints") or []
                if [e["address"] for e in endpoints] == [service["spec"]["clusterIP"]]:
                    continue  # service-upstream: nginx proxies to the ClusterIP
                fresh = self._ready_endpoints(service, port)
                if fresh:
                    backend["endpoints"] = fresh
                else:
                    backend.pop("endpoints", None)

    def _service_of_backend(self, name: str) -> tuple[Obj, Obj] | None:
        for service in self.items("services"):
            meta = service["metadata"]
            for port in service["spec"]["ports"]:
                keys = [port[k] for k in ("port", "name") if k in port]
                if name in (f"{meta['namespace']}-{meta['name']}-{key}" for key in keys):
                    return service, port
        return None

    def _ready_endpoints(self, service: Obj, port: Obj) -> list[Obj]:
        found = []
        for s in self.items("endpointslices"):
            labels = s["metadata"].get("labels", {})
            if (
                s["metadata"]["namespace"] != service["metadata"]["namespace"]
                or labels.get(SERVICE_NAME) != service["metadata"]["name"]
            ):
                continue
            number = next((p["port"] for p in s["ports"] if p["name"] == port["name"]), None)
            for e in s.get("endpoints") or []:
                if number is not None and e.get("conditions", {}).get("ready", True):
                    found += [{"address": a, "port": str(number)} for a in e["addresses"]]
        return found
