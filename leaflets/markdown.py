"""Markdown to safe HTML for leaflets: raw HTML off, headings kept below the section title."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

log = logging.getLogger("leaflets")

_UNSAFE_LINK = re.compile(r"^\s*(javascript|vbscript):", re.IGNORECASE)
_EXTERNAL = re.compile(r"^\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_CLICKABLE = re.compile(r"^(https?://[^/]|mailto:|tel:|#)", re.IGNORECASE)
"""The only links a printed leaflet makes clickable: web pages, email, phone numbers and its own headings."""


def _validate_link(url: str) -> bool:
    # Images and links pass through to the locked-down URL fetcher, which refuses anything outside
    # the project's asset folders; only script URLs are dropped here.
    return not _UNSAFE_LINK.match(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(["table", "replacements"])
    md.validateLink = _validate_link
    return md


def _plain_links(children: list[Token]) -> list[Token]:
    """CHILDREN without the link around any address that is not a web page, email or phone number.

    data:, file:, javascript: or a relative path would open a file or run something from the PDF;
    the link's words stay, as plain text.
    """
    kept: list[Token] = []
    dropped: list[bool] = []  # for each open link: was it dropped?
    for child in children:
        if child.type == "link_open":
            dropped.append(not _CLICKABLE.match(str(child.attrs.get("href", "")).strip()))
            if dropped[-1]:
                continue
        elif child.type == "link_close" and dropped and dropped.pop():
            continue
        kept.append(child)
    return kept


def _adjust(tokens: Sequence[Token], min_heading: int) -> None:
    for token in tokens:
        if token.children:
            token.children = _plain_links(token.children)
        if token.type in ("heading_open", "heading_close"):
            level = max(int(token.tag[1]), min_heading)
            token.tag = f"h{min(level, 6)}"
        elif token.type == "blockquote_open":
            token.attrSet("class", "callout")
        elif token.type == "table_open":
            token.attrSet("class", "content-table")


def parse(text: str) -> list[Token]:
    """The block and inline tokens of TEXT, from the one parser that rendering, readability and the cache share."""
    return _parser().parse(text)


def render_markdown(text: str, source: str = "", min_heading: int = 3) -> str:
    """Render Markdown as HTML with raw HTML shown as text and headings starting at MIN_HEADING."""
    md = _parser()
    tokens = md.parse(text)
    _adjust(tokens, min_heading)
    for _paragraph, image in _image_tokens(tokens):
        url = str(image.attrs.get("src", ""))
        if not is_external(url):
            continue
        log.warning("%s: image %s is outside the project and is left out; save a copy under content/ and link to "
                    "that", source or "Markdown", url if len(url) <= 100 else url[:97] + "...")
        # Never even ask the URL fetcher (which would refuse it too): print the alt text instead.
        image.type, image.tag, image.attrs = "text", "", {}
        image.content = "".join(c.content for c in image.children or [])
        image.children = None
    return md.renderer.render(tokens, md.options, {})


def is_external(src: str) -> bool:
    """An image outside the project (any scheme but data:, or an absolute path): never fetched, never cached."""
    return bool(_EXTERNAL.match(src)) and not src.lower().startswith("data:") or src.startswith(("/", "\\"))


@dataclass(frozen=True)
class Image:
    """One image in a Markdown body, as rendering, the alt-text check and the batch cache all see it."""

    src: str
    alt: str
    line: int
    """0-based line (of the body) of the paragraph that holds it."""

    @property
    def local_path(self) -> str | None:
        """The project-relative file this image reads, or None (outside the project, or inline data)."""
        if is_external(self.src) or self.src.lower().startswith("data:"):
            return None
        return unquote(urlsplit(self.src).path) or None


def images(text: str) -> list[Image]:
    """Every image in TEXT, in order: the one image walker (it always parses, so a time limit around it holds)."""
    return [
        Image(str(image.attrs.get("src", "")), "".join(c.content for c in image.children or []).strip(),
              paragraph.map[0] if paragraph.map else 0)
        for paragraph, image in _image_tokens(parse(text))
    ]


def _image_tokens(tokens: Sequence[Token]) -> Iterator[tuple[Token, Token]]:
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                yield token, child
