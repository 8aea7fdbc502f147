"""Images and assets a leaflet may use, checked before WeasyPrint sees them: size, pixels, plain SVG."""

from __future__ import annotations

import logging
from typing import NoReturn

log = logging.getLogger("leaflets")

MAX_IMAGE_PIXELS = 20_000_000
"""About 5,000 x 4,000 pixels: more than any printed leaflet needs, small enough to never exhaust memory."""
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class BlockedURL(ValueError):
    """WeasyPrint catches this, leaves the resource out and goes on."""


def _short(url: str) -> str:
    if url.startswith("data:"):
        return url.split(",", 1)[0][:60] + ",..."
    return url if len(url) <= 120 else url[:40] + "..." + url[-77:]  # keep the file name at the end


def refuse(url: str, why: str, what: str = "not fetched", warned: set[str] | None = None) -> NoReturn:
    """Warn (once per address and renderer: WeasyPrint may ask again for each leaflet), then refuse it."""
    if warned is None or url not in warned:
        if warned is not None:
            warned.add(url)
        log.warning("%s: %s (%s)", what, _short(url), why)
    raise BlockedURL(f"{what}: {_short(url)}")


def check_image(url: str, body: bytes, mime: str | None, warned: set[str]) -> None:
    """Refuse, with a warning, an image that is too big or cannot be read (never a silent gap)."""
    if mime in _IMAGE_TYPES:
        _check_pixels(url, body, warned)
    elif mime == "image/svg+xml":
        _check_svg(url, body, warned)


def _check_svg(url: str, body: bytes, warned: set[str]) -> None:
    """An SVG must be plain, well-formed SVG: XML entities can read other files or expand to gigabytes."""
    from xml.etree import ElementTree

    unreadable = "not a readable image: save it again as plain SVG, PNG or JPEG"
    if b"<!ENTITY" in body:
        refuse(url, f"{unreadable}; XML entities are not allowed in images", "not used", warned)
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError):
        refuse(url, unreadable, "not used", warned)
    if root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        refuse(url, unreadable, "not used", warned)


def _check_pixels(url: str, body: bytes, warned: set[str] | None = None) -> None:
    import warnings
    from io import BytesIO

    from PIL import Image

    too_big = f"the limit is {MAX_IMAGE_PIXELS:,} pixels: make it smaller (2,000 pixels across is plenty for print)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: we refuse those ourselves
            with Image.open(BytesIO(body)) as image:  # reads the header only
                width, height = image.size
    except Image.DecompressionBombError:
        refuse(url, f"far too many pixels; {too_big}", "not used", warned)
    except Exception:
        refuse(url, "not a readable image: save it again as PNG or JPEG", "not used", warned)
    if width * height > MAX_IMAGE_PIXELS:
        refuse(
            url,
            f"{width}x{height} pixels; {too_big}",
            "not used",
            warned,
        )
