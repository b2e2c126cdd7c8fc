"""Read ``nft -j list …`` output: the sets, maps, chains and rules of one nftables table.

nft's JSON listing is ``{"nftables": [{"metainfo": …}, {"table": …}, {"chain": …},
{"set"|"map": …}, {"rule": {"chain", "expr": […]}}, …]}``; a map element is ``[key,
verdict]`` where the key is a value, ``{"concat": […]}``, or ``{"elem": {"val": …,
"comment": …}}`` when the element carries a comment. Every access is checked, and an error
names the JSON path. ``kube_nftables`` reads kube-proxy's table with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ackwb.errors import ParseError

VERDICTS = ("jump", "goto")


class JsonAccess:
    """Checked access into the decoded listing; every error names the JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get(
        self, obj: Any, key: str, kind: type | tuple[type, ...], where: str, optional: bool = False
    ) -> Any:
        if not isinstance(obj, Mapping):
            raise ParseError(self.source, f"{where} is not an object")
        value = obj.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ParseError(
                self.source, f"{where}.{key} is missing or not a {getattr(kind, '__name__', kind)}"
            )
        return value


def verdict(expr: Any) -> tuple[str, str] | None:
    """("goto"/"jump", target) or ("drop"/"reject"/"accept"/"return", "") for a verdict expression."""
    if not isinstance(expr, Mapping) or len(expr) != 1:
        return None
    ((kind, body),) = expr.items()
    if kind in VERDICTS and isinstance(body, Mapping) and isinstance(body.get("target"), str):
        return kind, body["target"]
    if kind in ("drop", "reject", "accept", "return"):
        return kind, ""
    return None


class NftListing:
    """The sets, maps, chains and rules of one table of an ``nft -j list`` listing."""

    def __init__(self, data: Any, source: str, family: str | None, table: str = "kube-proxy") -> None:
        self.j = JsonAccess(source)
        self.source = source
        items = self.j.get(data, "nftables", list, "the listing")
        tables = [i["table"] for i in items if isinstance(i, Mapping) and isinstance(i.get("table"), Mapping)]
        mine = [t for t in tables if t.get("name") == table and (family is None or t.get("family") == family)]
        if not mine:
            raise ParseError(source, f"no {table} table in the listing (is kube-proxy in nftables mode?)")
        self.family = mine[0].get("family")
        self.sets: dict[str, Mapping[str, Any]] = {}
        self.rules: dict[str, list[tuple[list[Any], str]]] = {}
        self.chains: set[str] = set()
        for n, item in enumerate(items):
            if not isinstance(item, Mapping) or len(item) != 1:
                raise ParseError(source, f"nftables[{n}] is not a one-key object")
            ((kind, body),) = item.items()
            if kind == "metainfo" or not isinstance(body, Mapping):
                continue
            if body.get("table") != table or body.get("family") != self.family:
                continue
            where = f"nftables[{n}].{kind}"
            if kind in ("set", "map"):
                self.sets[self.j.get(body, "name", str, where)] = body
            elif kind == "chain":
                self.chains.add(self.j.get(body, "name", str, where))
            elif kind == "rule":
                chain = self.j.get(body, "chain", str, where)
                exprs = self.j.get(body, "expr", list, where)
                self.rules.setdefault(chain, []).append((exprs, where))

    def elements(self, name: str) -> list[tuple[list[Any], str | None, tuple[str, str] | None, str]]:
        """(key parts, comment, verdict, where) of each element of map ``name``."""
        found = self.sets.get(name)
        if found is None:
            return []
        raw = found.get("elem") or []
        out = []
        for i, elem in enumerate(raw if isinstance(raw, list) else [raw]):
            where = f"map {name} element [{i}]"
            if not isinstance(elem, list) or len(elem) != 2:
                raise ParseError(self.source, f"{where} is not a [key, verdict] pair")
            key, comment = elem[0], None
            if isinstance(key, Mapping) and isinstance(key.get("elem"), Mapping):
                comment = key["elem"].get("comment")
                key = key["elem"].get("val")
            parts = (
                key["concat"] if isinstance(key, Mapping) and isinstance(key.get("concat"), list) else [key]
            )
            if not all(isinstance(part, (str, int)) and not isinstance(part, bool) for part in parts):
                message = f"{where}: key {key!r} is not a value or a concatenation of values"
                raise ParseError(self.source, message)
            out.append((parts, comment if isinstance(comment, str) else None, verdict(elem[1]), where))
        return out
