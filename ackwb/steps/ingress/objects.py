"""The Ingress step's checks across Ingress objects, for the host being traced.

nginx.conf shows what the controller rendered, not why: one Ingress's ``use-regex`` changes the
meaning of another's paths, two Ingresses may claim one path (one silently loses), a canary
without a main Ingress is dropped, an Ingress without a class is served only when the
controller is told to. ``ackwb.steps.ingress_objects`` judges the objects (pure); this module
reads them (every Ingress with a rule or a ``tls`` entry for the host, the IngressClasses, the
serving controller's args and the ``allow-snippet-annotations`` key of its ConfigMap) and turns
the records into findings on the Ingress hop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Evidence, Finding
from ackwb.parse.ingresses import PREFIX
from ackwb.sources import Sources
from ackwb.steps.common import dig, kube_evidence, sh
from ackwb.steps.ecs.result import ControllerPod
from ackwb.steps.ingress_objects import SNIPPETS, ObjectFinding, check_ingress_objects, flag_values

SNIPPETS_KEY = "allow-snippet-annotations"

# by hand: what to look at for each finding (the Ingress the finding is about fills {ns} and {name})
CHECKS = {
    "INGRESS_REGEX_HOST_WIDE": "kubectl -n {ns} get ingress {name} -o jsonpath='{{.metadata.annotations}}'",
    "INGRESS_WITHOUT_CLASS": "kubectl -n {ns} get ingress {name} -o jsonpath='{{.spec.ingressClassName}}'; "
    "kubectl -n {cns} get pod {cname} -o jsonpath='{{.spec.containers[0].args}}'",
    "INGRESS_DUPLICATE_PATH": "kubectl get ingress -A "
    "-o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,CREATED:.metadata.creationTimestamp",
    "INGRESS_TLS_HOST_WITHOUT_RULE": "kubectl -n {ns} get ingress {name} "
    "-o jsonpath='{{.spec.tls}}{{.spec.rules}}'",
    "INGRESS_CANARY_WITHOUT_MAIN": "kubectl get ingress -A "
    "-o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,HOSTS:.spec.rules[*].host",
    "INGRESS_SNIPPET": "kubectl -n {ns} get ingress {name} -o jsonpath='{{.metadata.annotations}}'; "
    "kubectl get configmap -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,"
    "SNIPPETS:.data.allow-snippet-annotations",
}
# handed to the Service step: the Service's own hop carries it
FOR_THE_SERVICE = frozenset({"SERVICE_AFFINITY_BYPASSED"})


def mentions(ingress: dict[str, Any], host: str) -> bool:
    """Whether the Ingress has a rule or a ``tls`` entry for ``host``."""
    return any(r.get("host") == host for r in dig(ingress, "spec", "rules") or []) or any(
        host in (t.get("hosts") or []) for t in dig(ingress, "spec", "tls") or []
    )


def controller_args(sources: Sources, controller: ControllerPod) -> list[str]:
    """The controller container's args (the one that runs ``/nginx-ingress-controller``)."""
    pod = sources.kube.get("pods", controller.name, controller.namespace) or {}
    containers = dig(pod, "spec", "containers") or []
    for container in containers:
        args = [str(a) for a in container.get("args") or []]
        if any("nginx-ingress-controller" in str(a) for a in args + list(container.get("command") or [])):
            return args
    return [str(a) for a in (containers[0].get("args") or [])] if containers else []


def snippet_policy(
    sources: Sources, controller: ControllerPod, args: Sequence[str]
) -> tuple[bool | None, Evidence | None]:
    """``allow-snippet-annotations`` as the controller's ConfigMap (its ``--configmap`` flag) sets it,
    with the field as evidence; (None, None) when the flag, the ConfigMap or the key is not there
    or could not be read: then the controller's own default applies, which the finding states."""
    ref = flag_values(args).get("configmap", "").replace("$(POD_NAMESPACE)", controller.namespace)
    namespace, _, name = ref.rpartition("/")
    if not name:
        return None, None
    try:
        config = sources.kube.get("configmaps", name, namespace or controller.namespace)
    except SourceError:
        return None, None
    value = (dig(config, "data") or {}).get(SNIPPETS_KEY) if config else None
    if not isinstance(value, str) or value.strip().lower() not in ("true", "false"):
        return None, None
    said = kube_evidence(
        "configmaps", namespace or controller.namespace, name, f"data[{SNIPPETS_KEY}]", value
    )
    return value.strip().lower() == "true", said


def object_findings(
    sources: Sources,
    host: str,
    controller: ControllerPod | None,
    hop_id: str,
    ingresses: Sequence[dict[str, Any]] | None = None,
) -> list[Finding]:
    """The findings across the Ingresses of ``host`` for the controller that serves it, on
    ``hop_id``; none when the objects cannot be read (the other checks say so)."""
    try:
        listed = list(ingresses) if ingresses is not None else sources.kube.list("ingresses")
        classes = sources.kube.list("ingressclasses")
        args = controller_args(sources, controller) if controller is not None else []
    except SourceError:
        return []
    of_host = [i for i in listed if mentions(i, host)]
    if not of_host:
        return []
    allow, said = None, None
    if controller is not None and any(_has_snippet(i) for i in of_host):  # read only when it matters
        allow, said = snippet_policy(sources, controller, args)
    found = check_ingress_objects(of_host, classes, args, allow_snippets=allow)
    return [_finding(f, hop_id, controller, said) for f in found if f.code not in FOR_THE_SERVICE]


def _has_snippet(ingress: dict[str, Any]) -> bool:
    annotations = dig(ingress, "metadata", "annotations") or {}
    return any(f"{PREFIX}{s}" in annotations for s in SNIPPETS)


def _finding(
    found: ObjectFinding, hop_id: str, controller: ControllerPod | None, policy: Evidence | None
) -> Finding:
    namespace, _, name = found.ingress.partition("/")
    check = CHECKS.get(found.code, "").format(
        ns=sh(namespace),
        name=sh(name),
        cns=sh(controller.namespace if controller else "kube-system"),
        cname=sh(controller.name if controller else "<controller pod>"),
    )
    evidence = found.evidence
    if found.code == "INGRESS_SNIPPET" and policy is not None:
        evidence += (policy,)
    return Finding(found.code, found.severity, hop_id, found.message, evidence, check)
