"""The pool of warm render workers, and the first-page pictures made in the background."""

from __future__ import annotations

import functools
import logging
import queue
import shutil
import subprocess
import threading
import time
import weakref
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from ..build import RenderedLeaflet, render_plan
from ..errors import LeafletError
from ..library import Library
from ..plan import LeafletPlan, plan_leaflet
from ..project import Project
from .responses import ApiError

if TYPE_CHECKING:  # pragma: no cover
    from .state import WebState

log = logging.getLogger("leaflets.web")

QUEUE_LIMIT = 64
"""Requests waiting for a worker beyond this many are answered 503 with Retry-After, never left hanging."""
THUMBNAIL_WIDTH = 360


class Renders:
    """The pool of warm render workers behind every PDF the page makes: no lock, a queue, a time limit each.

    Each render runs in a worker process forked from this one after WeasyPrint, the fonts and the
    stylesheets were loaded here; a render over its time limit is stopped by killing its worker
    (a fresh one takes its place), so a hostile section fails its own request and no other.
    """

    def __init__(self, project: Project, workers: int | None = None, seconds: float | None = None,
                 queue_limit: int = QUEUE_LIMIT) -> None:
        from ..pool import RenderPool
        from ..pool.tasks import warm_renderer
        from ..render import RENDER_SECONDS

        self.project = project
        self.pool = RenderPool(workers=workers, seconds=seconds or RENDER_SECONDS, queue_limit=queue_limit,
                               warm=functools.partial(warm_renderer, project))
        # An app dropped without close() (a test, a script) still stops its fork server and workers.
        weakref.finalize(self, self.pool.close, True)

    def render(self, plan: LeafletPlan, background: bool = False, output_format: str = "pdf") -> RenderedLeaflet:
        """Render one plan in a worker; BACKGROUND work (pictures) waits behind every nurse's request."""
        from ..pool import PoolBusy
        from ..pool.tasks import render_in_worker

        if output_format != "pdf":  # the HTML edition needs no WeasyPrint, so no turn at a worker
            return render_plan(plan, self.project, output_formats=(output_format,))
        try:
            future = self.pool.submit(render_in_worker, plan, self.project, priority=1 if background else 0)
        except PoolBusy as exc:
            raise ApiError(503, "the leaflet printer is busy; try again in a moment",
                           retry_after=exc.retry_after) from None
        return future.result()  # type: ignore[no-any-return]

    def warm(self) -> None:
        """Load WeasyPrint, fonts and stylesheets and start the workers before the first nurse waits."""
        self.pool.start()

    def close(self) -> None:
        self.pool.close()


@dataclass
class _Thumb:
    fingerprint: tuple[int, ...]
    png: bytes | None  # None: rendering failed; tried again when the content changes


@dataclass
class Thumbnails:
    """Pictures of each leaflet's first page, made one at a time in the background, kept in memory only.

    They show content only (no patient details), so caching them is safe.
    """

    renders: Renders
    _images: dict[str, _Thumb] = field(default_factory=dict)
    _pending: set[str] = field(default_factory=set)
    _queue: queue.Queue[str] = field(default_factory=queue.Queue)
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _worker: threading.Thread | None = None

    @staticmethod
    def fingerprint(library: Library, rid: str) -> tuple[int, ...]:
        """Modification times of the recipe and its sections: a new picture when they change."""
        recipe = library.recipe(rid)
        sections = library.items("sections", ".md")
        paths = [recipe.path, *(sections[s].path for s in recipe.file.sections if s in sections)]
        return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)

    def get(self, library: Library, rid: str) -> bytes | None:
        """The PNG if it is ready and current; otherwise ask for it and return None."""
        try:
            fingerprint = self.fingerprint(library, rid)
        except (LeafletError, OSError):
            return None
        with self._mutex:
            thumb = self._images.get(rid)
            if thumb is not None and thumb.fingerprint == fingerprint:
                return thumb.png
            if rid not in self._pending:
                self._pending.add(rid)
                self._queue.put(rid)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="leaflets-thumbnails", daemon=True)
                self._worker.start()
        return None

    def failed(self, rid: str) -> bool:
        """True when the last try to draw this leaflet's picture failed: the placeholder stays."""
        with self._mutex:
            thumb = self._images.get(rid)
            return thumb is not None and thumb.png is None and rid not in self._pending

    def ready(self, library: Library, rid: str) -> bool:
        with self._mutex:
            thumb = self._images.get(rid)
        try:
            return thumb is not None and thumb.png is not None and thumb.fingerprint == self.fingerprint(library, rid)
        except (LeafletError, OSError):
            return False

    def _work(self) -> None:
        while True:
            try:
                rid = self._queue.get(timeout=30)
            except queue.Empty:
                with self._mutex:
                    if self._queue.empty():
                        self._worker = None
                        return
                continue
            png: bytes | None = None
            fingerprint: tuple[int, ...] = ()
            try:
                library = Library(self.renders.project)
                fingerprint = self.fingerprint(library, rid)
                plan = plan_leaflet(library, library.recipe(rid))
                rendered = self.renders.render(plan, background=True)
                png = first_page_png(rendered.files[f"{plan.options.file_stem(plan.id)}.pdf"])
            except Exception as exc:  # a broken leaflet must not stop the others' pictures
                log.warning("no picture for leaflet %s: %s", rid, exc.__class__.__name__)
            with self._mutex:
                self._images[rid] = _Thumb(fingerprint, png)
                self._pending.discard(rid)


def first_page_png(pdf: bytes, width: int = THUMBNAIL_WIDTH) -> bytes:
    """Page 1 of a PDF as a PNG: WeasyPrint 70 writes only PDF, so pdfium (or poppler) draws it."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        pdfium = None
    if pdfium is not None:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            bitmap = page.render(scale=width / page.get_width())
            image = bitmap.to_pil()
            out = BytesIO()
            image.save(out, "PNG", optimize=True)
            return out.getvalue()
        finally:
            document.close()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RuntimeError("neither pypdfium2 nor pdftoppm is installed")
    # PDF from stdin ("-"), PNG to stdout (no output root): nothing touches the disk.
    result = subprocess.run(
        [pdftoppm, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to-x", str(width), "-scale-to-y", "-1", "-"],
        input=pdf, capture_output=True, timeout=60, check=True,
    )
    if not result.stdout.startswith(b"\x89PNG"):
        raise RuntimeError("pdftoppm did not write a PNG")
    return result.stdout


def timed_render(state: WebState, plan: LeafletPlan, output_format: str = "pdf") -> RenderedLeaflet:
    started = time.perf_counter()
    rendered = state.renders.render(plan, output_format=output_format)
    log.info("made %s (%s) in %.2f s", plan.id, plan.options.as_key(), time.perf_counter() - started)
    return rendered
