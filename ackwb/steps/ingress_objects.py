"""Checks across Ingress objects that explain surprises nginx.conf alone does not show.

Which Ingresses are served at all follows ``GetIngressClass``: ``spec.ingressClassName`` (an
IngressClass whose ``spec.controller`` is ``--controller-class``), else the
``kubernetes.io/ingress.class`` annotation (equal to ``--ingress-class``), else only with
``--watch-ingress-without-class`` (the controller never reads ``is-default-class``). A Service's
``sessionAffinity: ClientIP`` is bypassed because nginx balances to Pod IPs itself. Snippet
annotations run arbitrary nginx configuration. The checks across paths and hosts (regex, duplicate
paths, tls hosts, canaries) are in ``ingress_path_checks``; ``check_ingress_objects`` runs them all.

Pure: the ingress step passes the objects it listed and wraps these records into
``model.Finding`` on its hops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.model import Evidence, Severity
from ackwb.parse.ingresses import PREFIX, IngressRecord, read_ingresses
from ackwb.steps.ingress_path_checks import (
    ObjectFinding,
    canary_without_main,
    duplicate_paths,
    host_wide_regex,
    object_evidence,
    tls_without_rule,
)

__all__ = [
    "SNIPPETS",
    "ObjectFinding",
    "affinity_bypassed",
    "check_ingress_objects",
    "class_config",
    "flag_values",
    "served",
]

SNIPPETS = ("configuration-snippet", "server-snippet", "auth-snippet")


@dataclass(frozen=True)
class ClassConfig:
    """The controller's class flags (defaults of ingress-nginx)."""

    ingress_class: str = "nginx"  # --ingress-class
    controller_class: str = "k8s.io/ingress-nginx"  # --controller-class
    watch_without_class: bool = False  # --watch-ingress-without-class
    class_by_name: bool = False  # --ingress-class-by-name


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
        ev = (object_evidence(record, "spec.ingressClassName", "(none)"),)
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
            object_evidence(record, f"metadata.annotations[{PREFIX}{s}]", record.annotation(s) or "")
            for s in found
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
        *host_wide_regex(mains),
        *duplicate_paths(mains),
        *tls_without_rule(mains),
        *canary_without_main(canaries, mains),
        *_snippets(live, allow_snippets),
        *_affinity(mains, services),
    ]
