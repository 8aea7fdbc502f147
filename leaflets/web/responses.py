"""HTTP answers: PDFs, previews, pages of error, files from the asset folders."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from pathlib import Path

from flask import Response, jsonify, render_template, request, url_for
from werkzeug.security import safe_join

from ..build import leaflet_html
from ..errors import InputError, LeafletError
from ..plan import LeafletPlan
from ..project import Project
from .messages import translate_message

ASSET_CSP = "default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; sandbox"
STATIC_TYPES = {".css", ".js", ".svg", ".png", ".ttf", ".otf", ".woff", ".woff2"}
STYLE_ASSET_TYPES = {".css", ".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}


class ApiError(Exception):
    """A request the server refuses, answered as JSON (API) or a plain page (forms)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def pdf_response(data: bytes, stem: str, inline: bool) -> Response:
    """A PDF that no browser or proxy keeps: the file name comes from the leaflet id only."""
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stem}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def html_response(data: bytes, stem: str) -> Response:
    """The HTML edition as a download; if a browser shows it anyway, it may load nothing and run nothing."""
    response = Response(data, mimetype="text/html")
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.html"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
        "form-action 'none'"
    )
    return response


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
    for kind in ("styles", "content"):  # every layer's folder: the asset route serves the file that wins
        for folder in project.folders(kind):
            html = html.replace(f'="{folder.as_uri()}/', f'="/assets/{kind}/')
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
    """An error as JSON (API) or a page, in the page's language where the catalog knows the message."""
    message = translate_message(message)
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


def safe_file(folder: Path, name: str, types: set[str]) -> Path | None:
    """A file inside FOLDER with an allowed suffix, or None: no '..', no other folders, no other types."""
    if "\0" in name or len(name) > 1024 or not name.isprintable():
        return None
    joined = safe_join(str(folder), name)
    if joined is None:
        return None
    try:
        path = Path(joined).resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    if not path.is_relative_to(folder.resolve()) or path.suffix.lower() not in types or not path.is_file():
        return None
    return path


def file_response(path: Path | None, max_age: int) -> Response:
    if path is None or not path.is_file():
        return error_response(404, "there is no such file")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        mime = "text/javascript"
    response = Response(path.read_bytes(), mimetype=mime)
    response.headers["Cache-Control"] = "no-cache" if max_age <= 0 else f"max-age={max_age}"
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    return response.make_conditional(request)
