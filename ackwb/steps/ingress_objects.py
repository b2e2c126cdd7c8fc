"""Checks across Ingress objects that explain surprises nginx.conf alone does not show.

The controller merges every Ingress it serves into one config, so one object can change
another's meaning: ``use-regex`` (or ``rewrite-target``) on one Ingress turns every path of
its host into a case-insensitive regex (``enforceRegexModifier``), two Ingresses may claim
the same host, path and ``pathType`` (the first in the controller's order wins: oldest
``creationTimestamp``, then "namespace/name" in descending order, ``sortIngressSlice``), a
``tls`` host without a rule in the same Ingress gets no certificate from it, a canary
needs a main Ingress with the same host, path and ``pathType`` (``mergeAlternativeBackends``
deletes it otherwise). Which Ingresses are served at all follows ``GetIngressClass``:
``spec.ingressClassName`` (an IngressClass whose ``spec.controller`` is ``--controller-class``),
else the ``kubernetes.io/ingress.class`` annotation (equal to ``--ingress-class``), else
only with ``--watch-ingress-without-class`` (the controller never reads
``is-default-class``). A Service's ``sessionAffinity: ClientIP`` is bypassed because nginx
balances to Pod IPs itself. Snippet annotations run arbitrary nginx configuration.

Pure: the ingress step passes the objects it listed and wraps these records into
``model.Finding`` on its hops.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.model import Evidence, Severity
from ackwb.parse.ingresses import PREFIX, IngressPath, IngressRecord, controller_order, read_ingresses

SNIPPETS = ("configuration-snippet", "server-snippet", "auth-snippet")


@dataclass(frozen=True)
class ClassConfig:
    """The controller's class flags (defaults of ingress-nginx)."""

    ingress_class: str = "nginx"  # --ingress-class
    controller_class: str = "k8s.io/ingress-nginx"  # --controller-class
    watch_without_class: bool = False  # --watch-ingress-without-class
    class_by_name: bool = False  # --ingress-class-by-name


@dataclass(frozen=True)
class ObjectFinding:
    code: str
    severity: Severity
    message: str
    evidence: tuple[Evidence, ...]
    ingress: str  # namespace/name the finding is about (a Service's for SERVICE_AFFINITY_BYPASSED)


def flag_values(args: Sequence[str]) -> dict[str, str]:
    """The controller's flags by name (``--flag=value`` or ``--flag value``; a bare flag is "true")."""
    values: dict[str, str] = {}
    for i, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if not sep:
            following = args[i + 1] if i + 1 < len(args) else ""
            value = following if following and not following.startswith("--") else "true"
        values[name] = value
    return values


def class_config(args: Sequence[str]) -> ClassConfig:
    """The class flags from the controller container's args."""
    values = flag_values(args)
    return ClassConfig(
        ingress_class=values.get("ingress-class", "nginx"),
        controller_class=values.get("controller-class", "k8s.io/ingress-nginx"),
        watch_without_class=values.get("watch-ingress-without-class", "false").lower() == "true",
        class_by_name=values.get("ingress-class-by-name", "false").lower() == "true",
    )


def _ev(record: IngressRecord, locator: str, value: Any) -> Evidence:
    excerpt = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return Evidence("kube:ingresses", f"{record.key} {locator}", excerpt)


def _path_ev(record: IngressRecord, p: IngressPath) -> Evidence:
    r, i = p.index
    return _ev(record, f"spec.rules[{r}].http.paths[{i}]", {"path": p.path, "pathType": p.path_type})


def served(record: IngressRecord, classes: Mapping[str, str], config: ClassConfig) -> tuple[bool, str]:
    """Whether the controller serves ``record`` and why; ``classes``: IngressClass name → spec.controller."""
    if record.class_name is not None:
        controller = classes.get(record.class_name)
        ok = controller == config.controller_class or (
            config.class_by_name and record.class_name == config.ingress_class and controller is not None
        )
        what = "does not exist" if controller is None else f"has controller {controller}"
        return ok, f"spec.ingressClassName {record.class_name} ({'served' if ok else what})"
    if record.class_annotation is not None:
        ok = record.class_annotation == config.ingress_class
        return (
            ok,
            f"annotation kubernetes.io/ingress.class: {record.class_annotation} "
            f"(--ingress-class is {config.ingress_class})",
        )
    if config.watch_without_class:
        return True, "no class, served because the controller runs with --watch-ingress-without-class"
    return False, "no class, and the controller runs without --watch-ingress-without-class"


def _without_class(records: Sequence[IngressRecord], config: ClassConfig) -> list[ObjectFinding]:
    out = []
    for record in records:
        if record.class_name is not None or record.class_annotation is not None:
            continue
        ev = (_ev(record, "spec.ingressClassName", "(none)"),)
        if config.watch_without_class:
            message = (
                f"Ingress {record.key} names no IngressClass: it is served only because the controller runs "
                "with --watch-ingress-without-class=true; another controller with that flag serves it too."
            )
            out.append(ObjectFinding("INGRESS_WITHOUT_CLASS", Severity.WARNING, message, ev, record.key))
        else:
            message = (
                f"Ingress {record.key} names no IngressClass and the controller runs without "
                "--watch-ingress-without-class: it is not served (the default IngressClass is filled in "
                "by the API server only when an Ingress is created; the controller does not read "
                "is-default-class)."
            )
            out.append(ObjectFinding("INGRESS_WITHOUT_CLASS", Severity.ERROR, message, ev, record.key))
    return out


def _needs_regex(record: IngressRecord, p: IngressPath) -> bool:
    target = record.annotation("rewrite-target")
    return record.flag("use-regex") or (bool(target) and target != p.path)


def _changed(p: IngressPath) -> str:
    if p.path_type == "Exact":
        return f'Exact {p.path} now matches every path starting with it, in any case (~* "^{p.path}")'
    if p.path_type == "Prefix":
        return f'Prefix {p.path} now matches {p.path.rstrip("/")}anything, in any case (~* "^{p.path}")'
    return f'{p.path} is now a case-insensitive regex (~* "^{p.path}")'


def _host_wide_regex(records: Sequence[IngressRecord]) -> list[ObjectFinding]:
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
        ev = (_ev(cause, f"metadata.annotations[{PREFIX}{which}]", cause.annotation(which) or ""),)
        ev += tuple(_path_ev(r, p) for r, p in changed)
        out.append(ObjectFinding("INGRESS_REGEX_HOST_WIDE", Severity.WARNING, message, ev, cause.key))
    return out


def _duplicates(records: Sequence[IngressRecord]) -> list[ObjectFinding]:
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
        ev = tuple(_path_ev(r, p) for r, p in claimed)
        ev += tuple(_ev(r, "metadata.creationTimestamp", r.created) for r in owners)
        out.append(ObjectFinding("INGRESS_DUPLICATE_PATH", Severity.WARNING, message, ev, winner.key))
    return out


def _covers(tls_host: str, host: str) -> bool:
    if tls_host.lower() == host.lower():
        return True
    return tls_host.startswith("*.") and host.lower().partition(".")[2] == tls_host[2:].lower()


def _tls_without_rule(records: Sequence[IngressRecord]) -> list[ObjectFinding]:
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
                _ev(
                    record,
                    f"spec.tls[hosts={tls_host}]",
                    {"host": tls_host, "secretName": secret, "index": i},
                ),
            )
            out.append(
                ObjectFinding("INGRESS_TLS_HOST_WITHOUT_RULE", Severity.WARNING, message, ev, record.key)
            )
    return out


def _canary_without_main(
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
            ev = (_path_ev(record, p), _ev(record, f"metadata.annotations[{PREFIX}canary]", "true"))
            out.append(
                ObjectFinding("INGRESS_CANARY_WITHOUT_MAIN", Severity.WARNING, message, ev, record.key)
            )
    return out


def _snippets(records: Sequence[IngressRecord], allow: bool | None) -> list[ObjectFinding]:
    out = []
    for record in records:
        found = [s for s in SNIPPETS if record.annotation(s)]
        if not found:
            continue
        fate = {
            None: "they are dropped unless the ConfigMap sets allow-snippet-annotations: true (the "
            "default is false since v1.9)",
            True: "the ConfigMap allows them (allow-snippet-annotations: true)",
            False: "the ConfigMap disallows them (allow-snippet-annotations: false), so the controller "
            "drops them",
        }[allow]
        message = (
            f"Ingress {record.key} carries {', '.join(found)}: snippets run arbitrary nginx configuration on "
            f"this path, which this trace does not evaluate; {fate}."
        )
        ev = tuple(
            _ev(record, f"metadata.annotations[{PREFIX}{s}]", record.annotation(s) or "") for s in found
        )
        out.append(ObjectFinding("INGRESS_SNIPPET", Severity.WARNING, message, ev, record.key))
    return out


def _affinity(records: Sequence[IngressRecord], services: Sequence[Mapping[str, Any]]) -> list[ObjectFinding]:
    by_key = {
        f"{s.get('metadata', {}).get('namespace')}/{s.get('metadata', {}).get('name')}": s for s in services
    }
    out, seen = [], set()
    for record in records:
        for p in record.paths:
            key = f"{record.namespace}/{p.service}"
            spec = (by_key.get(key) or {}).get("spec") or {}
            if spec.get("sessionAffinity") != "ClientIP" or (key, record.key) in seen:
                continue
            seen.add((key, record.key))
            if record.annotation("affinity") == "cookie":
                continue
            ev = (Evidence("kube:services", f"{key} spec.sessionAffinity", "ClientIP"),)
            if record.flag("service-upstream"):
                message = (
                    f"Service {key} sets sessionAffinity: ClientIP and Ingress {record.key} uses "
                    "service-upstream: kube-proxy sees the controller Pods as clients, so it pins each "
                    "controller Pod, not each end client, to one Pod."
                )
                severity = Severity.INFO
            else:
                message = (
                    f"Service {key} sets sessionAffinity: ClientIP, but ingress-nginx balances Ingress "
                    f"{record.key}'s requests to the Pod IPs itself, bypassing the Service: clients are not "
                    "pinned. Only nginx's own Ingress annotation affinity: cookie pins clients on this path."
                )
                severity = Severity.WARNING
            out.append(ObjectFinding("SERVICE_AFFINITY_BYPASSED", severity, message, ev, key))
    return out


def affinity_bypassed(ingresses: Sequence[Any], services: Sequence[Mapping[str, Any]]) -> list[ObjectFinding]:
    """SERVICE_AFFINITY_BYPASSED for ``services`` behind ``ingresses`` (objects as the API returns them)."""
    return _affinity([r for r in read_ingresses(ingresses) if not r.canary], services)


def check_ingress_objects(
    ingresses: Sequence[Any],
    classes: Sequence[Any] = (),
    args: Sequence[str] = (),
    services: Sequence[Mapping[str, Any]] = (),
    allow_snippets: bool | None = None,
) -> list[ObjectFinding]:
    """Every finding across ``ingresses`` (objects as the API returns them) for a controller
    running with ``args``; ``classes`` are the IngressClass objects, ``services`` the Services."""
    config = class_config(args)
    names = {
        (c.get("metadata") or {}).get("name"): (c.get("spec") or {}).get("controller")
        for c in classes
        if isinstance(c, Mapping)
    }
    records = read_ingresses(ingresses)
    live = [r for r in records if served(r, names, config)[0]]
    mains = [r for r in live if not r.canary]
    canaries = [r for r in live if r.canary]
    return [
        *_without_class(records, config),
        *_host_wide_regex(mains),
        *_duplicates(mains),
        *_tls_without_rule(mains),
        *_canary_without_main(canaries, mains),
        *_snippets(live, allow_snippets),
        *_affinity(mains, services),
    ]
