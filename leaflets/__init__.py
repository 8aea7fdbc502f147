"""leaflets: printable, accessible patient leaflets from reviewed content sections.

The public API, loaded on first use so `import leaflets` stays cheap (and never loads WeasyPrint):
`build(BuildRequest(...))`, `check_content()`, `run_batch()`, `create_app()`, and `LeafletError`.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "BuildRequest": "build",
    "build": "build",
    "check_content": "checks",
    "run_batch": "batch",
    "create_app": "web",
    "LeafletError": "errors",
    "PrintOptions": "variants",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'leaflets' has no attribute '{name}'")
    return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
