"""leaflets: printable, accessible patient leaflets from reviewed content sections.

The public API, loaded on first use so `import leaflets` stays cheap (and never loads WeasyPrint):

    from leaflets import build_leaflet
    build_leaflet("bone-metastases", "out", details={"patient_name": "Sam Jones"})

For scripts: `build_leaflet`, `leaflet_pdf`, `build_set`, `open_library`, `init_project`, `Library` and
the errors (`LeafletError` and its kinds). Lower level: `build(BuildRequest(...))`, `PrintOptions`,
`check_content()`, `run_batch()`, `create_app()`. Everything else in the package may change.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "build_leaflet": "api",
    "build_set": "api",
    "leaflet_pdf": "api",
    "open_library": "api",
    "init_project": "init_project",
    "Library": "library",
    "BuildRequest": "build",
    "build": "build",
    "check_content": "checks",
    "run_batch": "batch",
    "create_app": "web",
    "LeafletError": "errors",
    "ContentError": "errors",
    "InputError": "errors",
    "RenderError": "errors",
    "PrintOptions": "variants",
}
__all__ = [  # the names of _API, written out so that tools can read them
    "__version__", "build_leaflet", "build_set", "leaflet_pdf", "open_library", "init_project", "Library",
    "BuildRequest", "build", "check_content", "run_batch", "create_app", "LeafletError", "ContentError",
    "InputError", "RenderError", "PrintOptions",
]

if TYPE_CHECKING:  # pragma: no cover
    from .api import build_leaflet, build_set, leaflet_pdf, open_library
    from .batch import run_batch
    from .build import BuildRequest, build
    from .checks import check_content
    from .errors import ContentError, InputError, LeafletError, RenderError
    from .init_project import init_project
    from .library import Library
    from .variants import PrintOptions
    from .web import create_app


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    if name not in _API:
        raise AttributeError(f"module 'leaflets' has no attribute '{name}'")
    return getattr(importlib.import_module(f".{_API[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
