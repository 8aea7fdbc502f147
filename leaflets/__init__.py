"""leaflets: printable, accessible patient leaflets from reviewed content sections."""

from __future__ import annotations

__version__ = "0.1.0"
