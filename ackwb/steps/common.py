"""What every step needs: paged cloud reads, turning source failures into findings,
small constructors for evidence, and the rule that settles hop verdicts.

A step never lets a ``SourceError`` escape: the hop it could not see becomes
``unknown`` with a finding that names the call and the cause, and the trace goes on.
A hop that carries an error finding is ``blocked`` (``settle_verdicts``), whichever step
found the error, so a diagram always marks where the request fails.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ackwb.errors import AckwbError, Forbidden, NotCaptured, SourceError, Unreachable
from ackwb.model import Evidence, Finding, Severity, StepResult, Verdict
from ackwb.sources import Sources

MAX_PAGES = 50  # a safety stop; real accounts answer these queries in one or two pages
T = TypeVar("T")


def sh(value: Any) -> str:
    """One word of a "check it by hand" command, quoted for a POSIX shell: names come from the
    cluster (a server block may say ``set $service_name "x; id #"``), so none is pasted raw."""
    return shlex.quote(str(value))


def dig(body: dict[str, Any], *path: str) -> Any:
    """Follow wire keys, e.g. ``dig(body, "LoadBalancers", "LoadBalancer")``; None when absent."""
    current: Any = body
    for key in path:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current


def cloud_items(
    sources: Sources, product: str, action: str, params: dict[str, Any], *path: str
) -> list[dict[str, Any]]:
    """All items of a list action, following ``NextToken`` or ``PageNumber`` paging.

    Page-numbered answers say how many there are as ``TotalCount`` (SLB, ECS, VPC, Alidns) or as
    ``TotalItems`` and ``TotalPages`` (PrivateZone); whichever the answer carries is followed."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    for _ in range(MAX_PAGES):
        body = sources.cloud.call(product, action, query)
        page = dig(body, *path) or []
        items.extend(page)
        token = body.get("NextToken")
        if token:
            query["NextToken"] = token
        elif page and "PageNumber" in body and _more_pages(body, len(items)):
            query["PageNumber"] = int(body["PageNumber"]) + 1
        else:
            return items
    return items


def _more_pages(body: dict[str, Any], have: int) -> bool:
    """Whether a page-numbered answer has pages after this one."""
    total = body.get("TotalCount", body.get("TotalItems"))
    if total is not None:
        return have < int(total)
    pages = body.get("TotalPages")
    return pages is not None and int(body["PageNumber"]) < int(pages)


def attempt(read: Callable[[], T]) -> Callable[[], T | AckwbError]:
    """``read``, returning its error instead of raising it: for ``Sources.gather``, so that each
    answer of a batch of independent reads is handled where it is used, in the step's order."""

    def run() -> T | AckwbError:
        try:
            return read()
        except AckwbError as error:
            return error

    return run


def unwrap(answer: T | AckwbError) -> T:
    """The answer of an ``attempt``, or its error raised again."""
    if isinstance(answer, AckwbError):
        raise answer
    return answer


def cloud_evidence(product: str, action: str, locator: str, value: Any) -> Evidence:
    excerpt = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return Evidence(f"{product}:{action}", locator, excerpt)


def source_finding(error: SourceError, hop: str, what: str) -> Finding:
    """A finding for a read that failed; ``what`` says what could not be seen."""
    if isinstance(error, NotCaptured):  # a stored world that does not hold it: unknown, never absent
        code, message = "SOURCE_NOT_CAPTURED", f"Could not read {what}: {error.reason}"
    elif isinstance(error, Forbidden):
        need = f" (needs {error.permission})" if error.permission else ""
        code, message = "SOURCE_FORBIDDEN", f"Could not read {what}: access denied by {error.source}{need}."
    elif isinstance(error, Unreachable):
        code, message = "SOURCE_UNREACHABLE", f"Could not read {what}: {error.source} is unreachable."
    else:
        code, message = "SOURCE_ERROR", f"Could not read {what}: {error.source} answered with an error."
    return Finding(code, Severity.WARNING, hop, message, (Evidence(error.source, "error", error.reason),))


def details(**values: Any) -> tuple[tuple[str, str], ...]:
    """Hop details as ordered (key, text) pairs, skipping empty values."""
    return tuple(
        (key.replace("_", " "), str(value)) for key, value in values.items() if value not in (None, "")
    )


def kube_evidence(resource: str, namespace: str | None, name: str, locator: str, value: Any) -> Evidence:
    """A Kubernetes object's field, e.g. ``kube:pods`` ``app/web-1 status.conditions[type=Ready]``."""
    excerpt = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    where = f"{namespace}/{name}" if namespace else name
    return Evidence(f"kube:{resource}", f"{where} {locator}", excerpt)


def condition(obj: dict[str, Any] | None, kind: str = "Ready") -> dict[str, Any] | None:
    """The ``status.conditions`` entry of one type (Ready by default), or None."""
    return next((c for c in dig(obj or {}, "status", "conditions") or [] if c.get("type") == kind), None)


def is_ready(obj: dict[str, Any] | None) -> bool:
    found = condition(obj)
    return bool(found) and found.get("status") == "True"


def settle_verdicts(result: StepResult) -> None:
    """Mark blocked every hop that carries an error finding of this step.

    A finding may name a hop an earlier step drew (the Pod step finds nginx balancing to
    the wrong endpoints): that hop is drawn again, blocked, and the trace keeps the last
    version of a hop in its first place.
    """
    failing = {f.hop for f in result.findings if f.severity is Severity.ERROR}
    seen = {h.id for h in result.hops}
    result.hops = [
        replace(h, verdict=Verdict.BLOCKED) if h.id in failing and h.verdict is Verdict.OK else h
        for h in result.hops
    ]
    earlier = result.prev
    while earlier is not None and failing - seen:
        for hop in earlier.hops:
            if hop.id in failing and hop.id not in seen:
                result.hops.append(replace(hop, verdict=Verdict.BLOCKED))
                seen.add(hop.id)
        earlier = earlier.prev
