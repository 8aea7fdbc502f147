"""Where the web page's own files live, and how much one request may carry."""

from __future__ import annotations

from ..project import PACKAGE_ROOT

MAX_BODY_BYTES = 64 * 1024
"""A request body larger than this is refused (413): six details and a few options fit many times over."""
WEB_TEMPLATES = PACKAGE_ROOT / "templates" / "web"
WEB_STATIC = WEB_TEMPLATES / "static"
WEB_STYLES = PACKAGE_ROOT / "styles"
