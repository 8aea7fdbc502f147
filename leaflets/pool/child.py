"""The worker side: run tasks sent down a pipe in a process forked from the warm parent."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

GC_THRESHOLD = (10_000, 50, 50)
"""Fewer young collections (WeasyPrint makes many short-lived objects); a full collection after each task,
done while the parent is already answering, keeps memory flat since layout trees are cyclic."""


def worker_main(conn: Any, setup: Callable[[], None] | None) -> None:
    """Serve (function, args) tasks until the pipe closes; every reply is (status, value, rss_kb)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Fresh stream objects on the same files: a parent thread that was writing when we forked left the
    # old ones' buffer locks held for ever in this copy of its memory.
    sys.stdout = open(os.dup(1), "w", encoding="utf-8", errors="replace", closefd=True)  # noqa: SIM115
    sys.stderr = open(os.dup(2), "w", encoding="utf-8", errors="replace", closefd=True)  # noqa: SIM115
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


class ForkedChild:
    """A worker forked by hand (not multiprocessing.Process) so that it can let go of the parent's pipes.

    A forked process holds every pipe and socket the parent had open: the server's listening socket, or
    the pipe a subprocess waits on for end of input. The child points each of them at /dev/null (the
    numbers stay taken, so nothing can close a file of ours by mistake), keeping only its own pipe.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.exitcode: int | None = None

    @classmethod
    def start(cls, target: Callable[..., None], *args: Any, keep: int) -> ForkedChild:
        pid = os.fork()
        if pid:
            return cls(pid)
        code = 1
        try:
            _release_inherited(keep)
            target(*args)
            code = 0
        finally:
            os._exit(code)  # never back into the parent's code, its atexit handlers or its threads' locks

    def is_alive(self) -> bool:
        if self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode is None

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)

    def kill(self) -> None:
        if self.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


def _release_inherited(keep: int) -> None:
    """Point every inherited pipe and socket but KEEP (and stdin, stdout, stderr) at /dev/null."""
    folder = "/proc/self/fd"
    if not os.path.isdir(folder):  # pragma: no cover - not Linux
        return
    null = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir(folder):
        fd = int(name)
        if fd in (0, 1, 2, keep, null):
            continue
        try:
            target = os.readlink(f"{folder}/{name}")
        except OSError:
            continue
        if target.startswith(("pipe:", "socket:")):
            os.dup2(null, fd)
    os.close(null)
