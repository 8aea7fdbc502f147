"""Name the field whose characters no font can print, so a leaflet never goes out with empty boxes."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import ContentError, InputError, LeafletError, Problem
from .plan import LeafletPlan
from .project import Project

_PRINTED = "Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari, Chinese, Japanese and Korean"
_CJK = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC", "HALFWIDTH", "FULLWIDTH")


def script_names(characters: Iterable[str]) -> str:
    """Which writing systems CHARACTERS belong to, in words (never the characters themselves)."""
    names = []
    for char in sorted(characters):
        name = unicodedata.name(char, "")
        if name.startswith(_CJK):
            label = "Chinese, Japanese or Korean"
        elif unicodedata.category(char) in ("Co", "Cn"):
            label = "private-use or unassigned"
        elif unicodedata.category(char) == "So" or not name:
            label = "emoji or symbols"
        else:
            label = name.split()[0].capitalize()
        if label not in names:
            names.append(label)
    return ", ".join(names[:4])


def _fix(scripts: str) -> str:
    """What to do about characters in SCRIPTS that would print as empty boxes."""
    why = "no font here can print them (they would show as empty boxes)"
    if "Chinese" in scripts:
        return f"{why}: run scripts/setup.sh, which installs fonts-noto-cjk, or write it in Latin letters"
    return f"{why}: write it in Latin letters; leaflets can print {_PRINTED}"


def _content_fields(plan: LeafletPlan, project: Project) -> Iterator[tuple[str, Path | str | None, str]]:
    """Every content text in the leaflet: (key, file, text)."""
    recipe = next((p for p in plan.input_files if p.parent.name == "leaflets"), "--title")
    for key in ("title", "subtitle", "audience", "intro"):
        yield key, recipe, getattr(plan, key) or ""
    for key, value in plan.site.file.model_dump().items():
        yield key, plan.site.path, str(value or "")
    for section in plan.sections:
        yield "title", section.path, section.meta.title
        yield "text", section.path, " ".join([str(section.meta.model_dump()), section.body])
    for term in plan.glossary:
        yield "terms", project.content / "glossary.yaml", " ".join([term.term, *term.also, term.meaning])
    for drug in plan.drugs:
        yield "drugs", project.content / "drugs.yaml", " ".join(str(v or "") for v in drug.model_dump().values())


def missing_glyphs_error(plan: LeafletPlan, project: Project, characters: frozenset[str]) -> LeafletError:
    """An error naming the detail or content file that holds CHARACTERS, which would print as empty boxes."""
    for key, value in plan.details.present().items():
        found = {c for c in characters if c in value}
        if found:  # never the characters themselves: they are a patient's details
            scripts = script_names(found)
            return InputError(Problem(f"{key}: has {scripts} characters; {_fix(scripts)}"))
    for key, where, text in _content_fields(plan, project):
        found = sorted(c for c in characters if c in text)
        if found:
            points = " ".join(f"U+{ord(c):04X}" for c in found[:5])
            scripts = script_names(found)
            return ContentError(Problem(f"{key}: has characters ({points}, {scripts}); {_fix(scripts)}", where))
    points = " ".join(f"U+{ord(c):04X}" for c in sorted(characters)[:5])
    return ContentError(f"the leaflet has characters ({points}); {_fix(script_names(characters))}")
