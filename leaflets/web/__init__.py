"""The local web page behind `leaflets serve`: a thin Flask layer over the library."""

from .app import background_server, create_app, first_page_png, is_loopback, loud_warning, make_server, serve

__all__ = ["background_server", "create_app", "first_page_png", "is_loopback", "loud_warning", "make_server", "serve"]
