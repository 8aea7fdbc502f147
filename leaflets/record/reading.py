"""Read the hand-out record: list it, find who had an edition that needs correcting, export it as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..listing import table
from ..project import find_project
from . import db

CSV_COLUMNS = [c for c in db.COLUMNS if c != "pdf_bytes"] + ["pdf_bytes"]
TABLE_COLUMNS = ["handed_out_at", "leaflet", "content_version", "variant", "paper", "site", "prepared_by",
                 "teach_back", "patient_reference"]


def record_path(db_path: Path | str | None, root: Path | str | None = None) -> Path:
    """The record a command reads: --db, or leaflets.db in the project folder."""
    return Path(db_path) if db_path is not None else db.default_db_path(find_project(root))


def parse_date(text: str, option: str) -> str:
    """A date (2026-12-01) or time (2026-12-01T09:30Z) as the UTC text the record stores, to compare with."""
    value = text.strip()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value).isoformat()
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option}: '{value[:40]}' is not a date: write it YYYY-MM-DD, e.g. 2026-12-01") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def list_handouts(
    path: Path, since: str | None = None, leaflet: str | None = None, before: str | None = None,
    version: str | None = None,
) -> list[dict[str, Any]]:
    """Hand-outs, oldest first: since a date (inclusive), before one (exclusive), of a leaflet, of an edition."""
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("handed_out_at >= ?")
        params.append(parse_date(since, "--since"))
    if before is not None:
        where.append("handed_out_at < ?")
        params.append(parse_date(before, "--before"))
    if leaflet is not None:
        where.append("leaflet = ?")
        params.append(leaflet)
    if version is not None:
        version = version.strip().lower()
        if not version or any(c not in "0123456789abcdef" for c in version):
            raise InputError("--version: a content version is the short code printed on the leaflet, "
                             "for example 3f9a1c2b7d")
        where.append("content_version LIKE ?")
        params.append(version + "%")
    return db.select(path, where, params)


def recall(path: Path, leaflet: str, version: str | None = None, before: str | None = None) -> list[dict[str, Any]]:
    """The hand-outs that carried an edition needing correction: by content version, or all before a date."""
    if (version is None) == (before is None):
        raise InputError("recall needs --version HASH (the edition printed on the leaflet) or --before DATE, not both")
    return list_handouts(path, leaflet=leaflet, version=version, before=before)


def handouts_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a plain table for the terminal, with a count."""
    if not rows:
        return "No hand-outs."
    shown = [[str(row.get(c) or "") for c in TABLE_COLUMNS] for row in rows]
    noun = "hand-out" if len(rows) == 1 else "hand-outs"
    return f"{table([c.replace('_', ' ') for c in TABLE_COLUMNS], shown)}\n{len(rows)} {noun}."


def handouts_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header, for a spreadsheet or a correction-notice mail merge."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe_cell(row.get(k)) for k in CSV_COLUMNS})
    return out.getvalue()


def _safe_cell(value: Any) -> Any:
    """A spreadsheet must not run a cell as a formula (a 'prepared by' could start with '=')."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
