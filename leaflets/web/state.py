"""What the app keeps between requests: the project, the renderer, thumbnails and the CSRF secret."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from flask import current_app

from ..library import Library
from ..project import Project
from .rendering import Renders, Thumbnails


def current_state() -> WebState:
    return current_app.extensions["leaflets"]  # type: ignore[no-any-return]


@dataclass
class WebState:
    """What the app keeps between requests: the project, the renderer, thumbnails and the CSRF secret."""

    project: Project
    renders: Renders
    thumbnails: Thumbnails
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _library: tuple[tuple[tuple[str, int, int], ...], Library] | None = None
    _library_lock: threading.Lock = field(default_factory=threading.Lock)

    def library(self) -> Library:
        """The parsed content, parsed again only when a content file changes, so edits show without a restart."""
        stamp = content_stamp(self.project)
        with self._library_lock:
            if self._library is None or self._library[0] != stamp:
                self._library = (stamp, Library(self.project))
            return self._library[1]


def content_stamp(project: Project) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every content file: cheap to read, changes on any edit."""
    stamp = []
    for path in sorted(p for folder in project.folders("content") for p in folder.rglob("*")):
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(stamp)
