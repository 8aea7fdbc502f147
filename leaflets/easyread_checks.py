"""`leaflets check` for Easy Read: grade 4 or below, sentences of 15 words or fewer, hard words explained."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .easyread import easy_read_content, easy_read_folder, easy_read_ids, icons_folder, load_easy_read
from .errors import LeafletError

if TYPE_CHECKING:  # pragma: no cover
    from .checks import SectionReport
    from .library import Library

MAX_EASY_READ_GRADE = 4.0
MAX_EASY_READ_WORDS = 15
_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F][A-Za-z0-9\u00C0-\u024F'’-]*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def check_easy_read(
    library: Library, copied_runs: set[tuple[str, ...]] | None = None
) -> list[SectionReport]:
    """One report row per Easy Read section, named easy-read/<id>."""
    from .checks import SHARED_RUN, SectionReport, _review_state, _shingles, medical_words
    from .readability import score
    from .readers import today

    content, icons = easy_read_content(library.project), icons_folder(library.project)
    reports = []
    for sid in easy_read_ids(content):
        name = f"easy-read/{sid}"
        try:
            section = load_easy_read(easy_read_folder(content) / f"{sid}.md", icons)
        except LeafletError as exc:
            reports.append(SectionReport(id=name, grade=0.0, words_per_sentence=0.0,
                                         problems=[str(p) for p in exc.problems]))
            continue
        rows = [row.plain for row in section.rows]
        readability = score("\n\n".join(rows))
        report = SectionReport(id=name, grade=readability.grade,
                               words_per_sentence=round(readability.words_per_sentence, 1),
                               sources=len(section.meta.sources))
        report.review, review_problem = _review_state(section, today())  # type: ignore[arg-type]
        if readability.grade > MAX_EASY_READ_GRADE:
            report.problems.append(f"Easy Read grade {readability.grade} is above {MAX_EASY_READ_GRADE}")
        for row in section.rows:
            for sentence in _SENTENCE.split(row.plain):
                if len(_WORD.findall(sentence)) > MAX_EASY_READ_WORDS:
                    report.problems.append(
                        f"line {row.line}: a sentence of {len(_WORD.findall(sentence))} words; Easy Read sentences "
                        f"have {MAX_EASY_READ_WORDS} words or fewer"
                    )
        report.problems.extend(_unexplained(section, medical_words))
        if review_problem:
            report.problems.append(review_problem)
        if not section.meta.sources:
            report.problems.append("no sources listed")
        if copied_runs and (shared := _shingles(" ".join(rows), SHARED_RUN) & copied_runs):
            report.copied = sorted(" ".join(run) for run in shared)[:3]
            report.problems.append(f"shares wording with a source page: '{report.copied[0]}'")
        reports.append(report)
    return reports


def _unexplained(section: object, medical_words: object) -> list[str]:
    """Hard words must be in **bold** the first time they appear (and that row says what they mean)."""
    problems = []
    seen: set[str] = set()
    for row in section.rows:  # type: ignore[attr-defined]
        bold = {w.lower() for phrase in _BOLD.findall(row.text) for w in _WORD.findall(phrase)}
        for word in sorted(medical_words(row.plain)):  # type: ignore[operator]
            if word not in seen and word not in bold:
                problems.append(f"line {row.line}: '{word}' is a hard word; put it in **bold** the first time "
                                "and say what it means")
            seen.add(word)
        seen |= bold
    return problems
