"""Kubernetes label and field selectors, honoured as the API server honours them.

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``,
``!k``, ``k>1``, ``k<1``, comma-separated and ANDed; ``!=`` and ``notin`` also match objects
without the label. Field selectors: ``path=v``, ``path==v``, ``path!=v`` where ``path`` is a
dotted path into the object (``status.podIP``); values may escape ``\\,``, ``\\=``, ``\\\\``.
A malformed selector raises ``InputError`` naming the selector and what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ackwb.errors import InputError

Labels = dict[str, str]
NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
OPERATORS = {"!", "=", "==", "!=", "(", ")", ",", "<", ">"}
TOKEN = re.compile(r"\s*(!=|==|[!=(),<>]|[^\s!=(),<>]+)")


def _bad(kind: str, selector: str, problem: str) -> InputError:
    return InputError(f"invalid {kind} selector {selector!r}: {problem}")


def _check_key(selector: str, key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not name or len(name) > 63 or not NAME.match(name):
        raise _bad("label", selector, f"{key!r} is not a valid label key")
    if "/" in key and (not prefix or len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        raise _bad("label", selector, f"the prefix of {key!r} is not a DNS subdomain")


def _check_value(selector: str, value: str) -> None:
    if len(value) > 63 or not NAME.match(value):
        raise _bad("label", selector, f"{value!r} is not a valid label value")


def _tokens(selector: str) -> list[str]:
    tokens, position = [], 0
    while position < len(selector):
        match = TOKEN.match(selector, position)
        if match is None:  # only trailing blanks are left
            break
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_label_selector(selector: str) -> Callable[[Labels], bool]:
    """A predicate over an object's labels; the empty selector matches everything."""
    tokens = _tokens(selector)
    requirements: list[Callable[[Labels], bool]] = []
    i = 0

    def take() -> str:
        nonlocal i
        token = tokens[i] if i < len(tokens) else ""
        i += 1
        return token

    def value_or_empty() -> str:
        nonlocal i
        if i >= len(tokens) or tokens[i] == ",":
            return ""
        value = take()
        if value in OPERATORS:
            raise _bad("label", selector, f"expected a value, found {value!r}")
        _check_value(selector, value)
        return value

    while i < len(tokens):
        token = take()
        if token == "!":
            key = take()
            _check_key(selector, key)
            requirements.append(lambda labels, k=key: k not in labels)
        else:
            if token in OPERATORS:
                raise _bad("label", selector, f"expected a label key, found {token!r}")
            key = token
            _check_key(selector, key)
            operator = tokens[i] if i < len(tokens) else ","
            if operator == ",":
                requirements.append(lambda labels, k=key: k in labels)
            else:
                i += 1
                requirements.append(_requirement(selector, key, operator, take, value_or_empty))
        if i < len(tokens):
            if take() != ",":
                raise _bad("label", selector, f"expected ',' after the requirement on {key!r}")
            if i >= len(tokens):
                raise _bad("label", selector, "a requirement is missing after the last ','")
    if selector.strip() and not requirements:
        raise _bad("label", selector, "no requirement found")
    return lambda labels: all(requirement(labels or {}) for requirement in requirements)


def _requirement(
    selector: str, key: str, operator: str, take: Callable[[], str], value_or_empty: Callable[[], str]
) -> Callable[[Labels], bool]:
    if operator in ("=", "=="):
        value = value_or_empty()
        return lambda labels: labels.get(key) == value
    if operator == "!=":
        value = value_or_empty()
        return lambda labels: labels.get(key) != value
    if operator in ("in", "notin"):
        if take() != "(":
            raise _bad("label", selector, f"expected '(' after {operator!r}")
        values: set[str] = set()
        while True:
            value = take()
            if value == ")" and not values:
                raise _bad("label", selector, f"{operator!r} needs at least one value")
            if value == "" or value in OPERATORS:
                raise _bad("label", selector, f"expected a value in the set of {key!r}, found {value!r}")
            _check_value(selector, value)
            values.add(value)
            separator = take()
            if separator == ")":
                break
            if separator != ",":
                raise _bad("label", selector, f"expected ',' or ')' in the set of {key!r}")
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if operator in (">", "<"):
        bound = take()
        if not re.fullmatch(r"-?\d+", bound):
            raise _bad("label", selector, f"{operator!r} needs an integer, found {bound!r}")
        limit = int(bound)
        return lambda labels: _compare(labels.get(key), operator, limit)
    raise _bad("label", selector, f"unknown operator {operator!r} after {key!r}")


def _compare(value: str | None, operator: str, limit: int) -> bool:
    if value is None or not re.fullmatch(r"-?\d+", value):
        return False
    return int(value) > limit if operator == ">" else int(value) < limit


# ------------------------------------------------------------------------------ field selectors
def _split_terms(selector: str) -> list[str]:
    terms, current, escaped = [], [], False
    for char in selector:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ",":
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return terms


def _unescape(selector: str, value: str) -> str:
    out, escaped = [], False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise _bad("field", selector, f"invalid escape sequence '\\{char}' in {value!r}")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            raise _bad("field", selector, f"{char!r} must be escaped in the value {value!r}")
        else:
            out.append(char)
    if escaped:
        raise _bad("field", selector, f"{value!r} ends with a lone backslash")
    return "".join(out)


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string form the API server compares: missing fields are '', booleans 'true'/'false'."""
    current: Any = obj
    for part in path.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    if isinstance(current, bool):
        return "true" if current else "false"
    if current is None or isinstance(current, (dict, list)):
        return ""
    return str(current)


def parse_field_selector(selector: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate over a whole object; the empty selector matches everything."""
    checks: list[tuple[str, bool, str]] = []  # (path, must equal, value)
    for term in _split_terms(selector):
        if term == "":
            continue
        for position in range(len(term)):
            operator = next((op for op in ("!=", "==", "=") if term.startswith(op, position)), None)
            if operator:
                break
        else:
            raise _bad("field", selector, f"can't understand {term!r}")
        path, value = term[:position], term[position + len(operator) :]
        if not path or any(c.isspace() for c in path) or path.startswith(".") or path.endswith("."):
            raise _bad("field", selector, f"{path!r} is not a field path")
        checks.append((path, operator != "!=", _unescape(selector, value)))
    return lambda obj: all((field_value(obj, path) == value) == equal for path, equal, value in checks)
