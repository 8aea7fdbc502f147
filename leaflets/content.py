"""Sections: Markdown files with YAML front matter, read, validated and rendered to safe HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import ContentError
from .files import parse_yaml, read_text
from .markdown import missing_alt_text, render_markdown
from .readability import plain_sentences
from .schema import ID_PATTERN, SectionMeta, validate

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """One reusable piece of leaflet content, with the metadata governance needs."""

    id: str
    path: Path
    meta: SectionMeta
    body: str
    source_text: str

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
    if not re.match(ID_PATTERN, sid):
        raise ContentError.at(path, "file name must be lowercase letters, digits and hyphens, ending .md")
    text = read_text(path)
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ContentError.at(path, "must start with front matter: a line '---', YAML keys, then '---'", 1)
    document = parse_yaml(match.group(1), path, line_offset=1)
    if not isinstance(document.data, dict):
        raise ContentError.at(path, "front matter must be YAML keys and values (title: ...)", 2)
    meta = validate(SectionMeta, document)
    body = text[match.end() :]
    if not body.strip():
        raise ContentError.at(path, "has no text after the front matter")
    if missing_alt_text(body):
        line = text[: match.end()].count("\n") + 1
        raise ContentError.at(path, "every image needs alt text: ![what it shows](file.png)", line)
    return Section(id=sid, path=path, meta=meta, body=body, source_text=text)
