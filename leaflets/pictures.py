"""Which picture goes with what: body-part icons for section headings, route icons for the drug table.

The icons themselves are Health Icons SVG files in styles/icons/ (see its README); templates show them as
CSS background images (artifacts in the PDF, aria-hidden in HTML), always beside words that say the same.
"""

from __future__ import annotations

import re
from typing import Protocol

BODY_PARTS: dict[str, str] = {"kidney": "kidneys", "bone": "bones", "lung": "lungs", "liver": "liver", "brain": "brain"}
"""Tag (or word in a section id) -> the place's name in captions and alt text."""
PLACES_OF_SPREAD = ("lung", "liver", "bone", "brain")
"""Where kidney cancer most often spreads (Cancer Research UK, Advanced kidney cancer, 2016), in diagram order."""

_ROUTES = {"tablet": "tablet", "drip": "drip", "injection": "injection", "comprimé": "tablet", "perfusion": "drip"}
"""A word in the drug table's 'how it is given' (English or French, singular) -> its icon."""


class _Tagged(Protocol):
    id: str

    @property
    def meta(self): ...  # noqa: ANN201 - SectionMeta, kept loose so tests can pass simple objects


def body_part(section: _Tagged) -> str | None:
    """The one body part a section is about (from its tags or its id), or None if it is about several or none."""
    tagged = [t for t in section.meta.tags if t in BODY_PARTS]
    if len(tagged) == 1:
        return tagged[0]
    if not tagged:
        named = [p for p in BODY_PARTS if re.search(rf"(^|-){p}s?(-|$)", section.id)]
        if len(named) == 1:
            return named[0]
    return None


def route_icon(given: str) -> str | None:
    """The icon for how a drug is given (tablet, drip, injection), or None when the table says 'ask your team'."""
    words = re.findall(r"\w+", given.lower())
    for word in words:
        if word.rstrip("s") in _ROUTES:
            return _ROUTES[word.rstrip("s")]
    return None
