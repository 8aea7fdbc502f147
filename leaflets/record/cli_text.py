"""What the record commands print, so that cli.py only parses options."""

from __future__ import annotations

import json
from pathlib import Path

from ..library import Library
from ..project import find_project
from .codes import suggest_leaflets, suggestion_lines
from .reading import handouts_table, list_handouts, recall, record_path


def suggest_text(codes: list[str], as_json: bool, root: Path | None) -> str:
    """`leaflets suggest`: the fitting leaflets, best first, as lines or JSON."""
    found = suggest_leaflets(Library(find_project(root)), codes)
    if as_json:
        return json.dumps([s.as_json() for s in found], indent=2, ensure_ascii=False)
    return "\n".join(suggestion_lines(found, codes))


def list_text(db: Path | None, root: Path | None, as_json: bool, since: str | None, leaflet: str | None) -> str:
    """`leaflets record list`."""
    rows = list_handouts(record_path(db, root), since=since, leaflet=leaflet)
    return json.dumps(rows, indent=2, ensure_ascii=False) if as_json else handouts_table(rows)


def recall_text(
    db: Path | None, root: Path | None, as_json: bool, leaflet: str, version: str | None, before: str | None
) -> str:
    """`leaflets recall`: the hand-outs to send a corrected edition to."""
    rows = recall(record_path(db, root), leaflet, version=version, before=before)
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if not rows:
        return "No hand-outs of that edition are recorded."
    return handouts_table(rows) + "\nGive each of these people the corrected edition."
