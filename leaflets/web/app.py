"""The local web page behind `leaflets serve`: pick a leaflet, add a patient's details, preview, print.

Nothing a nurse types is kept: details live only in the request that renders them. They are never
written to disk, logged or cached; every page, preview and PDF is sent with `Cache-Control: no-store`,
and forms use POST so details never appear in a URL, a history entry or an access log.

Time limit: `render.time_limit` uses signals, which work only in the main thread, and waitress renders
in worker threads. The server bounds the work instead: a request body is at most `MAX_BODY_BYTES`,
each detail has the schema's length limit, an ad hoc leaflet has at most `schema.MAX_SECTIONS` existing
sections, and renders run one at a time behind a lock (a request that waits longer than
`RENDER_WAIT_SECONDS` for it gets a 503). Content comes from the project's own reviewed files.

WeasyPrint is imported only when the first PDF is rendered, never when this module is imported.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ..project import find_project
from . import language, record_routes, routes, security
from .config import MAX_BODY_BYTES, WEB_TEMPLATES
from .rendering import Renders, Thumbnails
from .security import LOOPBACK_NAMES
from .state import WebState


def create_app(root: Path | str | None = None, db_path: Path | str | None = None) -> Flask:
    """The Flask app for one project; WeasyPrint loads only when the first PDF is made.

    DB_PATH is the hand-out record for sites that keep one (default: leaflets.db in the project).
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
    renders = Renders(project)
    app.extensions["leaflets"] = WebState(project, renders, Thumbnails(renders))
    security.install(app)
    language.install(app)
    app.register_blueprint(routes.web)
    app.register_blueprint(record_routes.record_web)
    return app
