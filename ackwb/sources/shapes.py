"""The types of the fields steps read, checked where answers enter ackwb: a wrong type is a
``SourceError`` naming the object and the field, which a step turns into an unknown hop.

Steps read answers as the APIs document them (``spec.ports`` is a list, ``ListenerPort`` a
number). A world file edited by hand, a snapshot from a newer API or a misbehaving server can
break that promise; without this check a step would crash on ``"eighty" + 1`` or iterate over
the characters of a string. ``shape_rules`` declares, per resource and per action, the
fields steps read and their types; ``checked`` wraps a ``Sources`` bundle so that every
Kubernetes object and every cloud answer is checked before a step sees it.

Paths are dotted; ``[]`` goes into every item of a list and ``*`` into every value of an object.
A missing field or ``null`` is never an error (steps treat both as absent), but a ``null`` item
of a list is; types are
``obj``, ``list``, ``str``, ``int`` (a whole number, not true/false), ``bool``, ``port``
(Kubernetes IntOrString: a number or a port name) and ``num`` (a whole number, or its digits as
a string, as some SDK models type ports and priorities).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ackwb.errors import SourceError
from ackwb.sources.base import Sources
from ackwb.sources.shape_rules import CLOUD, KUBE, META, PAGING, Rules

_TYPES = {"obj": (dict,), "list": (list,), "str": (str,), "int": (int,), "bool": (bool,), "port": (int, str),
          "num": (int, str)}  # fmt: skip
_EXPECTED = {"obj": "an object", "list": "a list", "str": "a string", "int": "a whole number",
             "bool": "true or false", "port": "a number or a port name",
             "num": "a whole number (or its digits as a string)"}  # fmt: skip


def what(value: Any) -> str:
    """How a decoded JSON value reads in a message: its kind, and a short excerpt of scalars."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"a string ({value[:30]!r})" if value else "an empty string"
    return f"a number ({value})" if isinstance(value, (int, float)) else type(value).__name__


def _values(node: Any, parts: list[str], where: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield where, node
        return
    part, rest = parts[0], parts[1:]
    if part == "*":
        if isinstance(node, dict):
            for key, value in node.items():
                yield from _values(value, rest, f"{where}.{key}" if where else str(key))
        return
    name, many = (part[:-2], True) if part.endswith("[]") else (part, False)
    if not isinstance(node, dict) or name not in node:  # absent: nothing to check
        return
    value = node[name]
    here = f"{where}.{name}" if where else name
    if not many:
        yield from _values(value, rest, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, rest, f"{here}[{index}]")


def problem(obj: Any, rules: Rules, null_numbers: bool = True) -> str:
    """The first field of ``obj`` whose type breaks ``rules``, said in words; "" when none.

    ``null_numbers=False`` refuses ``null`` for numbers (cloud answers never hold one, and steps
    read those fields with ``int()``)."""
    if not isinstance(obj, dict):
        return f"the answer is {what(obj)}, expected an object"
    for path, kind in rules.items():
        for location, value in _values(obj, path.split("."), ""):
            strict = path.endswith("[]") or (not null_numbers and kind in ("int", "num"))
            if value is None and strict:  # a null item of a list, or a null number in a cloud answer
                return f"{location} is null, expected {_EXPECTED[kind]}"
            if not _fits(kind, value):
                return f"{location} is {what(value)}, expected {_EXPECTED[kind]}"
    return ""


def _fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):  # a bool is an int to Python, never a number to an API
        return kind == "bool"
    if kind == "num" and isinstance(value, str):
        return value.strip().isdigit()
    return isinstance(value, _TYPES[kind])


def check_kube(resource: str, obj: Any) -> Any:
    """``obj`` when its fields have the types steps expect; else ``SourceError`` naming the field."""
    found = problem(obj, {**META, **KUBE.get(resource, {})})
    if found:
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        name = meta.get("name") if isinstance(meta, dict) and isinstance(meta.get("name"), str) else "?"
        namespace = meta.get("namespace") if isinstance(meta, dict) else None
        where = f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name
        raise SourceError(f"kube:{resource}", f"{where}: {found}")
    return obj


def check_cloud(product: str, action: str, body: Any) -> Any:
    found = problem(body, {**PAGING, **CLOUD.get((product, action), {})}, null_numbers=False)
    if found:
        raise SourceError(f"{product}:{action}", found)
    return body


class _CheckedKube:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def get(self, resource: str, name: str, namespace: str | None = None) -> Any:
        found = self.inner.get(resource, name, namespace)
        return None if found is None else check_kube(resource, found)

    def list(self, resource: str, namespace: str | None = None, label_selector: str = "",
             field_selector: str = "") -> Any:  # fmt: skip
        found = self.inner.list(resource, namespace, label_selector, field_selector)
        if not isinstance(found, list):
            raise SourceError(f"kube:{resource}", f"the list is {what(found)}, expected a list of objects")
        return [check_kube(resource, obj) for obj in found]


class _CheckedCloud:
    def __init__(self, inner: Any) -> None:
        self.inner, self.region = inner, inner.region

    def call(self, product: str, action: str, params: dict[str, Any]) -> Any:
        return check_cloud(product, action, self.inner.call(product, action, params))


def checked(sources: Sources) -> Sources:
    """``sources`` whose Kubernetes objects and cloud answers are type-checked before steps see them."""
    return replace(sources, kube=_CheckedKube(sources.kube), cloud=_CheckedCloud(sources.cloud))
