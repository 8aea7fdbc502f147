"""The "where the cancer is" diagram: a body outline with the kidneys and the leaflet's places highlighted.

Drawn here as SVG from data (no image files), so it is crisp at any size; its caption and alt text come from
the same data, so the words always match the picture. Greyscale-safe: the kidneys are solid, the places of
spread are hatched with a heavy outline, and everything else is a light outline.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from .i18n import DEFAULT_LANGUAGE, gettext_for, pgettext_for
from .pictures import PLACES_OF_SPREAD, body_part

FONT = "Atkinson Hyperlegible, Noto Sans, sans-serif"
BODY_FILL, BODY_LINE = "#eef2f4", "#5f6d76"
QUIET_FILL, QUIET_LINE = "#ffffff", "#a3b0b8"
KIDNEY_FILL = "#0b4f6c"
SPREAD_FILL, SPREAD_LINE = "#f6c08a", "#8a1c1c"

# The body, as shapes drawn twice (outline pass, then fill pass) so their union has one clean outline.
_BODY = [
    '<circle cx="95" cy="34" r="22"/>',
    '<rect x="84" y="50" width="22" height="22" rx="6"/>',
    '<path d="M52 84 Q52 70 68 68 L122 68 Q138 70 138 84 L134 192 Q134 212 120 214 L70 214 Q56 212 56 192 Z"/>',
    '<path d="M54 78 Q40 82 38 100 L30 196 Q30 204 37 204 Q43 204 44 196 L54 112 Z"/>',
    '<path d="M136 78 Q150 82 152 100 L160 196 Q160 204 153 204 Q147 204 146 196 L136 112 Z"/>',
    '<path d="M58 198 L94 198 L92 300 Q92 308 82 308 Q72 308 72 300 Z"/>',
    '<path d="M132 198 L96 198 L98 300 Q98 308 108 308 Q118 308 118 300 Z"/>',
]
# Each place: the shapes that draw it, and the point its label line starts from.
_PLACES: dict[str, tuple[list[str], tuple[float, float]]] = {
    "brain": (['<path d="M79 34 Q78 17 95 16 Q112 17 111 34 Q110 45 95 45 Q80 45 79 34 Z"/>'], (111, 30)),
    "lung": ([
        '<path d="M91 80 Q76 78 70 96 Q65 116 68 134 Q80 138 91 130 Z"/>',
        '<path d="M99 80 Q114 78 120 96 Q125 116 122 134 Q110 138 99 130 Z"/>',
    ], (121, 104)),
    "liver": (['<path d="M62 142 Q70 134 100 136 Q106 138 102 146 Q92 160 70 162 Q60 160 62 142 Z"/>'], (101, 144)),
    "kidney": ([
        '<path d="M77 164 Q68 166 68 178 Q69 190 78 190 Q84 189 82 182 Q80 177 84 172 Q86 165 77 164 Z"/>',
        '<path d="M113 164 Q122 166 122 178 Q121 190 112 190 Q106 189 108 182 Q110 177 106 172 Q104 165 113 164 Z"/>',
    ], (121, 178)),
    "bone": ([
        '<rect x="92" y="72" width="6" height="128" rx="3"/>',
        '<path d="M66 200 Q80 194 95 206 Q110 194 124 200 L122 216 Q110 222 95 216 Q80 222 68 216 Z"/>',
        '<rect x="73" y="224" width="9" height="66" rx="4.5"/>',
        '<rect x="108" y="224" width="9" height="66" rx="4.5"/>',
        '<rect x="40" y="90" width="7" height="48" rx="3.5" transform="rotate(6 43 114)"/>',
        '<rect x="143" y="90" width="7" height="48" rx="3.5" transform="rotate(-6 146 114)"/>',
    ], (117, 252)),
}
_DRAW_ORDER = ("bone", "lung", "liver", "kidney", "brain")  # bones behind the organs
_LABEL_Y = {"brain": 30, "lung": 100, "liver": 142, "kidney": 180, "bone": 252}


def _labels(language: str) -> dict[str, str]:
    """The words beside the picture."""
    return {
        "kidney": pgettext_for(language, "diagram label", "Kidneys"),
        "lung": pgettext_for(language, "diagram label", "Lungs"),
        "liver": pgettext_for(language, "diagram label", "Liver"),
        "bone": pgettext_for(language, "diagram label", "Bones"),
        "brain": pgettext_for(language, "diagram label", "Brain"),
    }


def _the_places(language: str) -> dict[str, str]:
    """Each place with its article, for the alt text (French needs one before every name)."""
    return {
        "lung": pgettext_for(language, "diagram alt", "the lungs"),
        "liver": pgettext_for(language, "diagram alt", "the liver"),
        "bone": pgettext_for(language, "diagram alt", "the bones"),
        "brain": pgettext_for(language, "diagram alt", "the brain"),
    }


def _spread_to(language: str) -> dict[str, str]:
    """Each place after "spread to the" (French: aux os, au foie)."""
    return {
        "lung": pgettext_for(language, "spread to the", "lungs"),
        "liver": pgettext_for(language, "spread to the", "liver"),
        "bone": pgettext_for(language, "spread to the", "bones"),
        "brain": pgettext_for(language, "spread to the", "brain"),
    }


def _such_as(language: str) -> dict[str, str]:
    """Each place after "such as the" (French: les poumons, le foie)."""
    return {
        "lung": pgettext_for(language, "such as the", "lungs"),
        "liver": pgettext_for(language, "such as the", "liver"),
        "bone": pgettext_for(language, "such as the", "bones"),
        "brain": pgettext_for(language, "such as the", "brain"),
    }


@dataclass(frozen=True)
class Diagram:
    """The places one leaflet is about (empty: a general leaflet, so the usual places of spread are shown)."""

    places: tuple[str, ...]
    language: str = DEFAULT_LANGUAGE

    @property
    def shown(self) -> tuple[str, ...]:
        """The places of spread highlighted in the picture."""
        return self.places or PLACES_OF_SPREAD

    @property
    def alt(self) -> str:
        """What a screen reader says instead of the picture."""
        lang = self.language
        names = self._list(_the_places(lang)[p] for p in self.shown)
        if self.places:
            return gettext_for(lang, "Diagram of a body. The kidneys and %(places)s are highlighted.") % {
                "places": names}
        return gettext_for(lang, "Diagram of a body. The kidneys are highlighted, and places kidney cancer can "
                           "spread to: %(places)s.") % {"places": names}

    @property
    def caption(self) -> str:
        """The words printed under the picture."""
        lang = self.language
        if self.places:
            names = self._list(_spread_to(lang)[p] for p in self.shown)
            return gettext_for(lang, "Kidney cancer starts in a kidney (dark). This leaflet is about cancer that has "
                               "spread to the %(places)s (striped).") % {"places": names}
        names = self._list((_such_as(lang)[p] for p in self.shown), "or")
        return gettext_for(lang, "Kidney cancer starts in a kidney (dark). It can spread to other places (striped), "
                           "such as the %(places)s.") % {"places": names}

    def _list(self, items: Iterable[str], joiner: str = "and") -> str:
        """Names joined the way the leaflet's language joins them (lungs, liver and bones)."""
        words = {"and": pgettext_for(self.language, "list", "and"), "or": pgettext_for(self.language, "list", "or")}
        return _and_list(items, words[joiner])

    def svg(self) -> str:
        """The picture as a standalone SVG document."""
        parts = [
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 292 316" width="292" height="316">',
            "<defs>",
            '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
            f'<rect width="6" height="6" fill="{SPREAD_FILL}"/>',
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{SPREAD_LINE}" stroke-width="2.2"/>',
            "</pattern>",
            "</defs>",
            f'<g fill="none" stroke="{BODY_LINE}" stroke-width="4" stroke-linejoin="round">{"".join(_BODY)}</g>',
            f'<g fill="{BODY_FILL}" stroke="none">{"".join(_BODY)}</g>',
        ]
        for place in _DRAW_ORDER:
            shapes, _ = _PLACES[place]
            parts.append(f"<g {self._style(place)}>{''.join(shapes)}</g>")
        for place in ("kidney", *self.shown):
            parts.append(self._label(place))
        parts.append("</svg>")
        return "".join(parts)

    def data_uri(self) -> str:
        """The SVG as a data: address for an <img>, so the PDF gets a Figure with this alt text."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg().encode("utf-8")).decode("ascii")

    def _style(self, place: str) -> str:
        if place == "kidney":
            return f'fill="{KIDNEY_FILL}" stroke="{KIDNEY_FILL}" stroke-width="1.5"'
        if place in self.shown:
            return f'fill="url(#hatch)" stroke="{SPREAD_LINE}" stroke-width="2.2" stroke-linejoin="round"'
        return f'fill="{QUIET_FILL}" stroke="{QUIET_LINE}" stroke-width="1.2" stroke-dasharray="3 2"'

    def _label(self, place: str) -> str:
        x, y = _PLACES[place][1]
        label_y = _LABEL_Y[place]
        name = _labels(self.language)[place]
        colour = KIDNEY_FILL if place == "kidney" else SPREAD_LINE
        return (
            f'<polyline points="{x},{y} {x + 12},{label_y} 172,{label_y}" fill="none" stroke="{colour}" '
            'stroke-width="1.4"/>'
            f'<circle cx="{x}" cy="{y}" r="2.6" fill="{colour}"/>'
            f'<text x="177" y="{label_y + 7}" font-family="{FONT}" font-size="24" font-weight="700" '
            f'fill="#1a1a1a">{name}</text>'
        )


def _and_list(items: Iterable[str], joiner: str = "and") -> str:
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {joiner} {words[-1]}"


def diagram_for(sections: Iterable[object], language: str = DEFAULT_LANGUAGE) -> Diagram:
    """The diagram for a leaflet: the places its sections are each about (kidneys are always shown)."""
    places = {part for section in sections if (part := body_part(section)) and part != "kidney"}  # type: ignore[arg-type]
    return Diagram(tuple(p for p in PLACES_OF_SPREAD if p in places), language)
