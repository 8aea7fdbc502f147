"""Page styles and margin box widths worked out once per document, not once per page.

WeasyPrint 70 gives every page its own page type (the page's index is part of it, for `:nth()`), so for
each page it computed the page's style and all its margin boxes' styles afresh, after walking every
element's cascaded style to find them, and then computed each property again on first use. Two page types
that match the same @page rules get the same declarations, so their styles are the same: a later page takes
the styles of the first page that matched the same rules (the first page itself never shares, as the first
page's size sets the `vw` and `vh` of every later one). About 4% of a leaflet's render.

With the styles shared, a page's running header, organisation and draft mark are the same boxes of text in
the same styles on every page, yet WeasyPrint shaped their text again on each page to share the margin's
width between them. A margin box's min- and max-content widths depend only on its boxes' styles and text,
so each is worked out once per document (about 2.5%). The same bytes (tests/test_page_styles.py).

WeasyPrint's page layout module comes from render.py, the only module that imports WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STYLES_SEEN = "_leaflets_page_styles"
"""Where a document's style lookup keeps, by matching rules, the page type whose styles later pages share."""
_WIDTHS = "_leaflets_margin_widths"
"""Where a document's layout context keeps its margin boxes' content widths."""


def install(page_layout: Any, boxes: Any) -> None:
    """Replace WeasyPrint's `set_page_type_computed_styles` and the page module's content widths (once)."""
    original: Callable[[Any, Any, Any], None] = page_layout.set_page_type_computed_styles
    if getattr(original, "shares_page_styles", False):
        return
    plain = (boxes.MarginBox, boxes.LineBox, boxes.TextBox, boxes.InlineBox, boxes.BlockBox)
    page_layout.min_content_width = _margin_width_once(page_layout.min_content_width, boxes.MarginBox, plain)
    page_layout.max_content_width = _margin_width_once(page_layout.max_content_width, boxes.MarginBox, plain)

    def set_page_type_computed_styles(page_type: Any, html: Any, style_for: Any) -> None:
        if page_type.index == 0:
            original(page_type, html, style_for)
            return
        seen: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = style_for.__dict__.setdefault(_STYLES_SEEN, {})
        rules = matching_rules(style_for, page_type)
        if rules in seen:
            shared, pseudo_types = seen[rules]
            computed, cascaded = style_for.get_computed_styles(), style_for.get_cascaded_styles()
            for pseudo_type in pseudo_types:
                computed[page_type, pseudo_type] = computed[shared, pseudo_type]
                if (shared, pseudo_type) in cascaded:
                    cascaded[page_type, pseudo_type] = cascaded[shared, pseudo_type]
            return
        original(page_type, html, style_for)
        pseudo_types = tuple(pseudo for element, pseudo in style_for.get_computed_styles() if element == page_type)
        seen[rules] = (page_type, pseudo_types)

    set_page_type_computed_styles.shares_page_styles = True  # type: ignore[attr-defined]
    set_page_type_computed_styles.original = original  # type: ignore[attr-defined]
    page_layout.set_page_type_computed_styles = set_page_type_computed_styles


def matching_rules(style_for: Any, page_type: Any) -> tuple[Any, ...]:
    """Which @page selectors of which stylesheets PAGE_TYPE matches, in cascade order: equal for equal styles."""
    return tuple(
        (sheet_number, rule_number, selector_number)
        for sheet_number, (sheet, _origin, _specificity) in enumerate(style_for._sheets)  # noqa: SLF001
        for rule_number, (_rule, selectors, _declarations) in enumerate(sheet.page_rules)
        for selector_number, (_specificity, _pseudo_type, page_selector) in enumerate(selectors)
        if style_for._page_type_match(page_selector, page_type)  # noqa: SLF001  (WeasyPrint 70's own)
    )


def _margin_width_once(width: Callable[..., float], margin_box: type, plain: tuple[type, ...]) -> Callable[..., float]:
    """WIDTH (WeasyPrint's min- or max-content width), kept per layout for a margin box of plain text."""

    def content_width(context: Any, box: Any, outer: bool = True) -> float:
        if not isinstance(box, margin_box):
            return width(context, box, outer)
        parts = list(box.descendants())  # the box itself, then everything in it
        if any(type(part) not in plain for part in parts):  # pictures, tables...: worked out every time
            return width(context, box, outer)
        key = (width, outer, *((type(part), id(part.style), getattr(part, "text", None)) for part in parts))
        widths: dict[tuple[Any, ...], tuple[float, list[Any]]] = context.__dict__.setdefault(_WIDTHS, {})
        if key not in widths:  # the styles are kept with the width, so their ids are never reused meanwhile
            widths[key] = (width(context, box, outer), [part.style for part in parts])
        return widths[key][0]

    content_width.original = width  # type: ignore[attr-defined]
    return content_width
