"""A QR code to the leaflet's online version or feedback form, as an image with alt text."""

from __future__ import annotations

import base64

from .library import SiteProfile


def qr_target(site: SiteProfile, leaflet_id: str) -> str | None:
    """The address the QR code opens: the online version if the site has one, else a web feedback form."""
    if site.file.online_url:
        return site.file.online_url.replace("{leaflet}", leaflet_id)
    feedback = site.file.feedback or ""
    return feedback if feedback.startswith(("https://", "http://")) else None


def qr_img(url: str) -> str:
    """An <img> with a data: SVG QR code and alt text (autoescaped by the caller's template)."""
    import segno
    from markupsafe import Markup, escape

    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=4, border=2, title=f"QR code: {url}", omitsize=False)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = f"QR code linking to {url}"
    return Markup(f'<img class="qr-code" src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">')
