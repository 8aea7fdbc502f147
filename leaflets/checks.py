"""Content checks for governance: reading level, glossary coverage, review dates, sources, originality."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .easyread_checks import check_easy_read
from .errors import ContentError, InputError
from .library import Library
from .locales import localise_body
from .project import find_project
from .readability import Readability, score
from .readers import load_yaml_mapping, today
from .sections import Section
from .translation_report import LanguageReport, language_report, project_languages, reading_problems

MAX_GRADE = 8.0
"""Flesch-Kincaid grade a section may not exceed (UK reading age 9-11 is about US grade 4-6; 8 is the ceiling)."""
MAX_MEAN_GRADE = 6.0
"""The mean over all sections: most of the text should read at UK reading age 9-11."""
DUE_SOON_DAYS = 90
MAX_REVIEW_YEARS = 3
SHARED_RUN = 8
"""A run of this many words shared with a source page counts as copied."""

MEDICAL_WORDS_FILE = Path(__file__).parent / "data" / "medical-words.yaml"
"""The editorial word lists: which words look medical and so need a glossary entry."""
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]")


@dataclass
class SectionReport:
    """One row of the `leaflets check` table."""

    id: str
    grade: float
    words_per_sentence: float
    missing_terms: list[str] = field(default_factory=list)
    review: str = "ok"
    sources: int = 0
    copied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class CheckReport:
    sections: list[SectionReport]
    mean_grade: float
    problems: list[str]
    translations: list[LanguageReport] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and all(s.passed for s in self.sections)


@lru_cache(maxsize=1)
def _word_lists() -> dict[str, tuple[str, ...]]:
    data = load_yaml_mapping(MEDICAL_WORDS_FILE).data
    return {key: tuple(str(word) for word in data[key]) for key in ("suffixes", "prefixes", "words", "common")}


def medical_words(text: str) -> set[str]:
    """Words that look medical and so need a glossary entry."""
    lists = _word_lists()
    found = set()
    for word in _WORD.findall(text):
        lower = word.lower()
        if lower in lists["common"]:
            continue
        if (
            lower in lists["words"]
            or any(lower.endswith(s) and len(lower) > len(s) + 2 for s in lists["suffixes"])
            or any(lower.startswith(p) for p in lists["prefixes"])
        ):
            found.add(lower)
    return found


def _glossary_words(library: Library) -> set[str]:
    words: set[str] = set()
    for term in library.glossary:
        for phrase in (term.term, *term.also):
            words.update(w.lower() for w in _WORD.findall(phrase))
    for drug in library.drugs:
        for name in (drug.generic, drug.brand or ""):
            words.update(w.lower() for w in _WORD.findall(name))
    return words


def _review_state(section: Section, on: dt.date) -> tuple[str, str | None]:
    meta = section.meta
    if not meta.last_reviewed or not meta.next_review:
        return "no dates", "last_reviewed and next_review are required"
    if meta.next_review > meta.last_reviewed.replace(year=meta.last_reviewed.year + MAX_REVIEW_YEARS):
        return "too far", f"next_review is more than {MAX_REVIEW_YEARS} years after last_reviewed"
    if meta.next_review < on:
        return "overdue", f"review was due on {meta.next_review.isoformat()}"
    if (meta.next_review - on).days <= DUE_SOON_DAYS:
        return "due soon", None
    return "ok", None


def _shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'", ""))
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def source_shingles(sources_dir: Path) -> set[tuple[str, ...]]:
    """Every run of SHARED_RUN words in the source pages; a missing folder is an input error, not a pass."""
    if not sources_dir.is_dir():
        raise InputError(f"{sources_dir}: the sources folder does not exist")
    runs: set[tuple[str, ...]] = set()
    for path in sorted(sources_dir.glob("*")):
        if path.is_file() and path.suffix in (".txt", ".md") and path.name != "README.md":
            runs |= _shingles(path.read_text("utf-8", errors="replace"), SHARED_RUN)
    return runs


def hardest_reading(section: Section, library: Library) -> Readability:
    """The section's score as printed for each country (list items count as sentences); the hardest one."""
    locales = library.locales.by_code.values()
    scores = [score(localise_body(section.body, locale)) for locale in locales] or [score(section.body)]
    return max(scores, key=lambda r: r.grade)


def check_content(
    root: Path | str | None = None, sources_dir: Path | None = None, on: dt.date | None = None
) -> CheckReport:
    """Check every section against the writing and governance standards."""
    library = Library(find_project(root))
    problems = library.validate_all()
    if problems:
        raise ContentError(*problems)
    on = on or today()
    known = _glossary_words(library)
    copied_runs = source_shingles(sources_dir) if sources_dir else set()
    reports = []
    for sid in library.section_ids:
        section = library.section(sid)
        readability = hardest_reading(section, library)
        missing = sorted(w for w in medical_words(section.plain_text) if w not in known)
        review, review_problem = _review_state(section, on)
        report = SectionReport(
            id=sid, grade=readability.grade, words_per_sentence=round(readability.words_per_sentence, 1),
            missing_terms=missing, review=review, sources=len(section.meta.sources),
        )
        if readability.grade > MAX_GRADE:
            report.problems.append(f"grade {readability.grade} is above {MAX_GRADE}")
        if missing:
            report.problems.append(f"not in the glossary: {', '.join(missing)}")
        if review_problem:
            report.problems.append(review_problem)
        if not section.meta.sources:
            report.problems.append("no sources listed")
        if copied_runs:
            shared = _shingles(section.body, SHARED_RUN) & copied_runs
            report.copied = sorted(" ".join(run) for run in shared)[:3]
            if shared:
                report.problems.append(f"shares wording with a source page: '{report.copied[0]}'")
        reports.append(report)
    standard = list(reports)
    reports.extend(check_easy_read(library, copied_runs))
    mean = round(sum(r.grade for r in standard) / len(standard), 2) if standard else 0.0
    overall = []
    if mean > MAX_MEAN_GRADE:
        overall.append(f"mean grade {mean} is above {MAX_MEAN_GRADE}")
    text = " ".join(library.section(s).plain_text for s in library.section_ids)
    for term in library.glossary:
        phrases = [term.term, *term.also]
        if not re.search(r"\b(" + "|".join(re.escape(p) for p in phrases) + r")\b", text, re.IGNORECASE):
            overall.append(f"glossary term '{term.term}' is not used by any section")
    from .overrides import find_overrides

    overall.extend(problem for override in find_overrides(library) if (problem := override.problem()))
    translations = [language_report(library, code) for code in project_languages(library)]
    for language in translations:
        overall.extend(language.problems + reading_problems(language))
    return CheckReport(sections=reports, mean_grade=mean, problems=overall, translations=translations)
