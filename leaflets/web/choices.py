"""The leaflets, sections and sites the pages and the API offer: content only, no patient details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import LeafletError
from ..library import Library, closest
from .responses import ApiError


@dataclass
class LeafletChoice:
    """One leaflet as the list page and the API show it: no patient details."""

    id: str
    title: str
    subtitle: str | None
    audience: str | None
    sections: list[str]
    draft: bool
    easy_read: bool = False
    """There is an Easy Read version: the page offers that layout and the API takes variant 'easy-read'."""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "subtitle": self.subtitle, "audience": self.audience,
                "sections": self.sections, "draft": self.draft, "easy_read": self.easy_read}

    @property
    def search_text(self) -> str:
        return " ".join(filter(None, [self.title, self.subtitle, self.id.replace("-", " ")])).lower()


def easy_read_leaflets(library: Library) -> set[str]:
    """The leaflets with an Easy Read version (their own Easy Read recipe, or every section in Easy Read)."""
    from ..listing import easy_read_listing

    try:
        return {item["id"] for item in easy_read_listing(library)}
    except LeafletError:  # a broken Easy Read file: `leaflets check` names it; the page offers no Easy Read
        return set()


def leaflet_choices(library: Library) -> tuple[list[LeafletChoice], list[str]]:
    """Every usable leaflet, and one line for each that cannot be loaded."""
    easy_read = easy_read_leaflets(library)
    choices: list[LeafletChoice] = []
    problems: list[str] = []
    for rid in library.recipe_ids:
        try:
            recipe = library.recipe(rid)
            sections = library.sections_of(recipe)
        except LeafletError as exc:
            problems.append(f"{rid}: {exc.problems[0].text}")
            continue
        file = recipe.file
        choices.append(LeafletChoice(rid, file.title, file.subtitle, file.audience, list(file.sections),
                                     any(s.meta.status != "approved" for s in sections), rid in easy_read))
    choices.sort(key=lambda c: c.title.lower())
    return choices, problems


def matches(choice_text: str, query: str) -> bool:
    """Every word of the query appears in the text (the JS filter does the same)."""
    return all(word in choice_text for word in query.lower().split())


def section_choices(library: Library, language: str = "en") -> tuple[list[dict[str, Any]], list[str]]:
    """Every section that can be read, titled in LANGUAGE where it is translated (else in English)."""
    sections: list[dict[str, Any]] = []
    problems: list[str] = []
    for sid in library.section_ids:
        try:
            meta = library.section(sid).meta
        except LeafletError as exc:
            problems.append(f"{sid}: {exc.problems[0].text}")
            continue
        shown = _translated_meta(library, sid, language) or meta
        sections.append({"id": sid, "title": shown.title, "summary": shown.summary, "status": meta.status,
                         "tags": list(meta.tags)})
    sections.sort(key=lambda s: s["title"].lower())
    return sections, problems


def _translated_meta(library: Library, sid: str, language: str) -> Any:
    """The translated section's title and summary, or None where it is not translated (or cannot be read)."""
    if language == "en":
        return None
    from ..translations import library_for

    try:
        return library_for(library, language).section(sid).meta
    except LeafletError:
        return None


def site_choices(library: Library) -> list[dict[str, Any]]:
    default = library.site(None)  # the project's own site profile, else the generic one
    sites: list[dict[str, Any]] = [{"id": default.id, "name": default.file.name, "paper": default.file.paper,
                                    "languages": default.file.languages}]
    for sid in library.site_ids:
        if sid == default.id:
            continue
        try:
            site = library.site(sid)
        except LeafletError:
            continue
        sites.append({"id": sid, "name": site.file.name, "paper": site.file.paper, "languages": site.file.languages})
    return sites


LANGUAGE_LABELS = {"en": "English", "fr": "Français (French)"}
"""Each language named in its own words (and in English for French), the same on an English or a French page."""


def language_choices(sites: list[dict[str, Any]]) -> dict[str, str]:
    """The languages any site offers, for the form's language choice (none shown when there is only one)."""
    offered = dict.fromkeys(code for site in sites for code in site.get("languages", ["en"]))
    return {code: LANGUAGE_LABELS.get(code, code) for code in offered} if len(offered) > 1 else {}


def find_choice(library: Library, rid: str) -> LeafletChoice:
    if rid not in library.recipe_ids:
        raise ApiError(404, f"there is no leaflet called '{rid[:80]}'{closest(rid, library.recipe_ids)}")
    recipe = library.recipe(rid)
    sections = library.sections_of(recipe)
    file = recipe.file
    return LeafletChoice(rid, file.title, file.subtitle, file.audience, list(file.sections),
                         any(s.meta.status != "approved" for s in sections), rid in easy_read_leaflets(library))


def in_language(library: Library, choice: LeafletChoice, language: str) -> LeafletChoice:
    """CHOICE with its title and subtitle in LANGUAGE where the leaflet is translated (else as it is)."""
    from dataclasses import replace

    from ..translations import library_for

    if language == "en":
        return choice
    try:
        file = library_for(library, language).recipe(choice.id).file
    except LeafletError:
        return choice
    return replace(choice, title=file.title, subtitle=file.subtitle, audience=file.audience)
