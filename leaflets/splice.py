"""Page reuse: lay out only the pages with personal details and join them to a cached generic layout.

A personalised leaflet differs from its generic edition (the same leaflet with one-letter stand-ins for the
same details) only on the pages that show a detail; which pages those are is found by laying out the
generic edition with two different stand-ins, so it holds whatever the templates show where. Reuse is
possible when they are the cover and the pages from the notes on. The cover slot has a
fixed height, so every page break stays where the generic layout put it. A *short* document is laid
out instead of the whole leaflet: the cover and contents with the sections that start on page 1 plus
one more (so page 1 breaks exactly as in the full leaflet), then one empty page for each page in
between (carrying the anchors the contents' page numbers point to), then the notes, contact box,
glossary and about box when they show a detail. Its personal pages replace the generic ones.
When page 1 holds only the cover (what comes next starts on page 2), the short document is shorter still:
page 1, then one empty page for every page up to the personal tail (the urgent box, contents and first
section, laid out three times over for their page numbers, are never needed: their pages are reused). A
generic layout whose page 1 comes out differently that way is remembered and gets the longer form.

`join` checks that the short document has as many pages as the generic one, that page 1 is laid out
exactly as the generic page 1 outside the slot, and that the later parts start on the same pages;
anything else returns None and the caller lays out the whole leaflet instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .html_outline import top_level_parts
from .slots import SLOT_CLASS, walk

_SECTION = re.compile(r'<section class="content-section" id="(s-[^"]+)"')
TAIL_IDS = ("notes", "contact", "glossary", "about", "card")
"""The parts after the sections, in order."""
BREAK_IDS = ("notes", "contact", "card")
"""The parts the stylesheet always starts on a new page: a personal tail can start there."""
_MARGIN_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner", "right-top",
                 "right-middle", "right-bottom", "bottom-right-corner", "bottom-right", "bottom-center",
                 "bottom-left", "bottom-left-corner", "left-bottom", "left-middle", "left-top")
GAP_PAGE = "reuse-gap"
"""The empty pages' page name: never printed; render.py lets WeasyPrint skip their margin boxes."""
_GAP_CSS = (f"<style>.reuse-gaps {{ page: {GAP_PAGE}; }} .reuse-gap {{ break-before: page; }}\n"
            f"@page {GAP_PAGE} {{ " + " ".join(f"@{box} {{ content: none; }}" for box in _MARGIN_BOXES) + " }\n"
            "</style>\n</head>")
"""The empty pages are a named page without headers and footers: they are never printed, and laying out
each one's page numbers and title was about a fifth of the short layout."""


@dataclass
class PageMap:
    """Where things are in a laid-out leaflet: page count, each anchor's page, each section's last page,
    and the pages that show a detail (found by laying out two different stand-ins: no template is trusted)."""

    count: int
    anchors: dict[str, int] = field(default_factory=dict)
    last_page: dict[str, int] = field(default_factory=dict)
    detail_pages: tuple[int, ...] = ()
    trims: bool | None = None
    """Whether the trimmed short document (page 1 only, then empty pages) matched this layout; None: not tried."""


@dataclass(frozen=True)
class ShortDocument:
    """The HTML to lay out, and which of its pages replace the generic ones."""

    html: str
    personal_pages: tuple[int, ...]
    tail_start: int | None


def page_map(document: Any, other: Any = None) -> PageMap:
    """The anchors and section extents of a laid-out Document; OTHER, the same with other stand-ins."""
    found = PageMap(len(document.pages))
    if other is not None:
        if len(other.pages) != found.count:
            found.detail_pages = tuple(range(found.count))
        else:
            found.detail_pages = tuple(n for n, (a, b) in enumerate(zip(document.pages, other.pages, strict=True))
                                       if signature(a, inside_slot=True) != signature(b, inside_slot=True))
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            found.anchors.setdefault(anchor, number)
        for box in walk(page._page_box):
            if getattr(box, "element_tag", None) == "section" and box.element is not None:
                ident = box.element.get("id")
                if ident:
                    found.last_page[ident] = number
    return found


def short_document(html: str, generic: PageMap, trimmed: bool = False) -> ShortDocument | None:
    """The short document for HTML (the full personalised leaflet), or None if its shape is unexpected;
    TRIMMED: only what page 1 holds, then empty pages (None when page 1 does not end where an element starts)."""
    sections = [(match.start(), match.group(1)) for match in _SECTION.finditer(html)]
    main_end = html.find("</main>")
    body_end = html.rfind("</body>")
    if not sections or min(main_end, body_end) < 0 or "</head>" not in html:
        return None
    ids = [ident for _, ident in sections]
    tail_ids = [ident for ident in TAIL_IDS if f'id="{ident}"' in html]
    if any(ident not in generic.anchors for ident in [*ids, *tail_ids]) or any(i not in generic.last_page for i in ids):
        return None
    tail = _tail_start(html, generic, tail_ids)
    if tail is None:
        return None
    tail_start, tail_html = tail
    if any(0 < page < tail_start for page in generic.detail_pages):
        return None  # a detail on a page that is reused: this template shows details where reuse cannot
    personal = (0, *range(tail_start, generic.count))
    if trimmed:
        body = _trimmed_body(html, generic, main_end, tail_start, tail_ids)
        if body is None:
            return None
        short = body + "\n" + html[main_end:html.find("<", main_end + 1)] + tail_html
        short = short.replace("</head>", _GAP_CSS, 1) + html[body_end:]
        return ShortDocument(short, personal, tail_start if tail_html else None)
    front = sum(1 for ident in ids if generic.anchors[ident] == 0) + 1  # and one more: page 1 breaks alike
    front = min(front, len(ids))
    front_end = generic.last_page[ids[front - 1]]
    if front_end >= tail_start:
        return None  # a short leaflet: nothing in between to reuse
    later = ids[front:] + [i for i in tail_ids if generic.anchors[i] < tail_start]
    by_page: dict[int, list[str]] = {}
    for ident in later:
        by_page.setdefault(generic.anchors[ident], []).append(ident)
    if any(page < front_end for page in by_page):
        return None
    gaps = [f'<div id="{ident}"></div>' for ident in by_page.get(front_end, [])]
    gaps.append(_empty_pages(front_end + 1, tail_start, by_page))
    front_html = html[:sections[front][0]] if front < len(sections) else html[:main_end]
    short = front_html + "\n".join(gaps) + "\n" + html[main_end:html.find("<", main_end + 1)] + tail_html
    short = short.replace("</head>", _GAP_CSS, 1) + html[body_end:]
    return ShortDocument(short, personal, tail_start if tail_html else None)


def _trimmed_body(html: str, generic: PageMap, main_end: int, tail_start: int, tail_ids: list[str]) -> str | None:
    """The HTML up to the first top-level part the generic layout starts on page 2, then an empty page (with
    the anchors the generic layout has there) for each page before the tail; None if page 1 cannot end there.

    Only a whole part is cut away (a child of <body>, or of <main>), so nothing after the cut lands inside
    an element left open; a part before the cut that reaches page 2 means page 1 does not end between parts."""
    parts = top_level_parts(html, main_end)
    if parts is None:
        return None
    cut = None
    for part in parts:
        pages = [generic.anchors[ident] for ident in part.ids if ident in generic.anchors]
        if pages and min(pages) >= 1:
            cut = part.start
            break
        if pages and max(pages) >= 1:
            return None  # this part runs from page 1 onto page 2
    if cut is None:
        return None
    later = [ident for part in parts if part.start >= cut for ident in part.ids if ident in generic.anchors]
    later += [ident for ident in tail_ids if generic.anchors[ident] < tail_start]
    by_page: dict[int, list[str]] = {}
    for ident in dict.fromkeys(later):
        by_page.setdefault(generic.anchors[ident], []).append(ident)
    if any(not 0 < page < tail_start for page in by_page):
        return None  # something after the cut is on page 1 (or in the tail): page 1 would not end at the cut
    return html[:cut] + _empty_pages(1, tail_start, by_page)


def _empty_pages(first: int, end: int, anchors: dict[int, list[str]]) -> str:
    """One empty page for each page from FIRST to before END, each with the anchors the generic layout has there."""
    if first >= end:
        return ""
    gaps = ['<div class="reuse-gaps">']
    for page in range(first, end):
        gaps.append('<div class="reuse-gap"></div>')
        gaps.extend(f'<div id="{ident}"></div>' for ident in anchors.get(page, []))
    return "\n".join([*gaps, "</div>"])


def _tail_start(html: str, generic: PageMap, tail_ids: list[str]) -> tuple[int, str] | None:
    """Where the personal tail starts (a part that always starts a new page), and its HTML; None if nowhere."""
    details_after = [page for page in generic.detail_pages if page > 0]
    if not details_after:
        return generic.count, ""
    first = min(details_after)
    starts = [ident for ident in tail_ids if ident in BREAK_IDS and generic.anchors[ident] <= first]
    if not starts:
        return None
    ident = starts[-1]
    begin = html.rfind("<section", 0, html.find(f'id="{ident}"'))
    end = html.rfind("</body>")
    if begin < 0 or begin < html.find("</main>"):
        return None
    return generic.anchors[ident], html[begin:end]


def join(generic: Any, generic_map: PageMap, short: Any, plan: ShortDocument) -> list[Any] | None:
    """The pages of the personalised leaflet, or None when the short layout does not match the generic one."""
    if len(short.pages) != generic_map.count:
        return None
    if signature(short.pages[0]) != signature(generic.pages[0]):
        return None
    if plan.tail_start is not None:
        short_map = page_map(short).anchors
        for ident in TAIL_IDS:
            if ident in generic_map.anchors and generic_map.anchors[ident] >= plan.tail_start \
                    and short_map.get(ident) != generic_map.anchors[ident]:
                return None
    chosen = set(plan.personal_pages)
    return [short.pages[n] if n in chosen else page for n, page in enumerate(generic.pages)]


def signature(page: Any, inside_slot: bool = False) -> list[tuple[Any, ...]]:
    """Every box's kind, place, size and text on a page, except inside the personal slot unless INSIDE_SLOT."""
    found: list[tuple[Any, ...]] = []
    _sign(page._page_box, found, inside_slot)
    return found


def _sign(box: Any, found: list[tuple[Any, ...]], inside_slot: bool) -> None:
    element = getattr(box, "element", None)
    tag = getattr(box, "element_tag", None)
    found.append((type(box).__name__, tag, round(box.position_x, 4), round(box.position_y, 4),
                  round(box.width or 0, 4), round(box.height or 0, 4), getattr(box, "text", None)))
    if not inside_slot and tag == "div" and element is not None and SLOT_CLASS in (element.get("class") or "").split():
        return  # the slot itself must match; what is inside it is the personal part
    for child in getattr(box, "children", ()):
        _sign(child, found, inside_slot)
