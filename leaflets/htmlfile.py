"""One self-contained, accessible HTML file per leaflet: styles, fonts and pictures inside it, no network.

For email, a patient portal and screen readers. The same templates and content version as the PDF; the
print stylesheets are inlined with screen.css on top, and every url() becomes a data: address.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

from .errors import RenderError

_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)(\s*format\([^)]*\))?""")
_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2",
          ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
SCREEN_STYLESHEET = "screen.css"
_FONTS = {".ttf", ".otf"}
_ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00a0\u2019\u201c\u201d\u2013\u2014\u2022\u2026"
"""Characters every font keeps: a screen reader's or browser's own text (a find box, a skip link) may need them."""


def data_uri(path: Path) -> str:
    """A file as a data: address."""
    kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def font_uri(path: Path, characters: str) -> str:
    """A font cut down to CHARACTERS as a WOFF2 data: address: a few kilobytes instead of half a megabyte."""
    stat = path.stat()
    return _subset(path, stat.st_mtime_ns, stat.st_size, "".join(sorted(set(characters + _ALWAYS))))


@lru_cache(maxsize=64)
def _subset(path: Path, _mtime: int, _size: int, characters: str) -> str:
    """The subset itself, cached per font file version and character set (a batch inlines the same ones often)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # keep kerning, ligatures and the shaping that Arabic and Devanagari need
    options.name_IDs = ["*"]  # keep the copyright and licence names the OFL asks for
    options.notdef_outline = True
    font = TTFont(path, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff2"
    font.save(buffer)
    return f"data:font/woff2;base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def inline_stylesheets(names: list[str], folders: tuple[Path, ...], characters: str | None = None) -> str:
    """The stylesheets' text, in cascade order, with each url() inside a styles/ folder turned into a data: address.

    FOLDERS are the project's styles/ folders, the one that wins first: a local stylesheet replaces a built-in
    one, and a url() it names (fonts/...) may come from any layer, as in the PDF. With CHARACTERS (the text
    the file shows), each TrueType or OpenType font keeps only those characters and the stylesheets' own.
    """
    roots = [folder.resolve() for folder in folders]
    sheets = []
    for name in names:
        path = next((folder / name for folder in folders if (folder / name).is_file()), None)
        if path is None:
            raise RenderError(f"{folders[0] / name}: stylesheet not found")
        sheets.append((name, path, path.read_text("utf-8")))
    if characters is not None:
        characters += "".join(text for _name, _path, text in sheets)  # content: strings ("Page ", bullets) show too

    def inline(match: re.Match[str], folder: Path, own: Path) -> str:
        target = match.group(2).strip()
        if target.startswith("data:"):
            return match.group(0)
        wanted = (folder / target).resolve()
        if not wanted.is_relative_to(own):
            return "url()"  # never a network or outside address in a self-contained file
        relative = wanted.relative_to(own)
        file = next((root / relative for root in roots if (root / relative).is_file()), None)
        if file is None:
            return "url()"
        if characters is not None and file.suffix.lower() in _FONTS:
            return f'url("{font_uri(file, characters)}") format("woff2")'
        return f'url("{data_uri(file)}"){match.group(3) or ""}'

    chunks = []
    for name, path, text in sheets:
        folder = path.resolve().parent
        own = next(root for root in roots if path.resolve().is_relative_to(root))
        chunks.append(f"/* {name} */\n" + _URL.sub(lambda m, f=folder, o=own: inline(m, f, o), text))
    return "\n".join(chunks)
