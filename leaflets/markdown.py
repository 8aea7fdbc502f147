"""Markdown to safe HTML for leaflets: raw HTML off, headings kept below the section title."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

log = logging.getLogger("leaflets")

_UNSAFE_LINK = re.compile(r"^\s*(javascript|vbscript):", re.IGNORECASE)
_EXTERNAL = re.compile(r"^\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _validate_link(url: str) -> bool:
    # Images and links pass through to the locked-down URL fetcher, which refuses anything outside
    # the project's asset folders; only script URLs are dropped here.
    return not _UNSAFE_LINK.match(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(["table", "replacements"])
    md.validateLink = _validate_link
    return md


def _adjust(tokens: Sequence[Token], min_heading: int) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = max(int(token.tag[1]), min_heading)
            token.tag = f"h{min(level, 6)}"
        elif token.type == "blockquote_open":
            token.attrSet("class", "callout")
        elif token.type == "table_open":
            token.attrSet("class", "content-table")


def render_markdown(text: str, source: str = "", min_heading: int = 3) -> str:
    """Render Markdown as HTML with raw HTML shown as text and headings starting at MIN_HEADING."""
    md = _parser()
    tokens = md.parse(text)
    _adjust(tokens, min_heading)
    for image in _external_images(tokens):
        url = str(image.attrs.get("src", ""))
        log.warning("%s: image %s is outside the project and is left out; save a copy under content/ and link to "
                    "that", source or "Markdown", url if len(url) <= 100 else url[:97] + "...")
        # Never even ask the URL fetcher (which would refuse it too): print the alt text instead.
        image.type, image.tag, image.attrs = "text", "", {}
        image.content = "".join(c.content for c in image.children or [])
        image.children = None
    return md.renderer.render(tokens, md.options, {})


def _external_images(tokens: Sequence[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                src = str(child.attrs.get("src", ""))
                if _EXTERNAL.match(src) and not src.lower().startswith("data:") or src.startswith(("/", "\\")):
                    found.append(child)
    return found


def images_without_alt(text: str) -> list[int]:
    """The 0-based lines (of TEXT) of the paragraphs holding images without alt text."""
    lines = []
    for token in _parser().parse(text):
        for child in token.children or []:
            if child.type == "image" and not "".join(c.content for c in child.children or []).strip():
                lines.append(token.map[0] if token.map else 0)
    return lines
