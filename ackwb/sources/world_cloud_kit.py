"""Building blocks for answering OpenAPI calls from stored response bodies.

A stored world keeps, per action, the body of the unfiltered list call or the body of a
per-id call. An answer is that body with its item list filtered by the request's
parameters and paged, a fresh RequestId, and the paging fields the real action returns.
``listing`` and ``by_id`` turn a short declaration into such a handler; the filters are
small factories (``eq``, ``one_of_indexed``, ``one_of_csv``, ``one_of_json``, ``any_of``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.errors import SourceError
from ackwb.sources.queries import wire_value
from ackwb.sources.shape_rules import CLOUD, PAGING
from ackwb.sources.shapes import problem
from ackwb.sources.world_files import WorldFiles, absent, plain_copy, safe_name

Obj = dict[str, Any]
Filter = Callable[[Obj, "Request"], bool]
Handler = Callable[["Request"], Obj]


class CloudApiError(SourceError):
    """What the API answers with an error status, e.g. ``InvalidLoadBalancerId.NotFound`` (404)."""

    def __init__(self, request: Request, code: str, message: str, status: int) -> None:
        self.code = code
        self.status = status
        super().__init__(f"{request.product}:{request.action}", f"{code}: {message} (HTTP {status})")


@dataclass
class Request:
    product: str
    action: str
    params: dict[str, str]
    files: WorldFiles
    region: str

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None or value == "" else value

    def indexed(self, name: str) -> list[str]:
        """Values of ``Name.1``, ``Name.2``, … in index order."""
        found = []
        for key, value in self.params.items():
            prefix, _, index = key.rpartition(".")
            if prefix == name and index.isdigit() and value != "":
                found.append((int(index), value))
        return [value for _, value in sorted(found)]

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise CloudApiError(
                self,
                f"Missing{name}",
                f"the input parameter {name} that is mandatory for processing this request is not supplied",
                400,
            )
        return value

    @property
    def wrong_region(self) -> bool:
        region = self.get("RegionId")
        return region is not None and region != self.region

    def request_id(self) -> str:
        seed = json.dumps([self.product, self.action, sorted(self.params.items())])
        h = hashlib.sha256(seed.encode()).hexdigest().upper()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89AB'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def dig(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _put(body: Obj, path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        body = body.setdefault(key, {})
    body[path[-1]] = value


# ------------------------------------------------------------------------------------- filters
def eq(param: str, field_path: str | None = None, fold: bool = False) -> Filter:
    """The item's field (dotted path, default: the parameter's name) equals the parameter."""
    path = (field_path or param).split(".")

    def check(item: Obj, request: Request) -> bool:
        wanted = request.get(param)
        if wanted is None:
            return True
        have = wire_value(dig(item, path)) if dig(item, path) is not None else ""
        return have.lower() == wanted.lower() if fold else have == wanted

    return check


def eqs(*params: str) -> tuple[Filter, ...]:
    """``eq`` for each parameter that has the same name as the field it filters."""
    return tuple(eq(param) for param in params)


def one_of_indexed(param: str, field_path: str | None = None) -> Filter:
    """``Param.1`` … ``Param.N`` list the accepted values of the field."""
    path = (field_path or param).split(".")
    return lambda item, request: (
        not request.indexed(param) or wire_value(dig(item, path)) in request.indexed(param)
    )


def one_of_csv(param: str, field_path: str | None = None) -> Filter:
    """The parameter is a comma-separated list of accepted values."""
    path = (field_path or param).split(".")

    def check(item: Obj, request: Request) -> bool:
        wanted = request.get(param)
        return wanted is None or wire_value(dig(item, path)) in {v.strip() for v in wanted.split(",")}

    return check


def json_list(request: Request, param: str) -> list[str] | None:
    raw = request.get(param)
    if raw is None:
        return None
    try:
        values = json.loads(raw)
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CloudApiError(
            request, f"Invalid{param}.Malformed", f"{param} must be a JSON array of strings", 400
        )
    return values


def one_of_json(param: str, field_path: str | None = None) -> Filter:
    """The parameter is a JSON array (as a string) of accepted values, e.g. ``InstanceIds``."""
    path = (field_path or param).split(".")
    return lambda item, request: (
        (values := json_list(request, param)) is None or wire_value(dig(item, path)) in values
    )


def any_of(param: str, values_of: Callable[[Obj], list[str]], indexed: bool = False) -> Filter:
    """The item matches when one of ``values_of(item)`` is among the parameter's values."""

    def check(item: Obj, request: Request) -> bool:
        wanted = request.indexed(param) if indexed else ([request.get(param)] if request.get(param) else [])
        return not wanted or bool(set(wanted) & set(values_of(item)))

    return check


# -------------------------------------------------------------------------------------- paging
@dataclass(frozen=True)
class Paging:
    default: int
    maximum: int
    size_param: str = "PageSize"
    number_param: str = "PageNumber"  # ignored with tokens
    tokens: bool = False  # NextToken paging instead of page numbers
    emit: tuple[str, ...] = ("PageNumber", "PageSize", "TotalCount")

    def _int(self, request: Request, name: str, default: int, maximum: int) -> int:
        raw = request.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= maximum:
            raise CloudApiError(
                request, f"InvalidParameter.{name}", f"{name} must be between 1 and {maximum}", 400
            )
        return int(raw)

    def page(self, items: list[Obj], request: Request) -> tuple[list[Obj], Obj]:
        size = self._int(request, self.size_param, self.default, self.maximum)
        if self.tokens:
            token = request.get("NextToken") or "0"
            if not token.isdigit():
                raise CloudApiError(request, "InvalidParameter.NextToken", "NextToken is not valid", 400)
            start = int(token)
            following = str(start + size) if start + size < len(items) else ""
            fields = {"NextToken": following, "TotalCount": len(items), self.size_param: size}
        else:
            number = self._int(request, self.number_param, 1, 1_000_000)
            start = (number - 1) * size
            total_pages = -(-len(items) // size)  # PrivateZone's TotalItems / TotalPages
            fields = {"PageNumber": number, "PageSize": size, "TotalCount": len(items),
                      "TotalItems": len(items), "TotalPages": total_pages}  # fmt: skip
        return items[start : start + size], {key: fields[key] for key in self.emit if key in fields}


def pages(default: int, maximum: int, **options: Any) -> Paging:
    return Paging(default, maximum, **options)


def tokens(
    size_param: str, default: int, maximum: int, emit: tuple[str, ...] = ("NextToken", "TotalCount")
) -> Paging:
    return Paging(default, maximum, size_param=size_param, tokens=True, emit=emit)


# ------------------------------------------------------------------------------------ handlers
@dataclass(frozen=True)
class Answer:
    """How to answer from a stored body: where its items are, how to filter and page them."""

    items: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    paging: Paging | None = None
    request_id: bool = True  # RPC bodies carry a RequestId; ROA (CS) bodies do not

    def build(self, request: Request, stored: Obj | None, items: list[Obj] | None = None) -> Obj:
        body = plain_copy(stored) if stored is not None else {}
        if self.items:
            candidates = items if items is not None else (dig(body, self.items) or [])
            kept = (
                []
                if request.wrong_region
                else [i for i in candidates if all(f(i, request) for f in self.filters)]
            )
            fields: Obj = {}
            if self.paging is not None:
                kept, fields = self.paging.page(kept, request)
            _put(body, self.items, plain_copy(kept))
            body.update(fields)
        if self.request_id:
            body["RequestId"] = request.request_id()
        return body


def stored_body(request: Request, relative: str, rules_of: tuple[str, str] | None = None) -> Obj | None:
    """A stored answer (None when absent), checked against the types steps expect of the action
    (``rules_of``, default: the request's): a body of another shape is a ``SourceError`` naming the field."""
    body = request.files.json(relative)
    if body is not None:
        product, action = rules_of or (request.product, request.action)
        found = problem(body, {**PAGING, **CLOUD.get((product, action), {})}, null_numbers=False)
        if found:
            raise SourceError(f"{request.product}:{request.action}", f"{found} (stored in {relative})")
    return body


def listing(file: str, answer: Answer) -> Handler:
    """An action answered from the stored body of its unfiltered call (``cloud/<file>``)."""
    return lambda request: answer.build(request, required_body(request, f"cloud/{file}"))


def required_body(request: Request, relative: str, rules_of: tuple[str, str] | None = None) -> Obj:
    """A stored listing every query of its action needs: a world without it cannot answer (unknown)."""
    body = stored_body(request, relative, rules_of)
    if body is None:
        label = getattr(request.files, "label", "in memory")
        raise absent(label, f"{request.product}:{request.action}", relative, "its answer")
    return body


def load_by_id(request: Request, identifier: str, folder: str, code: str, what: str) -> Obj:
    """The stored body ``cloud/<folder>/<identifier>.json``, or the API's 404 for that ID."""
    relative = f"cloud/{folder}/{identifier}.json"
    stored = stored_body(request, relative) if safe_name(identifier) else None
    if stored is None and not request.wrong_region and not getattr(request.files, "complete", True):
        label = getattr(request.files, "label", "in memory")
        raise absent(label, f"{request.product}:{request.action}", relative, f"the {what} {identifier}")
    if stored is None or request.wrong_region:
        region = request.get("RegionId") or request.region
        raise CloudApiError(
            request, code, f"the specified {what} {identifier} does not exist in {region}", 404
        )
    return stored


def by_id(param: str, folder: str, code: str, what: str, answer: Answer | None = None) -> Handler:
    """An action on one resource, answered from ``cloud/<folder>/<id>.json``."""
    answer = answer or Answer()
    return lambda request: answer.build(
        request, load_by_id(request, request.require(param), folder, code, what)
    )
