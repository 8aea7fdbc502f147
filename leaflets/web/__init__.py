"""The local web page behind `leaflets serve`: a thin Flask layer over the library (see ARCHITECTURE.md)."""

from .app import create_app
from .rendering import first_page_png
from .security import is_loopback
from .server import background_server, loud_warning, make_server, serve

__all__ = ["background_server", "create_app", "first_page_png", "is_loopback", "loud_warning", "make_server", "serve"]
