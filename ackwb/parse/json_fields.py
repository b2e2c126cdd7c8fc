"""Typed reads of fields from decoded JSON answers, each failure a ``ParseError`` naming the field.

The ALB and Gateway API parsers read objects as the APIs return them. A field of the wrong
type (a hand-edited world, a newer API) must stop the parser with a sentence that names the
object and the field (``Rules[2].RuleConditions[0].HostConfig.Values``), never with a
``TypeError`` from deep inside a step. A missing field or ``null`` reads as absent.
"""

from __future__ import annotations

from typing import Any

from ackwb.errors import ParseError


class Fields:
    """Reads fields for one source (``alb:ListRules``, ``kube:httproutes``)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ParseError:
        return ParseError(self.source, f"{where}: {message}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_kind(value)}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        return value

    def objs(self, value: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
        """A list of objects, each with its own locator (``where[i]``)."""
        return [(f"{where}[{i}]", self.obj(item, f"{where}[{i}]"))
                for i, item in enumerate(self.items(value, where))]  # fmt: skip

    def text(self, value: Any, where: str, default: str = "") -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        return value

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        return tuple(self.text(v, f"{where}[{i}]") for i, v in enumerate(self.items(value, where)))

    def number(self, value: Any, where: str, default: int | None = None) -> int | None:
        """A whole number, or its digits as a string (some SDK models type codes and ports so)."""
        if value is None:
            return default
        if isinstance(value, bool):
            raise self.fail(where, f"expected a number, got {_kind(value)}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise self.fail(where, f"expected a number, got {_kind(value)}")

    def flag(self, value: Any, where: str, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"{type(value).__name__} {value!r}"[:60]
