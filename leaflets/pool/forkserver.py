"""The fork server: a fresh, single-threaded process that warms the renderer once and forks every worker.

Forking a process that has threads (a progress bar, the web server's request threads, a log handler)
copies any lock one of them holds at that moment, and a worker that needs it waits for ever. So workers
are never forked from the caller. The fork server is a new Python started with exec (it inherits no
thread, no lock and, apart from stdout and stderr, no open file); it runs the warm-up (WeasyPrint,
fonts, stylesheets), freezes what it made out of the garbage collector's way, and then forks one worker
per request while it does nothing else. The caller only talks to it over a socket.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from typing import Any

from ..errors import RenderError
from .child import worker_main

READY_SECONDS = 600.0
"""How long the warm-up may take before the pool gives up (a loaded machine can take a minute)."""
NOT_STARTED = "the render workers could not start (the fork server stopped while warming up)"


class ForkServer:
    """The caller's handle on a fork server: start it, wait until it is warm, ask it for workers."""

    def __init__(self, warm: Callable[[], None] | None, setup: Callable[[], None] | None) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            [sys.executable, "-c", f"from leaflets.pool.forkserver import serve; serve({theirs.fileno()})"],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, close_fds=True,
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(list(sys.path))  # so it can unpickle the caller's functions (tests, benchmarks)
        self._conn.send((warm, setup))
        self._lock = threading.Lock()
        self._ready = False

    def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        """Block until the warm-up is done; RenderError if the server died on the way."""
        with self._lock:
            if self._ready:
                return
            try:
                if not self._conn.poll(seconds):
                    raise RenderError(f"the render workers were not ready after {seconds:g} seconds")
                self._conn.recv()
            except (EOFError, OSError):
                raise RenderError(NOT_STARTED) from None
            self._ready = True

    def fork(self) -> tuple[int, Connection]:
        """A new worker: its process id and the caller's end of its pipe."""
        self.wait_ready()
        with self._lock:
            try:
                self._conn.send("fork")
                pid = self._conn.recv()
                handle = recv_handle(self._conn)
            except (EOFError, OSError):
                raise RenderError(NOT_STARTED) from None
        return pid, Connection(handle)

    def close(self) -> None:
        """Let the server go (its workers stop when their own pipes close) and reap it."""
        with self._lock:
            self._conn.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(fd: int) -> None:
    """The server's loop: warm, freeze, then fork a worker per request until the caller goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    conn = Connection(fd)
    sys.path[:] = conn.recv()
    warm, setup = conn.recv()
    if warm is not None:
        with contextlib.suppress(Exception):  # a worker's first render reports the real error, in its own words
            warm()
    gc.collect()
    gc.freeze()  # the warm objects stay out of every later collection, here and in each worker
    signal.signal(signal.SIGCHLD, _reap)  # workers that exit are reaped at once: no zombies
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request != "fork":
            return
        caller_end, worker_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            _worker(conn, caller_end, worker_end, setup)
        worker_end.close()
        conn.send(pid)
        send_handle(conn, caller_end.fileno(), os.getppid())
        caller_end.close()


def _reap(_signum: int, _frame: Any) -> None:
    """Wait for every worker that has exited, so its CPU time counts as the caller's (`time leaflets batch`)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _worker(conn: Connection, caller_end: socket.socket, worker_end: socket.socket,
            setup: Callable[[], None] | None) -> Any:
    """In the forked worker: keep only its own pipe, serve tasks, and never return into the server's loop."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        conn.close()
        caller_end.close()
        worker_main(Connection(worker_end.detach()), setup)
        code = 0
    finally:
        os._exit(code)
