"""The SQLite event store with writers from several processes taking turns on a file lock.

SQLite lets one connection write at a time. A writer that finds the file locked gets
SQLITE_BUSY, and the busy handler of Python's `sqlite3` *sleeps* and retries (1, 2, 5, 10 … ms)
— so under `hub serve`, whose worker processes all write to one file, a writer waits long after
the lock is free, and a process unlucky twice sleeps longer each time (p99 of submits over
100 ms). Here each write transaction first takes an exclusive `flock` on a lock file beside
the database: a waiting writer sleeps in the kernel and wakes the moment the lock is released.
The library's own in-process writer lock comes first, so one thread per process waits on the
file. Readers never take it (WAL readers do not block writers).

The lock is only an ordering device: SQLite's own locking stays in force underneath (with its
busy timeout), so a writer that does not use this file — `sqlite3` on the command line, an
older hub — is still safe, merely not queued fairly. No deadlock is possible: the file lock
is taken before `BEGIN` and released after `COMMIT`/`ROLLBACK`, so nobody waits for it while
holding SQLite's write lock.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
)

# Prepared statements each pooled connection keeps (Python's own default).
STATEMENT_CACHE = 128
POOL_OPTIONS = ("lock_timeout", "pool_size", "max_overflow", "pool_timeout", "max_age", "pre_ping")


class StatementCachingPool(SQLiteConnectionPool):
    """The library's SQLite pool, whose connections keep their prepared statements.

    eventsourcing 9.5.6 opens each connection with `cached_statements=True`, which `sqlite3`
    reads as a cache of *one* statement: a connection that reads a stream and then inserts
    compiles both statements afresh every time. In the request path of a submit (a token's
    revocation read, then the insert) that read took 80–83 µs against 43–44 µs with a cache
    of 128, in alternating runs; the whole submit's CPU fell by 6–7 %.
    """

    def _create_connection(self) -> SQLiteConnection:
        try:
            raw = sqlite3.connect(
                database=self.db_name, uri=True, check_same_thread=False,
                isolation_level=None,  # autocommit: the library's transactions BEGIN themselves
                cached_statements=STATEMENT_CACHE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT)
        except (sqlite3.Error, TypeError) as error:
            raise persistence.InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            if raw.execute("PRAGMA journal_mode;").fetchone()[0].lower() != "wal":
                raw.execute("PRAGMA journal_mode=WAL;")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        raw.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=raw, max_age=self.max_age)


class QueuedWritersDatastore(SQLiteDatastore):
    """`SQLiteDatastore` whose write transactions queue on `<database>.write-lock`, on a pool
    whose connections keep their prepared statements (`StatementCachingPool`)."""

    def __init__(self, db_name: str, **options: Any) -> None:
        super().__init__(db_name, **options)
        self.pool.close()  # it never opened a connection: they are opened on first use
        self.pool = StatementCachingPool(
            db_name=db_name, **{name: options[name] for name in POOL_OPTIONS if name in options})
        memory = self.pool.is_sqlite_memory_mode
        self.lock_path = None if memory else db_name.removeprefix("file:").split("?")[0] + ".write-lock"
        self._lock_fd: int | None = None
        self._lock_pid = 0

    def _lock_file(self) -> int:
        """This process's own descriptor of the lock file (a forked child opens its own:
        flock is held per open file, and one inherited across a fork would be shared)."""
        if self._lock_fd is None or self._lock_pid != os.getpid():
            assert self.lock_path is not None
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_pid = os.getpid()
        return self._lock_fd

    @contextmanager
    def get_connection(self, *, commit: bool) -> Iterator[SQLiteConnection]:
        with super().get_connection(commit=commit) as connection:
            if not commit or self.lock_path is None:
                yield connection
                return
            lock = self._lock_file()
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield connection
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def close(self, _getpid: Any = os.getpid, _close: Any = os.close) -> None:
        """Close the pool and this process's lock descriptor (`os` bound early: `__del__`
        may run at interpreter exit, after the module's globals are gone)."""
        super().close()
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None and self._lock_pid == _getpid():
            _close(fd)


class SingleStatementReadsRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, reading a stream's events with one `SELECT` in autocommit
    mode (SQLite runs a lone statement in its own read transaction, on one snapshot) instead of
    `BEGIN`, `SELECT`, `ROLLBACK`.

    Every request reads: the token's revocation check on each call, the aggregate of every
    action or GET. Measured in the request path of a submit (a token check, after other
    connections' writes): 133–161 µs with one statement against 205–223 µs for the library's
    read, in alternating runs; rows and errors are the library's (tests/integration/
    test_sqlite_reads.py)."""

    def select_events(self, originator_id: UUID | str, *, gt: int | None = None,
                      lte: int | None = None, desc: bool = False,
                      limit: int | None = None) -> Sequence[StoredEvent]:
        statement = self.select_events_statement
        params: list[Any] = [originator_id.hex if isinstance(originator_id, UUID)
                             else originator_id]
        if gt is not None:
            statement += "AND originator_version>? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version<=? "
            params.append(lte)
        statement += "ORDER BY originator_version " + ("DESC " if desc else "ASC ")
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        with self.datastore.get_connection(commit=False) as connection:
            cursor = connection.cursor()
            try:
                with cursor as found:
                    rows = found.execute(statement, params).fetchall()
            except sqlite3.Error as error:
                raise _library_error(error) from error
        convert = self.convert_originator_id
        return [StoredEvent(originator_id=convert(row[0]), originator_version=row[1],
                            topic=row[2], state=row[3]) for row in rows]


def _library_error(error: sqlite3.Error) -> persistence.PersistenceError:
    """The eventsourcing error the library's transactions raise for a sqlite3 error."""
    for raw, mapped in _ERRORS:
        if isinstance(error, raw):
            return mapped(error)
    return persistence.PersistenceError(error)


# Most specific first, as eventsourcing.sqlite.SQLiteTransaction maps them.
_ERRORS: tuple[tuple[type[sqlite3.Error], type[persistence.PersistenceError]], ...] = (
    (sqlite3.InterfaceError, persistence.InterfaceError),
    (sqlite3.DataError, persistence.DataError),
    (sqlite3.OperationalError, persistence.OperationalError),
    (sqlite3.IntegrityError, persistence.IntegrityError),
    (sqlite3.InternalError, persistence.InternalError),
    (sqlite3.ProgrammingError, persistence.ProgrammingError),
    (sqlite3.NotSupportedError, persistence.NotSupportedError),
    (sqlite3.DatabaseError, persistence.DatabaseError),
)


class QueuedWritersFactory(SQLiteFactory):
    """eventsourcing's SQLite persistence with `QueuedWritersDatastore`, and stream reads of one
    statement (`SingleStatementReadsRecorder`)."""

    application_recorder_class = SingleStatementReadsRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        plain = self.datastore
        self.datastore = QueuedWritersDatastore(
            plain.pool.db_name, lock_timeout=plain.pool.lock_timeout,
            single_row_tracking=plain.single_row_tracking,
            originator_id_type=plain.originator_id_type)
        plain.close()
