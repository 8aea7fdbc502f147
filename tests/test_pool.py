"""The shared pool of warm render workers: time limits enforced from outside, recycling, lost workers, a full queue."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

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


def test_workers_are_forked_from_the_warmed_parent(pool: RenderPool) -> None:
    pid, parent, warmed = pool.run(_inherited)
    assert parent == os.getpid() and pid != os.getpid()
    assert warmed == ["warm"]  # the parent's warm-up ran once, before the fork, and the worker has its result
    assert _warmed == ["warm"]


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
