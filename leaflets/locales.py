"""Country facts as data (content/locales/<locale>.yaml) and the two content devices that use them.

Placeholders: ``{{ key }}`` in a section body or in front-matter text is replaced with the locale's value,
as plain text (never markup). Locale-only blocks: a line ``::: only en-GB en-CA`` opens a block, a line
``:::`` closes it; the lines in between are kept only for those locales. Both are processed before
Markdown, line by line; no template language ever runs on content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, Problem
from .readers import load_yaml_mapping
from .schema import text_problem

LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_VALUE = 200
REQUIRED_KEYS = ("country", "emergency_number", "date_format")
"""Keys the engine itself prints (the card, the contact box, dates); the content may use any other key."""

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_BLOCK_OPEN = re.compile(r"^:::[ \t]*only\b(.*)$")
_BLOCK_CLOSE = re.compile(r"^:::[ \t]*$")
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_DATE_TOKEN = re.compile(r"yyyy|MMMM|MMM|MM|M|dd|d")


@dataclass(frozen=True)
class Locale:
    """One country's facts: emergency number, names of services, thresholds, date format."""

    code: str
    path: Path | None
    values: dict[str, str]

    @property
    def country(self) -> str:
        return self.values.get("country", "")

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def serves(self, codes: Iterable[str]) -> bool:
        """Whether something marked for CODES (a source, a red flag) is for this locale's readers.

        The country decides: a source for en-CA is for fr-CA readers too, one for en-GB only is not.
        Nothing marked means every locale.
        """
        codes = list(codes)
        country = self.code.partition("-")[2]
        return not codes or self.code in codes or bool(country) and any(
            code.partition("-")[2] == country for code in codes)

    def format_date(self, day: object) -> str:
        """A date in the locale's date_format (d, dd, M, MM, MMM, MMMM, yyyy)."""
        pattern = self.values.get("date_format") or "d MMMM yyyy"
        parts = {
            "yyyy": f"{day:%Y}", "MMMM": f"{day:%B}", "MMM": f"{day:%b}", "MM": f"{day:%m}",
            "M": str(day.month), "dd": f"{day:%d}", "d": str(day.day),  # type: ignore[attr-defined]
        }
        return _DATE_TOKEN.sub(lambda m: parts[m.group()], pattern)


@dataclass(frozen=True)
class Locales:
    """Every locale of a project; all have the same keys."""

    by_code: dict[str, Locale]

    @property
    def codes(self) -> list[str]:
        return sorted(self.by_code)

    @property
    def keys(self) -> set[str]:
        return set().union(*(set(loc.values) for loc in self.by_code.values())) if self.by_code else set()

    def known_codes_hint(self) -> str:
        return ", ".join(self.codes) if self.codes else "none: add content/locales/<locale>.yaml"


def load_locales(content: Path) -> Locales:
    """Read and check every content/locales/*.yaml: flat text values, and the same keys in each file."""
    folder = content / "locales"
    found: dict[str, Locale] = {}
    documents = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        code = path.name.removesuffix(".yaml")
        if not LOCALE_PATTERN.match(code):
            problems.append(Problem("the file name must be a locale code, for example en-GB.yaml", path))
            continue
        document = load_yaml_mapping(path)
        documents[code] = document
        values: dict[str, str] = {}
        for key, value in document.data.items():
            line = document.line_of([key])
            if not isinstance(key, str) or not KEY_PATTERN.match(key):
                problems.append(Problem(f"{key}: keys are lower_snake_case, for example emergency_number", path, line))
            elif not isinstance(value, str):
                problems.append(Problem(f"{key}: must be text; put the value in quotes, for example \"999\"",
                                        path, line))
            elif "\n" in value or len(value) > MAX_VALUE or text_problem(value):
                problems.append(Problem(f"{key}: must be one line of plain text, at most {MAX_VALUE} characters",
                                        path, line))
            else:
                values[key] = value.strip()
        found[code] = Locale(code, path, values)
    problems.extend(_key_problems(found, documents))
    if problems:
        raise ContentError(*problems)
    return Locales(found)


def _key_problems(found: dict[str, Locale], documents: dict) -> list[Problem]:  # noqa: ANN001
    """Every locale file must have the same keys, and the keys the engine prints must have values."""
    problems: list[Problem] = []
    every = set().union(*(set(documents[c].data) for c in found)) if found else set()
    for code, locale in found.items():
        keys = set(documents[code].data)
        missing = sorted(every - keys)
        if missing:
            others = [c for c in found if c != code and set(missing) & set(documents[c].data)]
            problems.append(Problem(f"missing key(s) {', '.join(missing)} (every locale file has the same keys; "
                                    f"see {others[0]}.yaml)", locale.path))
        for key in REQUIRED_KEYS:
            if key in keys and not locale.values.get(key):
                problems.append(Problem(f"{key}: must not be empty", locale.path,
                                        documents[code].line_of([key])))
            elif key not in every:
                problems.append(Problem(f"{key}: required, but missing", locale.path))
    return problems


# -- placeholders and locale-only blocks ---------------------------------------------------------------


def escape_markdown(value: str) -> str:
    """VALUE as Markdown that prints exactly VALUE: every ASCII punctuation mark backslash-escaped."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", value)


def placeholder_problems(text: str, keys: set[str], where: Path, first_line: int) -> list[Problem]:
    """Unknown keys, or anything else between {{ and }}, in TEXT whose first line is FIRST_LINE."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=first_line):
        for match in PLACEHOLDER.finditer(line):
            key = match.group(1).strip()
            if not KEY_PATTERN.match(key):
                problems.append(Problem(f"'{match.group()}' is not a placeholder; write {{{{ key }}}} with a key of "
                                        "content/locales (for example {{ emergency_number }})", where, number))
            elif key not in keys:
                hint = _closest(key, keys)
                problems.append(Problem(f"unknown placeholder {{{{ {key} }}}}{hint}; the keys are in "
                                        "content/locales/*.yaml", where, number))
        rest = PLACEHOLDER.sub("", line)
        if "{{" in rest or "}}" in rest:
            problems.append(Problem("a '{{' or '}}' is not closed; write placeholders as {{ key }}", where, number))
    return problems


def block_problems(body: str, codes: Iterable[str], where: Path, first_line: int) -> list[Problem]:
    """Unknown locale codes, nested, unclosed or stray '::: only' blocks in a section body."""
    known = set(codes)
    problems: list[Problem] = []
    opened: int | None = None
    for number, line in enumerate(body.split("\n"), start=first_line):
        stripped = line.rstrip("\r")
        if match := _BLOCK_OPEN.match(stripped):
            if opened is not None:
                problems.append(Problem(f"'::: only' blocks may not nest; close the block opened on line {opened} "
                                        "with a line ':::' first", where, number))
            opened = number
            listed = match.group(1).split()
            if not listed:
                problems.append(Problem("'::: only' needs one or more locale codes, for example '::: only en-GB'",
                                        where, number))
            for code in listed:
                if code not in known:
                    problems.append(Problem(f"unknown locale '{code}'{_closest(code, known)}; the locales are "
                                            f"{', '.join(sorted(known)) or 'none (content/locales is empty)'}",
                                            where, number))
        elif _BLOCK_CLOSE.match(stripped):
            if opened is None:
                problems.append(Problem("a ':::' line closes no block; remove it, or open one with '::: only en-GB'",
                                        where, number))
            opened = None
        elif stripped.startswith(":::"):
            problems.append(Problem("a line starting ':::' must be '::: only <locales>' or ':::'", where, number))
    if opened is not None:
        problems.append(Problem("this '::: only' block is never closed; add a line ':::' after it", where, opened))
    return problems


def select_lines(body: str, code: str) -> list[tuple[int, str]]:
    """The (0-based line number, line) pairs of BODY that LOCALE keeps; the ':::' lines themselves go."""
    kept: list[tuple[int, str]] = []
    keep = True
    for number, line in enumerate(body.split("\n")):
        stripped = line.rstrip("\r")
        if match := _BLOCK_OPEN.match(stripped):
            keep = code in match.group(1).split()
        elif _BLOCK_CLOSE.match(stripped):
            keep = True
        elif keep:
            kept.append((number, line))
    return kept


def fill(text: str, locale: Locale, markdown: bool) -> str:
    """Replace every {{ key }} with the locale's value (Markdown-escaped when the text is Markdown)."""

    def value(match: re.Match[str]) -> str:
        raw = locale.values[match.group(1).strip()]
        return escape_markdown(raw) if markdown else raw

    return PLACEHOLDER.sub(value, text)


def localise_body(body: str, locale: Locale) -> str:
    """A section body for one locale: other locales' blocks dropped, placeholders filled."""
    return fill("\n".join(line for _n, line in select_lines(body, locale.code)), locale, markdown=True)


def empty_value_problems(body: str, locale: Locale, where: Path, first_line: int) -> list[Problem]:
    """Placeholders that would print nothing for LOCALE (its value is ""): a silent blank is never right."""
    problems = []
    for number, line in select_lines(body, locale.code):
        for match in PLACEHOLDER.finditer(line):
            key = match.group(1).strip()
            if key in locale.values and not locale.values[key]:
                problems.append(Problem(f"{{{{ {key} }}}} is empty for {locale.code}, so the leaflet would print a "
                                        f"blank; put this line in a '::: only' block for the locales that have it",
                                        where, first_line + number))
    return problems


def _closest(name: str, choices: Iterable[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
