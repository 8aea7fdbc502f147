"""Where the built-in material lives, and how a project's own folder is layered on top of it.

A project made by `leaflets init` has two layers: its own folder first, then the built-in library.
An item (section, recipe, site, set, glossary or drug entry, template, stylesheet, image) found in the
project's own folder adds to the built-in ones, or replaces the built-in item with the same id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATA = _PACKAGE_DIR / "_builtin"
"""Where a built wheel keeps its copy of content/, templates/ and styles/ (setup.py copies them there)."""


def find_builtin_root() -> Path:
    """The folder holding the built-in content/, templates/ and styles/: the installed copy, else the checkout."""
    if (PACKAGED_DATA / "content").is_dir():
        return PACKAGED_DATA
    return _PACKAGE_DIR.parent


BUILTIN_ROOT = find_builtin_root()

BUILT_IN = "built-in"
LOCAL = "local"
REPLACING = "local replacing built-in"
"""Where an item comes from, as `leaflets list` shows it: BUILT_IN, LOCAL or REPLACING."""

HASH_CHARS = 12
"""Hex digits of SHA-256 kept in `based_on`: short enough to read, far too many to collide by chance."""


@dataclass(frozen=True)
class Layer:
    """One folder of material: the project's own (local) or the built-in library."""

    name: str
    root: Path

    def folder(self, kind: str) -> Path:
        return self.root / kind


@dataclass(frozen=True)
class Item:
    """A library item as found in the layers: the file in use, and the built-in original it replaces, if any."""

    kind: str
    id: str
    path: Path
    origin: str
    builtin_path: Path | None = None


def origin_of(found_in: list[str]) -> str:
    """The origin of an item found in these layers (names, in layer order, the first one in use)."""
    if found_in[0] == BUILT_IN:
        return BUILT_IN
    return REPLACING if BUILT_IN in found_in else LOCAL


def text_hash(text: str | bytes) -> str:
    """The content hash of a file, as `based_on` records it (line endings do not count)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()[:HASH_CHARS]


def file_hash(path: Path) -> str:
    """The content hash of the file at PATH."""
    return text_hash(path.read_bytes())


def entry_hash(entry: Any) -> str:
    """The content hash of a glossary or drug entry: its fields, without `based_on`, in a fixed order."""
    data = entry.model_dump(mode="json", exclude={"based_on"}, exclude_defaults=True)
    return text_hash(json.dumps(data, sort_keys=True, ensure_ascii=False))


def served_file(path: Path, groups: tuple[tuple[Path, ...], ...]) -> Path | None:
    """PATH if it is inside an allowed folder, served from the first layer of that folder that has the file.

    A project's stylesheet asking for fonts/x.ttf, or a section asking for content/icons/x.svg, gets the
    built-in file when the project has no copy of its own; nothing outside the groups is ever served.
    """
    for group in groups:
        for folder in group:
            if path.is_relative_to(folder):
                relative = path.relative_to(folder)
                for layer in group:
                    candidate = (layer / relative).resolve()
                    if candidate.is_relative_to(layer) and candidate.is_file():
                        return candidate
                return path
    return None
