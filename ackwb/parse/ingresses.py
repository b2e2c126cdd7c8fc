"""Read Ingress objects (networking.k8s.io/v1, as the API returns them) into flat records.

The checks across Ingress objects (``ackwb.steps.ingress_objects``) compare many Ingresses at
once: which class each asks for, which host and path each claims and with which
``pathType``, which ``tls`` hosts it lists, its creation time (the controller's tie-break),
and the annotations that change how nginx matches paths (``use-regex``, ``rewrite-target``),
mark a canary, or inject configuration (snippets). Malformed objects raise ``ParseError``
naming the object and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.errors import ParseError

PREFIX = "nginx.ingress.kubernetes.io/"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
SOURCE = "kube:ingresses"


@dataclass(frozen=True)
class IngressPath:
    host: str  # "" for a rule without a host (the catch-all server "_")
    path: str  # "/" when the rule omits it, as the controller does
    path_type: str  # Prefix, Exact, ImplementationSpecific (missing → ImplementationSpecific)
    service: str | None  # None: a resource backend, not a Service
    port: str  # number or name, as text
    index: tuple[int, int]  # (rule, path) position, for evidence locators


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one record per object
class IngressRecord:
    namespace: str
    name: str
    created: str  # metadata.creationTimestamp (RFC 3339, sorts as text)
    class_name: str | None  # spec.ingressClassName
    class_annotation: str | None  # kubernetes.io/ingress.class
    annotations: Mapping[str, str]
    paths: tuple[IngressPath, ...]
    tls_hosts: tuple[tuple[str, str | None], ...]  # (host, secretName)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def annotation(self, short: str) -> str | None:
        """An ingress-nginx annotation by its short name (``use-regex``)."""
        return self.annotations.get(PREFIX + short)

    def flag(self, short: str) -> bool:
        return (self.annotation(short) or "").strip().lower() == "true"

    @property
    def canary(self) -> bool:
        return self.flag("canary")

    @property
    def rule_hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.host for p in self.paths))


def _fail(where: str, message: str) -> ParseError:
    return ParseError(SOURCE, f"{where}: {message}")


def _dict(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, "expected an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(where, "expected a list")
    return value


def _text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _fail(where, f"expected a string, got {value!r}")


def read_ingress(obj: Any) -> IngressRecord:
    """One Ingress object as the API returns it."""
    meta = _dict(_dict(obj, "ingress").get("metadata"), "metadata")
    namespace, name = (
        _text(meta.get("namespace"), "metadata.namespace"),
        _text(meta.get("name"), "metadata.name"),
    )
    if not name:
        raise _fail("ingress", "has no metadata.name")
    where = f"{namespace}/{name}"
    annotations = {str(k): str(v) for k, v in _dict(meta.get("annotations"), f"{where} annotations").items()}
    spec = _dict(obj.get("spec"), f"{where} spec")
    paths = []
    for r, rule in enumerate(_list(spec.get("rules"), f"{where} spec.rules")):
        rule = _dict(rule, f"{where} spec.rules[{r}]")
        host = _text(rule.get("host"), f"{where} spec.rules[{r}].host") or ""
        http = _dict(rule.get("http"), f"{where} spec.rules[{r}].http")
        for p, entry in enumerate(_list(http.get("paths"), f"{where} spec.rules[{r}].http.paths")):
            here = f"{where} spec.rules[{r}].http.paths[{p}]"
            entry = _dict(entry, here)
            service = _dict(_dict(entry.get("backend"), here).get("service"), f"{here}.backend.service")
            port = _dict(service.get("port"), f"{here}.backend.service.port")
            paths.append(
                IngressPath(
                    host=host,
                    path=_text(entry.get("path"), f"{here}.path") or "/",
                    path_type=_text(entry.get("pathType"), f"{here}.pathType") or "ImplementationSpecific",
                    service=_text(service.get("name"), f"{here}.backend.service.name"),
                    port=str(port.get("number") or port.get("name") or ""),
                    index=(r, p),
                )
            )
    tls = []
    for t, entry in enumerate(_list(spec.get("tls"), f"{where} spec.tls")):
        entry = _dict(entry, f"{where} spec.tls[{t}]")
        secret = _text(entry.get("secretName"), f"{where} spec.tls[{t}].secretName")
        for host in _list(entry.get("hosts"), f"{where} spec.tls[{t}].hosts"):
            tls.append((_text(host, f"{where} spec.tls[{t}].hosts") or "", secret))
    return IngressRecord(
        namespace=namespace or "default",
        name=name,
        created=_text(meta.get("creationTimestamp"), f"{where} metadata.creationTimestamp") or "",
        class_name=_text(spec.get("ingressClassName"), f"{where} spec.ingressClassName"),
        class_annotation=annotations.get(CLASS_ANNOTATION),
        annotations=annotations,
        paths=tuple(paths),
        tls_hosts=tuple(tls),
    )


def read_ingresses(objects: Sequence[Any]) -> tuple[IngressRecord, ...]:
    return tuple(read_ingress(obj) for obj in objects)


def controller_order(records: Sequence[IngressRecord]) -> list[IngressRecord]:
    """The order the controller reads Ingresses in (``sortIngressSlice``): oldest
    ``creationTimestamp`` first; on equal timestamps, "namespace/name" in *descending* order."""
    by_key = sorted(records, key=lambda r: r.key, reverse=True)
    return sorted(by_key, key=lambda r: r.created)  # stable: equal times keep the descending keys
