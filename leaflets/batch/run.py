"""`leaflets batch`: plan every job, skip what the cache says is unchanged, build the rest in the pool."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..easyread import easy_read_inputs
from ..errors import InputError
from ..incremental import (
    BuildCache,
    FileDigests,
    extra_inputs,
    input_name,
    inputs_digest,
    job_key,
    optional_inputs,
)
from ..library import Library
from ..plan import plan_leaflet
from ..project import find_project
from ..record.handout import with_recording
from ..schema import Details
from ..variants import PrintOptions
from ..writers import clean_partials, prepare_folder
from .jobs import BatchJob, JobOutcome, error_line, find_set_file, jobs_from_data, jobs_from_set
from .pool import default_jobs, run_pool
from .report import BatchResult, JobRecord, check_report_path, write_report
from .warm import EarlyPool
from .worker import run_job

VARIANT_COST = {"standard": 1.0, "large-print": 1.3, "booklet": 1.8, "easy-read": 1.2}
"""Rough render cost of each variant, so the longest jobs start first and no worker is left with a long tail."""


def plan_records(
    jobs: list[BatchJob], library: Library, cache: BuildCache, force: bool,
    on_first_pending: Callable[[], None] | None = None,
) -> list[JobRecord]:
    """Key every job from its inputs (no WeasyPrint) and mark the unchanged ones skipped."""
    digests = FileDigests()
    project = library.project
    inputs: dict[str, tuple[str | None, str | None]] = {}
    sizes: dict[str, int] = {}
    records = []
    for job in jobs:
        edition = PrintOptions(language=job.language).named(job.leaflet)  # bone-metastases, bone-metastases.fr
        if edition not in inputs:
            known = cache.known_inputs(edition, job.site, digests, project)
            if known is not None:  # none of its files changed: no need to parse them again
                inputs[edition] = (known["digest"], None)
                sizes[edition] = int(known.get("weight", 0))
            else:
                try:
                    plan = plan_leaflet(library, library.recipe(job.leaflet), site_id=job.site,
                                        options=PrintOptions(language=job.language))
                    paths = [*plan.input_files, *extra_inputs(plan, project), *optional_inputs(project, job.site),
                             *easy_read_inputs(project)]
                    names = list(dict.fromkeys(input_name(path, project) for path in paths))
                    digest = inputs_digest(names, digests, project)
                    sizes[edition] = sum(len(s.body) for s in plan.sections)
                    cache.remember_inputs(edition, job.site, names, digest, sizes[edition])
                    inputs[edition] = (digest, None)
                except Exception as exc:  # a broken recipe or section fails its own jobs only
                    inputs[edition] = (None, error_line(exc))
        digest, error = inputs[edition]
        record = JobRecord(job, weight=(2000 + sizes.get(edition, 0)) * VARIANT_COST.get(job.variant, 1.0))
        if digest is None:
            record.status, record.error = "failed", error
            cache.forget(job.outputs)
        else:
            site = library.site(job.site)
            record.key = job_key(
                inputs=digest, leaflet=job.leaflet, site=f"{site.id}\n{site.file.model_dump_json()}",
                options_key=job.options.as_key(), outputs=job.outputs, details=Details.model_validate(job.details),
            )
            if not force and cache.is_current(job.outputs, record.key):
                record.status = "skipped"
            elif on_first_pending is not None:
                on_first_pending()
                on_first_pending = None
        records.append(record)
    return records


def run_batch(
    set_path: Path | str,
    out_dir: Path | str = "out",
    jobs: int | None = None,
    data_csv: Path | str | None = None,
    force: bool = False,
    report_path: Path | str | None = None,
    root: Path | str | None = None,
    *,
    db: Path | str | None = None,
    show_progress: bool | None = None,
    runner: Callable[[BatchJob], JobOutcome] = run_job,
) -> BatchResult:
    """Build a set (or one leaflet per CSV row) in parallel, skipping what is unchanged: `leaflets batch`."""
    clock = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise InputError("--jobs must be 1 or more")
    report = check_report_path(Path(report_path)) if report_path is not None else None
    project = find_project(root)
    library = Library(project)
    leaflet_set = library.leaflet_set(find_set_file(set_path, project))
    library.site(leaflet_set.file.site)  # an unknown site is one error for the whole set, not one per job
    folder = Path(out_dir)
    if data_csv is not None:
        batch_jobs = jobs_from_data(Path(data_csv), leaflet_set, library, folder)
        batch_jobs = with_recording(batch_jobs, library, leaflet_set.file.site, db)
    else:
        batch_jobs = jobs_from_set(leaflet_set, library, folder)
        if not batch_jobs:
            raise InputError(f"{leaflet_set.path}: no leaflets to build: {project.content / 'leaflets'} has no recipes")
    folder = prepare_folder(folder)
    clean_partials(folder)
    cache = BuildCache.load(folder)
    early = EarlyPool(project)
    try:
        records = plan_records(batch_jobs, library, cache, force, on_first_pending=early.begin)
        result = BatchResult(leaflet_set.id, folder, records, personalised=data_csv is not None, report_path=report)
        pending = [r for r in records if r.status == "pending"]
        if pending:
            result.workers = min(jobs or default_jobs(), len(pending))
            result.pool_started = True
            try:
                result.interrupted = run_pool(pending, cache, result.workers, show_progress, runner, early.pool)
            finally:
                cache.save()
        else:
            cache.save()
    finally:
        early.close()  # the fork server too, whatever happened
    result.seconds = time.perf_counter() - clock
    if report is not None:
        write_report(result, report)
    return result
