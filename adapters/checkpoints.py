"""Signed checkpoints, stored durably in a table of their own beside the event store.

Not as events: a checkpoint is a signed statement *about* the log, so it must not be a leaf of
the tree it signs, and checkpointing an idle hub must not grow the log. The columns stay in
clear (no cipher key needed to read them); an edited row fails its Ed25519 signature.
"""

from __future__ import annotations

from typing import Any, Protocol

import psycopg
from eventsourcing.application import Application
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from projections.audit.checkpoint import Checkpoint

TABLE = "hub_audit_checkpoints"
COLUMNS = "tree_size, root, time, key_id, signature"
CREATE = {
    "sqlite": f"CREATE TABLE IF NOT EXISTS {TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
              "tree_size INTEGER NOT NULL, root TEXT NOT NULL, time TEXT NOT NULL, "
              "key_id TEXT NOT NULL, signature TEXT NOT NULL)",
    "postgres": f"CREATE TABLE IF NOT EXISTS {TABLE} (seq BIGSERIAL PRIMARY KEY, "
                "tree_size BIGINT NOT NULL, root TEXT NOT NULL, time TEXT NOT NULL, "
                "key_id TEXT NOT NULL, signature TEXT NOT NULL)",
}


class CheckpointStore(Protocol):
    """Where signed checkpoints are kept, in the order they were taken."""

    def add(self, checkpoint: Checkpoint) -> None: ...

    def all(self) -> list[Checkpoint]: ...


class MemoryCheckpoints:
    """Checkpoints of an in-memory store (tests)."""

    def __init__(self) -> None:
        self.items: list[Checkpoint] = []

    def add(self, checkpoint: Checkpoint) -> None:
        self.items.append(checkpoint)

    def all(self) -> list[Checkpoint]:
        return list(self.items)


class TableCheckpoints:
    """Checkpoints in the `hub_audit_checkpoints` table, through the store's own datastore."""

    def __init__(self, datastore: Any, dialect: str) -> None:
        self.datastore, self.dialect = datastore, dialect
        self.mark = "?" if dialect == "sqlite" else "%s"
        self.created = False

    def _ensure_table(self) -> None:
        if self.created:
            return
        try:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(CREATE[self.dialect])
        except psycopg.errors.UniqueViolation:
            pass  # another process created it at the same moment
        self.created = True

    def add(self, checkpoint: Checkpoint) -> None:
        self._ensure_table()
        marks = ", ".join([self.mark] * 5)
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({marks})",
                           (checkpoint.tree_size, checkpoint.root, checkpoint.time,
                            checkpoint.key_id, checkpoint.signature))

    def all(self) -> list[Checkpoint]:
        self._ensure_table()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY seq")
            rows = cursor.fetchall()
        return [Checkpoint.from_dict({k: row[k] for k in COLUMNS.split(", ")}) for row in rows]


def checkpoint_store(app: Application) -> CheckpointStore:
    """The checkpoint store beside `app`'s event store."""
    datastore = getattr(app.recorder, "datastore", None)
    if isinstance(datastore, SQLiteDatastore):
        return TableCheckpoints(datastore, "sqlite")
    if isinstance(datastore, PostgresDatastore):
        return TableCheckpoints(datastore, "postgres")
    return MemoryCheckpoints()
