"""Wildcard and regular-expression patterns as ALB forwarding rules write them.

ALB condition values are matched whole: ``*`` stands for any run of characters (none
included) and ``?`` for exactly one; every other character is itself. A value that starts with
``~`` is a regular expression instead (``~*`` makes it case-insensitive); the ALB Ingress
controller writes ``~*<path>`` for Ingresses with ``use-regex`` or ``rewrite-target``
(alibaba/alibaba-load-balancer-controller, ``buildPathPatternsForPrefixPathType``). A regular
expression is searched for, not anchored: the documented host example ``^www.example.com$``
carries its own anchors. Python's ``re`` stands in for ALB's engine; a pattern it cannot
compile matches nothing and says so in ``PatternError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


class PatternError(ValueError):
    """A ``~`` regular expression that Python's ``re`` cannot compile."""


@dataclass(frozen=True)
class PatternMatch:
    """The outcome of one pattern against one text: matched, and the regex groups (``${1}``…)."""

    matched: bool
    groups: tuple[str, ...] = ()


@lru_cache(maxsize=4096)
def _glob(pattern: str, fold: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if fold else 0))


@lru_cache(maxsize=1024)
def _regex(expression: str, fold: bool) -> re.Pattern[str]:
    try:
        return re.compile(expression, re.IGNORECASE if fold else 0)
    except re.error as error:
        raise PatternError(f"{expression!r} is not a regular expression ackwb can read: {error}") from None


def is_regex(pattern: str) -> bool:
    """True for a ``~`` (or ``~*``) regular-expression value."""
    return pattern.startswith("~")


def glob_match(pattern: str, text: str, fold: bool = False) -> bool:
    """``pattern`` with ``*`` and ``?`` wildcards matches the whole of ``text``."""
    return _glob(pattern, fold).fullmatch(text) is not None


def alb_match(pattern: str, text: str, fold: bool = False) -> PatternMatch:
    """One ALB condition value against ``text``: a ``~``/``~*`` regular expression, else a wildcard
    pattern matched whole. ``fold`` makes the comparison case-insensitive (hosts, for example)."""
    if pattern.startswith("~*"):
        found = _regex(pattern[2:], True).search(text)
    elif pattern.startswith("~"):
        found = _regex(pattern[1:], fold).search(text)
    else:
        return PatternMatch(glob_match(pattern, text, fold))
    if found is None:
        return PatternMatch(False)
    return PatternMatch(True, tuple(g or "" for g in found.groups()))


def specificity(pattern: str) -> tuple[int, int]:
    """(literal characters, total length): how narrow a pattern is, for messages and tie-breaks."""
    literal = sum(1 for c in pattern if c not in "*?")
    return literal, len(pattern)
