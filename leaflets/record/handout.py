"""Hand a leaflet out: write its files and, where the site keeps a record, its row, together or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem
from ..library import Library
from ..schema import Details, RecordSettings
from ..writers import write_atomic
from . import db

if TYPE_CHECKING:  # pragma: no cover
    from ..build import RenderedLeaflet
    from ..plan import LeafletPlan

log = logging.getLogger("leaflets")

TEACH_BACK_RESULTS = ("done", "not-done")
"""done: the patient explained the key points back in their own words; not-done: it was not checked."""
CHANNELS = ("build", "batch", "web")
CUSTOM_TITLE = "Leaflet made from chosen sections"


@dataclass(frozen=True)
class RecordTarget:
    """Where one site's hand-outs are recorded. There is none when its profile leaves recording off."""

    db_path: Path
    site_id: str
    settings: RecordSettings


def record_target(library: Library, site_id: str | None, db_path: Path | str | None = None) -> RecordTarget | None:
    """The record a site's hand-outs go to, or None when the site profile does not switch recording on."""
    site = library.site(site_id)
    if not site.file.record.enabled:
        return None
    path = Path(db_path) if db_path is not None else db.default_db_path(library.project)
    return RecordTarget(path.absolute(), site.id, site.file.record)


def check_teach_back(result: str | None) -> str | None:
    """A teach-back result as stored: done, not-done, or None (not recorded)."""
    if result is None:
        return None
    value = result.strip().lower()
    if value not in TEACH_BACK_RESULTS:
        raise InputError(f"--teach-back must be one of {', '.join(TEACH_BACK_RESULTS)}")
    return value


def check_details(target: RecordTarget | None, site_id: str | None, details: Iterable[tuple[Any, Details]]) -> None:
    """A hospital number is taken only where it will be kept: never silently dropped, never kept unasked."""
    problems = []
    for where, detail in details:
        if not detail.patient_reference:
            continue
        prefix = f"{where}: " if where else ""
        if target is None:
            problems.append(Problem(f"{prefix}patient_reference: the site profile '{site_id or 'default'}' keeps no "
                                    "hand-out record, so a hospital number is not used; leave it out"))
        elif not target.settings.store_patient_reference:
            problems.append(Problem(f"{prefix}patient_reference: the site profile '{target.site_id}' does not allow "
                                    "storing hospital numbers (record: store_patient_reference); leave it out"))
    if problems:
        raise InputError(*problems)


def prepare_recording(
    library: Library, site_id: str | None, db_path: Path | str | None, details: Iterable[tuple[Any, Details]],
    teach_back: str | None = None,
) -> RecordTarget | None:
    """Everything a run checks before rendering: the details fit the site's record, and the record can be written."""
    target = record_target(library, site_id, db_path)
    check_details(target, site_id, details)
    if teach_back is not None and target is None:
        log.warning("the teach-back result is not kept: site profile '%s' keeps no hand-out record",
                    site_id or "default")
    if target is not None:
        db.check_writable(target.db_path, target.settings.wait_seconds)
    return target


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _without_personal_words(text: str, details: Details) -> str | None:
    """TEXT, unless it contains a personal detail or a word of the patient's name (a typed title might)."""
    lowered = text.lower()
    values = [v for k, v in details.present().items() if k != "prepared_by"]
    words = [w for w in re.findall(r"\w+", details.patient_name or "") if len(w) >= 3]
    if any(v.lower() in lowered for v in values) or any(re.search(rf"\b{re.escape(w.lower())}\b", lowered)
                                                         for w in words):
        return None
    return text


def handout_row(
    plan: LeafletPlan, pdf: bytes, target: RecordTarget, teach_back: str | None = None, channel: str = "build"
) -> dict[str, Any]:
    """One row of the record: what was handed out, when, by whom; never a name or a note."""
    details = plan.details
    custom = not any(p.parent.name == "leaflets" and p.stem == plan.id for p in plan.input_files)
    title = plan.title if not custom else (_without_personal_words(plan.title, details) or CUSTOM_TITLE)
    leaflet = plan.id if not custom else (_without_personal_words(plan.id.replace("-", " "), details) and plan.id)
    return {
        "id": uuid.uuid4().hex,
        "handed_out_at": _now(),
        "leaflet": leaflet or "custom",
        "title": title,
        "content_version": plan.content_version,
        "language": plan.locale.code,  # fr-CA for a French leaflet from an en-CA site
        "variant": plan.options.variant,
        "paper": plan.options.paper,
        "site": plan.site.id,
        "prepared_by": details.prepared_by,
        "teach_back": check_teach_back(teach_back),
        "patient_reference": details.patient_reference if target.settings.store_patient_reference else None,
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        "pdf_bytes": len(pdf),
        "channel": channel if channel in CHANNELS else "build",
    }


def _write_files(rendered: RenderedLeaflet, folder: Path, rename: Callable[[str], str]) -> list[Path]:
    """Write every file of a leaflet, or none: a failure part-way removes those already written."""
    personal = bool(rendered.plan.details.present())
    written: list[Path] = []
    try:
        for name, data in rendered.files.items():
            written.append(write_atomic(folder / rename(name), data, personal=personal))
    except BaseException:
        _remove(written)
        raise
    return written


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def write_recorded(
    rendered: RenderedLeaflet, folder: Path, target: RecordTarget | None, *, teach_back: str | None = None,
    channel: str = "build", rename: Callable[[str], str] = str,
) -> list[Path]:
    """Write a rendered leaflet; where the site keeps a record, the files and their row appear together or neither."""
    if target is None:
        from ..build import write_rendered  # build imports this module: import when called

        return write_rendered(rendered, folder, name=rename)
    pdf = next(iter(rendered.files.values()))
    row = handout_row(rendered.plan, pdf, target, teach_back, channel)
    return db.insert_then(target.db_path, target.settings.wait_seconds, row,
                          lambda: _write_files(rendered, folder, rename), _remove)


def record_handout(
    target: RecordTarget, plan: LeafletPlan, pdf: bytes, teach_back: str | None = None, channel: str = "web"
) -> str:
    """Record a leaflet handed out without a file (the web page sends the PDF itself); returns the hand-out id.

    Call it before sending the PDF: if it raises RecordError, send the error instead.
    """
    check_details(target, target.site_id, [(None, plan.details)])
    row = handout_row(plan, pdf, target, teach_back, channel)
    db.insert_then(target.db_path, target.settings.wait_seconds, row, lambda: None, lambda _: None)
    return row["id"]


def set_teach_back(target: RecordTarget | Path, handout_id: str, result: str) -> None:
    """Record the teach-back result after the hand-out (the web page asks once the PDF is made)."""
    value = check_teach_back(result)
    path, wait = (target.db_path, target.settings.wait_seconds) if isinstance(target, RecordTarget) else (target, 10)
    if not db.update_teach_back(Path(path), wait, handout_id.strip().lower(), value or ""):
        raise InputError(f"no hand-out with id '{handout_id[:40]}' in {path}; 'leaflets record list' shows them")


def with_recording(jobs: list[Any], library: Library, site_id: str, db_path: Path | str | None) -> list[Any]:
    """Batch jobs (CSV rows) with the record they go to; checked before any worker starts."""
    rows = [(f"row {job.row}" if job.row is not None else None, Details.model_validate(job.details)) for job in jobs]
    target = prepare_recording(library, site_id, db_path, rows)
    return jobs if target is None else [replace(job, record=target) for job in jobs]
