"""The parent side of a batch: jobs in the shared warm pool, progress, Ctrl-C and lost workers handled."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from typing import Any

from ..incremental import BuildCache
from ..pool import RenderPool, default_workers
from ..writers import clean_partials
from .jobs import BatchJob, JobOutcome, error_line
from .report import JobRecord
from .worker import init_worker, run_job

log = logging.getLogger("leaflets")

MAX_TASKS_PER_WORKER = 200
"""A worker is replaced after this many leaflets, so nothing WeasyPrint keeps can build up."""
CACHE_SAVE_SECONDS = 1.0
"""Save the manifest at most this often during a run, so even a killed run keeps most of its work."""


def make_pool(workers: int, launched: RenderPool | None = None) -> RenderPool:
    """Start the worker processes (in LAUNCHED, whose fork server is already warming): the one place a batch
    pays for them (tests watch this)."""
    from ..render import RENDER_SECONDS

    pool = launched or RenderPool(seconds=RENDER_SECONDS, max_tasks=MAX_TASKS_PER_WORKER, setup=init_worker)
    return pool.start(workers)


def default_jobs() -> int:
    return default_workers()


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

    def _raise(_signum: int, _frame: Any) -> None:
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


class _Collector:
    """Applies worker outcomes to records and the cache as they arrive, in any order."""

    def __init__(self, pending: list[JobRecord], cache: BuildCache, advance: Callable[[str], None]) -> None:
        self.records = {r.job.index: r for r in pending}
        self.remaining = set(self.records)
        self.cache = cache
        self.advance = advance
        self.warned: set[str] = set()
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


def run_pool(
    pending: list[JobRecord], cache: BuildCache, workers: int, show_progress: bool | None = None,
    runner: Callable[[BatchJob], JobOutcome] = run_job, launched: RenderPool | None = None,
) -> bool:
    """Render PENDING in the warm worker pool; returns True if Ctrl-C stopped it (partials are cleaned)."""
    folder = cache.folder
    pool: RenderPool | None = None
    try:
        with _sigterm_as_interrupt():
            pool = make_pool(workers, launched)
            with _progress(len(pending), show_progress) as advance:
                collector = _Collector(pending, cache, advance)
                try:
                    _collect(pool, pending, runner, collector)
                except KeyboardInterrupt:
                    with _signals_ignored():  # a second Ctrl-C must not cut the clean-up short
                        pool.close(kill=True)
                        for index in collector.remaining:
                            collector.records[index].status = "stopped"
                        clean_partials(folder)
                    return True
            pool.close()
        return False
    except KeyboardInterrupt:  # before any job started
        with _signals_ignored():
            if pool is not None:
                pool.close(kill=True)
            for record in pending:
                record.status = "stopped"
            clean_partials(folder)
        return True
    except BaseException:
        if pool is not None:
            pool.close(kill=True)
        raise


def _collect(pool: RenderPool, pending: list[JobRecord], runner: Callable[[BatchJob], JobOutcome],
             collector: _Collector) -> None:
    """Queue every job, longest first (a short tail), and apply outcomes as they arrive."""
    futures = {pool.submit(runner, record.job, priority=rank, affinity=_affinity(record.job)): record.job.index
               for rank, record in enumerate(sorted(pending, key=lambda r: -r.weight))}
    waiting = set(futures)
    while waiting:
        done, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
        for future in done:
            collector.apply(_outcome(future, futures[future]))


def _affinity(job: BatchJob) -> tuple[Any, ...] | None:
    """Rows that reuse one generic layout go to the worker that has it (None: nothing to share)."""
    if not job.reuse:
        return None
    return (job.leaflet, job.site, job.variant, job.paper, job.language, job.output_format,
            tuple(sorted(key for key, value in job.details.items() if value)))


def _outcome(future: Future[JobOutcome], index: int) -> JobOutcome:
    """The job's own outcome, or a failed one when its worker was lost or stopped at the time limit."""
    try:
        return future.result()
    except Exception as exc:
        return JobOutcome(index, ok=False, seconds=0.0, error=error_line(exc))
