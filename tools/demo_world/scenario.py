"""One broken built-in world: a small, realistic change to a design world, and its overlay folder.

A ``Scenario`` names the design world it changes (``base``), the edit (a function of a
``Draft`` whose first docstring paragraph says what changed), what a trace should find and
the request to try. ``overlay`` turns one into the files of its folder: a ``world.json``
naming its base, what changed and the expected finding, plus only the files that differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from tools.demo_world.design import Design
from tools.demo_world.draft import Draft


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str  # dns, load balancer, ingress, service, kube-proxy, pod, egress
    summary: str  # one line, as in ackwb.demo.WORLDS
    expect: str  # the finding a trace of ``domain`` produces, in words
    domain: str
    edit: Callable[[Draft], None]
    client_ip: str | None = None
    base: str = "healthy"  # the design world it changes
    port: int = 80  # the listener port the try uses

    @property
    def changed(self) -> str:
        doc = self.edit.__doc__ or ""
        return " ".join(doc.split("\n\n")[0].split())


def overlay(scenario: Scenario, base: dict[str, str], design: Design) -> dict[str, str]:
    """Relative path → content of the scenario's folder: its world.json and the changed files."""
    draft = Draft(base, design)
    scenario.edit(draft)
    edited = draft.rendered()
    lost = sorted(set(base) - set(edited))
    if lost:
        raise ValueError(f"scenario {scenario.name} removes {lost}; an overlay can only change or add files")
    changed = {path: text for path, text in edited.items() if base.get(path) != text}
    if not changed:
        raise ValueError(f"scenario {scenario.name} changes nothing")
    meta = {
        "name": scenario.name,
        "base": scenario.base,
        "description": scenario.summary,
        "family": scenario.family,
        "changed": scenario.changed,
        "try": {
            "domain": scenario.domain,
            "client_ip": scenario.client_ip,
            "port": scenario.port,
            "path": "/",
        },
        "expected_finding": scenario.expect,
        "files": sorted(changed),
    }
    return {"world.json": json.dumps(meta, indent=2, ensure_ascii=False) + "\n", **changed}
