"""The caller's side: queue tasks for workers made by the fork server, enforce each task's time limit from outside."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..errors import RenderError
from .forkserver import ForkServer

log = logging.getLogger("leaflets")

MAX_TASKS_PER_WORKER = 200
"""A worker is replaced after this many tasks, so nothing WeasyPrint keeps can build up."""
AFFINITY_KEYS = 12
"""Keys a worker is remembered for: as many as the generic layouts it keeps (personal.GENERIC_LAYOUTS)."""
STOP_SECONDS = 5.0
"""How long a retiring worker may take to exit before it is killed."""
TIMED_OUT = ("rendering took longer than {seconds:g} seconds and was stopped; split the leaflet into smaller "
             "ones, or use smaller images")
LOST = "the worker process stopped unexpectedly (a crash, or out of memory)"


class PoolBusy(Exception):
    """The queue is full: the caller should answer 'busy, try again in RETRY_AFTER seconds'."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy; try again in {retry_after} seconds")
        self.retry_after = retry_after


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(order=True)
class _Task:
    priority: int
    sequence: int
    function: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    seconds: float = field(compare=False)
    future: Future[Any] = field(compare=False)
    affinity: Any = field(default=None, compare=False)


@dataclass
class _Worker:
    pid: int
    conn: Any
    tasks: int = 0
    rss_kb: int | None = None

    def is_alive(self) -> bool:
        """The fork server reaps its workers at once, so a worker that exited has no process id left."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - the id was taken by another user's process
            return False
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)


class RenderPool:
    """Workers that start warm; tasks run one per worker with a hard time limit.

    WARM runs once in the fork server before its first fork (load WeasyPrint, fonts, stylesheets), then
    `gc.freeze()` keeps those objects out of every later collection; SETUP runs once in each worker.
    Neither runs in the caller, which may have any number of threads (see forkserver.py).
    """

    def __init__(
        self, *, workers: int | None = None, seconds: float = 60.0, max_tasks: int = MAX_TASKS_PER_WORKER,
        queue_limit: int | None = None, warm: Callable[[], None] | None = None,
        setup: Callable[[], None] | None = None,
    ) -> None:
        self.size = workers or default_workers()
        self.seconds = seconds
        self.max_tasks = max_tasks
        self.queue_limit = queue_limit
        self._warm = warm
        self._setup = setup
        self._server: ForkServer | None = None
        self._queues: dict[Any, list[_Task]] = {}
        """A heap of waiting tasks per affinity (None: tasks without one), each in priority order."""
        self._waiting = 0
        self._sequence = itertools.count()
        self._ready = threading.Condition()
        self._workers: list[_Worker | None] = [None] * self.size
        self._keys: list[OrderedDict[Any, None]] = [OrderedDict() for _ in range(self.size)]
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._started = False
        self._start_lock = threading.Lock()
        self.retired = 0
        self.timed_out = 0
        self.running = 0

    def launch(self) -> RenderPool:
        """Start the fork server now, without waiting: it warms up while the caller goes on (planning)."""
        with self._start_lock:
            if self._server is None:
                self._server = ForkServer(self._warm, self._setup)
        return self

    def start(self, workers: int | None = None) -> RenderPool:
        """Wait for the warm fork server (launched now if it was not) and have it fork every worker
        (WORKERS of them, if given: a batch knows how many it needs only once it has planned)."""
        self.launch()
        with self._start_lock:
            if self._started:
                return self
            if workers is not None:
                self.size = workers
                self._keys = [OrderedDict() for _ in range(self.size)]
            self._workers = [self._fork() for _ in range(self.size)]
            for slot in range(self.size):
                thread = threading.Thread(target=self._serve, args=(slot,), name=f"leaflets-pool-{slot}", daemon=True)
                thread.start()
                self._threads.append(thread)
            self._started = True
        return self

    def submit(self, function: Callable[..., Any], *args: Any, priority: int = 0,
               seconds: float | None = None, affinity: Any = None) -> Future[Any]:
        """Queue FUNCTION(*ARGS) for a worker; PoolBusy if the queue is full (background tasks never are).

        Tasks with the same AFFINITY go to the worker that ran one before, when it is free: a batch's rows
        of one leaflet reuse the generic layout that worker keeps instead of each worker making its own."""
        if not self._started:
            self.start()
        future: Future[Any] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("the render pool is closed")
            if self.queue_limit is not None and priority == 0:
                waiting = sum(1 for queue in self._queues.values() for task in queue if task.priority == 0)
                if waiting >= self.queue_limit:
                    raise PoolBusy(self.retry_after(waiting))
            task = _Task(priority, next(self._sequence), function, args, seconds or self.seconds, future, affinity)
            heapq.heappush(self._queues.setdefault(affinity, []), task)
            self._waiting += 1
            self._ready.notify()
        return future

    def run(self, function: Callable[..., Any], *args: Any, priority: int = 0) -> Any:
        """Submit and wait for the answer: the call a web request makes."""
        return self.submit(function, *args, priority=priority).result()

    def retry_after(self, waiting: int) -> int:
        """A rough wait in whole seconds for a refused caller: the queue ahead, about a second per render."""
        return max(1, round(waiting / self.size))

    def queued(self) -> int:
        with self._ready:
            return self._waiting

    def stats(self) -> list[tuple[int, int, int | None]]:
        """(pid, tasks done, resident KiB at its last answer) of each live worker."""
        return [(w.pid, w.tasks, w.rss_kb) for w in self._workers if w is not None]

    def close(self, kill: bool = False) -> None:
        """Stop taking tasks; KILL stops running ones at once (Ctrl-C), otherwise queued ones finish first."""
        with self._ready:
            self._closed = True
            if kill:
                for queue in self._queues.values():
                    for task in queue:
                        task.future.cancel()
                self._queues.clear()
                self._waiting = 0
            self._ready.notify_all()
        if kill:
            for worker in self._workers:
                if worker is not None:
                    worker.kill()
        for thread in self._threads:
            thread.join(timeout=None if not kill else STOP_SECONDS)
        for worker in self._workers:
            if worker is not None:
                self._retire(worker)
        self._workers = [None] * self.size
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> RenderPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close(kill=exc[0] is not None)

    def _fork(self, slot: int | None = None) -> _Worker:
        """A new worker (in SLOT: it starts with no generic layouts, so no keys)."""
        assert self._server is not None
        if slot is not None:
            with self._ready:
                self._keys[slot].clear()
        pid, conn = self._server.fork()
        return _Worker(pid, conn)

    def _next(self, slot: int) -> _Task | None:
        with self._ready:
            while not self._waiting and not self._closed:
                self._ready.wait()
            if not self._waiting:
                return None
            self.running += 1
            task = self._choose(slot)
            if task.affinity is not None:
                keys = self._keys[slot]
                keys[task.affinity] = None
                keys.move_to_end(task.affinity)
                while len(keys) > AFFINITY_KEYS:
                    keys.popitem(last=False)
            return task

    def _choose(self, slot: int) -> _Task:
        """The first task in order, unless tasks have affinities: then one of this worker's keys first, else
        one no other worker has (so new keys spread), else the first (a free worker never waits). Looks at
        the first task of each affinity only, so a long queue costs no more than a short one."""
        heads = [queue[0] for queue in self._queues.values() if queue]
        mine = self._keys[slot]
        task = min((t for t in heads if t.affinity is not None and t.affinity in mine), default=None)
        if task is None:
            others = {key for number, keys in enumerate(self._keys) if number != slot for key in keys}
            task = min((t for t in heads if t.affinity is None or t.affinity not in others), default=None)
        if task is None:
            task = min(heads)
        queue = self._queues[task.affinity]
        heapq.heappop(queue)
        if not queue:
            del self._queues[task.affinity]
        self._waiting -= 1
        return task

    def _serve(self, slot: int) -> None:
        while (task := self._next(slot)) is not None:
            if not task.future.set_running_or_notify_cancel():
                with self._ready:
                    self.running -= 1
                continue
            worker = self._workers[slot]
            if worker is None or not worker.is_alive():
                if worker is not None:
                    self._retire(worker)
                worker = self._workers[slot] = self._fork(slot)
            try:
                self._run(slot, worker, task)
            finally:
                with self._ready:
                    self.running -= 1

    def _run(self, slot: int, worker: _Worker, task: _Task) -> None:
        try:
            worker.conn.send((task.function, task.args))
            answered = worker.conn.poll(task.seconds)
            reply = worker.conn.recv() if answered else None
        except (EOFError, OSError):
            reply, answered = None, True
        if reply is None:
            worker.kill()
            self._retire(worker)
            self._workers[slot] = None if self._closed else self._fork(slot)
            if not answered:
                self.timed_out += 1
                task.future.set_exception(RenderError(TIMED_OUT.format(seconds=task.seconds)))
            else:
                task.future.set_exception(RenderError(LOST))
            return
        status, value, worker.rss_kb, replace_me = reply
        worker.tasks += 1
        if status == "ok":
            task.future.set_result(value)
        else:
            task.future.set_exception(value)
        if (replace_me or worker.tasks >= self.max_tasks) and not self._closed:
            self._retire(worker)
            self.retired += 1
            self._workers[slot] = self._fork(slot)

    def _retire(self, worker: _Worker) -> None:
        """Ask a worker to exit, kill it if it does not, and reap it."""
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.join(STOP_SECONDS)
        if worker.is_alive():
            worker.kill()
            worker.join(STOP_SECONDS)
        worker.conn.close()
