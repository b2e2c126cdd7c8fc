"""A trace as JSON, for scripts and dashboards: ``ackwb trace … --output json``.

The document is versioned (``"schema": "ackwb.trace/1"``) and described by
``trace.schema.json`` beside this module (JSON Schema 2020-12), which the README documents
and a test checks every world's traces against. It carries the same verdict as the terminal,
the report and the cluster map, because all of them read ``Trace.verdict``.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from ackwb.model import Edge, Finding, Hop, Packet, Path, Trace
from ackwb.trace import dead_end

SCHEMA_ID = "ackwb.trace/1"


def trace_document(trace: Trace) -> dict[str, Any]:
    design = trace.design
    return {
        "schema": SCHEMA_ID,
        "domain": trace.domain,
        "client": {
            "ip": trace.client.ip,
            "port": trace.client.port,
            "path": trace.client.path,
            "scheme": trace.client.url_scheme,
            "headers": dict(trace.client.headers),
        },
        "world": trace.world,
        "verdict": trace.verdict.value,
        "reason": dead_end(trace),
        "journeys": {path.value: trace.verdict_of(path).value for path in Path if _has(trace, path)},
        "design": {
            "summary": design.summary(),
            "network": design.network,
            "network_policy": design.network_policy,
            "proxy_modes": dict(design.proxy_modes),
            "load_balancer": design.load_balancer,
            "backends": design.backends,
            "traffic_policy": design.traffic_policy,
            "controllers": design.controllers,
            "tls": design.tls,
        },
        "hops": [_hop(h) for h in trace.hops],
        "edges": [_edge(e) for e in trace.edges],
        "blocked_branches": [{"hop": h.id, "reason": why} for h, why in trace.blocked_branches],
        "findings": [_finding(f) for f in trace.findings],
    }


def trace_json(trace: Trace) -> str:
    return json.dumps(trace_document(trace), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema of the document."""
    return json.loads(files("ackwb.render").joinpath("trace.schema.json").read_text(encoding="utf-8"))


def _has(trace: Trace, path: Path) -> bool:
    return any(e.path is path for e in trace.edges)


def _packet(packet: Packet | None) -> dict[str, str] | None:
    return {"src": packet.src, "dst": packet.dst} if packet else None


def _hop(hop: Hop) -> dict[str, Any]:
    return {
        "id": hop.id,
        "kind": hop.kind,
        "label": " ".join(hop.label.split()),
        "path": hop.path.value,
        "verdict": hop.verdict.value,
        "details": dict(hop.details),
        "arrives": _packet(hop.arrives),
        "leaves": _packet(hop.leaves),
        "rewrite": hop.rewrite,
    }


def _edge(edge: Edge) -> dict[str, str]:
    return {"src": edge.src, "dst": edge.dst, "label": edge.label, "path": edge.path.value}


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "hop": finding.hop,
        "message": finding.message,
        "evidence": [
            {"source": e.source, "locator": e.locator, "excerpt": e.excerpt} for e in finding.evidence
        ],
        "check": finding.check,
    }
