"""Who may talk to the server: this computer's own names, same-origin posts, a cookie-bound form token."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets

from flask import Flask, Response, current_app, g, request

from .responses import ApiError
from .state import current_state

CSRF_COOKIE = "leaflets_csrf"
CSRF_FIELD = "csrf_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def csrf_token() -> str:
    """The form token: an HMAC of this browser's cookie under a secret that lives only in this process."""
    state = current_state()
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


def check_api_post() -> None:
    if not same_origin():
        raise ApiError(403, "requests from other web pages are refused")


def install(app: Flask) -> None:
    """Check every request's host and cookie first, and secure every answer's headers last."""
    app.before_request(_check_request)
    app.after_request(_secure_headers)


def _check_request() -> Response | None:
    """Refuse other hosts (DNS rebinding); give each browser a random cookie for the form token."""
    if not host_allowed(request.host, current_app.config["ALLOWED_HOSTS"]):
        return Response("This server answers only on this computer's own address.\n", 400,
                        mimetype="text/plain")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    g.new_cookie = not re.fullmatch(r"[0-9a-f]{64}", cookie)
    g.csrf_cookie = secrets.token_hex(32) if g.new_cookie else cookie
    return None


def _secure_headers(response: Response) -> Response:
    """Nothing is cached, framed by other sites or sniffed; a new browser gets its cookie."""
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
