"""`leaflets record export`: the record as CSV, FHIR NDJSON or a FHIR transaction Bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError, LeafletError
from ..library import Library
from ..project import find_project
from ..writers import write_atomic
from .reading import handouts_csv, list_handouts, record_path

FORMATS = ("csv", "fhir")


def _patient_systems(library: Library, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    systems: dict[str, str | None] = {}
    for site in {row["site"] for row in rows}:
        try:
            systems[site] = library.site(site).file.record.patient_reference_system
        except LeafletError:  # a site profile removed since: its numbers go without a system
            systems[site] = None
    return systems


def export_record(
    fmt: str, *, bundle: bool = False, db_path: Path | str | None = None, root: Path | str | None = None,
    since: str | None = None, leaflet: str | None = None,
) -> str:
    """The record (or part of it) as text in FMT: csv, or fhir (NDJSON, or one Bundle with BUNDLE)."""
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}")
    if bundle and fmt != "fhir":
        raise InputError("--bundle goes with --format fhir")
    rows = list_handouts(record_path(db_path, root), since=since, leaflet=leaflet)
    if fmt == "csv":
        return handouts_csv(rows)
    from . import fhir  # the FHIR models take a moment to load: only when asked for

    systems = _patient_systems(Library(find_project(root)), rows)
    if bundle:
        return fhir.transaction_bundle(rows, systems).model_dump_json(indent=2) + "\n"
    return fhir.ndjson(rows, systems)


def write_export(text: str, out: Path) -> Path:
    """Write an export whole, owner-only: it can hold hospital numbers."""
    return write_atomic(out, text.encode("utf-8"), personal=True)
