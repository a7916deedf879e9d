"""Read transactions of the SQL views (the boards' pages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from projections.engine.tracked import SqlTxn


@contextmanager
def read_transaction(datastore: Any, dialect: str) -> Iterator[SqlTxn]:
    """One read-only transaction of a view; on PostgreSQL, without parallel workers.

    A page reads at most a few hundred rows through an index. Once a table passes ~100k rows
    the planner may still choose a parallel plan (seen for the inspectors' EXISTS query at
    300k referrals: ~55 ms of worker start-up around 0.4 ms of work), so the transaction
    turns parallel plans off for itself (`SET LOCAL`).
    """
    with datastore.transaction(commit=False) as cursor:
        if dialect == "postgres":
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield SqlTxn(cursor, dialect, None, lambda t: None)
