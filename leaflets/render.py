"""HTML -> PDF with WeasyPrint: the only module that imports it, with a locked-down URL fetcher."""

from __future__ import annotations

import logging
import mimetypes
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import unquote, urlsplit

from .errors import RenderError

if TYPE_CHECKING:  # pragma: no cover
    import weasyprint

log = logging.getLogger("leaflets")

MAX_ASSET_BYTES = 10 * 1024 * 1024
"""An image or font bigger than this is refused: nothing a leaflet needs is that large."""
MAX_IMAGE_PIXELS = 20_000_000
"""About 5,000 x 4,000 pixels: more than any printed leaflet needs, small enough to never exhaust memory."""
RENDER_SECONDS = 60
"""A render that takes longer than this is stopped: a leaflet takes about a second."""

_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class _BlockedURL(ValueError):
    """WeasyPrint catches this, leaves the resource out and goes on."""


def make_fetcher(allowed: tuple[Path, ...]) -> Any:
    """A URLFetcher that serves only files inside ALLOWED folders and data: URLs."""
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    roots = tuple(p.resolve() for p in allowed)

    class ProjectURLFetcher(URLFetcher):
        """Reads project assets from disk itself; no network, no redirects, no other files."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme != "file":
                log.warning("not fetched: %s (only the project's own files are used)", _short(url))
                raise _BlockedURL(f"blocked URL: {_short(url)}")
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                log.warning("not fetched: %s (a file on another computer)", _short(url))
                raise _BlockedURL("blocked remote file URL")
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                log.warning("not fetched: %s (outside the project's templates, styles and content)", _short(url))
                raise _BlockedURL("file outside the project's asset folders")
            if not path.is_file():
                log.warning("not found: %s", _short(url))
                raise _BlockedURL("missing file")
            if path.stat().st_size > MAX_ASSET_BYTES:
                log.warning("not used: %s is larger than %d MB", path.name, MAX_ASSET_BYTES // 2**20)
                raise _BlockedURL("file too large")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            body = path.read_bytes()
            if mime in _IMAGE_TYPES:
                _check_pixels(path, body)
            return URLFetcherResponse(path.as_uri(), body, {"Content-Type": mime})

    return ProjectURLFetcher()


def _short(url: str) -> str:
    return url if len(url) <= 100 else url[:97] + "..."


def _check_pixels(path: Path, body: bytes) -> None:
    from io import BytesIO

    from PIL import Image

    try:
        with Image.open(BytesIO(body)) as image:  # reads the header only
            width, height = image.size
    except Exception:
        log.warning("not used: %s is not a readable image", path.name)
        raise _BlockedURL("unreadable image") from None
    if width * height > MAX_IMAGE_PIXELS:
        log.warning("not used: %s is %dx%d pixels; the limit is %d pixels", path.name, width, height, MAX_IMAGE_PIXELS)
        raise _BlockedURL("image too large")


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Stop a render that runs too long (main thread only: signals need it)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimeoutError:
        raise RenderError(f"rendering took longer than {seconds} seconds and was stopped") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Renderer:
    """A warm WeasyPrint: fonts, parsed stylesheets and images shared across renders."""

    def __init__(self, allowed: tuple[Path, ...], styles: Path) -> None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        _quiet_weasyprint()
        self._weasyprint = weasyprint
        self.styles = styles
        self.font_config = FontConfiguration()
        self.fetcher = make_fetcher(allowed)
        self._css: dict[str, weasyprint.CSS] = {}
        self._image_cache: dict[str, Any] = {}
        self.renders = 0

    def stylesheet(self, name: str) -> weasyprint.CSS:
        """Parse a stylesheet in styles/ once per renderer."""
        if name not in self._css:
            path = self.styles / name
            if not path.is_file():
                raise RenderError(f"{path}: stylesheet not found")
            self._css[name] = self._weasyprint.CSS(
                filename=str(path), font_config=self.font_config, url_fetcher=self.fetcher
            )
        return self._css[name]

    def render(self, html: str, base_url: str, stylesheets: list[str], seconds: int = RENDER_SECONDS) -> bytes:
        """Render HTML to tagged PDF/UA-1 bytes, deterministically."""
        css = [self.stylesheet(name) for name in stylesheets]
        try:
            with time_limit(seconds):
                document = self._weasyprint.HTML(string=html, base_url=base_url, url_fetcher=self.fetcher).render(
                    stylesheets=css, font_config=self.font_config, cache=self._image_cache,
                    pdf_variant="pdf/ua-1",
                )
                document.metadata.attachments = []  # <link rel=attachment> never embeds a file
                pdf = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=True)
        except RenderError:
            raise
        except MemoryError:
            raise RenderError("ran out of memory while rendering") from None
        except Exception as exc:  # WeasyPrint's own failures: report, never a traceback
            raise RenderError(f"rendering failed: {exc.__class__.__name__}: {exc}") from exc
        self.renders += 1
        return pdf


def _quiet_weasyprint() -> None:
    # WeasyPrint logs every ignored CSS property and refused URL at WARNING; our fetcher already
    # explains refusals in plain words, so only its errors reach the user.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
