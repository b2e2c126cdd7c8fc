"""Read nginx configuration text into a tree of statements, the way nginx itself reads it.

The ingress-nginx server parser (``nginx_conf``) needs only the syntax: directives, their
arguments and their blocks. crossplane does this too, but costs ~20 ms to import and
needs a file on disk; this reader works on a string, in one pass, and knows the three
things the rendered ingress-nginx config needs:

- quoted arguments (``"..."`` and ``'...'``) with nginx's escapes (``\\"``, ``\\'``,
  ``\\\\``, ``\\t``, ``\\r``, ``\\n``; any other backslash is kept);
- ``${var}`` inside an unquoted word, which does not open a block;
- ``*_by_lua_block { ... }``, whose body is Lua, not nginx: braces inside Lua strings,
  long strings and comments (which may hold apostrophes or JSON) do not count. The
  body becomes the statement's last argument, as crossplane does.

Comments are read and skipped. Anything nginx would reject is a ``ParseError`` naming
the line; running out of input inside a statement, quote or block is an
``IncompleteInput`` (a ``ParseError`` whose message says "truncated").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from ackwb.errors import ParseError


@dataclass(frozen=True)
class Statement:
    """One directive: ``args`` are unquoted; ``block`` holds the statements of ``name args { ... }``
    and is None for ``name args;`` and for a Lua block, whose body is the last argument."""

    directive: str
    args: tuple[str, ...]
    line: int
    block: tuple[Statement, ...] | None = None


class IncompleteInput(ParseError):
    """The text ended inside a statement, a quoted string or a block."""

    def __init__(self, source: str, what: str, line: int | None, opened_line: int) -> None:
        super().__init__(source, f"truncated: input ends inside {what} opened at line {opened_line}", line)
        self.what = what
        self.opened_line = opened_line


_SPACE = re.compile(r"[ \t\r\n]+")
_COMMENT = re.compile(r"#[^\n]*")
_QUOTED = {
    '"': re.compile(r'"((?:\\[\s\S]|[^"\\])*)"'),
    "'": re.compile(r"'((?:\\[\s\S]|[^'\\])*)'"),
}
# An unquoted word: escaped characters, "${" (a variable, not a block), anything else
# up to whitespace, ";" or "{". A "}" inside a word belongs to the word, as in nginx.
_WORD = re.compile(r"(?:\\[\s\S]|\$\{|[^ \t\r\n;{\\])+")
_ESCAPE = re.compile(r"\\([\"'\\tnr])")
_ESCAPED = {'"': '"', "'": "'", "\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
# Inside Lua, the only characters that can change the brace count's meaning.
_LUA_INTERESTING = re.compile(r"[{}\"'\-\[]")
_LUA_LONG_OPEN = re.compile(r"\[(=*)\[")


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    return _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], raw)


class _Reader:
    def __init__(self, text: str, source: str, first_line: int) -> None:
        self.text = text
        self.source = source
        self.first_line = first_line
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(self, pos: int) -> int:
        return self.first_line + bisect_left(self._newlines, pos)

    def fail(self, pos: int, message: str) -> ParseError:
        return ParseError(self.source, message, self.line_at(pos))

    def truncated(self, pos: int, what: str, opened_at: int) -> IncompleteInput:
        return IncompleteInput(self.source, what, self.line_at(max(pos - 1, 0)), self.line_at(opened_at))

    def skip_lua(self, start: int, opened_at: int) -> int:
        """Position of the '}' closing a Lua block whose body starts at ``start``."""
        text, depth, pos = self.text, 1, start
        while True:
            m = _LUA_INTERESTING.search(text, pos)
            if m is None:
                raise self.truncated(len(text), "a Lua block", opened_at)
            ch, pos = m.group(), m.start()
            if ch == "{":
                depth, pos = depth + 1, pos + 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return pos
                pos += 1
            elif ch in "\"'":
                pos = self._lua_string_end(pos, ch)
            elif ch == "-":
                if text.startswith("--", pos):
                    long = _LUA_LONG_OPEN.match(text, pos + 2)
                    if long:
                        pos = self._lua_long_end(long, "a Lua long comment")
                    else:
                        newline = text.find("\n", pos)
                        pos = len(text) if newline < 0 else newline + 1
                else:
                    pos += 1
            else:  # "["
                long = _LUA_LONG_OPEN.match(text, pos)
                pos = self._lua_long_end(long, "a Lua long string") if long else pos + 1

    def _lua_string_end(self, pos: int, quote: str) -> int:
        text, i = self.text, pos + 1
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
            elif ch == quote:
                return i + 1
            elif ch == "\n":
                raise self.fail(pos, "Lua string is not closed on its line")
            else:
                i += 1
        raise self.truncated(len(text), "a Lua string", pos)

    def _lua_long_end(self, opening: re.Match[str], what: str) -> int:
        closing = "]" + opening.group(1) + "]"
        end = self.text.find(closing, opening.end())
        if end < 0:
            raise self.truncated(len(self.text), what, opening.start())
        return end + len(closing)


def parse_nginx(text: str, source: str = "nginx.conf", first_line: int = 1) -> tuple[Statement, ...]:
    """Parse configuration text; ``first_line`` is the line number of its first line."""
    reader = _Reader(text, source, first_line)
    # Each open block: (directive, args, line, opening position, children so far).
    stack: list[tuple[str, tuple[str, ...], int, int, list[Statement]]] = []
    top: list[Statement] = []
    words: list[str] = []
    word_start = 0
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        if ch in " \t\r\n":
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        elif ch == "#":  # words are read whole, so a "#" here starts a token: a comment
            pos = _COMMENT.match(text, pos).end()  # type: ignore[union-attr]
        elif ch == ";":
            if not words:
                raise reader.fail(pos, "unexpected ';' (a statement with no directive)")
            children = stack[-1][4] if stack else top
            children.append(Statement(words[0], tuple(words[1:]), reader.line_at(word_start)))
            words = []
            pos += 1
        elif ch == "{":
            if not words:
                raise reader.fail(pos, "unexpected '{' (a block with no directive)")
            line = reader.line_at(word_start)
            if words[0].endswith("_by_lua_block"):
                close = reader.skip_lua(pos + 1, pos)
                children = stack[-1][4] if stack else top
                args = (*words[1:], text[pos + 1 : close])
                children.append(Statement(words[0], args, line))
                pos = close + 1
            else:
                stack.append((words[0], tuple(words[1:]), line, pos, []))
                pos += 1
            words = []
        elif ch == "}":
            if words:
                raise reader.fail(pos, f"unexpected '}}': statement '{words[0]}' has no ';'")
            if not stack:
                raise reader.fail(pos, "unexpected '}' (no block is open)")
            name, args, line, _, children = stack.pop()
            parent = stack[-1][4] if stack else top
            parent.append(Statement(name, args, line, tuple(children)))
            pos += 1
        elif ch in _QUOTED:
            m = _QUOTED[ch].match(text, pos)
            if m is None:
                raise reader.truncated(end, "a quoted string", pos)
            if not words:
                word_start = pos
            words.append(_unescape(m.group(1)))
            pos = m.end()
            if pos < end and text[pos] not in " \t\r\n;{)":
                raise reader.fail(pos, f"unexpected {text[pos]!r} right after a quoted string")
        else:
            m = _WORD.match(text, pos)
            if m is None:  # a lone backslash at the very end
                raise reader.truncated(end, "an escape sequence", pos)
            if not words:
                word_start = pos
            words.append(_unescape(m.group()))
            pos = m.end()
    if words:
        raise reader.truncated(end, f"statement '{words[0]}' (no ';')", word_start)
    if stack:
        name, _, _, opened, _ = stack[-1]
        raise reader.truncated(end, f"the '{name}' block", opened)
    return tuple(top)
