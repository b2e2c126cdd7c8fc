"""Checks across the paths and hosts of Ingress objects: what nginx.conf alone does not explain.

The controller merges every Ingress it serves into one config, so one object can change
another's meaning: ``use-regex`` (or ``rewrite-target``) on one Ingress turns every path of
its host into a case-insensitive regex (``enforceRegexModifier``), two Ingresses may claim
the same host, path and ``pathType`` (the first in the controller's order wins: oldest
``creationTimestamp``, then "namespace/name" in descending order, ``sortIngressSlice``), a
``tls`` host without a rule in the same Ingress gets no certificate from it, a canary
needs a main Ingress with the same host, path and ``pathType`` (``mergeAlternativeBackends``
deletes it otherwise). Pure, like ``ingress_objects`` which gathers these with the checks of
classes, snippets and Services.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.model import Evidence, Severity
from ackwb.parse.ingresses import PREFIX, IngressPath, IngressRecord, controller_order


@dataclass(frozen=True)
class ObjectFinding:
    code: str
    severity: Severity
    message: str
    evidence: tuple[Evidence, ...]
    ingress: str  # namespace/name the finding is about (a Service's for SERVICE_AFFINITY_BYPASSED)


def object_evidence(record: IngressRecord, locator: str, value: Any) -> Evidence:
    excerpt = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return Evidence("kube:ingresses", f"{record.key} {locator}", excerpt)


def path_evidence(record: IngressRecord, p: IngressPath) -> Evidence:
    r, i = p.index
    return object_evidence(
        record, f"spec.rules[{r}].http.paths[{i}]", {"path": p.path, "pathType": p.path_type}
    )


def _needs_regex(record: IngressRecord, p: IngressPath) -> bool:
    target = record.annotation("rewrite-target")
    return record.flag("use-regex") or (bool(target) and target != p.path)


def _changed(p: IngressPath) -> str:
    if p.path_type == "Exact":
        return f'Exact {p.path} now matches every path starting with it, in any case (~* "^{p.path}")'
    if p.path_type == "Prefix":
        return f'Prefix {p.path} now matches {p.path.rstrip("/")}anything, in any case (~* "^{p.path}")'
    return f'{p.path} is now a case-insensitive regex (~* "^{p.path}")'


def host_wide_regex(records: Sequence[IngressRecord]) -> list[ObjectFinding]:
    out = []
    hosts = sorted({p.host for r in records for p in r.paths})
    for host in hosts:
        on_host = [(r, p) for r in records for p in r.paths if p.host == host]
        causes = list(dict.fromkeys(r for r, p in on_host if _needs_regex(r, p)))
        if not causes:
            continue
        changed = [(r, p) for r, p in on_host if r not in causes or p.path_type == "Exact"]
        if not changed:
            continue
        cause = causes[0]
        which = "use-regex" if cause.flag("use-regex") else "rewrite-target"
        lines = "; ".join(f"{_changed(p)} (Ingress {r.key})" for r, p in changed)
        message = (
            f"Ingress {cause.key} sets {which}, so ingress-nginx renders every location of host "
            f"{host or '_'} as a case-insensitive regex: {lines}."
        )
        ev = (
            object_evidence(cause, f"metadata.annotations[{PREFIX}{which}]", cause.annotation(which) or ""),
        )
        ev += tuple(path_evidence(r, p) for r, p in changed)
        out.append(ObjectFinding("INGRESS_REGEX_HOST_WIDE", Severity.WARNING, message, ev, cause.key))
    return out


def duplicate_paths(records: Sequence[IngressRecord]) -> list[ObjectFinding]:
    claims: dict[tuple[str, str, str], list[tuple[IngressRecord, IngressPath]]] = {}
    for record in controller_order(records):
        for p in record.paths:
            claims.setdefault((p.host, p.path, p.path_type), []).append((record, p))
    out = []
    for (host, path, path_type), claimed in claims.items():
        owners = list(dict.fromkeys(r for r, _ in claimed))
        if len(owners) < 2:
            continue
        winner, losers = owners[0], owners[1:]
        why = (
            "it is the oldest (creationTimestamp)"
            if winner.created != losers[0].created
            else "the timestamps are equal and its namespace/name sorts last"
        )
        message = (
            f"{len(owners)} Ingresses claim {host or '_'}{path} ({path_type}): the controller serves it from "
            f"{winner.key}, because {why}; {', '.join(r.key for r in losers)} is ignored for this path."
        )
        ev = tuple(path_evidence(r, p) for r, p in claimed)
        ev += tuple(object_evidence(r, "metadata.creationTimestamp", r.created) for r in owners)
        out.append(ObjectFinding("INGRESS_DUPLICATE_PATH", Severity.WARNING, message, ev, winner.key))
    return out


def _covers(tls_host: str, host: str) -> bool:
    if tls_host.lower() == host.lower():
        return True
    return tls_host.startswith("*.") and host.lower().partition(".")[2] == tls_host[2:].lower()


def tls_without_rule(records: Sequence[IngressRecord]) -> list[ObjectFinding]:
    out = []
    all_hosts = {p.host for r in records for p in r.paths}
    for record in records:
        for i, (tls_host, secret) in enumerate(record.tls_hosts):
            if any(_covers(tls_host, h) for h in record.rule_hosts):
                continue
            elsewhere = tls_host in all_hosts
            then = (
                "another Ingress has a rule for it, but this certificate is not applied there (the "
                "controller takes a host's certificate from the Ingresses that have a rule for it)"
                if elsewhere
                else "no Ingress has a rule for it, so there is no server block and the certificate is "
                "never served"
            )
            message = (
                f"Ingress {record.key} lists {tls_host} under tls (Secret {secret}) but has no rule for it: "
                f"{then}."
            )
            ev = (
                object_evidence(
                    record,
                    f"spec.tls[hosts={tls_host}]",
                    {"host": tls_host, "secretName": secret, "index": i},
                ),
            )
            out.append(
                ObjectFinding("INGRESS_TLS_HOST_WITHOUT_RULE", Severity.WARNING, message, ev, record.key)
            )
    return out


def canary_without_main(
    canaries: Sequence[IngressRecord], mains: Sequence[IngressRecord]
) -> list[ObjectFinding]:
    out = []
    claimed = {(p.host, p.path, p.path_type) for r in mains for p in r.paths}
    hosts = {p.host for r in mains for p in r.paths}
    for record in canaries:
        for p in record.paths:
            if (p.host, p.path, p.path_type) in claimed:
                continue
            fate = (
                "no served main Ingress has that host, path and pathType: the controller drops the canary "
                "backend, so it receives nothing"
                if p.host in hosts
                else f"no served main Ingress has host {p.host or '_'} at all: the controller renders no "
                "server block for it (a canary alone makes none), so requests for the host get the "
                "catch-all server's 404 and the canary's upstream is referred to by nothing"
            )
            message = (
                f"Canary Ingress {record.key} sends part of {p.host or '_'}{p.path} ({p.path_type}) to "
                f"{p.service}, but {fate}."
            )
            ev = (
                path_evidence(record, p),
                object_evidence(record, f"metadata.annotations[{PREFIX}canary]", "true"),
            )
            out.append(
                ObjectFinding("INGRESS_CANARY_WITHOUT_MAIN", Severity.WARNING, message, ev, record.key)
            )
    return out
