"""Where each OpenAPI action's parameters travel, read from the installed SDK clients themselves.

The gateway reads each parameter only where the action's definition puts it: in the query string
or in the form body. The official SDK encodes that definition in each ``<action>_with_options``
method (``query['X'] = ...`` or ``body['X'] = ...``), so the test server reads those methods
rather than trusting ackwb's own table (``ackwb.sources.cloud_actions``): a mistake there
then fails a test instead of being copied into the server. Products whose SDK is not installed
have no placement (the server then checks nothing about them, and says so in its answer).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ackwb.sources.live_cloud_api import PRODUCTS


@dataclass(frozen=True)
class Placement:
    """The parameters an action takes in the query string and in the form body (base names)."""

    query: frozenset[str]
    body: frozenset[str]


def _client_source(package: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    client = Path(next(iter(spec.submodule_search_locations))) / "client.py"
    return client.read_text(encoding="utf-8") if client.is_file() else None


_METHOD = re.compile(r"\n    def (\w+)_with_options\(")
_ACTION = re.compile(r"""\baction\s*=\s*['"](\w+)['"]""")
_ASSIGNED = re.compile(r"""\b(query|body|body_flat)\[['"](\w+)['"]\]\s*=""")


@cache
def placements(product: str) -> dict[str, Placement] | None:
    """Action → placement for one product, or None when its SDK is not installed.

    The client is generated code: each synchronous ``<name>_with_options`` method assigns
    ``query['X']`` / ``body['X']`` and builds ``Params(action='Action', ...)``."""
    source = _client_source(PRODUCTS[product].package)
    if source is None:
        return None
    starts = [m.start() for m in _METHOD.finditer(source)] + [len(source)]
    found: dict[str, Placement] = {}
    for begin, end in zip(starts, starts[1:], strict=False):
        method = source[begin:end]
        method = method[: method.find("\n    async def ")] if "\n    async def " in method else method
        action = _ACTION.search(method)
        if action is None:
            continue
        assigned = _ASSIGNED.findall(method)
        query = frozenset(key for container, key in assigned if container == "query")
        body = frozenset(key for container, key in assigned if container != "query")
        found[action.group(1)] = Placement(query, body)
    return found


def placement(product: str, action: str) -> Placement | None:
    table = placements(product)
    return None if table is None else table.get(action)
