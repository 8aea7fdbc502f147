"""Sections: Markdown files with YAML front matter, read, validated and rendered to safe HTML."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .characters import CONTROL, find_problem
from .errors import ContentError, Problem
from .locales import Locale, Locales, block_problems, empty_value_problems, fill, localise_body, placeholder_problems
from .markdown import images, render_markdown
from .readability import plain_sentences
from .readers import YamlDocument, parse_yaml, read_text
from .render import time_limit
from .schema import SectionMeta, file_id_problem, validate

MAX_SECTION_BYTES = 64 * 1024
"""A section file bigger than this is refused: a long leaflet section is 5 KB; 64 KB is about 10,000 words."""
MARKDOWN_SECONDS = 5
"""Reading a section's Markdown takes milliseconds; unusual Markdown that takes longer than this is refused."""

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)

FrontTexts = tuple[tuple[str, int | None, tuple[str, ...]], ...]
"""Front-matter texts that may hold placeholders: (text, line in the file, the locales it is for)."""


@dataclass(frozen=True)
class Section:
    """One reusable piece of leaflet content, with the metadata governance needs."""

    id: str
    path: Path
    meta: SectionMeta
    body: str
    body_line: int = 1
    front_lines: FrontTexts = ()
    locale: str | None = None
    source_path: Path | None = None
    """For a translation: the English section it translates."""
    stale: bool = False
    """For a translation: the English section has changed since it was translated."""
    _localised: dict[tuple[Any, ...], Section] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def source_text(self) -> str:
        """The file's text as written, which a translation's source_hash records."""
        return read_text(self.path)

    def for_locale(self, locale: Locale) -> Section:
        """This section as LOCALE's readers see it: other locales' blocks dropped, placeholders filled; made
        once per locale, so its Markdown is read once however many leaflets (batch rows) use it."""
        key = (locale.code, locale.path, tuple(sorted(locale.values.items())))
        if key not in self._localised:
            self._localised[key] = self._localise(locale)
        return self._localised[key]

    def _localise(self, locale: Locale) -> Section:
        if problems := self.locale_problems(locale):
            raise ContentError(*problems)
        meta = self.meta
        flags = [f.model_copy(update={"symptom": fill(f.symptom, locale, markdown=False)})
                 for f in meta.red_flags if locale.serves(f.locales)]
        meta = meta.model_copy(update={
            "title": fill(meta.title, locale, markdown=False),
            "summary": fill(meta.summary, locale, markdown=False) if meta.summary else None,
            "red_flags": flags,
            "sources": [source for source in meta.sources if locale.serves(source.locales)],
        })
        return dataclasses.replace(self, meta=meta, body=localise_body(self.body, locale))

    def locale_problems(self, locale: Locale) -> list[Problem]:
        """Placeholders that would print a blank for LOCALE."""
        problems = empty_value_problems(self.body, locale, self.path, self.body_line)
        for text, line, only in self.front_lines:
            if not only or locale.code in only:
                problems += [Problem(p.message, self.path, line)
                             for p in empty_value_problems(text, locale, self.path, 0)]
        return problems

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


def load_section(path: Path, locales: Locales | None = None, meta_model: type[SectionMeta] = SectionMeta) -> Section:
    """Read and validate one section file (placeholders and locale blocks against LOCALES)."""
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
    meta = validate(meta_model, document)
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
    front_lines = _front_texts(meta, document)
    if locales is not None:
        _check_locale_devices(path, body, body_line, front_lines, locales, _source_locales(meta, document))
    return Section(id=sid, path=path, meta=meta, body=body, body_line=body_line,
                   front_lines=front_lines)


def _front_texts(meta: SectionMeta, document: YamlDocument) -> FrontTexts:
    """The front-matter texts that may hold placeholders, each with its line and the locales it is for."""
    texts: list[tuple[str, int | None, tuple[str, ...]]] = [(meta.title, document.line_of(["title"]), ())]
    if meta.summary:
        texts.append((meta.summary, document.line_of(["summary"]), ()))
    for index, flag in enumerate(meta.red_flags):
        texts.append((flag.symptom, document.line_of(["red_flags", index, "symptom"]), tuple(flag.locales)))
    return tuple(texts)


def _source_locales(meta: SectionMeta, document: YamlDocument) -> list[tuple[str, int | None]]:
    """Each locale code a source is limited to, with its line: checked like the red flags' codes."""
    return [(code, document.line_of(["sources", index, "locales", position]))
            for index, source in enumerate(meta.sources) for position, code in enumerate(source.locales)]


def _check_locale_devices(
    path: Path, body: str, body_line: int, front: FrontTexts, locales: Locales,
    source_locales: list[tuple[str, int | None]],
) -> None:
    """Refuse unknown placeholders and locales, and badly formed '::: only' blocks, with their lines."""
    keys = locales.keys
    hint = locales.known_codes_hint()
    problems = block_problems(body, locales.codes, path, body_line)
    problems += placeholder_problems(body, keys, path, body_line)
    for text, line, only in front:
        problems += [Problem(p.message, path, line) for p in placeholder_problems(text, keys, path, 0)]
        problems += [Problem(f"red_flags: unknown locale '{code}'; the locales are {hint}", path, line)
                     for code in only if code not in locales.by_code]
    problems += [Problem(f"sources: unknown locale '{code}'; the locales are {hint}", path, line)
                 for code, line in source_locales if code not in locales.by_code]
    if problems:
        raise ContentError(*problems)
