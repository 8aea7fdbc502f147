"""The content library of a project: sections, recipes, site profiles, glossary, drugs and sets."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import ContentError, InputError, LeafletError, Problem
from .layers import BUILT_IN, Item, origin_of
from .locales import Locale, Locales, fill, load_locales, placeholder_problems
from .project import Project
from .readers import load_yaml_mapping, read_text
from .rules import broken_rules, load_rules
from .schema import (
    Drug,
    DrugsFile,
    GlossaryFile,
    GlossaryTerm,
    RecipeFile,
    SafetyRule,
    SetFile,
    SiteFile,
    validate,
)
from .sections import Section, load_section, section_id

DEFAULT_SITE = "default"
DRUG_TEXT_FIELDS = ("generic", "brand", "given", "use")


@dataclass(frozen=True)
class Recipe:
    """A leaflet: a title and the ids of its sections, in order."""

    id: str
    path: Path
    file: RecipeFile
    source_path: Path | None = None
    """For a translation: the English recipe it translates."""
    stale: bool = False
    """For a translation: the English recipe has changed since it was translated."""

    @property
    def source_text(self) -> str:
        """The file's text as written, which a translation's source_hash records."""
        return read_text(self.path)


@dataclass(frozen=True)
class SiteProfile:
    """The organisation a leaflet is printed for."""

    id: str
    path: Path | None
    file: SiteFile

    @property
    def content_dir(self) -> Path | None:
        """The content/ folder the profile was found in: its logo is relative to it."""
        return self.path.parent.parent if self.path is not None else None


@dataclass(frozen=True)
class LeafletSet:
    """A batch manifest: which leaflets, variants and papers to build together."""

    id: str
    path: Path
    file: SetFile


def closest(name: str, choices: list[str]) -> str:
    """A 'did you mean' hint for an unknown id, or an empty string."""
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


class Library:
    """Loads content files on demand, each once, and reports unknown ids with the closest names."""

    language = "en"

    def __init__(self, project: Project) -> None:
        self.project = project
        self._sections: dict[str, Section] = {}
        self._recipes: dict[str, Recipe] = {}
        self._sites: dict[str, SiteProfile] = {}
        self._items: dict[tuple[str, str], dict[str, Item]] = {}

    # -- listing -------------------------------------------------------------------------------------
    def items(self, folder: str, suffix: str) -> dict[str, Item]:
        """Every item in content/FOLDER across the layers, by id: the first layer that has an id wins."""
        if (folder, suffix) in self._items:
            return self._items[folder, suffix]
        found: dict[str, list[tuple[str, Path]]] = {}
        for layer, content in zip(self.project.layers, self.project.folders("content"), strict=True):
            directory = content / folder
            if directory.is_dir():
                for path in sorted(directory.glob(f"*{suffix}")):
                    if path.is_file():
                        found.setdefault(section_id(path), []).append((layer.name, path))
        items = {}
        for item_id, places in sorted(found.items()):
            builtin = next((p for name, p in places if name == BUILT_IN), None)
            items[item_id] = Item(folder, item_id, places[0][1], origin_of([n for n, _ in places]), builtin)
        self._items[folder, suffix] = items
        return items

    def _ids(self, folder: str, suffix: str) -> list[str]:
        return list(self.items(folder, suffix))

    def _path(self, folder: str, item_id: str, suffix: str) -> Path:
        return self.items(folder, suffix)[item_id].path

    @cached_property
    def section_ids(self) -> list[str]:
        return self._ids("sections", ".md")

    @cached_property
    def recipe_ids(self) -> list[str]:
        return self._ids("leaflets", ".yaml")

    @cached_property
    def site_ids(self) -> list[str]:
        return self._ids("sites", ".yaml")

    # -- single items --------------------------------------------------------------------------------
    def section(self, sid: str) -> Section:
        if sid not in self._sections:
            if sid not in self.section_ids:
                raise InputError(f"unknown section '{sid}'{closest(sid, self.section_ids)}")
            self._sections[sid] = load_section(self._path("sections", sid, ".md"), self.locales)
        return self._sections[sid]

    def recipe(self, rid: str) -> Recipe:
        if rid not in self._recipes:
            if rid not in self.recipe_ids:
                hint = closest(rid, self.recipe_ids)
                raise InputError(f"unknown leaflet '{rid}'{hint}; 'leaflets list' shows them all")
            path = self._path("leaflets", rid, ".yaml")
            document = load_yaml_mapping(path)
            recipe = Recipe(rid, path, validate(RecipeFile, document))
            missing = [s for s in recipe.file.sections if s not in self.section_ids]
            if missing:
                raise ContentError(
                    *(
                        Problem(f"unknown section '{s}'{closest(s, self.section_ids)}", path,
                                document.line_of(["sections", recipe.file.sections.index(s)]))
                        for s in missing
                    )
                )
            broken = broken_rules(recipe.file.sections, self.rules)
            if broken:
                line = document.line_of(["sections"])
                raise ContentError(*(Problem(f"breaks a safety rule: it {b.message()}", path, line) for b in broken))
            self._recipes[rid] = recipe
        return self._recipes[rid]

    def sections_of(self, recipe: Recipe) -> list[Section]:
        """Load a recipe's sections, reporting every broken one at once."""
        return self.sections(recipe.file.sections)

    def sections(self, ids: list[str]) -> list[Section]:
        problems: list[Problem] = []
        found: list[Section] = []
        for sid in ids:
            try:
                found.append(self.section(sid))
            except LeafletError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ContentError(*problems)
        return found

    def site(self, site_id: str | None) -> SiteProfile:
        site_id = site_id or self.project.default_site or DEFAULT_SITE
        if site_id not in self._sites:
            if site_id not in self.site_ids:
                if site_id == DEFAULT_SITE:
                    return SiteProfile(DEFAULT_SITE, None, SiteFile(name="Your cancer care team"))
                raise InputError(f"unknown site profile '{site_id}'{closest(site_id, self.site_ids)}")
            path = self._path("sites", site_id, ".yaml")
            document = load_yaml_mapping(path)
            site = SiteProfile(site_id, path, validate(SiteFile, document))
            if site.file.locale not in self.locales.by_code:
                raise ContentError.at(path, self._unknown_locale(site.file.locale), document.line_of(["locale"]))
            if site.file.logo:
                try:
                    content = path.parent.parent.resolve()
                    logo = (content / site.file.logo).resolve()
                    usable = logo.is_relative_to(content) and logo.is_file()
                except (OSError, RuntimeError, ValueError):
                    raise ContentError.at(path, f"logo: {site.file.logo} cannot be read",
                                          document.line_of(["logo"])) from None
                if not usable:
                    raise ContentError.at(path, f"logo: {site.file.logo} is not a file under content/",
                                          document.line_of(["logo"]))
            self._sites[site_id] = site
        return self._sites[site_id]

    def _layered_entries(self, name: str) -> list[tuple[str, Path]]:
        """The layers' copies of a shared file (glossary.yaml, drugs.yaml), built-in first."""
        found = [(layer.name, folder / name)
                 for layer, folder in zip(self.project.layers, self.project.folders("content"), strict=True)]
        return [(layer, path) for layer, path in reversed(found) if path.exists()]

    @cached_property
    def glossary_origins(self) -> dict[str, tuple[GlossaryTerm, str, GlossaryTerm | None]]:
        """Every glossary term by its lowercase name: the entry in use, its origin, the built-in original."""
        return merge_entries(
            [(layer, validate(GlossaryFile, load_yaml_mapping(path)).terms)
             for layer, path in self._layered_entries("glossary.yaml")],
            key=lambda term: term.term.lower(),
        )

    @cached_property
    def drug_origins(self) -> dict[str, tuple[Drug, str, Drug | None]]:
        """Every drug by its lowercase generic name: the entry in use, its origin, the built-in original."""
        return merge_entries(
            [(layer, validate(DrugsFile, load_yaml_mapping(path)).drugs)
             for layer, path in self._layered_entries("drugs.yaml")],
            key=lambda drug: drug.generic.lower(),
        )

    @cached_property
    def locales(self) -> Locales:
        """The country facts: a project's own content/locales/ replaces the built-in set whole."""
        return load_locales(self._content_folder_with("locales"))

    def _content_folder_with(self, name: str) -> Path:
        """The first content folder (the project's own, then the built-in one) that has NAME."""
        folders = self.project.folders("content")
        return next((folder for folder in folders if (folder / name).exists()), folders[0])

    def locale(self, site: SiteProfile) -> Locale:
        """The country facts a site's leaflets are written with."""
        code = site.file.locale
        if code not in self.locales.by_code:
            raise ContentError.at(site.path or self.project.content / "locales", self._unknown_locale(code))
        return self.locales.by_code[code]

    def _unknown_locale(self, code: str) -> str:
        return (f"locale: unknown locale '{code}'{closest(code, self.locales.codes)}; add "
                f"content/locales/{code}.yaml or use one of: {self.locales.known_codes_hint()}")

    @cached_property
    def rules(self) -> list[SafetyRule]:
        """The safety rules: a project's own content/rules.yaml replaces the built-in rules whole."""
        return load_rules(self._content_folder_with("rules.yaml"), self.section_ids)

    @cached_property
    def glossary(self) -> list[GlossaryTerm]:
        return [entry for entry, _, _ in self.glossary_origins.values()]

    @cached_property
    def glossary_matches(self) -> dict[str, list[GlossaryTerm]]:
        """The glossary terms a leaflet's text uses, by text: every row of a batch plans the same leaflet again."""
        return {}

    @cached_property
    def drugs(self) -> list[Drug]:
        """The drug table rows; their text may use {{ key }} placeholders (brand names differ by country)."""
        problems = []
        for _, path in self._layered_entries("drugs.yaml"):
            document = load_yaml_mapping(path)
            problems += [
                Problem(p.message, path, document.line_of(["drugs", index, name]))
                for index, drug in enumerate(validate(DrugsFile, document).drugs)
                for name in DRUG_TEXT_FIELDS
                for p in placeholder_problems(getattr(drug, name) or "", self.locales.keys, path, 0)
            ]
        drugs = [entry for entry, _, _ in self.drug_origins.values()]
        if problems:
            raise ContentError(*problems)
        return drugs

    def drugs_for(self, locale: Locale) -> list[Drug]:
        """The drug table rows as LOCALE's readers see them."""
        return [
            drug.model_copy(update={n: fill(getattr(drug, n), locale, markdown=False) or None
                                    if n in ("brand", "use") else fill(getattr(drug, n), locale, markdown=False)
                                    for n in DRUG_TEXT_FIELDS if getattr(drug, n)})
            for drug in self.drugs
        ]

    def stale_shared(self) -> list[str]:
        """Shared files whose translation is out of date: none, in the language the content is written in."""
        return []

    def shared_files(self) -> list[Path]:
        """Content files every leaflet may depend on (glossary, drugs, safety rules, locales), in every layer."""
        names = ("glossary.yaml", "drugs.yaml", "rules.yaml")
        files = [path for name in names for _, path in self._layered_entries(name)]
        return [*files, *sorted(self._content_folder_with("locales").glob("*.yaml"))]

    def leaflet_set(self, path: Path) -> LeafletSet:
        document = load_yaml_mapping(path, InputError if not path.exists() else ContentError)
        file = validate(SetFile, document)
        if file.site is None:  # the project's own site profile, else the generic one
            file = file.model_copy(update={"site": self.project.default_site or DEFAULT_SITE})
        leaflet_set = LeafletSet(section_id(path), path, file)
        if leaflet_set.file.leaflets != "all":
            unknown = [r for r in leaflet_set.file.leaflets if r not in self.recipe_ids]
            if unknown:
                raise ContentError(
                    *(Problem(f"unknown leaflet '{r}'{closest(r, self.recipe_ids)}", path,
                              document.line_of(["leaflets", leaflet_set.file.leaflets.index(r)])) for r in unknown)
                )
        return leaflet_set

    def set_leaflets(self, leaflet_set: LeafletSet) -> list[str]:
        chosen = leaflet_set.file.leaflets
        return list(self.recipe_ids) if chosen == "all" else list(chosen)

    def _locale_problems(self, sid: str) -> None:
        """A section must print no blank for any locale."""
        section = self.section(sid)
        problems = [p for code in self.locales.codes for p in section.locale_problems(self.locales.by_code[code])]
        if problems:
            raise ContentError(*problems)

    def validate_all(self) -> list[Problem]:
        """Load every file, collecting all problems instead of stopping at the first."""
        problems: list[Problem] = []
        loaders = [
            lambda: self.locales,
            lambda: self.rules,
            lambda: self.project.settings,
            *(lambda s=s: self.section(s) for s in self.section_ids),
            *(lambda s=s: self._locale_problems(s) for s in self.section_ids),
            *(lambda r=r: self.sections_of(self.recipe(r)) for r in self.recipe_ids),
            *(lambda s=s: self.site(s) for s in self.site_ids),
            lambda: self.glossary,
            lambda: self.drugs,
        ]
        for load in loaders:
            try:
                load()
            except LeafletError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
        return problems


def merge_entries(layers: list[tuple[str, Any]], key: Callable[[Any], str]) -> dict[str, tuple[Any, str, Any]]:
    """Entries of a shared file from each layer (built-in first): a later entry with the same key replaces."""
    merged: dict[str, tuple[Any, str, Any]] = {}
    for layer, entries in layers:
        for entry in entries:
            earlier = merged.get(key(entry))
            builtin = earlier[2] if earlier else None
            if layer == BUILT_IN:
                merged[key(entry)] = (entry, BUILT_IN, entry)
            else:
                merged[key(entry)] = (entry, origin_of([layer, BUILT_IN] if builtin else [layer]), builtin)
    return merged
