"""Sections: Markdown files with YAML front matter, read, validated and rendered to safe HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .characters import CONTROL, find_problem
from .errors import ContentError
from .markdown import images, render_markdown
from .readability import plain_sentences
from .readers import parse_yaml, read_text
from .render import time_limit
from .schema import SectionMeta, file_id_problem, validate

MAX_SECTION_BYTES = 64 * 1024
"""A section file bigger than this is refused: a long leaflet section is 5 KB; 64 KB is about 10,000 words."""
MARKDOWN_SECONDS = 5
"""Reading a section's Markdown takes milliseconds; unusual Markdown that takes longer than this is refused."""

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """One reusable piece of leaflet content, with the metadata governance needs."""

    id: str
    path: Path
    meta: SectionMeta
    body: str

    @property
    def title(self) -> str:
        return self.meta.title

    @cached_property
    def html(self) -> str:
        return render_markdown(self.body, source=str(self.path))

    @cached_property
    def plain_text(self) -> str:
        """The section's words without markup, for glossary matching and checks."""
        return " ".join([self.meta.title, *plain_sentences(self.body)])


def section_id(path: Path) -> str:
    """The id of a content file is its file name without the extension."""
    return path.name.rsplit(".", 1)[0]


def load_section(path: Path) -> Section:
    """Read and validate one section file."""
    sid = section_id(path)
    if problem := file_id_problem(path):
        raise ContentError(problem)
    text = read_text(path, limit=MAX_SECTION_BYTES)
    match = _FRONT_MATTER.match(text)
    if not match:
        if re.match(r"\A---[ \t]*\r?\n", text):
            raise ContentError.at(path, "the front matter has no closing '---' line; add one after the last key", 1)
        raise ContentError.at(path, "must start with front matter: a line '---', YAML keys, then '---'", 1)
    document = parse_yaml(match.group(1), path, line_offset=1)
    if not isinstance(document.data, dict):
        raise ContentError.at(path, "front matter must be YAML keys and values (title: ...)", 2)
    meta = validate(SectionMeta, document)
    body = text[match.end() :]
    if not body.strip():
        raise ContentError.at(path, "has no text after the front matter; write the section below the second '---'")
    body_line = text[: match.end()].count("\n") + 1
    if found := find_problem(body, keep_form_feed=True):  # form feed is a page break some editors keep
        index, message = found
        line = body_line + body[:index].count("\n")
        if CONTROL.match(body[index]):
            message = (f"contains an invisible control character (#x{ord(body[index]):02x}); "
                       "delete it (it often comes from pasting text out of another program)")
        raise ContentError.at(path, message, line)
    slow = "its Markdown takes too long to read; look for long runs of [ ! * _ or < and remove them"
    with time_limit(MARKDOWN_SECONDS, lambda: ContentError.at(path, slow)):
        no_alt = [image.line for image in images(body) if not image.alt]
    if no_alt:
        raise ContentError.at(path, "every image needs alt text: ![what it shows](file.png)", body_line + no_alt[0])
    return Section(id=sid, path=path, meta=meta, body=body)
