"""What every step needs: paged cloud reads, turning source failures into findings,
and small constructors for evidence.

A step never lets a ``SourceError`` escape: the hop it could not see becomes
``unknown`` with a finding that names the call and the cause, and the trace goes on.
"""

from __future__ import annotations

import json
from typing import Any

from ackwb.errors import Forbidden, SourceError, Unreachable
from ackwb.model import Evidence, Finding, Severity
from ackwb.sources import Sources

MAX_PAGES = 50  # a safety stop; real accounts answer these queries in one or two pages


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
    """All items of a list action, following ``NextToken`` or ``PageNumber`` paging."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    for _ in range(MAX_PAGES):
        body = sources.cloud.call(product, action, query)
        page = dig(body, *path) or []
        items.extend(page)
        token = body.get("NextToken")
        total = body.get("TotalCount")
        if token:
            query["NextToken"] = token
        elif total is not None and "PageNumber" in body and len(items) < int(total) and page:
            query["PageNumber"] = int(body["PageNumber"]) + 1
        else:
            return items
    return items


def cloud_evidence(product: str, action: str, locator: str, value: Any) -> Evidence:
    excerpt = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return Evidence(f"{product}:{action}", locator, excerpt)


def source_finding(error: SourceError, hop: str, what: str) -> Finding:
    """A finding for a read that failed; ``what`` says what could not be seen."""
    if isinstance(error, Forbidden):
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
