"""Translated content, tied to the English it was made from.

Layout (CONTRIBUTING.md): content/translations/<lang>/sections/<id>.md, leaflets/<id>.yaml, glossary.yaml
and drugs.yaml. Each translated section and recipe records the hash of the English file it translates
(`source_hash`); when the English changes, the translation is stale: `leaflets check` lists it, the PDF says
so on every page, and `--approved-only` refuses it.

Translations are layered like the English: a project's own content/translations/<lang>/ file wins, else the
built-in one is used; each is checked against the English actually in use. A glossary or drug entry a project
rewrote in English but whose translation is still the built-in one is stale until the project translates it.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path

from pydantic import Field

from .errors import ContentError, InputError, Problem
from .i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, catalog_path, check_language, typeset
from .layers import BUILT_IN, file_hash, text_hash
from .library import DRUG_TEXT_FIELDS, Library, Recipe, SiteProfile
from .locales import Locale, fill
from .project import Project
from .readers import load_yaml_mapping
from .schema import Drug, GlossaryTerm, SectionMeta, ShortText, TeachBackQuestion, _Strict, validate
from .sections import Section, load_section

HashText = Field(pattern=r"^[0-9a-f]{12}$", description="the first 12 hex digits of the English file's sha256")


class TranslationInfo(_Strict):
    """Which English text a translation was made from, and who made it."""

    source_hash: str = HashText
    translator: ShortText


class TranslatedSectionMeta(SectionMeta):
    """The front matter of a translated section: the English keys, translated, plus `translation`."""

    translation: TranslationInfo


class RecipeTranslationFile(_Strict):
    """content/translations/<lang>/leaflets/<id>.yaml: the recipe's words; its sections are the English list."""

    title: ShortText
    subtitle: str | None = Field(default=None, max_length=300)
    audience: str | None = Field(default=None, max_length=300)
    intro: str | None = Field(default=None, max_length=4000)
    teach_back: list[TeachBackQuestion] = Field(
        default_factory=list, max_length=6, description="the English questions, translated, in the same order"
    )
    source_hash: str = HashText
    translator: ShortText


class TranslatedTerm(GlossaryTerm):
    source_term: ShortText


class TranslatedGlossaryFile(_Strict):
    terms: list[TranslatedTerm] = Field(default_factory=list)
    source_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{12}$")


class TranslatedDrug(_Strict):
    """A drug table row's words; `generic` is the English key, `name` the drug's name in this language."""

    generic: ShortText
    name: str | None = Field(default=None, max_length=300, description="the generic name as this language writes it")
    brand: str | None = Field(default=None, max_length=100)
    given: ShortText
    use: str | None = Field(default=None, max_length=300)


class TranslatedDrugsFile(_Strict):
    drugs: list[TranslatedDrug] = Field(default_factory=list)
    source_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{12}$")


def translation_folder(project: Project, language: str) -> Path:
    """content/translations/<LANGUAGE> in the first content layer that has it (the project's own by default)."""
    folders = [folder / "translations" / language for folder in project.folders("content")]
    return next((folder for folder in folders if folder.is_dir()), folders[0])


def library_for(library: Library, language: str) -> Library:
    """LIBRARY in LANGUAGE: the English library itself, or its translation (one per library and language)."""
    if check_language(language) == DEFAULT_LANGUAGE or library.language == language:
        return library
    cache = library.__dict__.setdefault("_translated", {})
    if language not in cache:
        cache[language] = TranslatedLibrary(library, language)
    return cache[language]


def locale_code_for(site: SiteProfile, language: str) -> str:
    """The locale of SITE's leaflets in LANGUAGE: the same country (fr for en-CA gives fr-CA)."""
    if language == DEFAULT_LANGUAGE:
        return site.file.locale
    country = site.file.locale.partition("-")[2]
    return f"{language}-{country}" if country else language


def check_site_language(site: SiteProfile, language: str) -> None:
    """Refuse a language the site profile does not offer, naming the ones it does."""
    check_language(language)
    if language not in site.file.languages:
        offered = ", ".join(site.file.languages)
        where = f"{site.path}: " if site.path else ""
        raise InputError(f"{where}site profile '{site.id}' does not offer {LANGUAGE_NAMES.get(language, language)} "
                         f"('{language}'); its languages are: {offered} (add it to 'languages:' in the profile)")


class TranslatedLibrary(Library):
    """The content of a project in another language, each file checked against the English it translates."""

    def __init__(self, english: Library, language: str) -> None:
        super().__init__(english.project)
        self.english = english
        self.language = language
        self.folder = translation_folder(english.project, language)

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES[self.language]

    def translated_path(self, relative: str) -> Path:
        """The translation file RELATIVE (sections/<id>.md): the project's own if it has one, else a lower layer's."""
        paths = [folder / "translations" / self.language / relative for folder in self.project.folders("content")]
        return next((path for path in paths if path.is_file()), paths[0])

    def section(self, sid: str) -> Section:
        if sid not in self._sections:
            english = self.english.section(sid)
            path = self.translated_path(f"sections/{sid}.md")
            if not path.is_file():
                raise ContentError.at(path, f"section '{sid}' has no {self.name} translation yet; translate "
                                      f"content/sections/{sid}.md into this file ('leaflets translations' lists "
                                      "what is missing)")
            section = load_section(path, self.locales, meta_model=TranslatedSectionMeta)
            meta = section.meta
            meta = meta.model_copy(update={
                "title": typeset(meta.title, self.language),
                "summary": typeset(meta.summary, self.language) if meta.summary else None,
                "red_flags": [f.model_copy(update={"symptom": typeset(f.symptom, self.language)})
                              for f in meta.red_flags],
            })
            stale = meta.translation.source_hash != text_hash(english.source_text)
            self._sections[sid] = dataclasses.replace(
                section, meta=meta, body=typeset(section.body, self.language), source_path=english.path, stale=stale
            )
        return self._sections[sid]

    def recipe(self, rid: str) -> Recipe:
        if rid not in self._recipes:
            english = self.english.recipe(rid)
            path = self.translated_path(f"leaflets/{rid}.yaml")
            if not path.is_file():
                raise ContentError.at(path, f"leaflet '{rid}' has no {self.name} translation yet; translate the "
                                      f"title, subtitle, audience and intro of content/leaflets/{rid}.yaml here")
            words = validate(RecipeTranslationFile, load_yaml_mapping(path))
            update: dict[str, object] = {key: typeset(getattr(words, key), self.language) if getattr(words, key)
                                         else None for key in ("title", "subtitle", "audience", "intro")}
            if len(words.teach_back) != len(english.file.teach_back):  # a nurse must never get half the questions
                raise ContentError.at(path, f"teach_back: has {len(words.teach_back)} questions; the English has "
                                      f"{len(english.file.teach_back)}: translate each one, in the same order")
            update["teach_back"] = [typeset(q, self.language) for q in words.teach_back]
            self._recipes[rid] = Recipe(
                rid, path, english.file.model_copy(update=update), source_path=english.path,
                stale=words.source_hash != text_hash(english.source_text),
            )
        return self._recipes[rid]

    def site(self, site_id: str | None) -> SiteProfile:
        return self.english.site(site_id)

    def locale(self, site: SiteProfile) -> Locale:
        """The locale of the site's country in this language (fr-CA for a Canadian site), typeset."""
        check_site_language(site, self.language)
        code = locale_code_for(site, self.language)
        if code not in self.locales.by_code:
            raise ContentError.at(site.path or self.project.content / "locales",
                                  f"{self.name} leaflets for this site need content/locales/{code}.yaml")
        locale = self.locales.by_code[code]
        return dataclasses.replace(locale, values={k: typeset(v, self.language) for k, v in locale.values.items()})

    def shared_layers(self, name: str) -> list[tuple[str, Path, Path]]:
        """Each layer's translation of NAME (glossary.yaml, drugs.yaml), built-in first, with that layer's English."""
        found = []
        for layer, folder in zip(self.project.layers, self.project.folders("content"), strict=True):
            path = folder / "translations" / self.language / name
            if path.is_file():
                found.append((layer.name, path, folder / name))
        return found[::-1]

    @cached_property
    def glossary_layers(self) -> list[tuple[str, TranslatedGlossaryFile]]:
        return [(layer, validate(TranslatedGlossaryFile, load_yaml_mapping(path)))
                for layer, path, _ in self.shared_layers("glossary.yaml")]

    @cached_property
    def drugs_layers(self) -> list[tuple[str, TranslatedDrugsFile]]:
        return [(layer, validate(TranslatedDrugsFile, load_yaml_mapping(path)))
                for layer, path, _ in self.shared_layers("drugs.yaml")]

    @cached_property
    def glossary_file(self) -> TranslatedGlossaryFile:
        """Every layer's translated terms by English term, a project's own winning (as in the English)."""
        merged = {t.source_term.lower(): t for _, file in self.glossary_layers for t in file.terms}
        return TranslatedGlossaryFile(terms=list(merged.values()))

    @cached_property
    def glossary(self) -> list[GlossaryTerm]:
        return [GlossaryTerm(term=typeset(t.term, self.language), also=[typeset(a, self.language) for a in t.also],
                             meaning=typeset(t.meaning, self.language)) for t in self.glossary_file.terms]

    @cached_property
    def drugs_file(self) -> TranslatedDrugsFile:
        """Every layer's translated rows by English generic name, a project's own winning (as in the English)."""
        merged = {d.generic.lower(): d for _, file in self.drugs_layers for d in file.drugs}
        return TranslatedDrugsFile(drugs=list(merged.values()))

    def drugs_for(self, locale: Locale) -> list[Drug]:
        """The drug table rows in this language: the English row's type, the translated words."""
        words = {d.generic.lower(): d for d in self.drugs_file.drugs}
        missing = [d.generic for d in self.english.drugs if d.generic.lower() not in words]
        if missing:
            raise ContentError.at(self.folder / "drugs.yaml", f"no {self.name} text for: {', '.join(missing)}")
        rows = []
        for drug in self.english.drugs:
            text = words[drug.generic.lower()]
            values = {"generic": text.name or text.generic, **{n: getattr(text, n) for n in DRUG_TEXT_FIELDS[1:]}}
            filled = {n: typeset(fill(v, locale, markdown=False), self.language) if v else None
                      for n, v in values.items()}
            rows.append(drug.model_copy(update=filled))
        return rows

    def stale_shared(self) -> list[str]:
        """Shared translations out of step with the English in use: a file whose own layer's English changed
        ("drugs"), and each entry a project rewrote in English but whose translation is the built-in one
        ("drugs/nivolumab")."""
        stale = [name for name in ("glossary", "drugs") if self.stale_files(name)]
        return stale + [f"{kind}/{key}" for kind, key in self.stale_entries()]

    def stale_files(self, name: str) -> list[tuple[Path, Path]]:
        """(translation, English) of each layer whose translation of NAME (glossary, drugs) records an older
        hash of the English file beside it, in the same layer."""
        layers = dict(self.glossary_layers if name == "glossary" else self.drugs_layers)
        return [(path, english) for layer, path, english in self.shared_layers(f"{name}.yaml")
                if layers[layer].source_hash and english.is_file()
                and layers[layer].source_hash != file_hash(english)]

    def stale_entries(self) -> list[tuple[str, str]]:
        """(glossary or drugs, key) of entries whose English is a project's own but whose translation is built-in."""
        translated_in = {
            "glossary": {t.source_term.lower(): layer for layer, file in self.glossary_layers for t in file.terms},
            "drugs": {d.generic.lower(): layer for layer, file in self.drugs_layers for d in file.drugs},
        }
        origins = {"glossary": self.english.glossary_origins, "drugs": self.english.drug_origins}
        return [(kind, key) for kind, entries in origins.items() for key, (_, origin, _) in entries.items()
                if origin != BUILT_IN and translated_in[kind].get(key) == BUILT_IN]

    def shared_files(self) -> list[Path]:
        files = [path for name in ("glossary.yaml", "drugs.yaml") for _, path, _ in self.shared_layers(name)]
        return [*self.english.shared_files(), *files, catalog_path(self.language)]

    def validate_all(self) -> list[Problem]:
        """Every translated file that exists, checked; missing ones are reported by 'leaflets translations'."""
        problems: list[Problem] = []
        loaders = [
            *(lambda s=s: self.section(s) for s in self.english.section_ids
              if self.translated_path(f"sections/{s}.md").exists()),
            *(lambda r=r: self.recipe(r) for r in self.english.recipe_ids
              if self.translated_path(f"leaflets/{r}.yaml").exists()),
            lambda: self.glossary,
            lambda: self.drugs_file,
        ]
        for load in loaders:
            try:
                load()
            except (ContentError, InputError) as exc:
                problems.extend(p for p in exc.problems if p not in problems)
        return problems
