"""The parent side: a pool of worker processes, progress, Ctrl-C and lost workers handled."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any

from ..incremental import (
    BuildCache,
)
from ..writers import clean_partials
from .jobs import BatchJob, JobOutcome, error_line
from .report import JobRecord
from .worker import init_worker, run_job, start_job

log = logging.getLogger("leaflets")

MAX_TASKS_PER_WORKER = 50
"""A worker is replaced after this many leaflets, so nothing WeasyPrint keeps can build up."""
LOST_JOB_GRACE = 5.0
"""Seconds to wait for the result of a job whose worker died before calling the job failed."""
WORKER_START_SECONDS = 120.0
"""If no worker has started a job by then, the workers cannot start (a broken install): stop waiting."""
CACHE_SAVE_SECONDS = 1.0
"""Save the manifest at most this often during a run, so even a killed run keeps most of its work."""


def pool_context() -> Any:
    """Forkserver where there is one (workers start as a fork of a clean, WeasyPrint-loaded server), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["leaflets.batch", "weasyprint"])
        return context
    return multiprocessing.get_context("spawn")


def warm_up_workers() -> None:
    """Start the forkserver (and its WeasyPrint import) while the parent is still planning; it does not wait."""
    context = pool_context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def make_pool(context: Any, workers: int, events: Any) -> Any:
    """Start the worker processes: the one place a batch pays for them (tests watch this)."""
    return context.Pool(processes=workers, initializer=init_worker, initargs=(events,),
                        maxtasksperchild=MAX_TASKS_PER_WORKER)


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


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
    context = pool_context()
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
    done.put(JobOutcome(index, ok=False, seconds=0.0, error=error_line(exc)))
