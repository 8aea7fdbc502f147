"""What each language has: translated, missing, stale and approved files, and French reading ease.

Used by `leaflets translations [--json]` and by `leaflets check`, which lists every stale translation and
every translated section that reads harder than its language's target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ContentError, LeafletError
from .i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, catalog_path, number_problem
from .layers import file_hash, text_hash
from .library import Library
from .overrides import shown
from .project import find_project
from .readability import plain_sentences
from .translations import TranslatedLibrary, library_for

MIN_READING_EASE = {"fr": 60.0}
"""Kandel-Moles reading ease (Flesch adapted to French: 207 - 1.015 x words/sentence - 73.6 x syllables/word)
a translated section must reach; 60-70 is "standard", 70-80 "fairly easy"."""
MIN_MEAN_READING_EASE = {"fr": 70.0}
"""The mean over a language's sections: most of the text should read as "fairly easy"."""


@dataclass
class Tally:
    """One kind of file (sections, leaflets, glossary terms, drugs) in one language."""

    total: int = 0
    translated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "translated": self.translated, "missing": self.missing, "stale": self.stale,
                "approved": self.approved}


@dataclass
class ReadingEase:
    """A translated section's reading ease against its language's target."""

    id: str
    score: float
    target: float

    @property
    def passed(self) -> bool:
        return self.score >= self.target


@dataclass
class LanguageReport:
    language: str
    kinds: dict[str, Tally]
    reading: list[ReadingEase]
    problems: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language, "name": LANGUAGE_NAMES[self.language],
            **{kind: tally.as_json() for kind, tally in self.kinds.items()},
            "reading_ease": {r.id: r.score for r in self.reading}, "problems": self.problems,
        }


def project_languages(library: Library) -> list[str]:
    """Languages with a translations folder or offered by a site profile (English, the source, excluded)."""
    folders = [content / "translations" for content in library.project.folders("content")]
    found = {p.name for folder in folders if folder.is_dir() for p in folder.iterdir() if p.is_dir()}
    for sid in library.site_ids:
        try:
            found.update(library.site(sid).file.languages)
        except LeafletError:
            continue
    return sorted(code for code in found if code in LANGUAGE_NAMES and code != DEFAULT_LANGUAGE)


def reading_ease(markdown: str, language: str) -> float:
    """textstat's Flesch reading ease with set_lang(LANGUAGE): for French, Kandel and Moles's formula."""
    from textstat.textstat import textstatistics

    scorer = textstatistics()
    scorer.set_lang(language)
    sentences = plain_sentences(markdown)
    return round(float(scorer.flesch_reading_ease(" ".join(sentences))), 1) if sentences else 0.0


def language_report(library: Library, language: str, with_reading: bool = True) -> LanguageReport:
    """Every translatable file of LIBRARY in LANGUAGE, sorted into translated, missing, stale and approved."""
    translated = library_for(library, language)
    assert isinstance(translated, TranslatedLibrary)
    problems = [f"{p}" for p in translated.validate_all()]
    kinds = {"sections": Tally(), "leaflets": Tally(), "glossary": Tally(), "drugs": Tally(), "interface": Tally()}
    reading: list[ReadingEase] = []
    for sid in library.section_ids:
        tally = kinds["sections"]
        tally.total += 1
        path = translated.translated_path(f"sections/{sid}.md")
        if not path.exists():
            tally.missing.append(sid)
            continue
        try:
            section = translated.section(sid)
        except LeafletError:
            continue  # reported in problems
        tally.translated.append(sid)
        if section.stale:
            tally.stale.append(sid)
            problems.append(f"{path}: stale: content/sections/{sid}.md changed since it was translated; update the "
                            f"translation, then set source_hash to {text_hash(library.section(sid).source_text)}")
        elif section.meta.status == "approved":
            tally.approved.append(sid)
        if with_reading and language in MIN_READING_EASE:
            reading.append(ReadingEase(sid, reading_ease(section.body, language), MIN_READING_EASE[language]))
    _tally_recipes(library, translated, kinds["leaflets"], problems)
    _tally_shared(library, translated, kinds, problems)
    _tally_interface(language, kinds["interface"])
    problems.extend(_locale_number_problems(library, language))
    return LanguageReport(language, kinds, reading, problems)


def _tally_recipes(library: Library, translated: TranslatedLibrary, tally: Tally, problems: list[str]) -> None:
    for rid in library.recipe_ids:
        tally.total += 1
        path = translated.translated_path(f"leaflets/{rid}.yaml")
        if not path.exists():
            tally.missing.append(rid)
            continue
        try:
            recipe = translated.recipe(rid)
        except LeafletError:
            continue
        tally.translated.append(rid)
        if recipe.stale:
            tally.stale.append(rid)
            problems.append(f"{path}: stale: content/leaflets/{rid}.yaml changed since it was translated; update "
                            f"the translation, then set source_hash to {text_hash(library.recipe(rid).source_text)}")
        elif _all_approved(translated, recipe.file.sections):
            tally.approved.append(rid)  # a recipe's words have no status: approved when all its sections are


def _all_approved(translated: TranslatedLibrary, section_ids: list[str]) -> bool:
    try:
        sections = [translated.section(s) for s in section_ids]
    except LeafletError:
        return False
    return all(s.meta.status == "approved" and not s.stale for s in sections)


def _tally_shared(library: Library, translated: TranslatedLibrary, kinds: dict[str, Tally],
                  problems: list[str]) -> None:
    """Glossary terms (matched by source_term) and drug rows (by generic), as the English matches them: any case.

    Stale when the English file of the translation's own layer changed, or, entry by entry, when a project
    rewrote an entry in English and its translation is still the built-in one.
    """
    try:
        stale = translated.stale_shared()
        english_terms = [t.term for t in library.glossary]
        french_terms = {t.source_term.lower(): t.source_term for t in translated.glossary_file.terms}
        english_drugs = [d.generic for d in library.drugs]
        french_drugs = {d.generic.lower(): d.generic for d in translated.drugs_file.drugs}
    except LeafletError:
        return
    for kind, english, french in (("glossary", english_terms, french_terms), ("drugs", english_drugs, french_drugs)):
        tally = kinds[kind]
        tally.total = len(english)
        tally.translated = [e for e in english if e.lower() in french]
        tally.missing = [e for e in english if e.lower() not in french]
        own = translated.folder / f"{kind}.yaml"
        if kind in stale:
            tally.stale = list(tally.translated)
            for path, english_file in translated.stale_files(kind):
                problems.append(f"{path}: stale: {shown(english_file, library.project)} changed since it was "
                                f"translated; update it, then set source_hash to {file_hash(english_file)}")
        rewritten = [e for e in english if f"{kind}/{e.lower()}" in stale]
        tally.stale = list(dict.fromkeys([*tally.stale, *rewritten]))
        if rewritten:
            problems.append(f"{own}: stale: {', '.join(rewritten)}: this project's own English "
                            f"(content/{kind}.yaml) is not what the built-in translation translates; translate "
                            f"{'them' if len(rewritten) > 1 else 'it'} here")
        unknown = sorted(name for key, name in french.items() if key not in {e.lower() for e in english})
        if unknown:
            problems.append(f"{own}: translates entries the English does not have: {', '.join(unknown)}")


def _tally_interface(language: str, tally: Tally) -> None:
    """The template strings of the gettext catalog."""
    import polib

    path = catalog_path(language)
    if not path.exists():
        return
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        tally.total += 1
        (tally.translated if entry.translated() else tally.missing).append(entry.msgid)


def _locale_number_problems(library: Library, language: str) -> list[str]:
    """Numbers in the language's locale files (temperatures) must use the language's decimal mark."""
    return [f"{locale.path}: {key}: {problem}" for code, locale in library.locales.by_code.items()
            if code.split("-")[0] == language for key, value in locale.values.items()
            if (problem := number_problem(value, code))]


def reading_problems(report: LanguageReport) -> list[str]:
    """Translated sections, and the language as a whole, that read harder than the targets."""
    code = report.language
    problems = [f"translations/{code}/sections/{r.id}.md: reading ease {r.score} is below {r.target} "
                f"(Kandel-Moles); use shorter sentences and shorter words" for r in report.reading if not r.passed]
    if report.reading and code in MIN_MEAN_READING_EASE:
        mean = round(sum(r.score for r in report.reading) / len(report.reading), 1)
        if mean < MIN_MEAN_READING_EASE[code]:
            problems.append(f"translations/{code}: mean reading ease {mean} is below {MIN_MEAN_READING_EASE[code]}")
    return problems


def translation_reports(root: Path | str | None = None, languages: list[str] | None = None,
                        with_reading: bool = True) -> list[LanguageReport]:
    """One report per language of the project (or per language asked for)."""
    library = Library(find_project(root))
    if problems := library.validate_all():
        raise ContentError(*problems)
    return [language_report(library, code, with_reading) for code in (languages or project_languages(library))]


def report_table(reports: list[LanguageReport]) -> str:
    """`leaflets translations`: one line per language and kind, then what to do about each problem."""
    lines = []
    for report in reports:
        lines.append(f"{LANGUAGE_NAMES[report.language]} ({report.language}), "
                     f"folder {Path('content') / 'translations' / report.language}/")
        for kind, tally in report.kinds.items():
            lines.append(f"  {kind:<10} {len(tally.translated):>3}/{tally.total:<3} translated, "
                         f"{len(tally.missing)} missing, {len(tally.stale)} stale, {len(tally.approved)} approved")
            if tally.missing and kind != "interface":
                lines.append(f"             missing: {', '.join(tally.missing)}")
            if tally.stale:
                lines.append(f"             stale: {', '.join(tally.stale)}")
        lines.extend(f"  {problem}" for problem in report.problems)
    return "\n".join(lines) if lines else "No translations: add content/translations/<lang>/ (see CONTRIBUTING.md)."


def reading_table(report: LanguageReport) -> str:
    """The translated sections' reading ease, for `leaflets check`."""
    code = report.language
    target = MIN_READING_EASE.get(code)
    lines = [f"{LANGUAGE_NAMES[code]} ({code}): Kandel-Moles reading ease (textstat set_lang('{code}'), "
             f"Flesch reading ease); target {target} or above per section, "
             f"{MIN_MEAN_READING_EASE.get(code)} or above on average"]
    for r in report.reading:
        lines.append(f"  {r.id:<36} {r.score:>5.1f}  {'ok' if r.passed else 'FAIL'}")
    stale = report.kinds["sections"].stale + [f"leaflets/{r}" for r in report.kinds["leaflets"].stale]
    lines.append(f"  stale translations: {', '.join(stale) if stale else 'none'}")
    return "\n".join(lines)
