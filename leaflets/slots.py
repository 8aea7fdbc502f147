"""The fixed-size slots for personal details (cover, notes): how many rows, how small, and whether they fit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .schema import Details

COVER_FIELDS = ("patient_name", "prepared_by", "team_name", "team_phone", "next_appointment")
"""The details shown on the cover, one row each; notes go on the notes page."""
SLOT_CLASS = "personal-slot"
LAST_FIT = 3
"""slot-fit-1 and -2 set the details smaller inside the fixed slot; slot-fit-3 lets the slot grow instead."""


@dataclass(frozen=True)
class CoverSlot:
    """The slots' shape: the cover slot's height comes from ROWS only; FIT is the text-size step in every slot."""

    rows: int
    fit: int = 0

    @property
    def fixed(self) -> bool:
        """True while the slot keeps its fixed height (so pages without details can be reused)."""
        return self.fit < LAST_FIT


def cover_slot(details: Details, fit: int = 0) -> CoverSlot | None:
    """The slots these details need (rows 0: notes only), or None when no detail was given."""
    rows = sum(1 for name in COVER_FIELDS if getattr(details, name))
    return CoverSlot(rows, fit) if details.printed() else None


TEAM_FIELDS = ("team_name", "team_phone")
"""Details about the team, not the patient: the same for every patient of a team, printed outside the slots
(the urgent box, contact box and card), so the generic layout keeps their real values."""


def stand_ins(details: Details, letter: str = "x") -> Details:
    """Details of the same shape (the same fields given) with a one-letter value for each patient detail
    and the team's real name and phone: the generic layout's."""
    return Details(**{name: getattr(details, name) if name in TEAM_FIELDS else letter for name in details.printed()})


def slot_overflows(document: Any) -> bool:
    """True when a laid-out slot's text is taller than the slot (it would overlap what follows)."""
    for page in document.pages:
        for box in walk(page._page_box):
            if SLOT_CLASS in _classes(box):
                content = sum(child.margin_height() for child in getattr(box, "children", ()))
                if content > box.height + 0.01:
                    return True
    return False


def walk(box: Any) -> Iterator[Any]:
    """Every box under BOX, depth first, in drawing order."""
    yield box
    for child in getattr(box, "children", ()):
        yield from walk(child)


def _classes(box: Any) -> tuple[str, ...]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) != "div":
        return ()
    return tuple((element.get("class") or "").split())
