"""Where the set's full renders go: python benchmarks/profile_set.py [--rounds 1].

Plans the kidney-advanced set's 33 jobs (11 leaflets, standard, large print and booklet), warms a renderer
and freezes it as the fork server does, then renders every job as a pool worker does (no collection during
a task, a full one after it) and prints CPU per render and per phase. Phases are timed with process-time
wrappers around WeasyPrint's and leaflets' functions (no profiler, so the figures are not inflated); nested
phases are inside their parents ("pages" and "margins" are inside "layout").
"""

from __future__ import annotations

import argparse
import collections
import gc
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets.build import BuildRequest, get_renderer, plans_for, render_plan  # noqa: E402
from leaflets.library import Library  # noqa: E402
from leaflets.pool.child import GC_THRESHOLD  # noqa: E402
from leaflets.pool.tasks import warm_renderer  # noqa: E402
from leaflets.project import Project  # noqa: E402
from leaflets.variants import PrintOptions  # noqa: E402

CPU: collections.Counter[str] = collections.Counter()
_depth: collections.Counter[str] = collections.Counter()


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """FUNCTION, its CPU time added to LABEL (once, however deeply it calls itself)."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _depth[label] += 1
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            _depth[label] -= 1
            if not _depth[label]:
                CPU[label] += time.process_time() - start
    return wrapper


def timed_generator(label: str, function: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """A generator FUNCTION, the CPU of each step added to LABEL."""
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        steps = function(*args, **kwargs)
        while True:
            start = time.process_time()
            try:
                value = next(steps)
            except StopIteration:
                CPU[label] += time.process_time() - start
                return
            CPU[label] += time.process_time() - start
            yield value
    return wrapper


def patch(module_names: list[str], name: str, wrap: Callable[[Any], Any]) -> None:
    """Replace NAME in each module (the first one defines it; the others imported it) by WRAP(original)."""
    original = getattr(importlib.import_module(module_names[0]), name)
    wrapped = wrap(original)
    for module_name in module_names:
        setattr(importlib.import_module(module_name), name, wrapped)


def install_timers() -> None:
    """Wrap the phases (after the renderer's own patches, so the wrappers see what really runs)."""
    from leaflets import render

    for method, label in (("layout", "layout (all, with the contents measurements)"), ("write", "write (all)")):
        setattr(render.Renderer, method, timed(label, getattr(render.Renderer, method)))
    patch(["weasyprint.css", "weasyprint.document"], "get_all_computed_styles", lambda f: timed("cascade", f))
    patch(["weasyprint.formatting_structure.build", "weasyprint.document"], "build_formatting_structure",
          lambda f: timed("box tree", f))
    patch(["weasyprint.layout.page", "weasyprint.layout"], "make_all_pages", lambda f: timed_generator("pages", f))
    patch(["weasyprint.layout"], "make_margin_boxes", lambda f: timed_generator("margins", f))
    patch(["weasyprint.layout"], "layout_backgrounds", lambda f: timed("backgrounds", f))
    patch(["weasyprint.draw", "weasyprint.document"], "draw_page", lambda f: timed("drawing", f))
    patch(["weasyprint.pdf.tags", "weasyprint.pdf"], "add_tags", lambda f: timed("PDF/UA tags", f))
    patch(["leaflets.contents_columns"], "contents_cut", lambda f: timed("contents measurements", f))
    patch(["leaflets.build"], "leaflet_html", lambda f: timed("HTML", f))
    patch(["leaflets.imposition"], "impose_booklet", lambda f: timed("booklet imposition", f))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1, help="render the 33 jobs this many times")
    args = parser.parse_args()
    project = Project(REPO)
    library = Library(project)
    plans = [plan for leaflet in sorted(p.stem for p in (REPO / "content" / "leaflets").glob("*.yaml"))
             for variant in ("standard", "large-print", "booklet")
             for plan in plans_for(library, BuildRequest(leaflets=(leaflet,), options=PrintOptions(variant, "a4")))]
    warm_renderer(project)
    install_timers()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    started = time.process_time()
    for _ in range(args.rounds):
        for plan in plans:
            gc.disable()
            render_plan(plan, project, renderer=get_renderer(project), reuse=True)
            gc.enable()
            collect = time.process_time()
            gc.collect()
            CPU["collection after the task"] += time.process_time() - collect
    total = time.process_time() - started
    renders = len(plans) * args.rounds
    print(f"{renders} renders, CPU per render {total / renders * 1000:.0f} ms\n")
    print("| phase | CPU per render | share |\n|---|---|---|")
    for label, seconds in CPU.most_common():
        print(f"| {label} | {seconds / renders * 1000:.0f} ms | {seconds / total * 100:.0f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
