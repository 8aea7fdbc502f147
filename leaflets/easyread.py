"""Easy Read: its own words, one idea per row, a picture beside every point.

content/easy-read/<section-id>.md holds the Easy Read version of a section: the usual front matter, then rows:

    ## A heading                 (a group of rows; "## Heading {urgent}" prints the group as a warning box)
    [icon] One short sentence. Maybe a second one.
    [icon] A **hard word** is in bold, and the same row says what it means.

content/easy-read/leaflets/<id>.yaml is an Easy Read recipe (same keys as content/leaflets/). Without one, the
standard recipe's sections are used, and any section without an Easy Read version is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from .errors import ContentError, InputError, Problem
from .readers import load_yaml_mapping, parse_yaml, read_text
from .schema import RecipeFile, SectionMeta, file_id_problem, validate
from .sections import _FRONT_MATTER, section_id

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project

FOLDER = "easy-read"
MAX_BYTES = 32 * 1024
_ROW = re.compile(r"^\[([a-z0-9-]+)\]\s+(\S.*)$")
_HEADING = re.compile(r"^##\s+(.+?)(\s+\{urgent\})?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
EMERGENCY_NUMBERS = {"en-GB": "999", "en-CA": "911", "en-US": "911"}
"""Ambulance numbers (addendum section 15), until content/locales/<locale>.yaml gives them."""


@dataclass(frozen=True)
class Row:
    """One idea: the picture's icon name and one or two short sentences."""

    icon: str
    text: str
    line: int

    @property
    def html(self) -> Markup:
        """The text with **hard words** in bold; everything else escaped."""
        return Markup(_BOLD.sub(r"<strong>\1</strong>", escape(self.text, quote=False)))

    @property
    def plain(self) -> str:
        return _BOLD.sub(r"\1", self.text)


@dataclass(frozen=True)
class Group:
    """Rows under one heading (the first group may have no heading)."""

    heading: str | None
    urgent: bool
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class EasyReadSection:
    """An Easy Read section; has what a standard Section offers the plan (id, path, meta, title, plain_text)."""

    id: str
    path: Path
    meta: SectionMeta
    groups: tuple[Group, ...]

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def rows(self) -> list[Row]:
        return [row for group in self.groups for row in group.rows]

    @cached_property
    def plain_text(self) -> str:
        return " ".join([self.meta.title, *(row.plain for row in self.rows)])

    def localised(self, values: dict[str, str]) -> EasyReadSection:
        """This section with {{ key }} placeholders filled from VALUES (plain text, escaped when printed)."""

        def fill(text: str, line: int) -> str:
            def one(match: re.Match[str]) -> str:
                if match.group(1) not in values:
                    raise ContentError.at(self.path, f"unknown placeholder '{match.group(0)}'", line)
                return values[match.group(1)]

            return _PLACEHOLDER.sub(one, text)

        groups = tuple(
            Group(fill(g.heading, g.rows[0].line - 1 if g.rows else 0) if g.heading else None, g.urgent,
                  tuple(Row(r.icon, fill(r.text, r.line), r.line) for r in g.rows))
            for g in self.groups
        )
        return EasyReadSection(self.id, self.path, self.meta, groups)


def locale_values(content: Path, locale: str) -> dict[str, str]:
    """Values for placeholders: content/locales/<locale>.yaml where it exists, else the built-in numbers."""
    values = {"emergency_number": EMERGENCY_NUMBERS.get(locale, "999" if locale.endswith("GB") else "911")}
    path = content / "locales" / f"{locale}.yaml"
    if path.is_file():
        data = load_yaml_mapping(path).data
        values.update({str(k): str(v) for k, v in data.items() if isinstance(v, (str, int, float))})
    return values


def easy_read_content(project: Project) -> Path:
    """The content/ folder whose easy-read/ is used: the project's own, else the built-in library's (layers)."""
    folders = project.folders("content")
    return next((folder for folder in folders if (folder / FOLDER).is_dir()), folders[0])


def icons_folder(project: Project) -> Path:
    """The styles/icons/ folder Easy Read rows name their pictures from (the first layer that has one)."""
    folders = project.folders("styles")
    return next((folder / "icons" for folder in folders if (folder / "icons").is_dir()), folders[0] / "icons")


def easy_read_inputs(project: Project) -> list[Path]:
    """Every Easy Read file, for the batch cache key (an Easy Read edit rebuilds what it must)."""
    folder = easy_read_folder(easy_read_content(project))
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def easy_read_folder(content: Path) -> Path:
    return content / FOLDER


def easy_read_ids(content: Path) -> list[str]:
    """The sections that have an Easy Read version."""
    folder = easy_read_folder(content)
    return sorted(section_id(p) for p in folder.glob("*.md") if p.is_file()) if folder.is_dir() else []


def load_easy_read(path: Path, icons: Path, meta_model: type[SectionMeta] = SectionMeta) -> EasyReadSection:
    """Read one Easy Read file; every row must name an icon that exists in ICONS."""
    if problem := file_id_problem(path):
        raise ContentError(problem)
    text = read_text(path, limit=MAX_BYTES)
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ContentError.at(path, "must start with front matter: a line '---', YAML keys, then '---'", 1)
    meta = validate(meta_model, parse_yaml(match.group(1), path, line_offset=1))
    first_line = text[: match.end()].count("\n") + 1
    groups: list[Group] = []
    heading, urgent, rows = None, False, []
    problems: list[Problem] = []
    for number, line in enumerate(text[match.end():].splitlines(), start=first_line):
        line = line.strip()
        if not line:
            continue
        if found := _HEADING.match(line):
            if rows or heading:
                groups.append(Group(heading, urgent, tuple(rows)))
            heading, urgent, rows = found.group(1), bool(found.group(2)), []
        elif found := _ROW.match(line):
            icon, words = found.groups()
            if not (icons / f"{icon}.svg").is_file():
                known = ", ".join(sorted(p.stem for p in icons.glob("*.svg")))
                problems.append(Problem(f"no picture called '{icon}'; use one of: {known}", path, number))
            rows.append(Row(icon, words, number))
        else:
            problems.append(Problem("each line is a row '[picture] Short sentence.' or a heading '## Heading'",
                                    path, number))
    if rows or heading:
        groups.append(Group(heading, urgent, tuple(rows)))
    if not any(g.rows for g in groups) and not problems:
        problems.append(Problem("has no rows; write '[picture] Short sentence.' lines after the front matter", path))
    if problems:
        raise ContentError(*problems)
    return EasyReadSection(section_id(path), path, meta, tuple(groups))


def easy_read_sections(content: Path, icons: Path, ids: list[str]) -> list[EasyReadSection]:
    """The Easy Read versions of IDS; a section without one is refused with one line."""
    available = easy_read_ids(content)
    missing = [sid for sid in ids if sid not in available]
    if missing:
        raise InputError(
            f"no Easy Read version of {', '.join(missing)}; Easy Read exists for: {', '.join(available) or 'none'}"
        )
    folder = easy_read_folder(content)
    return [load_easy_read(folder / f"{sid}.md", icons) for sid in ids]


def easy_read_recipe(content: Path, rid: str) -> tuple[Path, RecipeFile] | None:
    """The Easy Read recipe content/easy-read/leaflets/<rid>.yaml, if there is one."""
    path = easy_read_folder(content) / "leaflets" / f"{rid}.yaml"
    if not path.is_file():
        return None
    return path, validate(RecipeFile, load_yaml_mapping(path))


def easy_read_recipe_ids(content: Path) -> list[str]:
    folder = easy_read_folder(content) / "leaflets"
    return sorted(section_id(p) for p in folder.glob("*.yaml")) if folder.is_dir() else []
