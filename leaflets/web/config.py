"""Where the web page's own files live, and how much one request may carry."""

from __future__ import annotations

from ..layers import BUILTIN_ROOT

MAX_BODY_BYTES = 64 * 1024
"""A request body larger than this is refused (413): six details and a few options fit many times over."""
WEB_TEMPLATES = BUILTIN_ROOT / "templates" / "web"
WEB_STATIC = WEB_TEMPLATES / "static"
WEB_STYLES = BUILTIN_ROOT / "styles"
