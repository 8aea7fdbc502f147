"""Warm the batch's parent process while it plans, so every forked worker starts with a warm renderer."""

from __future__ import annotations

import contextlib
import threading

from ..library import Library
from .worker import preload


class ParentWarmUp:
    """Loads WeasyPrint, fonts and stylesheets in a thread during planning; `finish` waits for it before forking."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._thread: threading.Thread | None = None

    def begin(self) -> None:
        """Called when the first job needs building: the load overlaps the planning of the rest."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="leaflets-warm", daemon=True)
            self._thread.start()

    def finish(self) -> None:
        """Wait for the load (or do it now) and hand the parsed library to the workers to come."""
        self.begin()
        assert self._thread is not None
        self._thread.join()
        preload(self.library)

    def _load(self) -> None:
        from ..pool.tasks import warm_renderer

        with contextlib.suppress(Exception):  # each job's own render reports the real error
            warm_renderer(self.library.project)
