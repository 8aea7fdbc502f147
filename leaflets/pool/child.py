"""The worker side: run tasks sent down a pipe, in a process forked by the warm fork server."""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

GC_THRESHOLD = (10_000, 50, 50)
"""Fewer young collections (WeasyPrint makes many short-lived objects); a full collection after each task,
done while the parent is already answering, keeps memory flat since layout trees are cyclic."""


def worker_main(conn: Any, setup: Callable[[], None] | None) -> None:
    """Serve (function, args) tasks until the pipe closes; every reply is (status, value, rss_kb)."""
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
        try:
            reply = ("ok", function(*args))
        except BaseException as exc:  # the parent decides what a failure means; never a dead worker
            reply = ("error", _picklable(exc))
        try:
            conn.send((*reply, rss_kb()))
        except (OSError, ValueError):
            return
        del task, function, args, reply
        gc.collect()  # after the answer is on its way: the parent need not wait for it


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
