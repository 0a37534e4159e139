"""The durable feedback store: human grades in an embedded SQLite database.

Every grade is committed (WAL journal, ``synchronous=FULL``) before :meth:`FeedbackStore.save`
returns, so a grade survives the process being killed the moment after. Each
(case, dimension, rater) has one *current* grade; a re-grade by the same rater becomes the
current one and the earlier versions stay in the history. Several raters may grade the
same item.

One store object is safe to share between threads (a lock serialises its one connection),
and several processes may open the same file at once: writers wait for each other (busy
timeout) instead of failing. After :func:`os.fork` the child opens its own connection.
The file must be on a local disk: SQLite's locking is not reliable on network file systems.

A new store is built in a temporary file and linked into place, so an existing file is
never a store half-created by another process: an empty (0-byte) file at the path is a
truncated store, and opening it is an error, not a fresh start that would hide the lost
grades. Every failure (a read-only folder, a full disk, a damaged file) is a
:class:`~memalign_nb.errors.FeedbackStoreError` naming the file and saying what is wrong.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import FeedbackStoreError
from memalign_nb.feedback import io
from memalign_nb.feedback.model import Grade

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Version of the table layout, kept in SQLite's ``user_version``."""

_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS grades (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL,
        dimension TEXT NOT NULL,
        rater TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 3),
        rationale TEXT NOT NULL,
        created_at TEXT NOT NULL,
        current INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1))
    )""",
    # At most one current version per (case, dimension, rater), even across processes.
    "CREATE UNIQUE INDEX IF NOT EXISTS grades_current "
    "ON grades (case_id, dimension, rater) WHERE current = 1",
    "CREATE INDEX IF NOT EXISTS grades_item ON grades (case_id, dimension, rater, id)",
)
_COLUMNS = ", ".join(io.GRADE_FIELDS)  # the order of Grade's fields

# Connections inherited through fork() belong to the parent; closing them in the child
# could disturb the parent's locks, so the child keeps them referenced and never uses them.
_INHERITED: list[sqlite3.Connection] = []


class FeedbackStore:
    """Human grades in a SQLite file, durable the moment each is saved.

    Parameters
    ----------
    path : str or path-like
        The database file, created (with its folder) when missing. ``":memory:"`` keeps
        grades in memory for tests.
    dimensions : iterable of str
        The dimension ids grades may use; pass ``load_rubrics(...).keys()`` to allow
        custom dimensions. Defaults to the nine built-in ones.
    timeout : float
        Seconds a writer waits for another process's write to finish before failing.

    Raises
    ------
    FeedbackStoreError
        The file is not a SQLite database, was written by a newer memalign-nb, or cannot
        be opened.

    Examples
    --------
    >>> from memalign_nb.feedback import FeedbackStore, Grade
    >>> with FeedbackStore(":memory:") as store:
    ...     _ = store.save(Grade("titanic-01", "data_imputation", 1, "imputer fit before split"))
    ...     len(store)
    1
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        dimensions: Iterable[str] = DIMENSIONS,
        timeout: float = 30.0,
    ) -> None:
        self.path = str(path)
        self.dimensions = tuple(dimensions)
        self.timeout = timeout
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        with self._locked():  # open now, so a bad path fails here and not at the first save
            pass

    # -- writing -----------------------------------------------------------------------

    def save(self, grade: Grade) -> Grade:
        """Validate and store one grade; it is committed to disk when this returns.

        The grade becomes the current one of its (case, dimension, rater); the one it
        replaces stays in :meth:`history`.

        Returns
        -------
        Grade
            The grade as stored: score as an int, ``created_at`` filled with the current
            UTC time (ISO 8601, microseconds) when it was empty.

        Raises
        ------
        UnknownNameError
            The dimension is not one of :attr:`dimensions`; nothing is written.
        InvalidScoreError
            The score is not an integer from 0 to 3; nothing is written.
        InvalidGradeError
            Another field is empty or mistyped; nothing is written.
        """
        return self.save_many([grade])[0]

    def save_many(self, grades: Iterable[Grade]) -> list[Grade]:
        """Validate every grade, then store them all in one transaction.

        If any grade is invalid, the error is raised before anything is written. Later
        grades for the same (case, dimension, rater) supersede earlier ones, in order.

        Returns
        -------
        list of Grade
            The grades as stored (see :meth:`save`).
        """
        return self._store(grades, skip_known=False)[0]

    def import_jsonl(self, path: str | PathLike[str]) -> int:
        """Store every grade of a JSONL file (all or nothing); returns how many were new.

        Rows are replayed in file order, each becoming the current grade of its item. A row
        matching a version already stored (same item, score, rationale, and timestamp when
        the row has one) is skipped, so importing a file twice, or an old export after
        re-grades, changes nothing.

        Raises
        ------
        DatasetError
            Listing every bad line of the file; nothing is stored.
        """
        return self._import(io.read_grades_jsonl(path, dimensions=self.dimensions), path)

    def import_csv(self, path: str | PathLike[str]) -> int:
        """Store every grade of a CSV file (all or nothing); returns how many were new.

        Rows are replayed as by :meth:`import_jsonl`.

        Raises
        ------
        DatasetError
            Listing every bad row of the file; nothing is stored.
        """
        return self._import(io.read_grades_csv(path, dimensions=self.dimensions), path)

    # -- reading -----------------------------------------------------------------------

    def grades(
        self,
        *,
        case_id: str | None = None,
        dimension: str | None = None,
        rater: str | None = None,
    ) -> list[Grade]:
        """The current grades, optionally only those matching every filter given.

        Sorted by case id, dimension (in :attr:`dimensions` order) and rater.
        """
        filters = {"case_id": case_id, "dimension": dimension, "rater": rater}
        where = ["current = 1"] + [f"{k} = ?" for k, v in filters.items() if v is not None]
        params = [v for v in filters.values() if v is not None]
        rows = self._query(f"SELECT {_COLUMNS} FROM grades WHERE {' AND '.join(where)}", params)
        rank = {d: i for i, d in enumerate(self.dimensions)}
        grades = [Grade(*row) for row in rows]
        return sorted(
            grades,
            key=lambda g: (g.case_id, rank.get(g.dimension, len(rank)), g.dimension, g.rater),
        )

    def history(self, case_id: str, dimension: str, rater: str) -> list[Grade]:
        """Every version one rater saved for one item, oldest first (the last is current)."""
        rows = self._query(
            f"SELECT {_COLUMNS} FROM grades WHERE case_id = ? AND dimension = ? AND rater = ? "
            "ORDER BY id",
            (case_id, dimension, rater),
        )
        return [Grade(*row) for row in rows]

    def every_version(self) -> list[Grade]:
        """Every version of every grade, oldest first (what a history export holds)."""
        return [Grade(*row) for row in self._query(f"SELECT {_COLUMNS} FROM grades ORDER BY id")]

    def raters(self) -> tuple[str, ...]:
        """The raters with at least one current grade, sorted."""
        rows = self._query("SELECT DISTINCT rater FROM grades WHERE current = 1 ORDER BY rater")
        return tuple(row[0] for row in rows)

    def __len__(self) -> int:
        """The number of current grades (one per case, dimension and rater)."""
        return self._query("SELECT COUNT(*) FROM grades WHERE current = 1")[0][0]

    def export_jsonl(self, path: str | PathLike[str], *, history: bool = False) -> int:
        """Write the current grades (every version with ``history=True``) as JSONL.

        Returns the number of grades written. Importing a history export into an empty
        store rebuilds the same current grades and history.
        """
        return io.write_grades_jsonl(path, self._export(history))

    def export_csv(self, path: str | PathLike[str], *, history: bool = False) -> int:
        """Write the current grades (every version with ``history=True``) as CSV."""
        return io.write_grades_csv(path, self._export(history))

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close this process's connection; the next call opens a new one."""
        self._adopt_after_fork()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FeedbackStore({self.path!r})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings only; the unpickled store opens its own connection."""
        return {"path": self.path, "dimensions": self.dimensions, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], dimensions=state["dimensions"], timeout=state["timeout"])

    # -- internals ---------------------------------------------------------------------

    def _adopt_after_fork(self) -> None:
        """In a forked child, leave the parent's lock and connection alone and start afresh."""
        if self._pid != os.getpid():
            if self._conn is not None:
                _INHERITED.append(self._conn)
            self._lock, self._conn, self._pid = threading.RLock(), None, os.getpid()

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """This process's connection (opened on first use), held under the store's lock."""
        self._adopt_after_fork()
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            yield self._conn

    def _open(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            self._create_if_missing()
        try:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error("cannot open feedback store", exc) from exc
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _create_if_missing(self) -> None:
        """Make a new store whole in a temporary file and link it into place.

        An existing file is left alone (another process may have just created it); an
        empty one is refused: SQLite would take it for a new database, and the grades a
        truncation lost would go unnoticed.
        """
        path = Path(self.path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = None
        except OSError as exc:
            raise FeedbackStoreError(self.path, f"cannot read the file: {exc.strerror}") from exc
        if size == 0:
            raise FeedbackStoreError(
                self.path,
                "the file is empty (0 bytes): a truncated or emptied store, not a new one; "
                "restore it from a backup or an export, or move it away to start a new store",
            )
        if size is not None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
            os.close(fd)
        except OSError as exc:
            raise FeedbackStoreError(
                self.path, f"cannot create a store in {path.parent}: {_os_words(exc)}"
            ) from exc
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                self._prepare(conn)
            finally:
                conn.close()
            os.link(tmp, path)  # fails if another process created the store meanwhile
            logger.info("created feedback store %s", path)
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EOPNOTSUPP):
                raise FeedbackStoreError(
                    self.path, f"cannot create the store: {_os_words(exc)}"
                ) from exc
            if not path.exists():  # a file system without hard links: a small race remains
                os.replace(tmp, path)
        finally:
            for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
                Path(leftover).unlink(missing_ok=True)

    def _error(self, doing: str, exc: sqlite3.Error) -> FeedbackStoreError:
        """``exc`` in words, with what to check, as this store's error."""
        return FeedbackStoreError(self.path, f"{doing}: {_sqlite_words(exc, self.path)}")

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Set durability pragmas and create (or check) the schema."""
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error("cannot open feedback store", exc) from exc
        if version > SCHEMA_VERSION:
            raise FeedbackStoreError(
                self.path, f"written by a newer memalign-nb (schema {version} > {SCHEMA_VERSION})"
            )
        if mode != "wal" and self.path != ":memory:":
            logger.warning("%s: WAL journal unavailable, using %s", self.path, mode)
        logger.debug("opened feedback store %s (journal %s)", self.path, mode)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed durably on exit or rolled back on error."""
        with self._locked() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise self._error("cannot write grades", exc) from exc

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._locked() as conn:
            try:
                return conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise self._error("cannot read grades", exc) from exc

    def _store(self, grades: Iterable[Grade], *, skip_known: bool) -> tuple[list[Grade], int]:
        """Validate all, then write all in one transaction; returns what was stored.

        With ``skip_known``, grades matching a stored version (:meth:`import_jsonl`) are
        left out. The second value is how many grades were stored.
        """
        now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        checked = [io.check_grade(g, self.dimensions) for g in grades]
        stored = []
        with self._transaction() as conn:
            for grade in checked:
                if skip_known and _is_stored(conn, grade):
                    continue
                grade = grade if grade.created_at else dataclasses.replace(grade, created_at=now)
                _insert(conn, grade)
                stored.append(grade)
        logger.debug("%s: stored %d of %d grades", self.path, len(stored), len(checked))
        return stored, len(stored)

    def _import(self, grades: list[Grade], path: str | PathLike[str]) -> int:
        new = self._store(grades, skip_known=True)[1]
        logger.info("imported %d new of %d grades from %s", new, len(grades), path)
        return new

    def _export(self, history: bool) -> list[Grade]:
        return self.every_version() if history else self.grades()


_SQLITE_HINTS = {
    "SQLITE_FULL": "the disk is full",
    "SQLITE_READONLY": "the file (or its folder) is read-only; the store writes the file and "
                       "its -wal and -shm files beside it",
    "SQLITE_CORRUPT": "the file is damaged (truncated or overwritten); restore it from a "
                      "backup or an export",
    "SQLITE_NOTADB": "the file is not a SQLite database (damaged, or another file)",
    "SQLITE_IOERR": "the disk failed to read or write (full, removed, or a network file "
                    "system?)",
    "SQLITE_BUSY": "another process held the store locked for too long",
}


def _sqlite_words(exc: sqlite3.Error, path: str) -> str:
    """What a SQLite error means for a store file, and SQLite's own words."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    base = name.split("_", 2)
    key = name if name in _SQLITE_HINTS else "_".join(base[:2])
    hint = _SQLITE_HINTS.get(key)
    if hint is None and key == "SQLITE_CANTOPEN":
        folder = Path(path).parent
        hint = (f"the folder {folder} is not writable" if folder.is_dir()
                and not os.access(folder, os.W_OK) else "the file cannot be opened")
    return f"{hint} ({exc})" if hint else str(exc)


def _os_words(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _is_stored(conn: sqlite3.Connection, grade: Grade) -> bool:
    """Whether a version with this item, score, rationale (and timestamp, if set) exists."""
    sql = (
        "SELECT 1 FROM grades WHERE case_id = ? AND dimension = ? AND rater = ? AND score = ? "
        "AND rationale = ?"
    )
    params = [grade.case_id, grade.dimension, grade.rater, grade.score, grade.rationale]
    if grade.created_at:
        sql += " AND created_at = ?"
        params.append(grade.created_at)
    return conn.execute(sql + " LIMIT 1", params).fetchone() is not None


def _insert(conn: sqlite3.Connection, grade: Grade) -> None:
    """Store ``grade`` as its item's current version, demoting the previous one."""
    conn.execute(
        "UPDATE grades SET current = 0 WHERE case_id = ? AND dimension = ? AND rater = ? "
        "AND current = 1",
        (grade.case_id, grade.dimension, grade.rater),
    )
    conn.execute(
        f"INSERT INTO grades ({_COLUMNS}, current) VALUES (?, ?, ?, ?, ?, ?, 1)",
        tuple(io.grade_to_row(grade).values()),
    )
