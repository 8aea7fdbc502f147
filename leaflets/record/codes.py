"""Find leaflets by diagnosis (ICD-10 codes, matched by prefix) or by words in their titles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..library import Library

_CODE_LIKE = re.compile(r"^[A-Za-z][0-9]{2}(\.?[0-9A-Za-z]{0,4})$")
_WORD = re.compile(r"[a-z0-9]+")


def normalise_code(code: str) -> str:
    """C79.51, c7951 and ' C79.51 ' all become C7951: codes compare without dots, spaces or case."""
    return code.strip().upper().replace(".", "")


def is_code(text: str) -> bool:
    """True if TEXT looks like an ICD-10 code (a letter, two digits, then up to four more characters)."""
    return bool(_CODE_LIKE.match(text.strip()))


def check_codes(codes: list[str]) -> list[str]:
    """The codes, each checked; a typing mistake is one clear error naming the code."""
    wrong = [c for c in codes if not is_code(c)]
    if wrong:
        raise InputError(*(f"'{c[:20]}' is not an ICD-10 code: codes look like C64 or C79.51" for c in wrong))
    if not codes:
        raise InputError("give at least one ICD-10 code, for example: leaflets suggest C79.51")
    return [c.strip() for c in codes]


@dataclass(frozen=True)
class Suggestion:
    """One leaflet that fits what was asked for, with why it fits."""

    id: str
    title: str
    subtitle: str | None
    codes: tuple[str, ...]
    matched: tuple[str, ...] = ()
    score: tuple[int, ...] = field(default=(), compare=False)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "subtitle": self.subtitle, "icd10": list(self.codes),
                "matched": list(self.matched)}


def _code_match(query: str, recipe_code: str) -> int:
    """How closely a recipe code fits a query code: the length of their shared prefix, or 0.

    C79.51 fits the recipe's C79.5 (a more exact diagnosis of the same kind); C79 fits C79.5 and
    C79.3 (a broader one). A query at least as exact as the recipe's code scores a little higher.
    """
    q, r = normalise_code(query), normalise_code(recipe_code)
    if q.startswith(r):
        return 2 * len(r) + 1
    if r.startswith(q):
        return 2 * len(q)
    return 0


def suggest_leaflets(library: Library, codes: list[str]) -> list[Suggestion]:
    """The leaflets whose ICD-10 codes fit CODES, best first.

    Best means: fits more of the codes given; then fits them more exactly; then the code is the
    leaflet's main diagnosis (its first code); then by title.
    """
    codes = check_codes(list(codes))
    found = []
    for rid in library.recipe_ids:
        recipe = library.recipe(rid).file
        matched: list[str] = []
        closeness = main = 0
        for query in codes:
            fits = [(_code_match(query, c), i, c) for i, c in enumerate(recipe.icd10)]
            best = max(fits, default=(0, 0, ""))
            if best[0]:
                matched.append(best[2])
                closeness += best[0]
                main += best[1] == 0
        if matched:
            score = (len(matched), closeness, main)
            found.append(Suggestion(rid, recipe.title, recipe.subtitle, tuple(recipe.icd10), tuple(matched), score))
    return sorted(found, key=lambda s: (tuple(-n for n in s.score), s.title.lower()))


def search_leaflets(library: Library, text: str) -> list[Suggestion]:
    """What a nurse typed in the web page's filter: codes match by prefix, words match titles.

    Every word must start a word of the leaflet's title or subtitle ("bone" finds "bones");
    an empty search gives every leaflet, in title order.
    """
    tokens = text.split()
    codes = [t for t in tokens if is_code(t)]
    words = [w for t in tokens if not is_code(t) for w in _WORD.findall(t.lower())]
    if codes:
        candidates = suggest_leaflets(library, codes)
    else:
        candidates = sorted(
            (Suggestion(r, library.recipe(r).file.title, library.recipe(r).file.subtitle,
                        tuple(library.recipe(r).file.icd10)) for r in library.recipe_ids),
            key=lambda s: s.title.lower(),
        )
    return [s for s in candidates if _has_words(s, words)]


def _has_words(suggestion: Suggestion, words: list[str]) -> bool:
    title_words = _WORD.findall(f"{suggestion.title} {suggestion.subtitle or ''}".lower())
    return all(any(t.startswith(w) for t in title_words) for w in words)


def teach_back_questions(library: Library, leaflet_id: str) -> list[str]:
    """The questions a nurse asks after giving this leaflet, to check it was understood."""
    return list(library.recipe(leaflet_id).file.teach_back)


def suggestion_lines(suggestions: list[Suggestion], codes: list[str]) -> list[str]:
    """What `leaflets suggest` prints: one line per leaflet, best first."""
    if not suggestions:
        return [f"No leaflet is marked with {', '.join(codes)}. 'leaflets list' shows them all."]
    width = max(len(s.id) for s in suggestions)
    return [f"{s.id.ljust(width)}  {s.title}  (fits {', '.join(s.matched)})" for s in suggestions]
