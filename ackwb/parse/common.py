"""Pieces every parser shares: warnings, command-output lines, JSON decoding, lazy records.

- ``ParseWarning``: a line a parser understood only partly, or a fact worth saying (a
  probability cascade that does not add up to 1). Results carry them in a ``warnings``
  tuple, so nothing is dropped silently.
- ``output_lines``: split command output into lines (``\\r\\n`` from a terminal too), and
  tell whether the text stopped in the middle of a line: every tool read here ends its
  output with a newline, so a missing one means a capture that was cut short.
- ``decode_json``: ``json.loads`` whose errors are ``ParseError`` and which says "truncated"
  when the text stops early rather than when it is wrong.
- ``selector_matches``: a Kubernetes LabelSelector against labels (NetworkPolicy peers,
  Gateway listeners' allowed namespaces).
- ``normal_address``: one spelling of an address (brackets dropped, IPv6 compressed).
- ``refuse_redacted``: an address someone masked before pasting (``x.x.x.x``, ``10.*.*.*``,
  ``<ip>``) is refused with a sentence saying so, rather than read as a host name or dropped.
- ``LazyRecords``: a read-only sequence built on first use. Parsers check every line while
  parsing, then build the per-line records only when someone looks at them: at tens of
  thousands of lines, creating Python objects costs far more than checking the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from ackwb.errors import ParseError

T = TypeVar("T")


@dataclass(frozen=True)
class ParseWarning:
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


def normal_address(address: str) -> str:
    """An address in one spelling: brackets dropped, IPv6 compressed and lower-case."""
    address = address.strip().removeprefix("[").removesuffix("]")
    if ":" in address:
        import ipaddress

        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            return address.lower()
    return address


_REDACTED = re.compile(
    r"\[?(?:(?:\d{1,3}|[xX*#?]{1,3})\.){3}(?:\d{1,3}|[xX*#?]{1,3})\]?"  # x.x.x.x, 10.*.*.*, ...
    r"|\[?(?:[0-9a-fA-F]{0,4}:){2,}[xX*#?]+(?::[0-9a-fA-FxX*#?]*)*\]?"  # fd00::xxxx
    r"|<[^<>]*>|\*+|x{3,}|(?i:redacted|masked|hidden)"
)


def refuse_redacted(text: str | None, source: str, line: int | None = None) -> None:
    """Raise ``ParseError`` when an address field looks masked (``x.x.x.x``, ``<ip>``, ``***``)."""
    if not text:
        return
    host = text.rsplit("/", 1)[0]
    if _REDACTED.fullmatch(host) and not host.strip("[]").replace(".", "").isdigit():
        raise ParseError(
            source,
            f"{text!r} looks like a redacted address: ackwb matches real addresses against Services, "
            "Pods and load balancers, so paste the output as the command printed it",
            line,
        )


def output_lines(text: str | bytes, source: str, what: str) -> tuple[list[str], bool]:
    """(lines without their line ends and without trailing empty lines, cut short?).

    Raises ``ParseError`` for empty output, naming ``what`` printed nothing.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text.strip():
        raise ParseError(source, f"empty output: {what} printed nothing")
    lines = text.split("\n")
    cut = lines[-1] != ""
    while lines and not lines[-1].strip():
        lines.pop()
    return lines, cut


def truncated_or(err: ParseError, last_line: int, cut: bool) -> ParseError:
    """``err`` itself, or, when it is about the last line of a capture cut mid-line, a
    "truncated" error: the line is incomplete rather than wrong."""
    if cut and err.line == last_line and not err.reason.startswith("truncated"):
        return ParseError(err.source, f"truncated: the last line is incomplete ({err.reason})", err.line)
    return err


def decode_json(text: str | bytes, source: str, empty: str) -> Any:
    """Decoded JSON; ``empty`` is the message for blank input."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not text.strip():
        raise ParseError(source, empty)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        if _cut_short(text.rstrip(), err):
            raise ParseError(source, f"truncated JSON: {err.msg}", err.lineno) from None
        raise ParseError(source, f"not JSON: {err.msg} (column {err.colno})", err.lineno) from None
    except RecursionError:
        raise ParseError(source, "JSON nested too deeply") from None


def _cut_short(body: str, err: json.JSONDecodeError) -> bool:
    """Whether the decoder failed only because the text stops early: at its very end, in
    an open string, or in the middle of ``true``/``false``/``null`` or an escape."""
    if err.pos >= len(body) or err.msg.startswith("Unterminated string"):
        return True
    rest = body[err.pos :]
    if any(literal.startswith(rest) for literal in ("true", "false", "null")):
        return True
    return "escape" in err.msg and len(body) - err.pos <= 6


class LazyRecords(Sequence[T], Generic[T]):
    """A tuple-like sequence whose items are built by ``build`` the first time they are used.

    It compares equal to a tuple or list with the same items, hashes like that tuple and
    prints like it, so records holding one behave as if they held the tuple itself.
    """

    __slots__ = ("_build", "_items")

    def __init__(self, build: Callable[[], Sequence[T]]) -> None:
        self._build: Callable[[], Sequence[T]] | None = build
        self._items: tuple[T, ...] = ()

    def _all(self) -> tuple[T, ...]:
        if self._build is not None:
            self._items = tuple(self._build())
            self._build = None
        return self._items

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[T]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (LazyRecords, tuple, list)):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


def is_ip_address(text: str) -> bool:
    """An IP address (IPv4 or IPv6), not a host name."""
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes LabelSelector (``matchLabels``, ``matchExpressions``) against labels. An empty
    selector matches everything."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = set(expression.get("values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True
