"""A batch job in a pool worker: the inherited warm renderer, each job's files written whole, errors scrubbed."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import LeafletError
from ..library import Library
from ..project import Project
from ..schema import Details
from .jobs import PRIVATE, BatchJob, JobOutcome


class _CollectWarnings(logging.Handler):
    """Keeps a job's warnings so the parent prints each once, above the progress bar."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_worker: dict[str, Any] = {}


def init_worker() -> None:
    """Once per worker process (the pool's setup): warnings are collected per job, never printed by workers."""
    handler = _CollectWarnings()
    logger = logging.getLogger("leaflets")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    libraries = _worker.get("libraries", {})  # parsed in the parent before the fork: inherited, not re-read
    _worker.clear()
    _worker.update(warnings=handler, tasks=0, libraries=libraries)


def ensure_worker_state() -> None:
    """Called outside a pool (a test, a script): keep the caller's logging as it is."""
    if "warnings" not in _worker:
        _worker.update(warnings=_CollectWarnings(), tasks=0)
        _worker.setdefault("libraries", {})


def warm_worker_state(root: str) -> None:
    """In the fork server, before any worker forks: the warm renderer and the parsed library they inherit."""
    from ..pool.tasks import warm_renderer

    project = Project(Path(root))
    warm_renderer(project)
    _worker.setdefault("libraries", {})[root] = Library(project)


def run_job(job: BatchJob) -> JobOutcome:
    """Plan, render and write one leaflet in a worker; any failure becomes a record, never a crash."""
    ensure_worker_state()
    started = time.perf_counter()
    _worker["tasks"] += 1
    warnings: list[str] = _worker["warnings"].messages
    warnings.clear()
    files: tuple[str, ...] = ()
    error = None
    try:
        files = render_job(job)
    except LeafletError as exc:
        error = "; ".join(str(p) for p in exc.problems)
    except Exception as exc:  # one broken leaflet must never stop the batch
        error = f"unexpected error: {exc.__class__.__name__}: {exc}"
    peak, rss = _memory_kb()
    return JobOutcome(
        index=job.index,
        ok=error is None,
        seconds=time.perf_counter() - started,
        files=files,
        error=None if error is None else scrub_details(error, job.details),
        warnings=tuple(dict.fromkeys(scrub_details(w, job.details) for w in warnings)),
        pid=os.getpid(),
        task=_worker["tasks"],
        peak_rss_kb=peak,
        rss_kb=rss,
    )


def render_job(job: BatchJob) -> tuple[str, ...]:
    from ..build import BuildRequest, get_renderer, plans_for, render_plan
    from ..record.handout import write_recorded

    project = Project(Path(job.root))
    libraries: dict[str, Library] = _worker["libraries"]
    if job.root not in libraries:
        libraries[job.root] = Library(project)
    library = libraries[job.root]
    request = BuildRequest(leaflets=(job.leaflet,), site=job.site, details=Details.model_validate(job.details),
                           options=job.options, output_formats=(job.output_format,))
    [plan] = plans_for(library, request)  # the Easy Read variant plans from its own words
    renderer = get_renderer(project) if job.output_format == "pdf" else None
    rendered = render_plan(plan, project, renderer=renderer, output_formats=(job.output_format,),
                           reuse=job.reuse)
    written = write_recorded(rendered, Path(job.out_dir), job.record, channel="batch", rename=job.output_name)
    return tuple(path.name for path in written)


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


def scrub_details(text: str, details: dict[str, str]) -> str:
    """Mask any personal detail (and each word of the name) that a library error happened to quote."""
    secrets = set(details.values())
    secrets.update(word for word in (details.get("patient_name") or "").split() if len(word) >= 3)
    for secret in sorted((s for s in secrets if len(s) >= 2), key=len, reverse=True):
        text = text.replace(secret, PRIVATE)
    return text
