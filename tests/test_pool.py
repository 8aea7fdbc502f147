"""The shared pool of warm render workers: time limits enforced from outside, recycling, lost workers, a full queue."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from leaflets.errors import InputError, RenderError
from leaflets.pool import PoolBusy, RenderPool

_warmed: list[str] = []


def _warm() -> None:
    _warmed.append("warm")


def _inherited() -> tuple[int, int, list[str]]:
    return os.getpid(), os.getppid(), list(_warmed)


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _refuse() -> None:
    raise InputError("patient_name: is too long")


def _die() -> None:
    os._exit(3)


@pytest.fixture
def pool() -> Iterator[RenderPool]:
    started = RenderPool(workers=2, seconds=2.0, max_tasks=3, warm=_warm).start()
    yield started
    started.close(kill=True)


def test_workers_are_forked_from_the_warmed_fork_server_never_from_the_caller(pool: RenderPool) -> None:
    pid, parent, warmed = pool.run(_inherited)
    assert parent not in (os.getpid(), pid) and pid != os.getpid()  # the fork server's child, not ours
    assert warmed == ["warm"]  # the warm-up ran once, in the fork server, before the fork
    assert _warmed == []  # and never in the caller


def test_a_render_over_its_time_limit_is_killed_and_replaced_and_others_go_on(pool: RenderPool) -> None:
    began = time.monotonic()
    slow = pool.submit(_sleep, 60)
    quick = [pool.submit(_sleep, 0.01) for _ in range(2)]
    assert all(isinstance(f.result(timeout=10), int) for f in quick)  # answered while the slow one runs
    with pytest.raises(RenderError, match="longer than 2 seconds and was stopped"):
        slow.result(timeout=20)
    assert time.monotonic() - began < 10  # the time limit, not the 60 s the task wanted
    assert pool.timed_out == 1
    assert isinstance(pool.run(_sleep, 0), int)  # a fresh worker took the killed one's place
    assert len(pool.stats()) == 2


def test_workers_are_replaced_after_max_tasks(pool: RenderPool) -> None:
    pids = [pool.submit(_sleep, 0).result(timeout=30) for _ in range(8)]
    assert pool.retired >= 1
    assert max(pids.count(pid) for pid in set(pids)) <= 3  # no worker did more than max_tasks


def test_errors_come_back_as_themselves_and_a_dead_worker_fails_only_its_task(pool: RenderPool) -> None:
    with pytest.raises(InputError, match="too long"):
        pool.run(_refuse)
    with pytest.raises(RenderError, match="stopped unexpectedly"):
        pool.run(_die)
    assert isinstance(pool.run(_sleep, 0), int)


def test_a_full_queue_is_refused_with_a_retry_time_but_background_work_is_kept() -> None:
    pool = RenderPool(workers=1, seconds=30, queue_limit=2).start()
    try:
        running = pool.submit(_sleep, 1.0)
        deadline = time.monotonic() + 10
        while pool.queued() and time.monotonic() < deadline:  # the first task has reached the worker
            time.sleep(0.01)
        queued = [pool.submit(_sleep, 0), pool.submit(_sleep, 0)]
        with pytest.raises(PoolBusy) as busy:
            pool.submit(_sleep, 0)
        assert busy.value.retry_after >= 1
        background = pool.submit(_sleep, 0, priority=1)
        assert all(isinstance(f.result(timeout=30), int) for f in [running, *queued, background])
    finally:
        pool.close()


_HELD = threading.Lock()
"""A lock a caller's thread holds for the whole test: a worker forked from the caller would inherit it held."""


def _takes_the_held_lock() -> bool:
    if not _HELD.acquire(timeout=5):
        return False
    _HELD.release()
    return True


@contextmanager
def _threads_holding_locks() -> Iterator[None]:
    """Caller threads that hold a module lock, a log handler's lock and a blocked stream's buffer lock."""
    handler = logging.StreamHandler(io.StringIO())
    reader, writer = os.pipe()
    stream = open(writer, "wb", buffering=1 << 16)  # noqa: SIM115 - nobody reads it: a write blocks, lock held
    release = threading.Event()
    ready = threading.Barrier(3)

    def hold() -> None:
        with _HELD:
            handler.acquire()
            try:
                ready.wait()
                release.wait(60)
            finally:
                handler.release()

    def blocked_writer() -> None:
        ready.wait()
        with contextlib.suppress(OSError, ValueError):
            stream.write(b"x" * (1 << 22))  # blocks on the full pipe inside the writer's lock

    threads = [threading.Thread(target=hold, daemon=True), threading.Thread(target=blocked_writer, daemon=True)]
    for thread in threads:
        thread.start()
    ready.wait()
    try:
        yield
    finally:
        release.set()
        os.close(reader)  # the blocked write fails, and its thread ends
        for thread in threads:
            thread.join(10)
        with contextlib.suppress(OSError, ValueError):
            stream.close()


def test_workers_start_and_work_while_the_callers_threads_hold_locks() -> None:
    with _threads_holding_locks():
        assert _HELD.locked()
        pool = RenderPool(workers=2, seconds=10, warm=_warm).start()
        try:
            answers = [pool.submit(_takes_the_held_lock) for _ in range(4)]
            assert [a.result(timeout=30) for a in answers] == [True] * 4
            with pytest.raises(RenderError, match="stopped unexpectedly"):
                pool.run(_die)  # its replacement is forked while the locks are still held
            assert pool.submit(_takes_the_held_lock).result(timeout=30) is True
        finally:
            pool.close(kill=True)


def test_tasks_with_one_affinity_go_to_the_worker_that_ran_one_before() -> None:
    """A batch's rows of one leaflet go to the worker keeping its generic layout; another leaflet's rows
    to the other worker, not shared out in turn (each worker would lay out both leaflets)."""
    with RenderPool(workers=2, seconds=10.0) as pool:
        gates = [pool.submit(_sleep, 0.5) for _ in range(2)]  # both workers busy while the rows are queued
        rows = [(key, pool.submit(_sleep, 0.3, affinity=key)) for key in ("bone", "brain") for _ in range(3)]
        assert len({gate.result() for gate in gates}) == 2
        pids = {key: {future.result() for k, future in rows if k == key} for key in ("bone", "brain")}
    assert len(pids["bone"]) == 1 and len(pids["brain"]) == 1 and pids["bone"] != pids["brain"]


_kept_for_life: list[list[int]] = []


def _keep_a_layout(drops: int = 0) -> tuple[int, int]:
    """A stand-in for a task that caches a generic layout (a cyclic object graph) and maybe drops old ones."""
    import gc

    from leaflets.pool.child import dropped_kept, keep_for_life

    cyclic: list[list[int]] = [[n] for n in range(1000)]
    cyclic.append(cyclic)  # type: ignore[arg-type]
    _kept_for_life.append(cyclic)  # type: ignore[arg-type]
    keep_for_life()
    for _ in range(drops):
        dropped_kept()
    return os.getpid(), gc.get_freeze_count()


def _frozen() -> tuple[int, int]:
    import gc

    return os.getpid(), gc.get_freeze_count()


def test_what_a_task_keeps_is_frozen_after_it_so_later_collections_skip_it() -> None:
    """A full collection follows every task; kept generic layouts are frozen so it no longer walks them
    (it cost a quarter of each personalised row's time with a batch's 11 layouts kept)."""
    with RenderPool(workers=1, seconds=10.0) as pool:
        pid, before = pool.run(_keep_a_layout)
        same, after = pool.run(_frozen)
        again, unchanged = pool.run(_frozen)
    assert pid == same == again
    assert after >= before + 1001  # the kept lists are out of every later collection
    assert unchanged == after  # a task that keeps nothing freezes nothing


def test_a_worker_that_dropped_kept_layouts_asks_to_be_replaced() -> None:
    """Frozen objects in cycles are never collected: a worker that dropped a few kept layouts is replaced,
    its task's answer still delivered, so its memory stays bounded."""
    from leaflets.pool.child import RETIRE_AFTER_DROPPED

    with RenderPool(workers=1, seconds=10.0) as pool:
        first, _ = pool.run(_keep_a_layout, RETIRE_AFTER_DROPPED - 1)
        assert pool.run(_frozen)[0] == first  # under the limit: the same worker
        dropped, _ = pool.run(_keep_a_layout, 1)
        assert dropped == first
        replacement, _ = pool.run(_frozen)
        assert pool.retired == 1
    assert replacement != first


def _collections_during_task() -> tuple[bool, int]:
    """Makes cyclic garbage well past the young generation's threshold: counts the collections meanwhile."""
    import gc

    from leaflets.pool.child import GC_THRESHOLD

    before = sum(stats["collections"] for stats in gc.get_stats())
    for _ in range(3 * GC_THRESHOLD[0]):
        cycle: list[object] = []
        cycle.append(cycle)
    return gc.isenabled(), sum(stats["collections"] for stats in gc.get_stats()) - before


def test_a_task_runs_without_collections_and_its_garbage_goes_after_it() -> None:
    """A task's objects mostly live until it ends, so collections during it walked them in vain (about 2% of
    a render): the collector is off while a task runs and a full collection follows it."""
    with RenderPool(workers=1, seconds=10.0) as pool:
        enabled, collections = pool.run(_collections_during_task)
        assert (enabled, collections) == (False, 0)
        with pytest.raises(InputError):
            pool.run(_refuse)  # a task that fails leaves the worker as it was
        assert pool.run(_collections_during_task) == (False, 0)
