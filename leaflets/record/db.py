"""The hand-out record: one SQLite file (WAL mode, owner-only), one row per leaflet handed out."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locks only
    fcntl = None  # type: ignore[assignment]

from ..errors import InputError, RecordError
from ..project import Project

DB_FILE = "leaflets.db"
TABLE = "handouts"
SCHEMA_VERSION = 1
DB_MODE = 0o600
"""The record says who was given what: readable by its owner only, like a personalised PDF."""

COLUMNS: dict[str, type] = {
    "id": str,
    "handed_out_at": str,
    "leaflet": str,
    "title": str,
    "content_version": str,
    "language": str,
    "variant": str,
    "paper": str,
    "site": str,
    "prepared_by": str,
    "teach_back": str,
    "patient_reference": str,
    "pdf_sha256": str,
    "pdf_bytes": int,
    "channel": str,
}
NOT_NULL = {"handed_out_at", "leaflet", "title", "content_version", "language", "variant", "paper", "site",
            "pdf_sha256", "pdf_bytes", "channel"}

T = TypeVar("T")


def default_db_path(project: Project) -> Path:
    """leaflets.db in the project folder, unless --db says otherwise."""
    return project.root / DB_FILE


def _problem(path: Path, exc: BaseException, doing: str) -> RecordError:
    """One line saying why the record could not be used, and what to do."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        why = "it is locked by another program; close it (or wait) and try again"
    elif "readonly" in text or "read-only" in text or getattr(exc, "errno", None) in (errno.EACCES, errno.EROFS):
        why = "it is read-only; make it writable for this user, or choose another file with --db"
    elif "not a database" in text or "malformed" in text:
        why = "it is not a hand-out record (not a readable SQLite database); choose another file with --db"
    elif "disk" in text and "full" in text or getattr(exc, "errno", None) == errno.ENOSPC:
        why = "the disk is full; free some space and try again"
    elif "unable to open" in text or isinstance(exc, FileNotFoundError):
        why = "it cannot be opened; check that its folder exists and can be written, or choose another with --db"
    else:
        why = f"{exc.__class__.__name__}: {exc}"
    return RecordError(f"{path}: cannot {doing} the hand-out record: {why}")


def _create_owner_only(path: Path) -> None:
    """Create an empty database file readable by its owner only (SQLite gives its WAL files the same mode).

    The file is made under a temporary name and linked into place, so this process never closes a
    descriptor of the record itself: on POSIX that would drop the locks another thread's connection holds.
    """
    if path.exists():
        return
    try:
        fd, temp = tempfile.mkstemp(prefix=".leaflets-db-", dir=path.parent)
    except OSError as exc:
        raise _problem(path, exc, "create") from None
    try:
        os.fchmod(fd, DB_MODE)  # mkstemp makes it 0600 already; whatever the umask
        os.close(fd)
        with contextlib.suppress(FileExistsError):  # another writer made it first: use theirs
            os.link(temp, path)
    except OSError as exc:
        raise _problem(path, exc, "create") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _ensure_schema(db: Database, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"made by a newer version of leaflets (schema {version}); upgrade leaflets")
    if version == SCHEMA_VERSION:
        return
    with _creating(path):
        _create_schema(db)


@contextlib.contextmanager
def _creating(path: Path) -> Iterator[None]:
    """One process at a time sets up a new record, so first hand-outs made at once never meet half-way.

    The lock is on the record's folder: a descriptor of the record itself must never be closed here
    (on POSIX that would drop the locks SQLite holds for other connections in this process).
    """
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # a system that cannot open folders: SQLite's own locking has to do
        yield
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _create_schema(db: Database) -> None:
    if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    db.enable_wal()
    db.execute("BEGIN IMMEDIATE")  # a new record may be created by several writers at once: one at a time
    try:
        db[TABLE].create(COLUMNS, pk="id", not_null=NOT_NULL, if_not_exists=True)
        db[TABLE].create_index(["handed_out_at"], if_not_exists=True)
        db[TABLE].create_index(["leaflet", "content_version"], if_not_exists=True)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


@contextlib.contextmanager
def open_for_writing(path: Path, wait_seconds: float) -> Iterator[Database]:
    """The record, created if needed, in WAL mode; waits up to WAIT_SECONDS for another writer."""
    _create_owner_only(path)
    try:
        conn = sqlite3.connect(path, timeout=wait_seconds, isolation_level=None)
    except sqlite3.Error as exc:
        raise _problem(path, exc, "open") from None
    try:
        db = Database(conn)
        _ensure_schema(db, path)
        yield db
    except sqlite3.Error as exc:
        raise _problem(path, exc, "write") from exc
    finally:
        conn.close()


@contextlib.contextmanager
def open_for_reading(path: Path) -> Iterator[Database]:
    """An existing record, opened without changing it."""
    if not path.is_file():
        raise InputError(f"{path}: there is no hand-out record here: recording is off in the site profile, "
                         "nothing has been handed out yet, or it is in another file (--db)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise _problem(path, exc, "open") from None
    try:
        db = Database(conn)
        if TABLE not in db.table_names():
            raise sqlite3.DatabaseError("file is not a database")
        yield db
    except sqlite3.Error as exc:
        raise _problem(path, exc, "read") from None
    finally:
        conn.close()


def check_writable(path: Path, wait_seconds: float) -> None:
    """Fail now, before any rendering, if a hand-out could not be recorded (locked, read-only, not a record)."""
    with open_for_writing(path, wait_seconds) as db:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")


def insert_then(
    path: Path, wait_seconds: float, row: dict[str, Any], then: Callable[[], T], undo: Callable[[T], None]
) -> T:
    """Add ROW and run THEN (write the PDF) as one step: both happen, or neither.

    BEGIN IMMEDIATE takes the write lock first, so once the row is in, only a failing disk can
    stop the commit; if it does, UNDO removes what THEN wrote.
    """
    with open_for_writing(path, wait_seconds) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            db[TABLE].insert(row)
            result = then()
        except BaseException:
            db.rollback()
            raise
        try:
            db.execute("COMMIT")
        except BaseException:
            undo(result)
            db.rollback()
            raise
        return result


def update_teach_back(path: Path, wait_seconds: float, handout_id: str, result: str) -> bool:
    """Set the teach-back result of one hand-out; False if there is no such hand-out."""
    with open_for_writing(path, wait_seconds) as db:
        cursor = db.execute(f"UPDATE {TABLE} SET teach_back = ? WHERE id = ?", [result, handout_id])
        return cursor.rowcount == 1


def select(path: Path, where: list[str], params: list[Any]) -> list[dict[str, Any]]:
    """Rows matching every condition in WHERE, oldest first."""
    with open_for_reading(path) as db:
        clause = " AND ".join(where) or None
        return list(db[TABLE].rows_where(clause, params, order_by="handed_out_at, rowid"))
