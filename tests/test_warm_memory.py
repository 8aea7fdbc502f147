"""A warm renderer (a pool worker's) keeps nothing of a leaflet's layout once its PDF is written."""

from __future__ import annotations

import gc

from leaflets.build import BuildRequest, get_renderer, leaflet_html, plans_for, render_plan
from leaflets.library import Library
from leaflets.project import Project
from tests.conftest import REPO

PROJECT = Project(REPO)


def _layouts_alive() -> int:
    from weasyprint.layout import LayoutContext

    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, LayoutContext))


def test_a_leaflet_with_a_picture_leaves_no_layout_behind_and_renders_the_same_again() -> None:
    """WeasyPrint's parsed SVG keeps the layout it was loaded in: cached across renders, it held a whole
    leaflet's boxes per picture for a worker's life (walked by the collection after every task)."""
    library = Library(PROJECT)
    [plan] = plans_for(library, BuildRequest(leaflets=("bone-metastases",)))
    assert '<img src="data:image/svg+xml' in leaflet_html(plan, PROJECT, False)  # the body diagram
    renderer = get_renderer(PROJECT)
    before = _layouts_alive()
    first = render_plan(plan, PROJECT, renderer=renderer).files
    assert _layouts_alive() == before
    again = render_plan(plan, PROJECT, renderer=renderer).files
    assert again == first  # the picture parsed again draws the same bytes
    assert _layouts_alive() == before
