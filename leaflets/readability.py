"""Readability scores for section text, so writers and `leaflets check` measure the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .markdown import parse

_SENTENCE_END = re.compile(r"[.!?:]$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’-]*")


@dataclass(frozen=True)
class Readability:
    """The scores `leaflets check` reports for one piece of text."""

    grade: float
    words: int
    sentences: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0


def plain_sentences(markdown: str) -> list[str]:
    """Return the prose of a Markdown body as sentences; headings are left out, list items count as sentences."""
    tokens = parse(markdown)
    blocks: list[str] = []
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and not in_heading:
            text = " ".join(
                child.content for child in (token.children or []) if child.type in ("text", "code_inline")
            ).strip()
            text = re.sub(r"\s+", " ", text)
            if text:
                blocks.append(text if _SENTENCE_END.search(text) else text + ".")
    sentences: list[str] = []
    for block in blocks:
        sentences.extend(part for part in _SENTENCE_SPLIT.split(block) if _WORD.search(part))
    return sentences


def score(markdown: str) -> Readability:
    """Score Markdown prose with the Flesch-Kincaid grade (textstat's syllable counts, offline)."""
    import textstat  # imported here: it loads the CMU dictionary, which `leaflets list` does not need

    sentences = plain_sentences(markdown)
    words = sum(len(_WORD.findall(s)) for s in sentences)
    if not sentences or not words:
        return Readability(grade=0.0, words=0, sentences=0)
    syllables = sum(textstat.syllable_count(w) for s in sentences for w in _WORD.findall(s))
    grade = 0.39 * words / len(sentences) + 11.8 * syllables / words - 15.59
    return Readability(grade=round(grade, 1), words=words, sentences=len(sentences))
