"""Which characters may be printed: no controls, no invisible marks that reorder or hide text.

A leaflet is read on paper, where an invisible character cannot be seen or fixed. A right-to-left
mark before a phone number prints "0800 123 456" as "456 123 0800"; a tag character carries hidden
text; a zero-width space splits a number where no one sees it. So every text that can reach a
leaflet (personal details, CSV cells, the web form and API, site profiles, recipes, sections) is
checked here, and a problem names the character by its code point, never the text around it.

Kept on purpose, because real writing needs them: zero-width joiner and non-joiner between letters
(Devanagari, Persian, emoji sequences), variation selectors (emoji, Chinese and Japanese name
variants), the combining grapheme joiner (Hebrew), soft hyphens and the visible Arabic number signs.
"""

from __future__ import annotations

import re
import unicodedata

_C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
CONTROL = re.compile(f"[{_C0_C1}\u2028\u2029]")
"""C0 and C1 controls (tab, newline and carriage return are fine) and the Unicode line separators."""
SURROGATE = re.compile(r"[\ud800-\udfff]")
DIRECTION = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u206a-\u206f]")
"""Bidirectional marks, embeddings, overrides and isolates, and the deprecated digit-shaping controls."""
_JOINERS = "\u200c\u200d"
_ALLOWED_FORMAT = frozenset("\u00ad\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u08e2\U000110bd\U000110cd")
"""Format characters (category Cf) that are visible or harmless: soft hyphen, Arabic and Kaithi number signs."""
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0")
"""Hangul fillers and Khmer inherent vowels: letters in name only, printed as nothing."""
_RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})


def _name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '').lower()}".rstrip()


def _hides_text(text: str, index: int) -> bool:
    """Whether the character at INDEX is invisible and not needed by the writing around it."""
    char = text[index]
    if char in _INVISIBLE_LETTERS:
        return True
    if unicodedata.category(char) != "Cf" or char in _ALLOWED_FORMAT:
        return False
    if char in _JOINERS:  # a joiner only means something between two letters, marks or symbols
        before = text[index - 1] if index > 0 else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        return not all(unicodedata.category(c)[0] in "LMS" or c in _JOINERS for c in (before, after))
    return True


def find_problem(text: str, keep_form_feed: bool = False) -> tuple[int, str] | None:
    """The index of the first character in TEXT that cannot be printed, and why (naming no part of the text)."""
    for index, char in enumerate(text):
        if CONTROL.match(char) and not (keep_form_feed and char == "\x0c"):
            return index, "contains control characters (invisible characters pasted from another program); retype it"
        if char.isascii():
            continue
        if SURROGATE.match(char):
            return index, "contains characters that are not valid Unicode text; retype it"
        if DIRECTION.match(char):
            return index, (f"contains an invisible text-direction character ({_name(char)}), which can print text "
                           "in a different order than it was typed (a phone number's digits reversed); delete it")
        if _hides_text(text, index):
            return index, (f"contains an invisible character ({_name(char)}), which could hide or split text on "
                           "the printed page; delete it")
    return None


def character_problem(text: str) -> str | None:
    """Why TEXT cannot be printed in a leaflet (one phrase, naming no part of the text), or None."""
    found = find_problem(text)
    return None if found is None else found[1]


def phone_problem(text: str) -> str | None:
    """Why TEXT cannot be printed as a phone number: right-to-left letters or digits reorder its digits."""
    if any(unicodedata.bidirectional(c) in _RIGHT_TO_LEFT for c in text):
        return ("contains right-to-left letters or Arabic-Indic digits, which print a phone number's digits in "
                "a different order; write the number with the digits 0-9 (and + ( ) - spaces)")
    return None
