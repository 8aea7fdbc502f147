"""The local web page behind `leaflets serve`: pick a leaflet, add a patient's details, preview, print.

Nothing a nurse types is kept: details live only in the request that renders them. They are never
written to disk, logged or cached; every page, preview and PDF is sent with `Cache-Control: no-store`,
and forms use POST so details never appear in a URL, a history entry or an access log.

Time limit: `render.time_limit` uses signals, which work only in the main thread, and waitress renders
in worker threads. The server bounds the work instead: a request body is at most `MAX_BODY_BYTES`,
each detail has the schema's length limit, an ad hoc leaflet has at most `MAX_SECTIONS` existing
sections, and renders run one at a time behind a lock (a request that waits longer than
`RENDER_WAIT_SECONDS` for it gets a 503). Content comes from the project's own reviewed files.

WeasyPrint is imported only when the first PDF is rendered, never when this module is imported.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import ipaddress
import json
import logging
import mimetypes
import queue
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join

from .assemble import LeafletPlan, plan_leaflet
from .build import BuildRequest, RenderedLeaflet, get_renderer, leaflet_html, plans_for, render_plan
from .errors import InputError, LeafletError
from .library import Library, closest
from .options import PAPERS, PrintOptions
from .personal import details_from_mapping
from .project import PACKAGE_ROOT, Project, find_project
from .rules import BrokenRule, ad_hoc_warning, broken_rules, missing_sections
from .schema import DETAIL_KEYS, Details
from .translations import check_site_language

if TYPE_CHECKING:  # pragma: no cover
    from waitress.server import BaseWSGIServer, MultiSocketServer
    from werkzeug.datastructures import MultiDict

log = logging.getLogger("leaflets.web")

MAX_BODY_BYTES = 64 * 1024
"""A request body larger than this is refused (413): six details and a few options fit many times over."""
MAX_SECTIONS = 60
"""An ad hoc leaflet may have at most this many sections, as many as a recipe may list."""
MAX_TITLE_CHARS = 300
RENDER_WAIT_SECONDS = 120
"""A request that cannot get the renderer within this time is answered 503 instead of hanging."""
THUMBNAIL_WIDTH = 360
CUSTOM_ID = "custom-leaflet"
"""The id, and so the file name, of every build-your-own leaflet: a typed title could name the patient."""
CSRF_COOKIE = "leaflets_csrf"
CSRF_FIELD = "csrf_token"

WEB_TEMPLATES = PACKAGE_ROOT / "templates" / "web"
WEB_STATIC = WEB_TEMPLATES / "static"
WEB_STYLES = PACKAGE_ROOT / "styles"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})

DETAIL_LABELS: dict[str, str] = {
    "patient_name": "Patient's name",
    "prepared_by": "Prepared by",
    "team_name": "Team name",
    "team_phone": "Team phone number",
    "next_appointment": "Next appointment",
    "notes": "Notes for the patient",
}
DETAIL_HINTS: dict[str, str] = {
    "prepared_by": "Your name and role, for example Sam Patel, specialist nurse.",
    "team_name": "Leave empty to use the site's name.",
    "team_phone": "The number the patient should call.",
    "next_appointment": "For example: Tuesday 3 March, 10:30, Clinic 4.",
    "notes": "Printed under 'Notes from your team'. Each line becomes a paragraph.",
}
LAYOUTS: dict[str, tuple[str, str, str]] = {
    # form value: (variant, file, label)
    "standard": ("standard", "reading", "Standard"),
    "large-print": ("large-print", "reading", "Large print"),
    "booklet": ("booklet", "reading", "Booklet: A5 pages to read"),
    "booklet-print": ("booklet", "booklet", "Booklet: print file to fold"),
}
PAPER_LABELS = {"a4": "A4", "letter": "US Letter"}
API_OPTION_KEYS = ("details", "site", "variant", "paper", "file", "print_ready", "lang")
LANGUAGE_LABELS = {"en": "English", "fr": "Français (French)"}

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
ASSET_CSP = "default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; sandbox"
_STATIC_TYPES = {".css", ".js", ".svg", ".png", ".ttf", ".otf", ".woff", ".woff2"}
_STYLE_ASSET_TYPES = {".css", ".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
_IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}

PLACEHOLDER_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="360" height="509" viewBox="0 0 360 509">'
    b'<rect width="360" height="509" fill="#f0f4f5"/>'
    b'<rect x="36" y="60" width="220" height="22" rx="4" fill="#d8e2e6"/>'
    b'<rect x="36" y="100" width="288" height="12" rx="4" fill="#e3eaed"/>'
    b'<rect x="36" y="124" width="250" height="12" rx="4" fill="#e3eaed"/>'
    b'<rect x="36" y="148" width="270" height="12" rx="4" fill="#e3eaed"/>'
    b'<text x="180" y="300" font-family="sans-serif" font-size="22" fill="#425563" text-anchor="middle">'
    b"Picture on its way</text></svg>"
)


class ApiError(Exception):
    """A request the server refuses, answered as JSON (API) or a plain page (forms)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- the shared state: one project, one warm renderer, thumbnails -----------------------------------


@dataclass
class LeafletChoice:
    """One leaflet as the list page and the API show it: no patient details."""

    id: str
    title: str
    subtitle: str | None
    audience: str | None
    sections: list[str]
    draft: bool

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "subtitle": self.subtitle, "audience": self.audience,
                "sections": self.sections, "draft": self.draft}

    @property
    def search_text(self) -> str:
        return " ".join(filter(None, [self.title, self.subtitle, self.id.replace("-", " ")])).lower()


class Renders:
    """The process's one warm WeasyPrint renderer; WeasyPrint objects are not thread-safe, so a lock."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._lock = threading.Lock()
        self._renderer: Any = None
        self._waiting = 0  # nurses' requests waiting for the lock: pictures wait for them
        self._count_lock = threading.Lock()

    def _get(self) -> Any:
        if self._renderer is None:
            self._renderer = get_renderer(self.project)
        return self._renderer

    def render(self, plan: LeafletPlan, background: bool = False) -> RenderedLeaflet:
        """Render one plan, waiting for any render already running; a BACKGROUND render lets requests go first."""
        if background:
            deadline = time.monotonic() + RENDER_WAIT_SECONDS
            while self._waiting and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            with self._count_lock:
                self._waiting += 1
        try:
            if not self._lock.acquire(timeout=RENDER_WAIT_SECONDS):
                raise ApiError(503, "the leaflet printer is busy; try again in a minute")
        finally:
            if not background:
                with self._count_lock:
                    self._waiting -= 1
        try:
            return render_plan(plan, self.project, renderer=self._get())
        finally:
            self._lock.release()

    def warm(self) -> None:
        """Load WeasyPrint, fonts and stylesheets before the first nurse waits for them."""
        from .assemble import STYLESHEETS, VARIANT_STYLESHEETS

        with self._lock:
            renderer = self._get()
            for name in (*STYLESHEETS, *VARIANT_STYLESHEETS.values()):
                with contextlib.suppress(LeafletError):
                    renderer.stylesheet(name)


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
        paths = [recipe.path, *(library.project.content / "sections" / f"{s}.md" for s in recipe.file.sections)]
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


def _state() -> WebState:
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
    for path in sorted(project.content.rglob("*")):
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(stamp)


# -- choices shown on the pages ----------------------------------------------------------------------


def leaflet_choices(library: Library) -> tuple[list[LeafletChoice], list[str]]:
    """Every usable leaflet, and one line for each that cannot be loaded."""
    choices: list[LeafletChoice] = []
    problems: list[str] = []
    for rid in library.recipe_ids:
        try:
            recipe = library.recipe(rid)
            sections = library.sections_of(recipe)
        except LeafletError as exc:
            problems.append(f"{rid}: {exc.problems[0].message}")
            continue
        file = recipe.file
        choices.append(LeafletChoice(rid, file.title, file.subtitle, file.audience, list(file.sections),
                                     any(s.meta.status != "approved" for s in sections)))
    choices.sort(key=lambda c: c.title.lower())
    return choices, problems


def matches(choice_text: str, query: str) -> bool:
    """Every word of the query appears in the text (the JS filter does the same)."""
    return all(word in choice_text for word in query.lower().split())


def section_choices(library: Library) -> tuple[list[dict[str, Any]], list[str]]:
    sections: list[dict[str, Any]] = []
    problems: list[str] = []
    for sid in library.section_ids:
        try:
            meta = library.section(sid).meta
        except LeafletError as exc:
            problems.append(f"{sid}: {exc.problems[0].message}")
            continue
        sections.append({"id": sid, "title": meta.title, "summary": meta.summary, "status": meta.status,
                         "tags": list(meta.tags)})
    sections.sort(key=lambda s: s["title"].lower())
    return sections, problems


def site_choices(library: Library) -> list[dict[str, str]]:
    default = library.site(None).file
    sites = [{"id": "default", "name": default.name, "paper": default.paper, "languages": default.languages}]
    for sid in library.site_ids:
        if sid == "default":
            continue
        try:
            site = library.site(sid)
        except LeafletError:
            continue
        sites.append({"id": sid, "name": site.file.name, "paper": site.file.paper, "languages": site.file.languages})
    return sites


def language_choices(sites: list[dict[str, Any]]) -> dict[str, str]:
    """The languages any site offers, for the form's language choice (none shown when there is only one)."""
    offered = dict.fromkeys(code for site in sites for code in site.get("languages", ["en"]))
    return {code: LANGUAGE_LABELS.get(code, code) for code in offered} if len(offered) > 1 else {}


# -- reading requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """A checked print order: the same validation the CLI applies."""

    details: Details
    site: str | None
    options: PrintOptions
    file: str  # "reading" or "booklet"


def _form_problem_preview(exc: InputError) -> Response:
    """The preview frame's answer to a form it cannot render: what to fix, never what was typed."""
    return preview_message("Check the form: " + "; ".join(m for _k, m in _detail_problems(exc)), 400)


def _detail_problems(exc: LeafletError) -> list[tuple[str | None, str]]:
    """Friendly (field, message) pairs from the schema's problems; they never repeat the value typed."""
    found: list[tuple[str | None, str]] = []
    for problem in exc.problems:
        key, sep, message = problem.message.partition(": ")
        if sep and key in DETAIL_LABELS:
            limit = re.search(r"at most (\d+) characters", message)
            label = DETAIL_LABELS[key]
            text = f"{label} must be {limit.group(1)} characters or fewer" if limit else f"{label}: {message}"
            found.append((key, text))
        else:
            found.append((None, problem.message))
    return found


def order_from(values: Mapping[str, Any], library: Library, details: Mapping[str, Any]) -> Order:
    """Validate details and print options; raises InputError naming keys, never values."""
    checked = details_from_mapping(details)
    site_id = values.get("site") or None
    if site_id is not None and not isinstance(site_id, str):
        raise InputError("site must be a site profile id (text)")
    site = library.site(site_id)
    variant = values.get("variant") or "standard"
    paper = values.get("paper") or site.file.paper
    if not isinstance(variant, str) or not isinstance(paper, str):
        raise InputError("variant and paper must be text")
    print_ready = values.get("print_ready", False)
    if not isinstance(print_ready, bool):
        raise InputError("print_ready must be true or false")
    file = values.get("file") or "reading"
    if file not in ("reading", "booklet"):
        raise InputError("file must be 'reading' or 'booklet'")
    language = values.get("lang") or site.file.languages[0]
    if not isinstance(language, str):
        raise InputError("lang must be a language code, for example \"fr\"")
    check_site_language(site, language)
    options = PrintOptions(variant=variant, paper=paper, print_ready=print_ready, language=language)
    if file == "booklet" and variant != "booklet":
        raise InputError("file 'booklet' needs variant 'booklet'")
    return Order(checked, site_id, options, file)


def form_order(library: Library) -> Order:
    """An order from the page's form: the layout radio names a variant and which booklet file."""
    form = request.form
    layout = form.get("layout", "standard")
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout '{layout[:40]}': choose one of {', '.join(LAYOUTS)}")
    variant, file, _label = LAYOUTS[layout]
    values = {"site": form.get("site") or None, "variant": variant, "paper": form.get("paper") or None, "file": file,
              "lang": form.get("lang") or None}
    return order_from(values, library, {k: form.get(k, "") for k in DETAIL_KEYS})


def api_body(extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON body of an API call, checked for type and keys before anything else."""
    if request.mimetype != "application/json":
        raise ApiError(400, "send a JSON body with Content-Type: application/json")
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except ValueError:
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object, for example {\"details\": {\"patient_name\": \"Sam\"}}")
    allowed = (*API_OPTION_KEYS, *extra)
    unknown = [str(k)[:40] for k in body if k not in allowed]
    if unknown:
        raise ApiError(400, f"unknown key '{unknown[0]}'{closest(unknown[0], list(allowed))}; use {', '.join(allowed)}")
    details = body.get("details") or {}
    if not isinstance(details, dict):
        raise ApiError(400, "details must be a JSON object of detail keys and text")
    return body


def custom_sections(form: MultiDict[str, str], library: Library) -> list[str]:
    """The ticked sections, ordered by the numbers typed (blank numbers keep the page's order)."""
    ticked = form.getlist("section")
    if len(ticked) > MAX_SECTIONS:
        raise InputError(f"choose at most {MAX_SECTIONS} sections")
    unknown = [sid for sid in ticked if sid not in library.section_ids]
    if unknown:
        raise InputError(f"unknown section '{unknown[0][:80]}'")

    def key(item: tuple[int, str]) -> tuple[float, int]:
        raw = str(form.get(f"order-{item[1]}", "")).strip()
        try:
            number = float(raw) if raw else float("inf")
        except ValueError:
            number = float("inf")
        return (number, item[0])

    return [sid for _i, sid in sorted(enumerate(dict.fromkeys(ticked)), key=key)]


# -- responses -----------------------------------------------------------------------------------------


def pdf_response(data: bytes, stem: str, inline: bool) -> Response:
    """A PDF that no browser or proxy keeps: the file name comes from the leaflet id only."""
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stem}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def pick_file(rendered: RenderedLeaflet, order: Order) -> tuple[str, bytes]:
    plan = rendered.plan
    stem = order.options.booklet_stem(plan.id) if order.file == "booklet" else order.options.file_stem(plan.id)
    return stem, rendered.files[f"{stem}.pdf"]


def preview_document(plan: LeafletPlan, project: Project) -> tuple[str, list[str]]:
    """The leaflet's HTML for a browser: file:// links point at /assets/, and its inline CSS hashes for the CSP.

    Details are autoescaped (a typed `"` is `&#34;`), so only real attributes start with `src="` or `href="`.
    """
    html = leaflet_html(plan, project, link_styles=True)
    head, sep, body = html.partition("</head>")
    head = re.sub(r"<base\b[^>]*>\s*", "", head, count=1)
    head = head.replace("</title>", '</title>\n<meta name="robots" content="noindex">', 1)
    head += f'<link rel="stylesheet" href="{url_for("web.static_file", name="preview.css")}">\n'
    html = head + sep + body
    for folder, prefix in ((project.styles, "/assets/styles/"), (project.content, "/assets/content/")):
        html = html.replace(f'="{folder.as_uri()}/', f'="{prefix}')
    html = html.replace(f'="{project.root.as_uri()}/', '="/assets/')
    html = re.sub(r'\b(src|href)="(?!#|/|[a-zA-Z][a-zA-Z0-9+.-]*:)', r'\1="/assets/', html)
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"
        for css in re.findall(r"<style>(.*?)</style>", head, re.DOTALL)
    ]
    return html, hashes


def preview_response(html: str, hashes: list[str], status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self' {' '.join(hashes)}; img-src 'self' data:; font-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )
    return response


def preview_message(message: str, status: int = 200) -> Response:
    """A short note shown inside the preview frame instead of a leaflet."""
    return Response(render_template("preview_message.html", message=message), status=status, mimetype="text/html")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str) -> Response:
    if wants_json():
        response = jsonify({"error": message})
        response.status_code = status
        return response
    return Response(render_template("error.html", status=status, message=message), status=status,
                    mimetype="text/html")


def leaflet_error_status(exc: LeafletError) -> int:
    if isinstance(exc, InputError):
        return 400
    return 500  # content or render problems: not the caller's fault


# -- CSRF and origin checks ------------------------------------------------------------------------


def csrf_token() -> str:
    """The form token: an HMAC of this browser's cookie under a secret that lives only in this process."""
    state = _state()
    return hmac.new(state.secret, g.csrf_cookie.encode(), hashlib.sha256).hexdigest()


def same_origin() -> bool:
    """A browser's POST must come from this server's own pages (scripts send no Origin and pass)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    own = request.host_url.rstrip("/")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer")
    if referer is not None:
        return referer == own or referer.startswith(own + "/")
    return True


def check_form_post() -> None:
    """Refuse a form post from another site: a same-origin check and the cookie-bound token."""
    if not same_origin():
        raise ApiError(403, "this form was sent from another web page, so it was refused")
    sent = request.form.get(CSRF_FIELD, "")
    if not request.cookies.get(CSRF_COOKIE) or not hmac.compare_digest(sent, csrf_token()):
        raise ApiError(
            403,
            "this form had expired (the leaflet program may have been restarted). "
            "Open the leaflet again from the list and type the details again.",
        )


def host_allowed(host: str, allowed: frozenset[str] | None) -> bool:
    """Only this computer's own names, so a web page cannot reach the server by DNS rebinding."""
    if allowed is None:
        return True
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.startswith("[") and "]" in name:
        name = name[: name.index("]") + 1]
    return name.lower() in allowed or is_loopback(name)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


# -- the app ---------------------------------------------------------------------------------------------


def create_app(root: Path | str | None = None) -> Flask:
    """The Flask app for one project; WeasyPrint loads only when the first PDF is made."""
    project = find_project(root)
    app = Flask(__name__, template_folder=str(WEB_TEMPLATES), static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,  # form data stays in memory: never spooled to a temp file
        ALLOWED_HOSTS=LOOPBACK_NAMES,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    renders = Renders(project)
    app.extensions["leaflets"] = WebState(project, renders, Thumbnails(renders))
    _register(app)
    return app


def _register(app: Flask) -> None:
    from flask import Blueprint

    web = Blueprint("web", __name__)

    @app.before_request
    def _before() -> Response | None:
        if not host_allowed(request.host, current_app.config["ALLOWED_HOSTS"]):
            return Response("This server answers only on this computer's own address.\n", 400,
                            mimetype="text/plain")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        g.new_cookie = not re.fullmatch(r"[0-9a-f]{64}", cookie)
        g.csrf_cookie = secrets.token_hex(32) if g.new_cookie else cookie
        return None

    @app.after_request
    def _after(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", PAGE_CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(g, "new_cookie", False) and response.mimetype == "text/html":
            response.set_cookie(CSRF_COOKIE, g.csrf_cookie, httponly=True, samesite="Strict", path="/")
        return response

    @app.context_processor
    def _context() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "csrf_field": CSRF_FIELD}

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.message)

    @app.errorhandler(LeafletError)
    def _leaflet_error(exc: LeafletError) -> Response:
        return error_response(leaflet_error_status(exc), "; ".join(p.message for p in exc.problems))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        messages = {
            404: "there is no such page",
            405: "this address does not take that kind of request",
            413: f"the request is too large (the limit is {MAX_BODY_BYTES // 1024} KB)",
        }
        status = exc.code or 500
        return error_response(status, messages.get(status, exc.description or exc.name))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The class only: an exception's message could quote what was typed.
        log.error("unexpected %s while answering %s %s", exc.__class__.__name__, request.method, request.path)
        return error_response(500, "something went wrong while making the leaflet; nothing was saved")

    # -- pages --------------------------------------------------------------------------------------

    @web.get("/")
    def index() -> str:
        state = _state()
        library = state.library()
        choices, problems = leaflet_choices(library)
        query = request.args.get("q", "")[:200].strip()
        # Every leaflet is on the page; those that do not match are hidden, so the JS filter can show them again.
        shown = {c.id for c in choices if matches(c.search_text, query)}
        ready = {c.id: state.thumbnails.ready(library, c.id) for c in choices}
        return render_template("index.html", choices=choices, shown=shown, total=len(choices), query=query,
                               problems=problems, ready=ready)

    @web.get("/leaflets/<rid>")
    def leaflet_page(rid: str) -> Response | str:
        library = _state().library()
        choice = _find_choice(library, rid)
        return _leaflet_form(library, choice)

    @web.post("/leaflets/<rid>/pdf")
    def leaflet_form_pdf(rid: str) -> Response | str:
        check_form_post()
        state = _state()
        library = state.library()
        choice = _find_choice(library, rid)
        try:
            order = form_order(library)
        except InputError as exc:
            return _leaflet_form(library, choice, errors=_detail_problems(exc), status=400)
        plan = plan_leaflet(library, library.recipe(rid), site_id=order.site, details=order.details,
                            options=order.options)
        stem, data = pick_file(_timed_render(state, plan), order)
        return pdf_response(data, stem, inline=request.form.get("action") == "print")

    @web.route("/leaflets/<rid>/preview", methods=["GET", "POST"])
    def leaflet_preview(rid: str) -> Response:
        state = _state()
        library = state.library()
        if rid not in library.recipe_ids:
            return preview_message("There is no such leaflet.", 404)
        try:
            if request.method == "POST":
                check_form_post()
                order = form_order(library)
            else:
                args = {k: request.args.get(k) for k in ("site", "variant", "paper")}
                order = order_from(args, library, {})
            plan = plan_leaflet(library, library.recipe(rid), site_id=order.site, details=order.details,
                                options=order.options)
        except ApiError as exc:
            return preview_message(exc.message, exc.status)
        except InputError as exc:
            return _form_problem_preview(exc)
        return preview_response(*preview_document(plan, state.project))

    @web.get("/leaflets/<rid>/thumbnail.png")
    def thumbnail(rid: str) -> Response:
        state = _state()
        library = state.library()
        if rid not in library.recipe_ids:
            return error_response(404, "there is no such leaflet")
        png = state.thumbnails.get(library, rid)
        if png is None:
            response = Response(PLACEHOLDER_SVG, mimetype="image/svg+xml")
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Thumbnail"] = "failed" if state.thumbnails.failed(rid) else "pending"
            return response
        response = Response(png, mimetype="image/png")
        response.headers["Cache-Control"] = "no-cache"
        response.set_etag(hashlib.sha256(png).hexdigest()[:32])
        return response.make_conditional(request)

    @web.get("/build")
    def build_page() -> str | Response:
        return _build_form(_state().library())

    @web.post("/build/pdf")
    def build_form_pdf() -> Response | str:
        check_form_post()
        state = _state()
        library = state.library()
        try:
            order = form_order(library)
            plan = _custom_plan(library, order, custom_sections(request.form, library), request.form.get("title"))
        except InputError as exc:
            return _build_form(library, errors=_detail_problems(exc), status=400)
        if plan.broken_rules and request.form.get("safety_ok") != "1":
            return _build_form(library, safety=plan.broken_rules)  # offer the missing sections first
        stem, data = pick_file(_timed_render(state, plan), order)
        return pdf_response(data, stem, inline=request.form.get("action") == "print")

    @web.post("/build/add-sections")
    def build_add_sections() -> Response:
        """One click adds the sections the safety rules ask for; the form comes back ticked, nothing built."""
        check_form_post()
        library = _state().library()
        try:
            ticked = custom_sections(request.form, library)
        except InputError as exc:
            return _build_form(library, errors=_detail_problems(exc), status=400)
        missing = missing_sections(broken_rules(ticked, library.rules))
        return _build_form(library, chosen=[*ticked, *missing], added=missing)

    @web.route("/build/preview", methods=["GET", "POST"])
    def build_preview() -> Response:
        state = _state()
        library = state.library()
        if request.method == "GET":
            return preview_message("Tick the sections you want, then press Update preview to see the leaflet here.")
        try:
            check_form_post()
            order = form_order(library)
            sections = custom_sections(request.form, library)
            if not sections:
                return preview_message("Tick at least one section to see a preview.")
            plan = _custom_plan(library, order, sections, request.form.get("title"))
        except ApiError as exc:
            return preview_message(exc.message, exc.status)
        except InputError as exc:
            return _form_problem_preview(exc)
        return preview_response(*preview_document(plan, state.project))

    # -- API ----------------------------------------------------------------------------------------

    @web.get("/api/leaflets")
    def api_leaflets() -> Response:
        choices, _problems = leaflet_choices(_state().library())
        return jsonify([c.as_json() for c in choices])

    @web.get("/api/sections")
    def api_sections() -> Response:
        sections, _problems = section_choices(_state().library())
        return jsonify(sections)

    @web.get("/api/sites")
    def api_sites() -> Response:
        return jsonify(site_choices(_state().library()))

    @web.post("/api/leaflets/<rid>/pdf")
    def api_leaflet_pdf(rid: str) -> Response:
        _check_api_post()
        state = _state()
        library = state.library()
        if rid not in library.recipe_ids:
            raise ApiError(404, f"unknown leaflet '{rid[:80]}'{closest(rid, library.recipe_ids)}")
        body = api_body()
        order = order_from(body, library, body.get("details") or {})
        plan = plan_leaflet(library, library.recipe(rid), site_id=order.site, details=order.details,
                            options=order.options)
        stem, data = pick_file(_timed_render(state, plan), order)
        return pdf_response(data, stem, inline=False)

    @web.post("/api/build/pdf")
    def api_build_pdf() -> Response:
        _check_api_post()
        state = _state()
        library = state.library()
        body = api_body(extra=("sections", "title"))
        sections = body.get("sections")
        if not isinstance(sections, list) or not sections or not all(isinstance(s, str) for s in sections):
            raise ApiError(400, "sections must be a list of section ids, for example [\"what-advanced-means\"]")
        if len(sections) > MAX_SECTIONS:
            raise ApiError(400, f"choose at most {MAX_SECTIONS} sections")
        title = body.get("title")
        if title is not None and not isinstance(title, str):
            raise ApiError(400, "title must be text")
        order = order_from(body, library, body.get("details") or {})
        plan = _custom_plan(library, order, sections, title)
        stem, data = pick_file(_timed_render(state, plan), order)
        response = pdf_response(data, stem, inline=False)
        if warning := ad_hoc_warning(plan.broken_rules):
            response.headers["X-Leaflets-Warning"] = warning
        return response

    # -- files --------------------------------------------------------------------------------------

    @web.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        if name.startswith("fonts/"):
            path = _safe_file(WEB_STYLES / "fonts", name.removeprefix("fonts/"), _STATIC_TYPES)
        elif name == "web.css":
            path = WEB_STYLES / "web.css"
        else:
            path = _safe_file(WEB_STATIC, name, _STATIC_TYPES)
        return _file_response(path, max_age=0)

    @web.get("/favicon.ico")
    def favicon() -> Response:
        return _file_response(WEB_STATIC / "favicon.svg", max_age=0)

    @web.get("/assets/<area>/<path:name>")
    def asset(area: str, name: str) -> Response:
        project = _state().project
        folders = {"styles": (project.styles, _STYLE_ASSET_TYPES), "content": (project.content, _IMAGE_TYPES)}
        if area not in folders:
            return error_response(404, "there is no such file")
        folder, types = folders[area]
        response = _file_response(_safe_file(folder, name, types), max_age=0)
        response.headers["Content-Security-Policy"] = ASSET_CSP
        return response

    app.register_blueprint(web)


def _safe_file(folder: Path, name: str, types: set[str]) -> Path | None:
    """A file inside FOLDER with an allowed suffix, or None: no '..', no other folders, no other types."""
    joined = safe_join(str(folder), name)
    if joined is None:
        return None
    path = Path(joined).resolve()
    if not path.is_relative_to(folder.resolve()) or path.suffix.lower() not in types or not path.is_file():
        return None
    return path


def _file_response(path: Path | None, max_age: int) -> Response:
    if path is None or not path.is_file():
        return error_response(404, "there is no such file")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        mime = "text/javascript"
    response = Response(path.read_bytes(), mimetype=mime)
    response.headers["Cache-Control"] = "no-cache" if max_age <= 0 else f"max-age={max_age}"
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    return response.make_conditional(request)


def _check_api_post() -> None:
    if not same_origin():
        raise ApiError(403, "requests from other web pages are refused")


def _timed_render(state: WebState, plan: LeafletPlan) -> RenderedLeaflet:
    started = time.perf_counter()
    rendered = state.renders.render(plan)
    log.info("made %s (%s) in %.2f s", plan.id, plan.options.as_key(), time.perf_counter() - started)
    return rendered


def _custom_plan(library: Library, order: Order, sections: list[str], title: str | None) -> LeafletPlan:
    """An ad hoc leaflet, checked as `leaflets build --sections` checks it; named from a fixed id, not the title."""
    if not sections:
        raise InputError("choose at least one section")
    unknown = [sid for sid in sections if sid not in library.section_ids]
    if unknown:
        raise InputError(f"unknown section '{unknown[0][:80]}'{closest(unknown[0], library.section_ids)}")
    repeated = sorted({sid for sid in sections if sections.count(sid) > 1})
    if repeated:
        raise InputError(f"a section is listed twice: {', '.join(repeated)}")
    title = (title or "").strip()
    if len(title) > MAX_TITLE_CHARS:
        raise InputError(f"the title must be {MAX_TITLE_CHARS} characters or fewer")
    request_ = BuildRequest(sections=tuple(sections), title=title or None, site=order.site, details=order.details,
                            options=order.options)
    plan = plans_for(library, request_)[0]
    # The file name comes from a fixed id: a typed title could name the patient.
    return dataclasses.replace(plan, id=CUSTOM_ID)


def _find_choice(library: Library, rid: str) -> LeafletChoice:
    if rid not in library.recipe_ids:
        raise ApiError(404, f"there is no leaflet called '{rid[:80]}'{closest(rid, library.recipe_ids)}")
    recipe = library.recipe(rid)
    sections = library.sections_of(recipe)
    file = recipe.file
    return LeafletChoice(rid, file.title, file.subtitle, file.audience, list(file.sections),
                         any(s.meta.status != "approved" for s in sections))


def _form_values(library: Library) -> dict[str, str]:
    if request.method == "POST":
        return {k: str(v) for k, v in request.form.items() if k != CSRF_FIELD}
    return {"paper": library.site(None).file.paper, "layout": "standard", "site": "default"}


def _common_form_context(library: Library, errors: list[tuple[str | None, str]] | None) -> dict[str, Any]:
    errors = errors or []
    return {
        "values": _form_values(library),
        "errors": errors,
        "field_errors": {k: m for k, m in errors if k},
        "detail_keys": DETAIL_KEYS,
        "labels": DETAIL_LABELS,
        "hints": DETAIL_HINTS,
        "limits": detail_limits(),
        "layouts": {k: v[2] for k, v in LAYOUTS.items()},
        "papers": {p: PAPER_LABELS.get(p, p) for p in PAPERS},
        "sites": site_choices(library),
        "languages": language_choices(site_choices(library)),
    }


def _leaflet_form(library: Library, choice: LeafletChoice, errors: list[tuple[str | None, str]] | None = None,
                  status: int = 200) -> Response:
    html = render_template("leaflet.html", choice=choice, **_common_form_context(library, errors))
    return Response(html, status=status, mimetype="text/html")


def _build_form(
    library: Library, errors: list[tuple[str | None, str]] | None = None, status: int = 200,
    safety: list[BrokenRule] | None = None, chosen: list[str] | None = None, added: list[str] | None = None,
) -> Response:
    """The build-your-own page; SAFETY lists the rules the ticked sections break, with a one-click fix."""
    sections, problems = section_choices(library)
    if chosen is None:
        chosen = request.form.getlist("section") if request.method == "POST" else []
    titles = {s["id"]: s["title"] for s in sections}
    missing = missing_sections(safety or [])
    html = render_template("build.html", sections=sections, problems=problems, chosen=set(chosen),
                           max_title=MAX_TITLE_CHARS, safety=safety or [], missing=missing,
                           missing_titles=[titles.get(sid, sid) for sid in missing],
                           added_titles=[titles.get(sid, sid) for sid in added or []],
                           **_common_form_context(library, errors))
    return Response(html, status=status, mimetype="text/html")


def detail_limits() -> dict[str, int]:
    """The schema's maximum length of each detail, for the form's maxlength attributes."""
    limits: dict[str, int] = {}
    for key, info in Details.model_fields.items():
        for item in info.metadata:
            if getattr(item, "max_length", None):
                limits[key] = item.max_length
    return limits


# -- running it ------------------------------------------------------------------------------------------


def make_server(
    app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = 4
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for APP (pure Python, runs on Windows too); port 0 picks a free port."""
    from waitress import create_server

    # waitress warns when requests wait for a thread; renders queue on purpose, so only errors show.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_server(
        app, host=host, port=port, threads=threads, ident="leaflets", expose_tracebacks=False,
        max_request_body_size=MAX_BODY_BYTES, clear_untrusted_proxy_headers=True,
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
        wasyncore.close_all(server._map, ignore_all=True)  # type: ignore[union-attr]  # listener and open connections
        thread.join(timeout=10)


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


def serve(host: str = "127.0.0.1", port: int = 8000, root: Path | str | None = None) -> None:
    """Run the web page with waitress until Ctrl+C; never Flask's development server."""
    app = create_app(root)
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
    print("Nothing typed into the page is saved. Press Ctrl+C to stop.", file=sys.stderr)
    threading.Thread(target=_warm, args=(app,), name="leaflets-warm", daemon=True).start()
    try:
        server.run()  # waitress returns from run() on Ctrl+C
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    print("Stopped. Nothing was saved.", file=sys.stderr)


def _warm(app: Flask) -> None:
    try:
        app.extensions["leaflets"].renders.warm()
    except Exception as exc:  # the first PDF will show the real error
        log.warning("could not load the PDF renderer early: %s", exc.__class__.__name__)

