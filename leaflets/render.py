"""HTML -> PDF with WeasyPrint: the only module that imports it, with a locked-down URL fetcher."""

from __future__ import annotations

import io
import logging
import mimetypes
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import unquote, urlsplit

from . import pdf_objects
from .asset_checks import check_image, refuse
from .errors import LeafletError, RenderError
from .layers import served_file

if TYPE_CHECKING:  # pragma: no cover
    import weasyprint

log = logging.getLogger("leaflets")

MAX_ASSET_BYTES = 10 * 1024 * 1024
"""An image or font bigger than this is refused: nothing a leaflet needs is that large."""
RENDER_SECONDS = 60
"""A render that takes longer than this is stopped: a leaflet takes about a second."""

_FONT_SUFFIXES = {".ttf", ".otf", ".woff", ".woff2", ".ttc"}


class MissingGlyphs(RenderError):
    """Text that no font can print: WeasyPrint drew it as empty boxes (.notdef glyphs)."""

    def __init__(self, characters: frozenset[str]) -> None:
        super().__init__("the leaflet has characters that no installed font can print")
        self.characters = characters


class _GlyphWatch(logging.Filter):
    """Collects the characters WeasyPrint drew as empty boxes; lets only its errors through to the user."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(".notdef glyph") and record.args:
            self.missing().add(str(record.args[0]))  # type: ignore[index]
            return False
        return record.levelno >= logging.ERROR

    def missing(self) -> set[str]:
        if not hasattr(self.local, "missing"):
            self.local.missing = set()
        return self.local.missing


_GLYPHS = _GlyphWatch()


_IMPORT_LOCK = threading.Lock()


def load_weasyprint() -> Any:
    """Import WeasyPrint without ctypes' library search, which runs `ldconfig` and `gcc` for each library name
    WeasyPrint tries before the one that loads: about half a second of every process's start on Linux."""
    with _IMPORT_LOCK:
        if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
            import weasyprint

            return weasyprint
        import ctypes.util

        search = ctypes.util.find_library
        ctypes.util.find_library = lambda _name: None  # the libraries' sonames load directly, without a search
        try:
            with redirect_stdout(io.StringIO()):  # WeasyPrint prints a help text when a library fails
                import weasyprint
            return weasyprint
        except OSError:  # a system whose libraries only the search finds: import again the usual way
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
        finally:
            ctypes.util.find_library = search
        import weasyprint

        return weasyprint


def make_fetcher(allowed: tuple[Path | tuple[Path, ...], ...]) -> Any:
    """A URLFetcher that serves only files inside ALLOWED folders (or groups of layered folders) and data: URLs."""
    load_weasyprint()
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    groups = tuple(tuple(p.resolve() for p in ((g,) if isinstance(g, Path) else g)) for g in allowed)

    class ProjectURLFetcher(URLFetcher):
        """Reads project assets from disk itself; no network, no redirects, no other files."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
            self.warned: set[str] = set()

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return self._data(url, headers)
            if scheme != "file":
                self._refuse(url, "only the project's own files are used: save a copy under content/ and link to that")
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                self._refuse(url, "a file on another computer: save a copy under content/ and link to that")
            try:
                path = Path(unquote(parts.path)).resolve()
            except (OSError, ValueError, RuntimeError):
                self._refuse(url, "not a usable file name")
            served = served_file(path, groups)
            if served is None:
                self._refuse(url, "outside the project's templates, styles and content folders")
            path = served
            if not path.is_file():
                if path.suffix.lower() in _FONT_SUFFIXES:
                    self._refuse(url, "font file not found: text uses the next font the stylesheet lists; check the "
                                 "file name in the stylesheet", "not found")
                self._refuse(url, "file not found: check the name and folder", "not found")
            if path.stat().st_size > MAX_ASSET_BYTES:
                self._refuse(url, f"larger than {MAX_ASSET_BYTES // 2**20} MB: use a smaller file", "not used")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            body = path.read_bytes()
            check_image(url, body, mime, self.warned)
            return URLFetcherResponse(path.as_uri(), body, {"Content-Type": mime})

        def _data(self, url: str, headers: Any) -> Any:
            response = super().fetch(url, headers)
            body = response.read(MAX_ASSET_BYTES + 1)
            response.close()
            if len(body) > MAX_ASSET_BYTES:
                self._refuse(url, f"larger than {MAX_ASSET_BYTES // 2**20} MB: use a smaller file", "not used")
            mime = response.content_type
            check_image(url, body, mime, self.warned)
            return URLFetcherResponse(url, body, {"Content-Type": mime})

        def _refuse(self, url: str, why: str, what: str = "not fetched") -> NoReturn:
            refuse(url, why, what, self.warned)

    return ProjectURLFetcher()


class _RenderTimeout(BaseException):
    """Raised by the alarm; a BaseException so that WeasyPrint's own `except Exception` cannot swallow it."""


@contextmanager
def time_limit(seconds: float, on_timeout: Callable[[], LeafletError] | None = None) -> Iterator[None]:
    """Stop work that runs too long with RenderError, or ON_TIMEOUT's error (main thread only: signals need it)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    armed = [True]

    def _expired(_signum: int, _frame: Any) -> None:
        if armed[0]:
            raise _RenderTimeout

    previous = signal.signal(signal.SIGALRM, _expired)
    # Fire again every second until cancelled, in case the first alarm lands somewhere that ignores it.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        try:
            yield
        finally:
            armed[0] = False  # an alarm from here on is ignored, so it can never escape as a traceback
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _RenderTimeout:
        if on_timeout is not None:
            raise on_timeout() from None
        raise RenderError(
            f"rendering took longer than {seconds:g} seconds and was stopped; split the leaflet into smaller ones, "
            "or use smaller images"
        ) from None
    finally:
        signal.signal(signal.SIGALRM, previous)


class Renderer:
    """A warm WeasyPrint: fonts, parsed stylesheets and images shared across renders."""

    def __init__(self, allowed: tuple[Path | tuple[Path, ...], ...], styles: Path | tuple[Path, ...]) -> None:
        weasyprint = load_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        _quiet_weasyprint()
        self._weasyprint = weasyprint
        self.styles = (styles,) if isinstance(styles, Path) else styles
        self.font_config = FontConfiguration()
        _share_pango_contexts()
        _install_page_replay()
        _skip_gap_page_margins()
        _share_page_styles()
        pdf_objects.install()
        self.fetcher = make_fetcher(allowed)
        self._css: dict[str, weasyprint.CSS] = {}
        self._image_cache: dict[str, Any] = {}
        self.measured: dict[Any, Any] = {}
        """Results read from small layouts (where to cut the contents list), kept as long as the parsed stylesheets."""

    def stylesheet(self, name: str) -> weasyprint.CSS:
        """Parse a stylesheet in styles/ (the first layer that has it) once per renderer."""
        if name not in self._css:
            path = next((f / name for f in self.styles if (f / name).is_file()), self.styles[0] / name)
            if not path.is_file():
                raise RenderError(f"{path}: stylesheet not found")
            try:
                self._css[name] = self._weasyprint.CSS(
                    filename=str(path), font_config=self.font_config, url_fetcher=self.fetcher
                )
            except (OSError, ValueError) as exc:
                raise RenderError(f"{path}: stylesheet cannot be read ({exc}); check it is UTF-8 CSS") from None
        return self._css[name]

    def render(self, html: str, base_url: str, stylesheets: list[str], seconds: float | None = None) -> bytes:
        """Render HTML to tagged PDF/UA-1 bytes, deterministically, within SECONDS (default RENDER_SECONDS)."""
        seconds = RENDER_SECONDS if seconds is None else seconds
        with time_limit(seconds), _plain_errors():
            return self.write(self.layout(html, base_url, stylesheets))

    def layout(self, html: str, base_url: str, stylesheets: list[str]) -> Any:
        """Lay out HTML into WeasyPrint pages (a Document), without writing the PDF: page reuse joins these."""
        css = [self.stylesheet(name) for name in stylesheets]
        try:
            with _plain_errors():
                document = self._weasyprint.HTML(string=html, base_url=base_url, url_fetcher=self.fetcher).render(
                    stylesheets=css, font_config=self.font_config, cache=self._image_cache, pdf_variant="pdf/ua-1",
                )
                _drop_attachments(document)
        finally:
            _forget_svg_pictures(self._image_cache)  # the boxes keep their own; drawing needs no cache
        return document

    def list_item_spans(self, html: str, base_url: str, stylesheets: list[str]) -> list[tuple[float, float]]:
        """The top and bottom of every list item's border box, in document order: measured, not guessed."""
        spans: list[tuple[float, float]] = []

        def walk(box: Any) -> None:
            if box.element_tag == "li":
                spans.append((box.border_box_y(), box.border_box_y() + box.border_height()))
                return
            for child in getattr(box, "children", ()):
                walk(child)

        for page in self.layout(html, base_url, stylesheets).pages:
            walk(page._page_box)
        return spans

    def write(self, document: Any, pages: list[Any] | None = None) -> bytes:
        """Write a Document (or a Document made of PAGES, maybe from several Documents) as PDF/UA-1 bytes."""
        with _plain_errors():
            if pages is not None:
                for page in set(document.pages).intersection(pages):
                    page._leaflets_replay = True  # a cached layout's page: drawn once, replayed after
                document = document.copy(pages)
            _GLYPHS.missing().clear()  # WeasyPrint reports .notdef glyphs while drawing, inside write_pdf
            pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=True)
        if missing := frozenset(_GLYPHS.missing()):
            raise MissingGlyphs(missing)
        return pdf


@contextmanager
def _plain_errors() -> Iterator[None]:
    """WeasyPrint's own failures as one-line RenderErrors: never a traceback."""
    try:
        yield
    except RenderError:
        raise
    except MemoryError:
        raise RenderError("ran out of memory while rendering; use smaller images or split the leaflet") from None
    except UnicodeError:
        raise RenderError(
            "the leaflet's text contains characters that are not valid Unicode; retype the title or details"
        ) from None
    except Exception as exc:
        raise RenderError(f"rendering failed: {exc.__class__.__name__}: {exc}") from exc


def _forget_svg_pictures(cache: dict[str, Any]) -> None:
    """Each layout parses its SVG pictures again (a few ms): WeasyPrint's parsed SVG keeps the layout it was
    loaded in, so a cached one held a whole leaflet's boxes for the worker's life (one per picture, walked
    by the collection after every task). Raster images keep nothing of a layout and stay cached."""
    for url in [url for url, image in cache.items() if hasattr(image, "_context")]:
        del cache[url]


def _drop_attachments(document: Any) -> None:
    """No file is ever embedded in a leaflet: not by <link rel=attachment>, nor by <a rel=attachment>."""
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]


def _share_pango_contexts() -> None:
    """Give each Pango layout a shared context and font description (one per fonts, direction and language;
    one per font) instead of new ones for every piece of text: about 6% of a render, the same bytes."""
    from weasyprint.text import line_break

    shared = getattr(line_break.Layout.setup, "shares_contexts", False)
    if shared or not load_weasyprint().__version__.startswith("70."):
        return  # once per process; a WeasyPrint other than the one this copy of Layout.setup follows keeps its own
    from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
    from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango, unicode_to_char_p
    from weasyprint.text.fonts import font_features, get_font_description

    def setup(self: Any, style: Any) -> None:  # WeasyPrint 70's Layout.setup (BSD licence), contexts shared
        self.style, self.first_line_direction = style, 0
        contexts, descriptions = style.font_config.__dict__.setdefault("_leaflets_pango", ({}, {}))
        override = style["font_language_override"]
        lang = LST_TO_ISO.get(override.lower(), override) if override != "normal" else style["lang"] or None
        if (style["direction"], lang) not in contexts:
            context = ffi.gc(pango.pango_font_map_create_context(style.font_config.font_map), gobject.g_object_unref)
            pango.pango_context_set_round_glyph_positions(context, False)
            pango.pango_context_set_base_dir(context, PANGO_DIRECTION[style["direction"]])
            language = pango.pango_language_get_default()
            if lang:
                language = pango.pango_language_from_string(unicode_to_char_p(lang)[0])
                pango.pango_context_set_language(context, language)
            contexts[style["direction"], lang] = (context, language)  # never changed again: layouts stay valid
        context, self.language = contexts[style["direction"], lang]
        font_key = (tuple(style["font_family"]), style["font_style"], style["font_stretch"], style["font_weight"],
                    style["font_size"], style["font_variant_caps"], repr(style["font_variation_settings"]))
        if font_key not in descriptions:
            descriptions[font_key] = get_font_description(style)  # Pango copies it into each layout
        description = descriptions[font_key]
        self.layout = ffi.gc(pango.pango_layout_new(context), gobject.g_object_unref)
        pango.pango_layout_set_auto_dir(self.layout, False)
        pango.pango_layout_set_font_description(self.layout, description)
        self.ascent = self.underline_position = self.strikethrough_position = None
        if style["text_decoration_line"] != "none":
            metrics = ffi.gc(pango.pango_context_get_metrics(context, description, self.language),
                             pango.pango_font_metrics_unref)
            self.ascent = FROM_UNITS * pango.pango_font_metrics_get_ascent(metrics)
            self.underline_position = FROM_UNITS * pango.pango_font_metrics_get_underline_position(metrics)
            self.strikethrough_position = FROM_UNITS * pango.pango_font_metrics_get_strikethrough_position(metrics)
            self.underline_thickness = FROM_UNITS * pango.pango_font_metrics_get_underline_thickness(metrics)
            self.strikethrough_thickness = FROM_UNITS * pango.pango_font_metrics_get_strikethrough_thickness(metrics)
        features = font_features(
            style["font_kerning"], style["font_variant_ligatures"], style["font_variant_position"],
            style["font_variant_caps"], style["font_variant_numeric"], style["font_variant_alternates"],
            style["font_variant_east_asian"], style["font_feature_settings"])
        if features:
            encoded = ",".join(f"{key} {value}" for key, value in features.items()).encode()
            attr = style.font_config.font_features.setdefault(encoded, pango.pango_attr_font_features_new(encoded))
            attr_list = pango.pango_attr_list_new()
            pango.pango_attr_list_insert(attr_list, attr)
            pango.pango_layout_set_attributes(self.layout, attr_list)

    setup.shares_contexts = True  # type: ignore[attr-defined]
    setup.original = line_break.Layout.setup  # type: ignore[attr-defined]
    line_break.Layout.setup = setup


def _install_page_replay() -> None:
    """Hand WeasyPrint's writer pieces to page_replay, which keeps what reused pages draw (same bytes)."""
    if not load_weasyprint().__version__.startswith("70."):
        return  # page_replay follows WeasyPrint 70's writer; another version draws every page itself
    import pydyf
    from weasyprint.document import Page
    from weasyprint.pdf.fonts import Font
    from weasyprint.pdf.stream import Stream
    from weasyprint.text.fonts import get_pango_font_key

    from . import page_replay

    page_replay.install(Page, {"Stream": Stream, "Font": Font, "get_pango_font_key": get_pango_font_key,
                               "to_bytes": pydyf._to_bytes, "Dictionary": pydyf.Dictionary, "Array": pydyf.Array,
                               "PydyfStream": pydyf.Stream})


def _skip_gap_page_margins() -> None:
    """Page reuse's empty pages (never printed; the stylesheet gives all 16 margin boxes `content: none`) get
    none made at all: WeasyPrint still made and styled all 16 on each, a tenth of a personalised render."""
    import weasyprint.layout
    from weasyprint.layout import page as page_layout

    original = page_layout.make_margin_boxes
    if getattr(original, "skips_gap_pages", False) or not load_weasyprint().__version__.startswith("70."):
        return  # once per process; another WeasyPrint lays the empty pages' margins out (the same pages)
    from .splice import GAP_PAGE

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
        if page.page_type.name == GAP_PAGE:
            return iter(())
        return original(context, page, state)  # type: ignore[no-any-return]

    make_margin_boxes.skips_gap_pages = True  # type: ignore[attr-defined]
    page_layout.make_margin_boxes = weasyprint.layout.make_margin_boxes = make_margin_boxes  # its caller's name


def _share_page_styles() -> None:
    """Pages that match the same @page rules share their computed styles, and margin boxes' widths are worked
    out once (page_styles.py; the same bytes)."""
    if load_weasyprint().__version__.startswith("70."):  # another WeasyPrint styles each page itself
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout import page as page_layout

        from . import page_styles

        page_styles.install(page_layout, boxes)


def _quiet_weasyprint() -> None:
    # WeasyPrint logs every ignored CSS property and refused URL at WARNING; our fetcher already
    # explains refusals in plain words, so only its errors reach the user, and its warnings about
    # missing glyphs are collected to become an error naming the field.
    logger = logging.getLogger("weasyprint")
    logger.setLevel(logging.WARNING)
    if _GLYPHS not in logger.filters:
        logger.addFilter(_GLYPHS)
