"""Write output files whole or not at all: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from .errors import OutputError

TEMP_PREFIX = ".leaflets-"
TEMP_SUFFIX = ".partial"

PERSONAL_FILE_MODE = 0o600
"""A file with someone's details is readable by its owner only, even on a shared computer."""
PUBLIC_FILE_MODE = 0o644


def file_mode(personal: bool) -> int:
    """The one write policy: every file holding personal details is 0600, whichever command writes it."""
    return PERSONAL_FILE_MODE if personal else PUBLIC_FILE_MODE


def write_files(
    files: Mapping[str, bytes], out_dir: Path, *, personal: bool, name: Callable[[str], str] = str
) -> list[Path]:
    """Write each named file atomically into OUT_DIR (NAME maps a file's name to the name on disk)."""
    return [write_atomic(out_dir / name(file_name), data, personal=personal) for file_name, data in files.items()]


def prepare_folder(folder: Path) -> Path:
    """Create the output folder if needed and check that it can be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: is a file, not a folder; choose another output folder with -o") from None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            reason = "part of the path is a file, or a folder that cannot hold new folders; choose another with -o"
        else:
            reason = _reason(exc)
        raise OutputError(f"{folder}: cannot create the output folder: {reason}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        code = errno.EROFS if _read_only(folder) else errno.EACCES
        raise OutputError(f"{folder}: cannot write to the output folder: {_reason(OSError(code, ''))}")
    return folder


def _read_only(folder: Path) -> bool:
    """Whether FOLDER is on a read-only disk (a CD, a locked USB stick, a read-only mount)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # Windows has no statvfs
        return False


def write_atomic(path: Path, data: bytes, *, personal: bool) -> Path:
    """Write DATA to PATH so that PATH is always either the old complete file or the new one.

    The data goes to a locked temporary file in the same folder, is flushed to disk, then renamed
    over PATH. A run killed at any moment leaves at most a temporary file, which the next run
    removes (clean_partials); the lock stops another run from removing one that is still being written.
    """
    fd, temp_name = _locked_temp(path)
    try:
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, file_mode(personal))
        os.replace(temp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: could not write the file: {_reason(exc)}") from None
        raise
    finally:
        os.close(fd)
    _sync_folder(path.parent)
    return path


def _locked_temp(path: Path) -> tuple[int, str]:
    """Create and lock a new temporary file next to PATH (retrying if a cleaner removed it first)."""
    for _ in range(5):
        try:
            fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
        except OSError as exc:
            raise OutputError(f"{path}: could not write the file: {_reason(exc)}") from None
        if _try_lock(fd) and os.fstat(fd).st_nlink > 0:
            return fd, temp_name
        os.close(fd)  # another run's clean_partials took it between creation and locking: try again
    raise OutputError(f"{path}: could not write the file: another run keeps removing its temporary files")


def _try_lock(fd: int) -> bool:
    """Lock FD for this process; False if another live process holds it. Locks die with their process."""
    if fcntl is None:  # pragma: no cover - Windows: no advisory locks, every partial counts as stale
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks: fall back to the old behaviour
        return True
    return True


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def clean_partials(folder: Path) -> int:
    """Remove temporary files left by a run that was killed; returns how many were removed.

    A temporary file still locked by a live process (another build writing into the same folder)
    is left alone.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    for leftover in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        try:
            fd = os.open(leftover, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            if _try_lock(fd):
                leftover.unlink()
                removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _reason(exc: OSError) -> str:
    """What went wrong writing a file, and what to do about it, in plain words."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full; free some space (or choose another folder with -o) and run again"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; choose another output folder with -o"
    if exc.errno == errno.EROFS:
        return "the disk is read-only; choose another output folder with -o"
    if exc.errno == errno.EISDIR:
        return "a folder with this name is in the way; move it or choose another output folder with -o"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "the output folder has disappeared; run again"
    return f"{exc.strerror or exc}; check the output folder and run again"
