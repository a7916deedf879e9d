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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import SQLiteConnection, SQLiteDatastore, SQLiteFactory


class QueuedWritersDatastore(SQLiteDatastore):
    """`SQLiteDatastore` whose write transactions queue on `<database>.write-lock`."""

    def __init__(self, db_name: str, **options: Any) -> None:
        super().__init__(db_name, **options)
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


class QueuedWritersFactory(SQLiteFactory):
    """eventsourcing's SQLite persistence with `QueuedWritersDatastore`."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        plain = self.datastore
        self.datastore = QueuedWritersDatastore(
            plain.pool.db_name, lock_timeout=plain.pool.lock_timeout,
            single_row_tracking=plain.single_row_tracking,
            originator_id_type=plain.originator_id_type)
        plain.close()
