"""The batch's render pool, launched as soon as a job needs building, so it warms up while the rest are planned."""

from __future__ import annotations

import functools

from ..pool import RenderPool
from ..project import Project


class EarlyPool:
    """Launches the pool's fork server (it loads WeasyPrint, fonts, stylesheets and the library) in the
    background at the first job that needs building; `run_pool` then waits for it and starts the workers."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.pool: RenderPool | None = None

    def begin(self) -> None:
        """Called when the first job needs building: the warm-up overlaps the planning of the rest."""
        if self.pool is None:
            from ..render import RENDER_SECONDS
            from .pool import MAX_TASKS_PER_WORKER
            from .worker import init_worker, warm_worker_state

            self.pool = RenderPool(seconds=RENDER_SECONDS, max_tasks=MAX_TASKS_PER_WORKER,
                                   warm=functools.partial(warm_worker_state, str(self.project.root)),
                                   setup=init_worker).launch()

    def close(self) -> None:
        """Stop the fork server and any workers (a no-op when none was launched or they are stopped)."""
        if self.pool is not None:
            self.pool.close(kill=True)

