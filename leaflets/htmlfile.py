"""One self-contained, accessible HTML file per leaflet: styles, fonts and pictures inside it, no network.

For email, a patient portal and screen readers. The same templates and content version as the PDF; the
print stylesheets are inlined with screen.css on top, and every url() becomes a data: address.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path

from .errors import RenderError

_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")
_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2",
          ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
SCREEN_STYLESHEET = "screen.css"


def data_uri(path: Path) -> str:
    """A file as a data: address."""
    kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_stylesheets(names: list[str], folders: tuple[Path, ...]) -> str:
    """The stylesheets' text, in cascade order, with each url() inside a styles/ folder turned into a data: address.

    FOLDERS are the project's styles/ folders, the one that wins first: a local stylesheet replaces a built-in
    one, and a url() it names (fonts/...) may come from any layer, as in the PDF.
    """
    roots = [folder.resolve() for folder in folders]
    chunks = []
    for name in names:
        path = next((folder / name for folder in folders if (folder / name).is_file()), None)
        if path is None:
            raise RenderError(f"{folders[0] / name}: stylesheet not found")
        own_root = next(root for root in roots if path.resolve().is_relative_to(root))

        def inline(match: re.Match[str], folder: Path = path.resolve().parent, own: Path = own_root) -> str:
            target = match.group(2).strip()
            if target.startswith("data:"):
                return match.group(0)
            wanted = (folder / target).resolve()
            if not wanted.is_relative_to(own):
                return "url()"  # never a network or outside address in a self-contained file
            relative = wanted.relative_to(own)
            file = next((root / relative for root in roots if (root / relative).is_file()), None)
            return f'url("{data_uri(file)}")' if file else "url()"

        chunks.append(f"/* {name} */\n" + _URL.sub(inline, path.read_text("utf-8")))
    return "\n".join(chunks)
