"""Running the app with waitress: on this computer only unless told otherwise, loudly."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from waitress.server import BaseWSGIServer, MultiSocketServer

from .app import create_app
from .config import MAX_BODY_BYTES
from .rendering import QUEUE_LIMIT
from .security import is_loopback

log = logging.getLogger("leaflets.web")

SERVER_THREADS = QUEUE_LIMIT + 8
"""Enough request threads for a full render queue plus page loads: a request beyond the queue gets a 503
with Retry-After at once, instead of waiting unseen in waitress's own backlog."""
CONNECTION_LIMIT = 500
"""Open connections waitress keeps: idle or half-sent ones (a port scanner, a stuck browser) cannot use them up."""
CHANNEL_SECONDS = 30
"""A connection that sends nothing for this long is closed; a real request arrives in well under a second."""
CLEANUP_SECONDS = 5
"""How often waitress looks for such silent connections."""


def make_server(
    app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = SERVER_THREADS
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for APP (pure Python, runs on Windows too); port 0 picks a free port."""
    from waitress import create_server

    # waitress warns when requests wait for a thread; renders queue on purpose, so only errors show.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_server(
        app, host=host, port=port, threads=threads, ident="leaflets", expose_tracebacks=False,
        max_request_body_size=MAX_BODY_BYTES, clear_untrusted_proxy_headers=True,
        connection_limit=CONNECTION_LIMIT, channel_timeout=CHANNEL_SECONDS, cleanup_interval=CLEANUP_SECONDS,
    )


@contextmanager
def background_server(app: Flask, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve APP with waitress on a free port in a thread, for tests, benchmarks and screenshots."""
    server = make_server(app, host, 0)
    thread = threading.Thread(target=server.run, name="leaflets-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        from waitress import wasyncore

        server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]
        # The listener and open connections are closed by the server's own thread, between two waits: closed
        # from here, they could go while that thread was waiting on them (select() then fails with EBADF).
        connections = server._map  # type: ignore[union-attr]
        server.trigger.pull_trigger(lambda: wasyncore.close_all(connections, ignore_all=True))  # type: ignore[union-attr]
        thread.join(timeout=10)
        if thread.is_alive() or connections:  # the thread had stopped, or did not wake: close them here
            wasyncore.close_all(connections, ignore_all=True)


def loud_warning(host: str) -> str:
    """The lines printed when the server can be reached from other computers."""
    bar = "!" * 72
    return "\n".join([
        bar,
        f"WARNING: leaflets is listening on {host}, not only on this computer.",
        "WARNING: other computers on the network can open this page and make leaflets.",
        "WARNING: it has no passwords and uses plain http, so patient details typed on",
        "WARNING: another computer cross the network unencrypted.",
        "WARNING: stop it (Ctrl+C) and run 'leaflets serve' without --host unless you mean this.",
        bar,
    ])


def serve(
    host: str = "127.0.0.1", port: int = 8000, root: Path | str | None = None, db_path: Path | str | None = None
) -> None:
    """Run the web page with waitress until Ctrl+C; never Flask's development server."""
    app = create_app(root, db_path)
    if not is_loopback(host):
        print(loud_warning(host), file=sys.stderr)
        app.config["ALLOWED_HOSTS"] = None  # other computers use this computer's own name or address
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); try another --port") from None
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    real_port = getattr(server, "effective_port", port)
    print(f"Leaflets is ready: open http://{shown}:{real_port}/ in your web browser.", file=sys.stderr)
    saved = saved_line(app)
    print(f"{saved} Press Ctrl+C to stop.", file=sys.stderr)
    threading.Thread(target=_warm, args=(app,), name="leaflets-warm", daemon=True).start()
    try:
        server.run()  # waitress returns from run() on Ctrl+C
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["leaflets"].renders.close()
    print("Stopped. Nothing was saved." if saved.startswith("Nothing") else "Stopped.", file=sys.stderr)


def saved_line(app: Flask) -> str:
    """What the server keeps: nothing, or the hand-out record where a site profile asks for one."""
    from .record_routes import keeps_any_record

    if keeps_any_record(app.extensions["leaflets"].library()):
        return "Names and notes are never saved; hand-outs are recorded where a site profile asks."
    return "Nothing typed into the page is saved."


def _warm(app: Flask) -> None:
    try:
        app.extensions["leaflets"].renders.warm()
    except Exception as exc:  # the first PDF will show the real error
        log.warning("could not load the PDF renderer early: %s", exc.__class__.__name__)
