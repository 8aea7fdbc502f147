"""The top-level parts of a leaflet's HTML (children of <body>, and of <main> in its place): where each
starts and ends and the ids inside it, so page reuse cuts the HTML only between whole parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                       "source", "track", "wbr"})


@dataclass
class Part:
    """One top-level element: its start and end in the HTML, and every id on it or inside it, in order."""

    start: int
    end: int = -1
    ids: list[str] = field(default_factory=list)


class _Outline(HTMLParser):
    """Follows the open elements; <main> is see-through, so its children are top-level parts too."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.line_starts = [0, *(match.end() for match in re.finditer("\n", html))]
        self.open: list[str] = []
        self.parts: list[Part] = []
        self.unbalanced = False

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _top_depth(self) -> int:
        """How many open elements a top-level part sits in: html, body (and main)."""
        return 3 if "main" in self.open else 2

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        at_top = "body" in self.open and tag != "main" and len(self.open) == self._top_depth()
        if at_top:
            self.parts.append(Part(self._offset()))
        if ident and "body" in self.open and self.parts and self.parts[-1].end < 0:
            self.parts[-1].ids.append(ident)
        if tag in VOID_TAGS:
            if at_top:
                self.parts[-1].end = self._offset() + len(self.get_starttag_text() or "")
            return
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)  # <x/>: opened and closed at once
        self.handle_endtag(tag, self._offset() + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str, end: int | None = None) -> None:
        if tag not in self.open:
            self.unbalanced = True
            return
        while self.open and self.open.pop() != tag:
            self.unbalanced = True  # an element closed by its parent's end tag
        if self.parts and self.parts[-1].end < 0 and len(self.open) == self._top_depth() and tag != "main":
            self.parts[-1].end = end if end is not None else self.html.find(">", self._offset()) + 1


def top_level_parts(html: str, end: int) -> list[Part] | None:
    """The top-level parts before END (where </main> starts), or None if the HTML there is not well nested."""
    outline = _Outline(html[:end])
    outline.feed(html[:end])
    if outline.unbalanced or any(part.end < 0 for part in outline.parts):
        return None
    return outline.parts
