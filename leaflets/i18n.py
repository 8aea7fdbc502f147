"""Languages: gettext catalogs for the fixed words of leaflets (Babel), local dates and numbers, French typography.

The fixed strings of the templates ("Page 1 of 8", "Words we use", the contact box, the card) are marked
for gettext in templates/ and extracted with pybabel (babel.cfg). Each language's catalog is a .po file in
leaflets/locale/<lang>/LC_MESSAGES/leaflets.po, compiled in memory when first used, so nothing needs to be
compiled or downloaded, from a checkout or from a wheel.
"""

from __future__ import annotations

import gettext
import io
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from .errors import InputError

LANGUAGE_NAMES = {"en": "English", "fr": "français"}
"""The languages a leaflet can be written in, each named in its own language."""
DEFAULT_LANGUAGE = "en"
CATALOGS = Path(__file__).resolve().parent / "locale"
DOMAIN = "leaflets"

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
_SPACE_BEFORE_COLON = re.compile(r"(?<=\S)[ \u00a0\u202f]:(?=\s|$)")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\S)[ \u00a0\u202f]([;!?])")
_OPEN_QUOTE = re.compile(r"«[ \u00a0\u202f]?")
_CLOSE_QUOTE = re.compile(r"[ \u00a0\u202f]?»")
_STRAIGHT_QUOTES = re.compile(r'"([^"\n]+)"')
_DEGREES = re.compile(r"(\d)[ \u202f]?°")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


def check_language(code: str) -> str:
    """CODE if leaflets can be written in it; otherwise a one-line error naming the choices."""
    if code not in LANGUAGE_NAMES:
        raise InputError(f"unknown language '{code}': choose one of {', '.join(LANGUAGE_NAMES)}")
    return code


def babel_locale(locale_code: str) -> str:
    """A locale code as Babel writes it (fr-CA -> fr_CA)."""
    return locale_code.replace("-", "_")


def french_spacing(text: str) -> str:
    """French typography: « » with no-break spaces, a no-break space before : ; ! ? and before °, and ’."""
    text = _APOSTROPHE.sub("’", text)
    text = _STRAIGHT_QUOTES.sub(lambda m: f"«{NBSP}{m.group(1)}{NBSP}»", text)
    text = _OPEN_QUOTE.sub(f"«{NBSP}", text)
    text = _CLOSE_QUOTE.sub(f"{NBSP}»", text)
    text = _SPACE_BEFORE_COLON.sub(f"{NBSP}:", text)
    text = _SPACE_BEFORE_PUNCT.sub(lambda m: NARROW_NBSP + m.group(1), text)
    return _DEGREES.sub(lambda m: f"{m.group(1)}{NBSP}°", text)


_TAG = re.compile(r"(<[^<>]*>)")


def typeset(text: str, language: str) -> str:
    """TEXT with the typography of LANGUAGE (French spacing; English is left as it is); HTML tags in the web
    page's strings (<a href="...">) are left as they are."""
    if language != "fr":
        return text
    if "<" not in text:
        return french_spacing(text)
    return "".join(part if _TAG.fullmatch(part) else french_spacing(part) for part in _TAG.split(text))


class _TypesetTranslations(gettext.GNUTranslations):
    """A catalog whose translated strings come back with their language's typography."""

    language = DEFAULT_LANGUAGE

    def gettext(self, message: str) -> str:
        return typeset(super().gettext(message), self.language)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return typeset(super().ngettext(singular, plural, n), self.language)


def catalog_path(language: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    """The gettext catalog of LANGUAGE, compiled from its .po file in memory (English needs none)."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalog_path(check_language(language))
    if not path.is_file():
        raise InputError(f"{path}: no catalog of interface strings for '{language}'")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    compiled = _TypesetTranslations(buffer)
    compiled.language = language
    return compiled


def gettext_for(language: str, message: str) -> str:
    """MESSAGE in LANGUAGE, for the few strings built in Python (the draft mark, the page numbers)."""
    return translations(language).gettext(message)


def pgettext_for(language: str, context: str, message: str) -> str:
    """MESSAGE in LANGUAGE where the same English word needs different words in other languages (au foie, le foie)."""
    return translations(language).pgettext(context, message)


def format_date(day: date, locale_code: str, pattern: str) -> str:
    """A date written the way the locale writes it (Babel's CLDR data: 2 décembre 2026)."""
    from babel.dates import format_date as babel_date

    return babel_date(day, format=pattern, locale=babel_locale(locale_code))


def number_problem(value: str, locale_code: str) -> str | None:
    """Why a locale value that is a decimal number (a temperature) does not use its locale's decimal mark."""
    from babel.numbers import get_decimal_symbol

    match = re.fullmatch(r"\d+([.,])\d+", value)
    symbol = get_decimal_symbol(babel_locale(locale_code))
    if match and match.group(1) != symbol:
        fixed = value.replace(match.group(1), symbol)
        return f"'{value}' is a number: {locale_code} writes it with '{symbol}' ({fixed})"
    return None
