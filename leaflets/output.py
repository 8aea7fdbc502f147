"""Write output files whole or not at all: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import OutputError

TEMP_PREFIX = ".leaflets-"
TEMP_SUFFIX = ".partial"


def prepare_folder(folder: Path) -> Path:
    """Create the output folder if needed and check that it can be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: is a file, not a folder; choose another output folder with -o") from None
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({_reason(exc)}); choose another with -o") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: cannot write to the output folder (permission denied); choose another with -o")
    return folder


def write_atomic(path: Path, data: bytes) -> Path:
    """Write DATA to PATH so that PATH is always either the old complete file or the new one."""
    fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException as exc:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: could not write the file ({_reason(exc)})") from None
        raise
    return path


def clean_partials(folder: Path) -> int:
    """Remove temporary files left by a run that was killed; returns how many were removed."""
    removed = 0
    if folder.is_dir():
        for leftover in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            try:
                leftover.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full; free some space and run again"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    return exc.strerror or str(exc)
