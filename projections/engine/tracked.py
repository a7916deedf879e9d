"""Tracked views: a projection's rows and its tracking position written in ONE locked transaction.

Each view derives from eventsourcing's tracking recorder for its store, so the tracking row is
the library's own (single-row tracking, `IntegrityError` when a position is not beyond the one
recorded). `locked()` takes the projection's lock — `BEGIN IMMEDIATE` on SQLite,
`pg_advisory_xact_lock` on PostgreSQL, an `RLock` in memory — and re-reads the position inside
the transaction, so several processes may call `catch_up()` at once and apply each event once.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL

CACHE_KIB = 65536  # SQLite page cache of a view's connections
REBUILD_FACTOR = 10  # catch-up pages in one rebuild page, by default


class Txn:
    """One open, locked transaction of a view: its tracking position and a way to advance it."""

    def __init__(self, position: int | None, track: Callable[[Tracking], None]) -> None:
        self.position = position
        self._track = track

    def track(self, tracking: Tracking) -> None:
        """Record the new position in this transaction (IntegrityError if not beyond)."""
        self._track(tracking)
        self.position = tracking.notification_id


class SqlTxn(Txn):
    """A transaction on an SQL store; statements are written with `?` placeholders."""

    def __init__(self, cursor: Any, dialect: str, position: int | None,
                 track: Callable[[Tracking], None]) -> None:
        super().__init__(position, track)
        self.cursor, self.dialect = cursor, dialect

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def run(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self._sql(statement), params)

    def run_many(self, statement: str, rows: Sequence[Sequence[Any]],
                 pg_types: Sequence[str]) -> None:
        """Insert many rows with one statement holding `{values}`: SQLite `executemany`s a
        row of placeholders; PostgreSQL sends one array per column (`unnest`), one round trip."""
        if not rows:
            return
        if self.dialect == "sqlite":
            row = "(" + ", ".join("?" * len(pg_types)) + ")"
            self.cursor.executemany(statement.format(values=f"VALUES {row}"), rows)
            return
        arrays = ", ".join(f"%s::{t}[]" for t in pg_types)
        columns = [list(column) for column in zip(*rows, strict=True)]
        self.cursor.execute(statement.format(values=f"SELECT * FROM unnest({arrays})"), columns)

    def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                   pg_types: Sequence[str]) -> None:
        """Insert rows whose keys the table cannot hold yet: SQLite `executemany`s a plain
        INSERT; PostgreSQL streams them with binary COPY (no conflict check, no statement
        to plan, values sent in their binary form). A key already there: IntegrityError."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            try:
                self.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            except sqlite3.IntegrityError as error:  # as PostgreSQL's datastore reports it
                raise IntegrityError(str(error)) from error
            return
        with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(pg_types))
            for row in rows:
                copy.write_row(row)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.cursor.execute(self._sql(statement), params)
        return [dict(row) for row in self.cursor.fetchall()]


INDEX_NAME = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON ")


class SqlSchema:
    """What a concrete SQL view declares: its tracking table, data tables and DDL."""

    tracking_table: ClassVar[str]
    data_tables: ClassVar[tuple[str, ...]]
    data_statements: ClassVar[tuple[str, ...]]  # CREATE TABLE / INDEX IF NOT EXISTS

    @classmethod
    def index_statements(cls) -> list[tuple[str, str]]:
        """(name, CREATE INDEX statement) of each secondary index the DDL declares."""
        return [(m.group(1), s) for s in cls.data_statements if (m := INDEX_NAME.match(s))]


class SQLiteTrackedView(SqlSchema, SQLiteTrackingRecorder):
    """A view in the SQLite file beside the events; the write lock is `BEGIN IMMEDIATE`."""

    # SQLite works in this process: a reading thread competes with it for the GIL (measured:
    # a rebuild 12% slower with read-ahead).
    read_ahead: ClassVar[bool] = False
    # Each commit rewrites every index leaf its random keys land in, and at 1M events that is
    # most leaves of the primary keys: pages 4x larger (40,000 events) made a rebuild ~10%
    # faster there (same-run A/B; 200k events: no difference).
    rebuild_factor: ClassVar[int] = 4 * REBUILD_FACTOR

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = self.tracking_table
        self.insert_tracking_statement = (
            f"INSERT INTO {table} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id RETURNING notification_id")
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?")

    def construct_create_table_statements(self) -> list[str]:
        tracking = (f"CREATE TABLE IF NOT EXISTS {self.tracking_table} (application_name TEXT, "
                    "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID")
        return [tracking, *self.data_statements]

    @contextmanager
    def locked(self, application_name: str) -> Iterator[SqlTxn]:
        """A write transaction holding the database's write lock from its first statement."""
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            # A view can be rebuilt from the events: a commit lost to a power cut is redone.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # keep the view's indexes warm
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield SqlTxn(cursor, "sqlite", self._max_tracking_id(application_name, cursor),
                             lambda t: self._insert_tracking(cursor, t))
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def reset(self, application_name: str) -> None:
        """Empty the view, forget its position and drop its secondary indexes, in one
        transaction (`restore_indexes` builds them again once the rebuild has caught up)."""
        with self.locked(application_name) as txn:
            _reset(txn, self, "DELETE FROM {}", application_name)

    def restore_indexes(self, application_name: str) -> None:
        """Create any secondary index the view lacks (after a rebuild), then ANALYZE."""
        _restore_indexes(self, self.locked(application_name))
        _analyze(self, self.datastore.transaction)

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (a rebuild)."""
        _analyze(self, self.datastore.transaction)


class PostgresTrackedView(SqlSchema, PostgresTrackingRecorder):
    """A view in the PostgreSQL database of the events; the lock is a transaction advisory lock."""

    # The server writes on another core while this process decodes the next page (measured:
    # a rebuild 12-18% faster with read-ahead).
    read_ahead: ClassVar[bool] = True
    rebuild_factor: ClassVar[int] = REBUILD_FACTOR

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        kwargs["tracking_table_name"] = self.tracking_table
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(SQL(s) for s in self.data_statements)  # type: ignore[arg-type]
        digest = hashlib.sha256(self.tracking_table.encode()).digest()
        self.lock_key = int.from_bytes(digest[:8], "big", signed=True)

    @contextmanager
    def locked(self, application_name: str) -> Iterator[SqlTxn]:
        """A transaction holding this projection's advisory lock until it ends."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
            # Data and position commit together, so a commit lost in a crash is simply redone.
            curs.execute("SET LOCAL synchronous_commit = off")
            yield SqlTxn(curs, "postgres", self._max_tracking_id(application_name, curs),
                         lambda t: self._insert_tracking(curs, t))

    def reset(self, application_name: str) -> None:
        """Empty the view, forget its position and drop its secondary indexes, in one
        transaction (TRUNCATE: no dead rows left for the rebuild to write among)."""
        with self.locked(application_name) as txn:
            _reset(txn, self, "TRUNCATE {}", application_name)

    def restore_indexes(self, application_name: str) -> None:
        """Create any secondary index the view lacks (after a rebuild), then ANALYZE."""
        _restore_indexes(self, self.locked(application_name))
        _analyze(self, self.datastore.transaction)

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (a rebuild)."""
        _analyze(self, self.datastore.transaction)


def _analyze(view: SqlSchema, transaction: Any) -> None:
    with transaction(commit=True) as cursor:
        for table in view.data_tables:
            cursor.execute(f"ANALYZE {table}")


def _reset(txn: SqlTxn, view: SqlSchema, empty: str, app: str) -> None:
    # A rebuild fills the tables faster without indexes to maintain, and sorting each index
    # once at the end costs less than inserting every row into it; the primary keys stay,
    # since upserts and the per-batch loads use them.
    for name, _ in view.index_statements():
        txn.run(f"DROP INDEX IF EXISTS {name}")
    for table in view.data_tables:
        txn.run(empty.format(table))
    txn.run(f"DELETE FROM {view.tracking_table} WHERE application_name = ?", (app,))


def _restore_indexes(view: SqlSchema, locked: Any) -> None:
    with locked as txn:  # the projection's lock: catch-ups wait, readers go on
        for _, statement in view.index_statements():
            txn.run(statement)


class MemoryTrackedView(POPOTrackingRecorder):
    """An in-memory view for unit tests: staged changes commit with the tracking position."""

    read_ahead: ClassVar[bool] = False
    rebuild_factor: ClassVar[int] = REBUILD_FACTOR

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[Any, Any]] = {}

    @contextmanager
    def locked(self, application_name: str) -> Iterator[MemoryTxn]:
        with self._database_lock:
            txn = MemoryTxn(self, application_name)
            yield txn
            for name, staged in txn.staged.items():
                self.tables.setdefault(name, {}).update(staged)
            if txn.new_tracking is not None:
                self._insert_tracking(txn.new_tracking)

    def analyze(self) -> None:
        """Nothing to plan in memory."""

    def restore_indexes(self, application_name: str) -> None:
        """No indexes in memory."""

    def reset(self, application_name: str) -> None:
        with self._database_lock:
            self.tables.clear()
            self._max_tracking_ids.pop(application_name, None)


class MemoryTxn(Txn):
    """Reads see committed rows overlaid with this transaction's staged ones."""

    def __init__(self, view: MemoryTrackedView, application_name: str) -> None:
        super().__init__(view.max_tracking_id(application_name), self._stage_tracking)
        self.view = view
        self.staged: dict[str, dict[Any, Any]] = {}
        self.new_tracking: Tracking | None = None

    def _stage_tracking(self, tracking: Tracking) -> None:
        self.view._assert_tracking_uniqueness(tracking)
        self.new_tracking = tracking

    def get(self, table: str, key: Any) -> Any:
        staged = self.staged.get(table, {})
        return staged[key] if key in staged else self.view.tables.get(table, {}).get(key)

    def put(self, table: str, key: Any, value: Any) -> None:
        self.staged.setdefault(table, {})[key] = value
