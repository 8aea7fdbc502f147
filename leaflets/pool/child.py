"""The worker side: run tasks sent down a pipe, in a process forked by the warm fork server."""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

GC_THRESHOLD = (10_000, 50, 50)
"""Fewer young collections (WeasyPrint makes many short-lived objects) between tasks; during a task there
are none (see worker_main); a full collection after each task, done while the parent is already answering,
keeps memory flat since layout trees are cyclic."""
RETIRE_AFTER_DROPPED = 4
"""Kept-for-life objects a worker may drop from its caches before it asks to be replaced (see `dropped_kept`)."""

_lifetime = {"freeze": False, "dropped": 0}


def worker_main(conn: Any, setup: Callable[[], None] | None) -> None:
    """Serve (function, args) tasks until the pipe closes; every reply is (status, value, rss_kb, replace_me)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if setup is not None:
        setup()
    gc.set_threshold(*GC_THRESHOLD)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        function, args = task
        gc.disable()  # a task's objects mostly live until it ends: collections during it walked them in vain
        try:
            reply = ("ok", function(*args))
        except BaseException as exc:  # the parent decides what a failure means; never a dead worker
            reply = ("error", _picklable(exc))
        finally:
            gc.enable()
        try:
            conn.send((*reply, rss_kb(), _lifetime["dropped"] >= RETIRE_AFTER_DROPPED))
        except (OSError, ValueError):
            return
        del task, function, args, reply
        gc.collect()  # after the answer is on its way; the parent may send the next task meanwhile
        if _lifetime["freeze"]:
            gc.freeze()  # what this task kept is never walked again by the collection after each task
            _lifetime["freeze"] = False


def keep_for_life() -> None:
    """The running task made something the worker keeps (a generic layout, about 25,000 objects): it is
    frozen after the task's collection. A full collection after every task walked every kept layout again,
    0.1-0.25 s per task with a batch's 11 layouts kept: a quarter of a personalised row's time."""
    _lifetime["freeze"] = True


def dropped_kept() -> None:
    """Something kept for life left its cache: frozen objects in reference cycles are never collected, so
    after a few the worker asks, in its next answer, to be replaced by a fresh fork (memory stays bounded)."""
    _lifetime["dropped"] += 1


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{exc.__class__.__name__}: {exc}")
    return exc


def rss_kb() -> int | None:
    """This process's resident memory in KiB, where the platform tells."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        if sys.platform == "darwin":  # pragma: no cover
            import resource

            return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024
        return None
