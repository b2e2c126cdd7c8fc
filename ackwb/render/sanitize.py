"""Make an exported HTML page inert: nothing in it can run, whatever the data it shows.

Every value a report shows is escaped where it is rendered; this is the second line. The page
nbconvert writes is re-read with ``html.parser`` and written back without anything a browser
would execute or load behind the reader's back: ``<script>`` and the elements that embed other
documents or code (iframe, object, embed, base, SVG animation and foreignObject) are dropped
with their content, ``on*`` event attributes are removed, and so are URLs with a
``javascript:``, ``vbscript:`` or ``data:`` scheme (``data:image/...`` stays for ``src``: that
is how nbconvert inlines pictures) and inline styles that could run code. Everything else is
kept byte for byte (the original start-tag text when nothing in it changed), so styles, inline
SVG diagrams and tables look the same. The report template loads no script of its own, so the
cleaned page has none at all.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

DROPPED = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "noscript",
     "foreignobject", "animate", "set", "animatetransform", "animatemotion", "handler", "listener"}
)  # fmt: skip
VOID = frozenset(
    {"embed", "base", "frame", "area", "br", "col", "hr", "img", "input", "link", "meta", "source"}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "xlink:href", "action", "formaction", "data", "poster", "background", "srcset",
     "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "usemap", "ping", "manifest", "to", "from",
     "values", "attributename"}
)  # fmt: skip
_SAFE_DATA = re.compile(r"^data:image/(png|jpe?g|gif|webp|bmp);", re.I)
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript|mocha):", re.I)
_BAD_STYLE = re.compile(r"expression\(|javascript:|vbscript:|behavior:|-moz-binding|@import", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")


def _unsafe(tag: str, name: str, value: str | None) -> bool:
    """Whether one attribute could run code or fetch something when the page is opened."""
    if name.startswith("on") or name in ("formaction", "srcdoc", "xmlns:xlink:href"):
        return True
    if value is None:
        return False
    if name == "style":
        return bool(_BAD_STYLE.search(_INVISIBLE.sub("", value.replace("\\", ""))))
    if name in URL_ATTRIBUTES or name.endswith(":href"):
        compact = _INVISIBLE.sub("", value)
        if name == "src" and tag == "img" and _SAFE_DATA.match(compact):
            return False
        return bool(_BAD_SCHEME.match(compact))
    if tag == "meta" and name == "http-equiv":
        return value.strip().lower() in ("refresh", "set-cookie", "content-security-policy")
    return False


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skipping: list[str] = []  # dropped elements still open (their content is dropped too)
        self.raw_text = ""  # inside <style>: data is CSS, written as it came
        self.removed = 0

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if self.skipping:
            if tag in DROPPED and tag not in VOID and not closed:
                self.skipping.append(tag)
            return
        if tag in DROPPED:
            self.removed += 1
            if tag not in VOID and not closed:
                self.skipping.append(tag)
            return
        kept = [(name, value) for name, value in attrs if not _unsafe(tag, name, value)]
        if len(kept) == len(attrs):
            self.out.append(self.get_starttag_text() or "")
        else:
            self.removed += len(attrs) - len(kept)
            text = "".join(
                f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
                for name, value in kept
            )
            self.out.append(f"<{tag}{text}{' /' if closed else ''}>")
        if tag == "style" and not closed:
            self.raw_text = tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in DROPPED:
            return
        if tag == self.raw_text:
            self.raw_text = ""
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data if self.raw_text else data.replace("<", "&lt;"))

    def handle_entityref(self, name: str) -> None:
        if not self.skipping:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.skipping:
            self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        if not self.skipping:
            self.out.append(f"<!--{data.replace('--', '- -')}-->")

    def handle_decl(self, decl: str) -> None:
        if not self.skipping:
            self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        pass  # processing instructions have no place in an HTML report

    def unknown_decl(self, data: str) -> None:
        if not self.skipping and data.upper().startswith("CDATA["):
            self.out.append(html.escape(data[6:], quote=False))


def sanitize_html(page: str) -> tuple[str, int]:
    """The page without anything that could run; and how many elements or attributes were removed."""
    cleaner = _Cleaner()
    cleaner.feed(page)
    cleaner.close()
    return "".join(cleaner.out), cleaner.removed
