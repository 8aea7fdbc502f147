"""The local web page behind `leaflets serve`: pick a leaflet, add a patient's details, preview, print.

Nothing a nurse types is kept: details live only in the request that renders them. They are never
written to disk, logged or cached; every page, preview and PDF is sent with `Cache-Control: no-store`,
and forms use POST so details never appear in a URL, a history entry or an access log.

Time limit: every render runs in a worker process of the shared pool (`leaflets.pool`), forked from
this one once WeasyPrint, the fonts and the stylesheets are loaded; a render over `render.RENDER_SECONDS`
is stopped by killing its worker, which is replaced, so only that request fails. Requests queue for the
workers; beyond `rendering.QUEUE_LIMIT` waiting ones the answer is 503 with Retry-After. A request body
is at most `MAX_BODY_BYTES`, each detail has the schema's length limit, an ad hoc leaflet has at most
`schema.MAX_SECTIONS` existing sections. Content comes from the project's own reviewed files.

WeasyPrint is imported only when the first PDF is rendered, never when this module is imported.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ..project import find_project
from . import language, record_routes, routes, security
from .config import MAX_BODY_BYTES, WEB_TEMPLATES
from .rendering import QUEUE_LIMIT, Renders, Thumbnails
from .security import LOOPBACK_NAMES
from .state import WebState


def create_app(root: Path | str | None = None, db_path: Path | str | None = None, *, workers: int | None = None,
               render_seconds: float | None = None, queue_limit: int = QUEUE_LIMIT) -> Flask:
    """The Flask app for one project; WeasyPrint loads only when the first PDF is made (or the server warms).

    DB_PATH is the hand-out record for sites that keep one (default: leaflets.db in the project).
    WORKERS, RENDER_SECONDS and QUEUE_LIMIT shape the pool of render workers.
    """
    project = find_project(root)
    app = Flask(__name__, template_folder=str(WEB_TEMPLATES), static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,  # form data stays in memory: never spooled to a temp file
        ALLOWED_HOSTS=LOOPBACK_NAMES,
        TEMPLATES_AUTO_RELOAD=False,
        LEAFLETS_DB=Path(db_path).absolute() if db_path is not None else None,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    renders = Renders(project, workers=workers, seconds=render_seconds, queue_limit=queue_limit)
    app.extensions["leaflets"] = WebState(project, renders, Thumbnails(renders))
    security.install(app)
    language.install(app)
    app.register_blueprint(routes.web)
    app.register_blueprint(record_routes.record_web)
    return app
