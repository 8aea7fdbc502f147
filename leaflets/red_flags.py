"""Red flags: the symptoms that mean "get help now", compiled from a leaflet's own sections.

Each section declares its red flags in front matter (symptom and urgency). A leaflet lists them once
each, most urgent first, in its "Get help straight away if..." box and on its cut-out card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .sections import Section

URGENCIES = ("ambulance", "24-hour-line", "team-today")
"""Most urgent first: the order of the groups in the box and on the card."""

CARD_DENSITY_LIMITS = ((1000, "roomy"), (1250, "normal"), (1600, "compact"))
"""Characters of symptom text a card holds at each type size; more than the last is 'dense'."""


@dataclass(frozen=True)
class CompiledFlag:
    """One symptom as the leaflet prints it, and the sections that named it."""

    symptom: str
    section_ids: tuple[str, ...]


@dataclass(frozen=True)
class FlagGroup:
    """The symptoms of one urgency, in the order the leaflet's sections give them."""

    urgency: str
    flags: tuple[CompiledFlag, ...]


def _key(symptom: str) -> str:
    """Two wordings that differ only in capitals, spaces or final punctuation are the same symptom."""
    return re.sub(r"\s+", " ", symptom).strip().rstrip(".;,:!").casefold()


def compile_red_flags(sections: Sequence[Section]) -> list[FlagGroup]:
    """Every red flag of SECTIONS once, at its most urgent level, grouped most urgent first."""
    best: dict[str, tuple[int, str, list[str]]] = {}
    order: list[str] = []
    for section in sections:
        for flag in section.meta.red_flags:
            key = _key(flag.symptom)
            level = URGENCIES.index(flag.urgency)
            if key not in best:
                best[key] = (level, flag.symptom.strip(), [section.id])
                order.append(key)
                continue
            old_level, symptom, ids = best[key]
            if section.id not in ids:
                ids.append(section.id)
            if level < old_level:
                best[key] = (level, symptom, ids)
    groups = []
    for level, urgency in enumerate(URGENCIES):
        flags = tuple(CompiledFlag(best[k][1], tuple(best[k][2])) for k in order if best[k][0] == level)
        if flags:
            groups.append(FlagGroup(urgency, flags))
    return groups


def card_density(groups: Sequence[FlagGroup]) -> str:
    """How tightly the cut-out card must set its text so that every red flag fits on it."""
    size = sum(len(f.symptom) + 12 for g in groups for f in g.flags) + 60 * len(groups)
    return next((name for limit, name in CARD_DENSITY_LIMITS if size <= limit), "dense")
