"""Many leaflets at once: a pool of warm renderers, an incremental cache and a report; never a partial PDF."""

from __future__ import annotations

import csv
import gc
import io
import json
import logging
import multiprocessing
import os
import queue
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from . import __version__
from .assemble import plan_leaflet, slugify
from .errors import InputError, LeafletError, OutputError, Problem
from .files import MAX_DATA_BYTES, read_text
from .incremental import (
    BuildCache,
    FileDigests,
    extra_inputs,
    input_name,
    inputs_digest,
    job_key,
    optional_inputs,
)
from .library import LeafletSet, Library, closest
from .listing import table
from .options import PAPERS, VARIANTS, PrintOptions
from .output import clean_partials, prepare_folder, write_atomic
from .personal import details_from_mapping
from .project import Project, find_project
from .schema import DETAIL_KEYS, ID_PATTERN, Details
from .translations import check_site_language

log = logging.getLogger("leaflets")

MAX_TASKS_PER_WORKER = 50
"""A worker is replaced after this many leaflets, so nothing WeasyPrint keeps can build up."""
LOST_JOB_GRACE = 5.0
"""Seconds to wait for the result of a job whose worker died before calling the job failed."""
WORKER_START_SECONDS = 120.0
"""If no worker has started a job by then, the workers cannot start (a broken install): stop waiting."""
CACHE_SAVE_SECONDS = 1.0
"""Save the manifest at most this often during a run, so even a killed run keeps most of its work."""
GC_THRESHOLD = (10_000, 10, 10)
"""Fewer young-generation collections in workers (WeasyPrint makes many short-lived objects); a full
collection after every leaflet keeps memory flat, since layout trees are cyclic and outlive young collections."""
VARIANT_COST = {"standard": 1.0, "large-print": 1.3, "booklet": 1.8}
"""Rough render cost of each variant, so the longest jobs start first and no worker is left with a long tail."""
DATA_COLUMNS = ("leaflet", "id", "variant", "paper", "lang", *DETAIL_KEYS)
PRIVATE = "[personal detail]"

_ID = re.compile(ID_PATTERN)


# -- jobs and results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchJob:
    """One leaflet in one variant and paper (or one CSV row): small and picklable for a worker."""

    index: int
    root: str
    out_dir: str
    leaflet: str
    site: str
    variant: str = "standard"
    paper: str = "a4"
    details: dict[str, str] = field(default_factory=dict, hash=False)
    row: int | None = None
    prefix: str = ""
    language: str = "en"

    @property
    def options(self) -> PrintOptions:
        return PrintOptions(variant=self.variant, paper=self.paper, language=self.language)

    def output_name(self, rendered: str) -> str:
        """The file name in the output folder: personalised files get the row or id in front."""
        return f"{self.prefix}-{rendered}" if self.prefix else rendered

    @property
    def outputs(self) -> tuple[str, ...]:
        options = self.options
        names = [f"{options.file_stem(self.leaflet)}.pdf"]
        if self.variant == "booklet":
            names.append(f"{options.booklet_stem(self.leaflet)}.pdf")
        return tuple(self.output_name(name) for name in names)

    @property
    def label(self) -> str:
        """How messages name the job: the leaflet and format, and the CSV row; never a personal detail."""
        lang = "" if self.language == "en" else f", {self.language}"
        if self.row is not None:
            return f"row {self.row} ({self.leaflet}, {self.variant}, {self.paper}{lang})"
        return f"{self.leaflet} ({self.variant}, {self.paper}{lang})"


@dataclass(frozen=True)
class JobOutcome:
    """What a worker sends back for one job: plain data, no exceptions (they may not pickle)."""

    index: int
    ok: bool
    seconds: float
    files: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    pid: int | None = None
    task: int | None = None
    peak_rss_kb: int | None = None
    rss_kb: int | None = None


@dataclass
class JobRecord:
    """One job's fate in this run, for the summary, the report and the cache."""

    job: BatchJob
    status: str = "pending"
    key: str | None = None
    seconds: float = 0.0
    error: str | None = None
    worker: int | None = None
    worker_task: int | None = None
    peak_rss_kb: int | None = None
    rss_kb: int | None = None
    weight: float = 1.0
    finished: float | None = None

    def as_json(self) -> dict[str, Any]:
        job = self.job
        return {
            "output": job.outputs[0],
            "files": list(job.outputs),
            "leaflet": job.leaflet,
            "variant": job.variant,
            "paper": job.paper,
            "lang": job.language,
            "row": job.row,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "worker": self.worker,
            "worker_task": self.worker_task,
            "peak_rss_mb": _mb(self.peak_rss_kb),
            "rss_mb": _mb(self.rss_kb),
            "finished_after": None if self.finished is None else round(self.finished, 3),
        }


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


@dataclass
class BatchResult:
    """Everything a batch run did, for the CLI's table, the JSON report and tests."""

    set_id: str
    out_dir: Path
    records: list[JobRecord]
    seconds: float = 0.0
    workers: int = 0
    pool_started: bool = False
    interrupted: bool = False
    personalised: bool = False
    report_path: Path | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def built(self) -> list[JobRecord]:
        return [r for r in self.records if r.status == "built"]

    @property
    def skipped(self) -> list[JobRecord]:
        return [r for r in self.records if r.status == "skipped"]

    @property
    def failed(self) -> list[JobRecord]:
        return [r for r in self.records if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 1 if any leaflet failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0

    def summary(self) -> str:
        """The final table and where the files are."""
        headers = ["Built", "Skipped", "Failed"] + (["Stopped"] if self.interrupted else []) + ["Seconds"]
        row = [str(self.count("built")), str(self.count("skipped")), str(self.count("failed"))]
        if self.interrupted:
            row.append(str(self.count("stopped")))
        row.append(f"{self.seconds:.1f}")
        lines = [table(headers, [row]), f"Output folder: {self.out_dir}"]
        if self.report_path is not None:
            lines.append(f"Report: {self.report_path}")
        return "\n".join(lines)

    def failure_lines(self) -> list[str]:
        """One line per failed job: the leaflet (or CSV row) and the reason."""
        return [f"Failed: {r.job.label}: {r.error}" for r in self.failed]

    def finished_lines(self) -> list[str]:
        """After Ctrl-C: the files that were finished and are complete."""
        files = [name for r in self.built for name in r.job.outputs]
        head = f"Stopped: {len(self.built)} of {len(self.records)} jobs finished before the stop"
        head += "; the rest build on the next run." if self.count("stopped") else "."
        return [head, *(f"Finished {self.out_dir / name}" for name in files)]

    def report(self) -> dict[str, Any]:
        totals = {status: self.count(status) for status in ("built", "skipped", "failed", "stopped")}
        return {
            "generator": f"leaflets {__version__}",
            "set": self.set_id,
            "output_folder": str(self.out_dir),
            "personalised": self.personalised,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "interrupted": self.interrupted,
            "workers": self.workers,
            "pool_started": self.pool_started,
            "totals": {"jobs": len(self.records), **totals, "seconds": round(self.seconds, 3)},
            "jobs": [r.as_json() for r in self.records],
        }


# -- building the job list ------------------------------------------------------------------------------------


def find_set_file(set_path: Path | str, project: Project) -> Path:
    """A set manifest by path, by path inside the project, or by id (content/sets/<id>.yaml)."""
    path = Path(set_path)
    for candidate in (path, project.root / path, project.content / "sets" / f"{path.name}.yaml"):
        if candidate.is_file():
            return candidate
    return path  # Library.leaflet_set reports it as not found


def jobs_from_set(leaflet_set: LeafletSet, library: Library, out_dir: Path) -> list[BatchJob]:
    """Every (leaflet, variant, paper) of a set; a booklet is the same on every paper, so it is made once."""
    jobs: list[BatchJob] = []
    seen: set[tuple[str, ...]] = set()
    root, out = str(library.project.root), str(out_dir.resolve())
    languages = list(dict.fromkeys(leaflet_set.file.languages))
    for language in languages:
        check_site_language(library.site(leaflet_set.file.site), language)
    for leaflet in library.set_leaflets(leaflet_set):
        for language in languages:
            for variant in dict.fromkeys(leaflet_set.file.variants):
                for paper in dict.fromkeys(leaflet_set.file.papers):
                    job = BatchJob(len(jobs), root, out, leaflet, leaflet_set.file.site, variant, paper,
                                   language=language)
                    if job.outputs not in seen:
                        seen.add(job.outputs)
                        jobs.append(job)
    return jobs


def _normalise_column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _read_table(path: Path) -> list[list[str]]:
    """Read a CSV through the same safe reader as every other user file (size cap, regular files, UTF-8)."""
    text = read_text(path, InputError, MAX_DATA_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise InputError.at(path, f"is not a valid CSV file ({exc})", reader.line_num + 1) from None
    return rows


def jobs_from_data(
    data_path: Path, leaflet_set: LeafletSet, library: Library, out_dir: Path
) -> list[BatchJob]:
    """One job per CSV row, every row checked before anything renders; problems name rows, never values."""
    rows = _read_table(data_path)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError.at(data_path, "file is empty: the first row must name the columns, e.g. leaflet,patient_name")
    header = [_normalise_column(name) for name in rows[0]]
    body = [(number, cells) for number, cells in enumerate(rows[1:], start=1) if any(c.strip() for c in cells)]
    problems: list[Problem] = []
    unknown = [name for name in header if name and name not in DATA_COLUMNS]
    if unknown:
        raise InputError(
            *(Problem(f"unknown column '{name}'{closest(name, list(DATA_COLUMNS))}; the columns are "
                      f"{', '.join(DATA_COLUMNS)}", data_path) for name in unknown)
        )
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise InputError.at(data_path, f"column named twice: {', '.join(repeated)}")
    if "leaflet" not in header:
        raise InputError.at(data_path, "needs a 'leaflet' column naming the leaflet for each row")
    for position, name in enumerate(header, start=1):
        if not name and any(len(cells) >= position and cells[position - 1].strip() for _, cells in body):
            problems.append(Problem(f"column {position} has values but no name in the first row", data_path))
    if not body:
        problems.append(Problem("has no rows after the header: nothing to build", data_path))
    if problems:
        raise InputError(*problems)

    allowed = library.set_leaflets(leaflet_set)
    default_variant, default_paper = leaflet_set.file.variants[0], leaflet_set.file.papers[0]
    owners: dict[str, int] = {}
    jobs: list[BatchJob] = []
    root, out = str(library.project.root), str(out_dir.resolve())
    for number, cells in body:
        where = f"{data_path}, row {number}"
        if len(cells) > len(header):
            problems.append(Problem("has more cells than there are columns (a comma in a value needs quotes)", where))
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
        row_problems: list[Problem] = []
        leaflet = values.get("leaflet", "")
        if not leaflet:
            row_problems.append(Problem("leaflet: required, but empty", where))
        elif not _ID.match(leaflet):
            row_problems.append(Problem("leaflet: not a leaflet id (ids look like bone-metastases)", where))
        elif leaflet not in allowed:
            hint = closest(leaflet, allowed)
            row_problems.append(Problem(f"leaflet: '{leaflet}' is not in this set{hint}", where))
        variant = values.get("variant") or default_variant
        if variant not in VARIANTS:
            row_problems.append(Problem(f"variant: must be one of {', '.join(VARIANTS)}", where))
        paper = values.get("paper") or default_paper
        if paper not in PAPERS:
            row_problems.append(Problem(f"paper: must be one of {', '.join(PAPERS)}", where))
        language = values.get("lang") or leaflet_set.file.languages[0]
        if language not in leaflet_set.file.languages:
            row_problems.append(Problem(f"lang: must be one of this set's languages: "
                                        f"{', '.join(leaflet_set.file.languages)}", where))
        try:
            details = details_from_mapping({k: v for k, v in values.items() if k in DETAIL_KEYS and v}, where)
        except InputError as exc:
            row_problems.extend(exc.problems)
            details = Details()
        if row_problems:
            problems.extend(row_problems)
            continue
        prefix = slugify(values["id"]) if values.get("id") else f"row-{number:04d}"
        job = BatchJob(len(jobs), root, out, leaflet, leaflet_set.file.site, variant, paper,
                       details=details.present(), row=number, prefix=prefix, language=language)
        clash = next((owners[name] for name in job.outputs if name in owners), None)
        if clash is not None:
            problems.append(Problem(f"id: gives the same file name as row {clash}; each row needs its own id", where))
            continue
        owners.update(dict.fromkeys(job.outputs, number))
        jobs.append(job)
    if problems:
        raise InputError(*problems)
    return jobs


# -- the worker side ------------------------------------------------------------------------------------------


class _CollectWarnings(logging.Handler):
    """Keeps a job's warnings so the parent prints each once, above the progress bar."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_worker: dict[str, Any] = {}


def init_worker(events: Any = None) -> None:
    """Once per worker process: Ctrl-C is the parent's to handle, and warnings are collected per job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = _CollectWarnings()
    logger = logging.getLogger("leaflets")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    gc.set_threshold(*GC_THRESHOLD)
    _worker.clear()
    _worker.update(events=events, warnings=handler, tasks=0, libraries={}, frozen=False)


def _ensure_state() -> None:
    """Called outside a pool (a test, a script): keep the caller's signals, logging and collector as they are."""
    if not _worker:
        _worker.update(events=None, warnings=_CollectWarnings(), tasks=0, libraries={}, frozen=True)


def run_job(job: BatchJob) -> JobOutcome:
    """Plan, render and write one leaflet in a worker; any failure becomes a record, never a crash."""
    _ensure_state()
    started = time.perf_counter()
    _worker["tasks"] += 1
    warnings: list[str] = _worker["warnings"].messages
    warnings.clear()
    files: tuple[str, ...] = ()
    error = None
    try:
        files = _render_job(job)
    except LeafletError as exc:
        error = "; ".join(str(p) for p in exc.problems)
    except Exception as exc:  # one broken leaflet must never stop the batch
        error = f"unexpected error: {exc.__class__.__name__}: {exc}"
    gc.collect()
    if not _worker["frozen"]:
        gc.freeze()  # fonts, parsed CSS and modules live as long as the worker: never rescan them
        _worker["frozen"] = True
    peak, rss = _memory_kb()
    return JobOutcome(
        index=job.index,
        ok=error is None,
        seconds=time.perf_counter() - started,
        files=files,
        error=None if error is None else _scrub(error, job.details),
        warnings=tuple(dict.fromkeys(_scrub(w, job.details) for w in warnings)),
        pid=os.getpid(),
        task=_worker["tasks"],
        peak_rss_kb=peak,
        rss_kb=rss,
    )


def start_job(runner: Callable[[BatchJob], JobOutcome], job: BatchJob) -> JobOutcome:
    """Run a job, telling the parent directly when it starts (so a crash is noticed) and ends.

    The end message is written before the pool's own result is sent, so a parent stopped by
    Ctrl-C still learns of every file that was finished.
    """
    _ensure_state()
    events = _worker["events"]
    if events is not None:
        events.put(("start", job.index, os.getpid()))
    outcome = runner(job)
    if events is not None:
        events.put(("done", outcome.index, outcome))
    return outcome


def _render_job(job: BatchJob) -> tuple[str, ...]:
    from .build import get_renderer, render_plan

    project = Project(Path(job.root))
    libraries: dict[str, Library] = _worker["libraries"]
    if job.root not in libraries:
        libraries[job.root] = Library(project)
    library = libraries[job.root]
    plan = plan_leaflet(library, library.recipe(job.leaflet), site_id=job.site,
                        details=Details.model_validate(job.details), options=job.options)
    rendered = render_plan(plan, project, renderer=get_renderer(project))
    folder = Path(job.out_dir)
    written = []
    for name, data in rendered.files.items():
        write_atomic(folder / job.output_name(name), data)
        written.append(job.output_name(name))
    return tuple(written)


def _memory_kb() -> tuple[int | None, int | None]:
    """This worker's peak and current resident memory in KiB, where the platform tells."""
    peak = rss = None
    try:
        import resource

        peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        if sys.platform == "darwin":
            peak //= 1024  # bytes there, KiB on Linux
    except (ImportError, OSError):
        pass
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        pass
    return peak, rss


def _scrub(text: str, details: dict[str, str]) -> str:
    """Mask any personal detail (and each word of the name) that a library error happened to quote."""
    secrets = set(details.values())
    secrets.update(word for word in (details.get("patient_name") or "").split() if len(word) >= 3)
    for secret in sorted((s for s in secrets if len(s) >= 2), key=len, reverse=True):
        text = text.replace(secret, PRIVATE)
    return text


# -- the parent side ------------------------------------------------------------------------------------------


def _context() -> Any:
    """Forkserver where there is one (workers start as a fork of a clean, WeasyPrint-loaded server), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["leaflets.batch", "weasyprint"])
        return context
    return multiprocessing.get_context("spawn")


def warm_up_workers() -> None:
    """Start the forkserver (and its WeasyPrint import) while the parent is still planning; it does not wait."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def make_pool(context: Any, workers: int, events: Any) -> Any:
    """Start the worker processes: the one place a batch pays for them (tests watch this)."""
    return context.Pool(processes=workers, initializer=init_worker, initargs=(events,),
                        maxtasksperchild=MAX_TASKS_PER_WORKER)


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, LeafletError):
        return "; ".join(str(p) for p in exc.problems)
    return f"unexpected error: {exc.__class__.__name__}: {exc}"


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
                    paths = [*plan.input_files, *extra_inputs(plan, project), *optional_inputs(project, job.site)]
                    names = list(dict.fromkeys(input_name(path, project) for path in paths))
                    digest = inputs_digest(names, digests, project)
                    sizes[edition] = sum(len(s.body) for s in plan.sections)
                    cache.remember_inputs(edition, job.site, names, digest, sizes[edition])
                    inputs[edition] = (digest, None)
                except Exception as exc:  # a broken recipe or section fails its own jobs only
                    inputs[edition] = (None, _one_line(exc))
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


@contextmanager
def _progress(total: int, show: bool | None) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr when it is a terminal; a no-op otherwise."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    enabled = console.is_terminal if show is None else show
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=not enabled, transient=False) as progress:
        task = progress.add_task("Building", total=total)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=f"Built {label}")

        yield advance


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so a stopped batch still cleans up and records what finished."""
    if sys.platform == "win32" or not _in_main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """Hold off Ctrl-C and SIGTERM for the moment it takes to stop the workers and remove partial files."""
    if sys.platform == "win32" or not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Collector:
    """Applies worker outcomes to records and the cache as they arrive, in any order."""

    def __init__(self, pending: list[JobRecord], cache: BuildCache, advance: Callable[[str], None]) -> None:
        self.records = {r.job.index: r for r in pending}
        self.remaining = set(self.records)
        self.cache = cache
        self.advance = advance
        self.warned: set[str] = set()
        self.running: dict[int, int] = {}
        self.dead_since: dict[int, float] = {}
        self.lost = False
        self.saved_at = self.began = time.monotonic()

    def apply(self, outcome: JobOutcome) -> None:
        if outcome.index not in self.remaining:
            return
        self.remaining.discard(outcome.index)
        record = self.records[outcome.index]
        record.seconds, record.worker, record.worker_task = outcome.seconds, outcome.pid, outcome.task
        record.peak_rss_kb, record.rss_kb = outcome.peak_rss_kb, outcome.rss_kb
        record.finished = time.monotonic() - self.began
        if outcome.ok and record.key is not None:
            record.status = "built"
            self.cache.record(record.job.outputs, record.key)
        else:
            record.status, record.error = "failed", outcome.error or "failed"
            self.cache.forget(record.job.outputs)
        for message in outcome.warnings:
            if message not in self.warned:
                self.warned.add(message)
                log.warning("%s", message)
        self.advance(record.job.label)
        if time.monotonic() - self.saved_at >= CACHE_SAVE_SECONDS:
            self.cache.save()
            self.saved_at = time.monotonic()

    def drain(self, events: Any) -> None:
        """Take the workers' start and end messages."""
        while not events.empty():
            kind, index, detail = events.get()
            if kind == "start":
                self.running[index] = detail
            else:
                self.apply(detail)

    def watch(self, events: Any) -> None:
        """Fail jobs whose worker died (a crash, the out-of-memory killer): the pool would wait forever."""
        self.drain(events)
        now = time.monotonic()
        if not self.running and len(self.remaining) == len(self.records) and now - self.began > WORKER_START_SECONDS:
            self.lost = True
            for index in sorted(self.remaining):
                self.apply(JobOutcome(index, ok=False, seconds=0.0, error="no worker process could start"))
            return
        for index, pid in list(self.running.items()):
            if index not in self.remaining:
                del self.running[index]
            elif not _alive(pid) and now - self.dead_since.setdefault(index, now) >= LOST_JOB_GRACE:
                self.lost = True
                self.apply(JobOutcome(index, ok=False, seconds=0.0, pid=pid,
                                      error="the worker process stopped unexpectedly (a crash, or out of memory)"))


def run_pool(
    pending: list[JobRecord], cache: BuildCache, workers: int, show_progress: bool | None = None,
    runner: Callable[[BatchJob], JobOutcome] = run_job,
) -> bool:
    """Render PENDING in worker processes; returns True if Ctrl-C stopped it (partials are cleaned)."""
    context = _context()
    events = context.SimpleQueue()
    done: queue.Queue[JobOutcome] = queue.Queue()
    pool = make_pool(context, workers, events)
    folder = cache.folder
    with _progress(len(pending), show_progress) as advance:
        collector = _Collector(pending, cache, advance)
        try:
            with _sigterm_as_interrupt():
                for record in sorted(pending, key=lambda r: -r.weight):  # longest first: a short tail
                    index = record.job.index
                    pool.apply_async(start_job, (runner, record.job), callback=done.put,
                                     error_callback=partial(_pool_error, done, index))
                pool.close()
                while collector.remaining:
                    with suppress(queue.Empty):
                        collector.apply(done.get(timeout=0.1))
                    collector.watch(events)  # every time round: the messages must not fill the pipe
                if collector.lost:
                    pool.terminate()  # a lost job stays in the pool's books, so join alone would wait forever
                pool.join()
            return False
        except KeyboardInterrupt:
            with _signals_ignored():  # a second Ctrl-C must not cut the clean-up short
                pool.terminate()
                pool.join()
                while not done.empty():  # results that arrived while stopping
                    collector.apply(done.get_nowait())
                collector.drain(events)  # files finished just before the stop
                for index in collector.remaining:
                    collector.records[index].status = "stopped"
                clean_partials(folder)
            return True
        except BaseException:
            pool.terminate()
            raise


def _pool_error(done: queue.Queue[JobOutcome], index: int, exc: BaseException) -> None:
    done.put(JobOutcome(index, ok=False, seconds=0.0, error=_one_line(exc)))


def _check_report_path(report_path: Path) -> Path:
    parent = report_path.parent if str(report_path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{report_path}: the folder {parent} does not exist; create it or choose another --report")
    if report_path.is_dir():
        raise OutputError(f"{report_path}: is a folder; --report needs a file name such as report.json")
    return report_path


def write_report(result: BatchResult, path: Path) -> Path:
    """Write the JSON report atomically: per job output, leaflet, variant, paper, status, seconds, error."""
    data = json.dumps(result.report(), indent=2, ensure_ascii=False) + "\n"
    return write_atomic(path, data.encode("utf-8"))


def run_batch(
    set_path: Path | str,
    out_dir: Path | str = "out",
    jobs: int | None = None,
    data_csv: Path | str | None = None,
    force: bool = False,
    report_path: Path | str | None = None,
    root: Path | str | None = None,
    *,
    show_progress: bool | None = None,
    runner: Callable[[BatchJob], JobOutcome] = run_job,
) -> BatchResult:
    """Build a set (or one leaflet per CSV row) in parallel, skipping what is unchanged: `leaflets batch`."""
    clock = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise InputError("--jobs must be 1 or more")
    report = _check_report_path(Path(report_path)) if report_path is not None else None
    project = find_project(root)
    library = Library(project)
    leaflet_set = library.leaflet_set(find_set_file(set_path, project))
    library.site(leaflet_set.file.site)  # an unknown site is one error for the whole set, not one per job
    folder = Path(out_dir)
    if data_csv is not None:
        batch_jobs = jobs_from_data(Path(data_csv), leaflet_set, library, folder)
    else:
        batch_jobs = jobs_from_set(leaflet_set, library, folder)
        if not batch_jobs:
            raise InputError(f"{leaflet_set.path}: no leaflets to build: {project.content / 'leaflets'} has no recipes")
    folder = prepare_folder(folder)
    clean_partials(folder)
    cache = BuildCache.load(folder)
    records = plan_records(batch_jobs, library, cache, force, on_first_pending=warm_up_workers)
    result = BatchResult(leaflet_set.id, folder, records, personalised=data_csv is not None, report_path=report)
    pending = [r for r in records if r.status == "pending"]
    if pending:
        result.workers = min(jobs or default_jobs(), len(pending))
        result.pool_started = True
        try:
            result.interrupted = run_pool(pending, cache, result.workers, show_progress, runner)
        finally:
            cache.save()
    else:
        cache.save()
    result.seconds = time.perf_counter() - clock
    if report is not None:
        write_report(result, report)
    return result
