"""The contents list's two columns on a standard page: two lists side by side, cut where the columns come out
most even, measured from a layout of the list in one column of the same width with the page numbers it
prints. It replaces CSS columns, which WeasyPrint balanced by laying the list out again and again on every
pass over its page (about a sixth of a standard leaflet's render), and which in some leaflets left the first
column a line taller than needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .document import render_html, stylesheet_names
from .plan import LeafletPlan
from .project import Project

MEASURE_TEMPLATE = "contents-measure.html"
MEASUREMENTS = 500
"""Measurements a renderer keeps (each keyed by a few KB of HTML), so ad hoc leaflets never pile up in a worker."""


def lay_out(plan: LeafletPlan, project: Project, renderer: Any,
            html_for: Callable[[int | None], str]) -> tuple[Any, int | None]:
    """The leaflet laid out with its contents cut where the columns come out even with the page numbers it
    prints (an entry's lines depend on its number's width): measured first with one-digit numbers, then
    checked with the printed ones, and laid out again in the rare case they move the cut. Always the same
    steps, so the same leaflet gets the same cut in every process, with or without reused pages.
    Returns the Document and the cut it has."""
    base_url, sheets = project.root.as_uri() + "/", stylesheet_names(plan.options, project)
    cut = contents_cut(plan, project, renderer)
    document = renderer.layout(html_for(cut), base_url, sheets)
    if cut is not None:
        settled = contents_cut(plan, project, renderer, page_numbers(document))
        if settled != cut:
            document, cut = renderer.layout(html_for(settled), base_url, sheets), settled
        renderer.measured[_printed_key(plan, project)] = cut
    return document, cut


def printed_cut(plan: LeafletPlan, project: Project, renderer: Any) -> int | None:
    """The cut this renderer last laid this contents out with: the assembled HTML (`--html`) gets the same lists."""
    return renderer.measured.get(_printed_key(plan, project)) if contents_cut(plan, project, renderer) else None


def _printed_key(plan: LeafletPlan, project: Project) -> tuple[str, ...]:
    html = render_html(plan, project, link_styles=False, slot=None, template=MEASURE_TEMPLATE)
    return ("contents printed", html, *stylesheet_names(plan.options, project))


def page_numbers(document: Any) -> dict[str, int]:
    """The page each anchor starts on (an element split over pages is an anchor on each): the numbers printed."""
    numbers: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            numbers.setdefault(anchor, number)
    return numbers


def contents_cut(plan: LeafletPlan, project: Project, renderer: Any, pages: dict[str, int] | None = None) -> int | None:
    """How many entries go in the first column (None: the contents is not in two columns), measured with PAGES,
    the entries' page numbers, or else one digit each (as WeasyPrint lays a page out before it knows where its
    links lead); each measurement is kept by the renderer."""
    if plan.options.variant != "standard" or plan.urgent_first or not project.find("templates", MEASURE_TEMPLATE):
        return None  # a project's own copy of templates/ from before this file: one list in CSS columns
    sheets = stylesheet_names(plan.options, project)
    html = render_html(plan, project, link_styles=False, slot=None, template=MEASURE_TEMPLATE, contents_pages=pages)
    key = ("contents cut", html, *sheets)  # the list's words and numbers, language, paper and stylesheets
    if key not in renderer.measured:
        if len(renderer.measured) >= MEASUREMENTS:
            renderer.measured.clear()
        renderer.measured[key] = balanced_cut(renderer.list_item_spans(html, project.root.as_uri() + "/", sheets))
    return renderer.measured[key]  # type: ignore[no-any-return]


def balanced_cut(spans: list[tuple[float, float]]) -> int:
    """The cut that makes the taller column as short as can be; of equal cuts the one with the longer first
    column, as CSS columns fill the first column as far as the balanced height allows. SPANS are the items'
    (top, bottom) in one column; a column's height runs from its first item's top to its last item's bottom."""
    if len(spans) < 2:
        return len(spans)
    top, bottom = spans[0][0], spans[-1][1]
    heights = {cut: max(spans[cut - 1][1] - top, bottom - spans[cut][0]) for cut in range(1, len(spans))}
    shortest = min(heights.values())
    return max(cut for cut, height in heights.items() if height <= shortest + 0.01)
