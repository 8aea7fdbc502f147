"""A personalised leaflet's PDF: the details' slot fitted, and the pages without details reused when warm."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from .contents_columns import contents_cut, lay_out
from .document import stylesheet_names
from .plan import LeafletPlan
from .pool.child import dropped_kept, keep_for_life
from .project import Project
from .render import RENDER_SECONDS, time_limit
from .slots import LAST_FIT, CoverSlot, cover_slot, slot_overflows, stand_ins
from .splice import PageMap, join, page_map, short_document

GENERIC_LAYOUTS = 12
"""Generic layouts kept per worker (leaflet, content version, variant, paper, language): a few MB each."""

GenericKey = tuple[str, str, str, str, str]
"""(leaflet, content version, variant, paper, language); the content version is a digest of the generic
HTML and stylesheets, so it covers the site profile, the shape of the details and the team's name and phone."""

_generic: OrderedDict[GenericKey, tuple[Any, PageMap, int | None]] = OrderedDict()
"""Each generic layout, its page map and where its contents list is cut (the personal pages use the same cut)."""
stats = {"reused": 0, "full": 0, "generic": 0}
"""How each personalised PDF was made in this process (for tests and benchmarks; no detail is kept)."""


def personal_pdf(plan: LeafletPlan, project: Project, renderer: Any, reuse: bool = False) -> bytes:
    """The PDF of a leaflet with details; REUSE joins its personal pages to a cached generic layout.

    Both ways give the same bytes; reuse is only faster when the generic layout is used again
    (a batch of rows, the web page), so a single `leaflets build` lays out the whole leaflet.
    """
    with time_limit(RENDER_SECONDS):
        if reuse:
            pdf = _reused(plan, project, renderer)
            if pdf is not None:
                stats["reused"] += 1
                return pdf
        stats["full"] += 1
        return full_pdf(plan, project, renderer)


def urgent_box_moves(plan: LeafletPlan, project: Project, renderer: Any) -> bool:
    """True when the urgent box would start after page 2, read from the cached generic layout (whose
    pages break exactly where this leaflet's do, or earlier), so a warm worker asks for "urgent first"
    before rendering instead of after."""
    _, generic_map, _ = _generic_layout(plan, project, renderer, cover_slot(plan.details))
    return generic_map.anchors.get("urgent", 0) > 1


def full_pdf(plan: LeafletPlan, project: Project, renderer: Any) -> bytes:
    """The whole leaflet laid out, the slot's text made smaller step by step until it fits (the reference)."""
    for fit in range(LAST_FIT + 1):
        slot = cover_slot(plan.details, fit)
        document, _ = lay_out(plan, project, renderer, lambda cut, slot=slot: _html(plan, project, slot, cut))
        if slot is None or not slot.fixed or not slot_overflows(document):
            return renderer.write(document)  # type: ignore[no-any-return]
    raise AssertionError("unreachable: the last fit step lets the slot grow")  # pragma: no cover


def _reused(plan: LeafletPlan, project: Project, renderer: Any) -> bytes | None:
    """Lay out only the personal pages; None when the check finds any difference from the generic layout."""
    base_url, sheets = project.root.as_uri() + "/", stylesheet_names(plan.options, project)
    first = cover_slot(plan.details)
    generic, generic_map, cut = _generic_layout(plan, project, renderer, first)
    for fit in range(LAST_FIT):  # fixed-height steps only: a growing slot moves the pages
        slot = cover_slot(plan.details, fit)
        html = _html(plan, project, slot, cut)
        for trimmed in (True, False) if generic_map.trims is not False else (False,):
            short = short_document(html, generic_map, trimmed)
            if short is None:
                if trimmed:
                    generic_map.trims = False
                    continue
                return None
            document = renderer.layout(short.html, base_url, sheets)
            if slot is not None and slot_overflows(document):
                break  # the next fit step
            pages = join(generic, generic_map, document, short)
            if trimmed:
                generic_map.trims = pages is not None
                if pages is None:
                    continue
            return None if pages is None else renderer.write(generic, pages)  # type: ignore[no-any-return]
    return None


def _generic_layout(plan: LeafletPlan, project: Project, renderer: Any,
                    slot: CoverSlot | None) -> tuple[Any, PageMap, int | None]:
    """The leaflet with one-letter stand-ins for the same details in the same slots, laid out once per worker.

    It is laid out twice, with two different stand-ins: the pages that differ are the ones showing a detail.
    """
    shape = CoverSlot(slot.rows) if slot else None
    html = _html(replace(plan, details=stand_ins(plan.details)), project, shape, contents_cut(plan, project, renderer))
    sheets = stylesheet_names(plan.options, project)
    version = hashlib.sha256("\0".join([str(project.root), *sheets, html]).encode("utf-8")).hexdigest()
    options = plan.options
    key = (plan.id, version, options.variant, options.paper or "", options.language)
    if key in _generic:
        _generic.move_to_end(key)
        return _generic[key]
    document, cut = lay_out(plan, project, renderer, lambda cut: _html(replace(plan, details=stand_ins(plan.details)),
                                                                       project, shape, cut))
    other_html = _html(replace(plan, details=stand_ins(plan.details, "y")), project, shape, cut)
    other = renderer.layout(other_html, project.root.as_uri() + "/", sheets)
    stats["generic"] += 1
    _generic[key] = (document, page_map(document, other), cut)
    keep_for_life()  # in a pool worker: out of the collection after every later task
    while len(_generic) > GENERIC_LAYOUTS:
        _generic.popitem(last=False)
        dropped_kept()
    return _generic[key]


def _html(plan: LeafletPlan, project: Project, slot: CoverSlot | None, cut: int | None) -> str:
    from .build import leaflet_html

    return leaflet_html(plan, project, link_styles=False, slot=slot, contents_cut=cut)
