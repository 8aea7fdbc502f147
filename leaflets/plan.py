"""Plan a leaflet: recipe + sections + site + details + print options -> a LeafletPlan, plain data, no I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from . import __version__
from .errors import InputError, Problem
from .i18n import gettext_for
from .library import Library, Recipe, SiteProfile, closest
from .locales import Locale
from .project import Project
from .red_flags import FlagGroup, card_density, compile_red_flags
from .rules import BrokenRule, broken_rules
from .schema import AdHocLeaflet, Details, Drug, GlossaryTerm, SourceRef
from .sections import Section
from .translations import library_for
from .variants import PrintOptions


@dataclass(frozen=True)
class LeafletPlan:
    """Everything a template needs for one leaflet; plain data, no I/O."""

    id: str
    title: str
    subtitle: str | None
    audience: str | None
    intro: str | None
    sections: list[Section]
    site: SiteProfile
    details: Details
    options: PrintOptions
    glossary: list[GlossaryTerm]
    drugs: list[Drug]
    locale: Locale
    red_flags: list[FlagGroup] = field(default_factory=list)
    broken_rules: list[BrokenRule] = field(default_factory=list)
    input_files: list[Path] = field(default_factory=list)
    urgent_first: bool = False
    """Put the urgent box before the contents list (always in large print and booklets; see build.py)."""
    stale: tuple[str, ...] = ()
    """Translated files whose English changed since they were translated (the PDF says so on every page)."""

    @property
    def language(self) -> str:
        return self.options.language

    @property
    def card_density(self) -> str:
        return card_density(self.red_flags)

    @property
    def team_phone(self) -> str | None:
        """The daytime number: typed for this patient, else the site's."""
        return self.details.team_phone or self.site.file.team_phone

    @property
    def emergency_line(self) -> str | None:
        """The 24-hour number, day or night, from the site profile."""
        return self.site.file.out_of_hours_phone

    @property
    def is_draft(self) -> bool:
        return any(s.meta.status != "approved" for s in self.sections)

    @property
    def last_reviewed(self) -> date | None:
        dates = [s.meta.last_reviewed for s in self.sections if s.meta.last_reviewed]
        return min(dates) if dates else None

    @property
    def next_review(self) -> date | None:
        dates = [s.meta.next_review for s in self.sections if s.meta.next_review]
        return min(dates) if dates else None

    @property
    def sources(self) -> list[SourceRef]:
        seen: dict[tuple[str, str, int], SourceRef] = {}
        for section in self.sections:
            for source in section.meta.sources:
                seen.setdefault((source.publisher, source.title, source.year), source)
        return sorted(seen.values(), key=lambda s: (s.publisher.lower(), s.title.lower(), s.year))

    @cached_property
    def content_version(self) -> str:
        """A short hash of everything that shapes the edition (never the personal details)."""
        digest = hashlib.sha256(f"leaflets {__version__}\n{self.options.as_key()}\n".encode())
        for path in self.input_files:
            data = self._site_profile_bytes() if path == self.site.path else path.read_bytes()
            digest.update(str(path.name).encode() + b"\0" + data + b"\0")
        return digest.hexdigest()[:10]

    def _site_profile_bytes(self) -> bytes:
        """The site profile as it shapes the leaflet: its hand-out record settings do not change the edition."""
        return self.site.file.model_dump_json(exclude={"record"}).encode()


GLOSSARY_MATCHES = 64
"""Leaflet texts whose glossary terms a library remembers (each a few KB of text)."""


def _glossary_for(library: Library, text: str) -> list[GlossaryTerm]:
    matches = library.glossary_matches
    if text not in matches:
        if len(matches) >= GLOSSARY_MATCHES:
            matches.clear()
        matches[text] = _terms_used(library.glossary, text)
    return matches[text]


def _terms_used(terms: list[GlossaryTerm], text: str) -> list[GlossaryTerm]:
    used = []
    for term in terms:
        words = [term.term, *term.also]
        pattern = r"\b(" + "|".join(re.escape(w) for w in words) + r")\b"
        if re.search(pattern, text, re.IGNORECASE):
            used.append(term)
    return sorted(used, key=lambda t: t.term.lower())


def slugify(title: str) -> str:
    """A safe file name from a title: lowercase ASCII letters, digits and hyphens."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "leaflet"


def asset_files(project: Project) -> list[Path]:
    """The templates, styles and fonts a leaflet can use; the web page's own files are not among them."""
    files = []
    for folder in (*project.folders("templates"), *project.folders("styles")):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            parts = path.relative_to(folder).parts
            if path.is_file() and "__pycache__" not in parts and parts[0] != "web" and not path.name.startswith("web"):
                files.append(path)
    return files


def ad_hoc_head(
    section_ids: list[str] | None, title: str | None, language: str,
) -> tuple[str, list[str], dict[str, str | None]]:
    """An ad hoc leaflet's id, sections and cover words, checked by the one ad hoc model (Easy Read's too)."""
    ad_hoc = AdHocLeaflet.checked(section_ids or [], title)
    title = ad_hoc.title or gettext_for(language, "Information for you")
    return slugify(title), list(ad_hoc.sections), dict(title=title, subtitle=None, audience=None, intro=None)


def checked_ad_hoc(library: Library, section_ids: list[str] | None, title: str | None) -> AdHocLeaflet:
    """An ad hoc leaflet's sections and title, checked; an unknown section id is the user's mistake."""
    ad_hoc = AdHocLeaflet.checked(section_ids or [], title)
    unknown = [sid for sid in ad_hoc.sections if sid not in library.section_ids]
    if unknown:
        hint = closest(unknown[0], library.section_ids)
        raise InputError(Problem(f"unknown section '{unknown[0][:80]}'{hint}", field="sections"))
    return ad_hoc


def plan_leaflet(
    library: Library,
    recipe: Recipe | None,
    section_ids: list[str] | None = None,
    title: str | None = None,
    site_id: str | None = None,
    details: Details | None = None,
    options: PrintOptions | None = None,
) -> LeafletPlan:
    """Gather and check everything one leaflet needs, before any rendering starts."""
    details = details or Details()
    options = options or PrintOptions()
    if options.variant == "easy-read":  # its own words: content/easy-read/ (see easyread.py)
        from .editions import plan_easy_read_one

        return plan_easy_read_one(library, recipe.id if recipe else None, section_ids, title, site_id, details,
                                  options)
    library = library_for(library, options.language)
    recipe = library.recipe(recipe.id) if recipe is not None else None
    site = library.site(site_id)
    options = options.with_site_paper(site.file.paper)
    locale = library.locale(site)
    if recipe is not None:
        sections = library.sections_of(recipe)
        rid, file = recipe.id, recipe.file
        head = dict(title=file.title, subtitle=file.subtitle, audience=file.audience, intro=file.intro)
        recipe_files = [recipe.path]
    else:
        ad_hoc = checked_ad_hoc(library, section_ids, title)
        sections = library.sections(ad_hoc.sections)
        title = ad_hoc.title or gettext_for(options.language, "Information for you")
        rid = slugify(title)
        head = dict(title=title, subtitle=None, audience=None, intro=None)
        recipe_files = []
    sections = [s.for_locale(locale) for s in sections]
    text = " ".join(s.plain_text for s in sections)
    drug_types = {t for s in sections for t in s.meta.drug_table}
    inputs = [*recipe_files, *(s.path for s in sections), *library.shared_files(), *asset_files(library.project)]
    inputs += [p for p in (recipe.source_path if recipe else None, *(s.source_path for s in sections)) if p]
    stale = [f"leaflets/{rid}" for _ in [1] if recipe is not None and recipe.stale]
    stale += [f"sections/{s.id}" for s in sections if s.stale] + library.stale_shared()
    if site.path is not None:
        inputs.append(site.path)
    return LeafletPlan(
        id=rid,
        sections=sections,
        site=site,
        details=details,
        options=options,
        glossary=_glossary_for(library, text),
        drugs=[d for d in library.drugs_for(locale) if d.type in drug_types],
        locale=locale,
        red_flags=compile_red_flags(sections),
        broken_rules=broken_rules([s.id for s in sections], library.rules),
        input_files=inputs,
        stale=tuple(stale),
        **head,
    )
