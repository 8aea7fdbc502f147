"""What the pool's workers do, and how the parent warms them before forking."""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

from ..errors import LeafletError
from ..project import Project

if TYPE_CHECKING:  # pragma: no cover
    from ..build import RenderedLeaflet
    from ..plan import LeafletPlan

SLOW_RENDER_ENV = "LEAFLETS_TEST_SLOW_RENDER"
"""Test hook: a worker sleeps this many seconds before each render (a stand-in for a hostile slow SVG)."""

_WARM_HTML = "<!DOCTYPE html><html lang='en'><body><h1>Warm</h1><p>Fonts, <strong>bold</strong> too.</p></body></html>"


def warm_renderer(project: Project) -> None:
    """Load WeasyPrint, the fonts and every stylesheet in this (parent) process, so each fork starts warm."""
    from ..build import get_renderer
    from ..document import STYLESHEETS, VARIANT_STYLESHEETS

    renderer = get_renderer(project)
    names = (*STYLESHEETS, *VARIANT_STYLESHEETS.values())
    for name in names:
        with contextlib.suppress(LeafletError):
            renderer.stylesheet(name)
    with contextlib.suppress(LeafletError):  # a broken stylesheet is reported by the first real render
        renderer.render(_WARM_HTML, project.root.as_uri() + "/", list(STYLESHEETS))


def render_in_worker(plan: LeafletPlan, project: Project) -> RenderedLeaflet:
    """Render one plan with the worker's inherited warm renderer."""
    from ..build import get_renderer, render_plan

    _test_delay()
    return render_plan(plan, project, renderer=get_renderer(project), reuse=True)


def worker_facts() -> dict[str, Any]:
    """What a worker inherited from the parent (for tests and benchmarks)."""
    import gc

    from ..build import get_renderer

    info = get_renderer.cache_info()
    return {"pid": os.getpid(), "parent": os.getppid(), "renderers_made": info.misses, "frozen": gc.get_freeze_count()}


def _test_delay() -> None:
    delay = os.environ.get(SLOW_RENDER_ENV)
    if delay:
        time.sleep(float(delay))
