"""Statistics (信息公开): one row per referral, no personal data; counts, answer times, closure.

A referral's row holds when it was submitted, its category, current receiver, status, outcome
and the hours from submission to its first answer (accept, decline or redirect). Aggregates are
computed per query; the row set is small beside the events and holds nothing about a person.
"""

from __future__ import annotations

import inspect
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic

from domain.chain import format_time
from domain.referral import Referral
from projections.engine.catchup import BATCH_SIZE, BatchProjection, ReadModel
from projections.engine.tracked import (
    MemoryTrackedView,
    PostgresTrackedView,
    SQLiteTrackedView,
    SqlTxn,
)

GROUPS = ("category", "to_agency", "status", "month")
COLUMNS = ("id", "submitted_at", "month", "category", "to_agency", "status", "answered_at",
           "hours_to_answer", "outcome")
CONCLUDED = ("completed", "closed")  # served to the end: the closure rate's numerator
Row = dict[str, Any]


def referral_topics() -> tuple[str, ...]:
    return tuple(sorted(get_topic(v) for v in vars(Referral).values()
                        if isinstance(v, type) and issubclass(v, Referral.Event)))


class StatsProjection(BatchProjection[Any]):
    """Referral events → the statistics rows (loaded once per batch, written once)."""

    name = "stats"
    topics = referral_topics()

    def apply(self, txn: Any, events: Sequence[Any]) -> None:
        ids = {str(e.originator_id) for e in events}
        rows = self.view.load(txn, ids)
        dispatch = inspect.getattr_static(type(self), "handle").dispatcher.dispatch
        for event in events:
            dispatch(type(event))(self, event, rows)
        self.view.save(txn, [rows[i] for i in sorted(ids) if i in rows])

    @singledispatchmethod
    def handle(self, event: Any, rows: dict[str, Row]) -> None:
        """Notes, questions' answers, escalations and cases change no statistic."""

    @handle.register(Referral.Submitted)
    def _submitted(self, e: Referral.Submitted, rows: dict[str, Row]) -> None:
        at = format_time(e.timestamp)
        rows[str(e.originator_id)] = {
            "id": str(e.originator_id), "submitted_at": at, "month": at[:7],
            "category": e.category, "to_agency": e.to_agency, "status": "submitted",
            "answered_at": None, "hours_to_answer": None, "outcome": None}

    def _answered(self, e: Any, rows: dict[str, Row], status: str) -> Row | None:
        row = rows.get(str(e.originator_id))
        if row is not None:
            row["status"] = status
            if row["answered_at"] is None:
                row["answered_at"] = format_time(e.timestamp)
                start = datetime.fromisoformat(row["submitted_at"])
                row["hours_to_answer"] = (e.timestamp - start).total_seconds() / 3600
        return row

    @handle.register(Referral.Accepted)
    def _accepted(self, e: Referral.Accepted, rows: dict[str, Row]) -> None:
        self._answered(e, rows, "accepted")

    @handle.register(Referral.Declined)
    def _declined(self, e: Referral.Declined, rows: dict[str, Row]) -> None:
        self._answered(e, rows, "declined")

    @handle.register(Referral.Redirected)
    def _redirected(self, e: Referral.Redirected, rows: dict[str, Row]) -> None:
        if (row := self._answered(e, rows, "submitted")) is not None:
            row["to_agency"] = e.to_agency

    def _status(self, e: Any, rows: dict[str, Row], status: str, **changes: Any) -> None:
        if (row := rows.get(str(e.originator_id))) is not None:
            row.update(status=status, **changes)

    @handle.register(Referral.InfoRequested)
    def _info_requested(self, e: Any, rows: dict[str, Row]) -> None:
        self._status(e, rows, "info_requested")

    @handle.register(Referral.InfoProvided)
    def _info_provided(self, e: Any, rows: dict[str, Row]) -> None:
        self._status(e, rows, "submitted")

    @handle.register(Referral.Withdrawn)
    def _withdrawn(self, e: Any, rows: dict[str, Row]) -> None:
        self._status(e, rows, "withdrawn")

    @handle.register(Referral.Completed)
    def _completed(self, e: Referral.Completed, rows: dict[str, Row]) -> None:
        self._status(e, rows, "completed", outcome=e.outcome)

    @handle.register(Referral.OutcomeAcknowledged)
    def _acknowledged(self, e: Any, rows: dict[str, Row]) -> None:
        self._status(e, rows, "closed")

    @handle.register(Referral.Reopened)
    def _reopened(self, e: Any, rows: dict[str, Row]) -> None:
        self._status(e, rows, "accepted", outcome=None)


def summarise(rows: Iterable[Row], group_by: str) -> list[dict[str, Any]]:
    """Per group: count, answered, median hours to answer, concluded and closure rate."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[str(row[group_by])].append(row)
    return [_summary(key, members) for key, members in sorted(groups.items())]


def _summary(key: str, rows: list[Row]) -> dict[str, Any]:
    hours = [r["hours_to_answer"] for r in rows if r["hours_to_answer"] is not None]
    concluded = sum(r["status"] in CONCLUDED for r in rows)
    return {"group": key, "count": len(rows), "answered": len(hours),
            "median_hours_to_answer": round(statistics.median(hours), 2) if hours else None,
            "concluded": concluded, "closure_rate": round(concluded / len(rows), 4)}


class Stats(ReadModel):
    """The statistics read model: catch up, then aggregate."""

    def __init__(self, view: Any, application: Any, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(StatsProjection(view), application, batch_size)

    def rows(self, start: str | None = None, end: str | None = None) -> list[Row]:
        """Referrals submitted in [start, end) (fixed-format times), oldest first."""
        return self.view.rows(start or "", end or "\uffff")

    def summary(self, group_by: str, start: str | None = None,
                end: str | None = None) -> list[dict[str, Any]]:
        return summarise(self.rows(start, end), group_by)


class SqlStatsView:
    """Rows in `stats_referrals` (SQLite or PostgreSQL), tracked in `stats_tracking`."""

    tracking_table: ClassVar[str] = "stats_tracking"
    data_tables: ClassVar[tuple[str, ...]] = ("stats_referrals",)
    data_statements: ClassVar[tuple[str, ...]] = (
        ("CREATE TABLE IF NOT EXISTS stats_referrals (id TEXT PRIMARY KEY, "
         "submitted_at TEXT NOT NULL, month TEXT NOT NULL, category TEXT NOT NULL, "
         "to_agency TEXT NOT NULL, status TEXT NOT NULL, answered_at TEXT, "
         "hours_to_answer DOUBLE PRECISION, outcome TEXT)"),
        "CREATE INDEX IF NOT EXISTS stats_referrals_submitted ON stats_referrals (submitted_at)",
    )

    def load(self, txn: SqlTxn, ids: Iterable[str]) -> dict[str, Row]:
        wanted = sorted(ids)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        found = txn.rows(f"SELECT * FROM stats_referrals WHERE id IN ({marks})", wanted)
        return {row["id"]: row for row in found}

    def save(self, txn: SqlTxn, rows: Sequence[Row]) -> None:
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        txn.run_many(f"INSERT INTO stats_referrals ({', '.join(COLUMNS)}) {{values}} "
                     f"ON CONFLICT (id) DO UPDATE SET {updates}",
                     [tuple(r[c] for c in COLUMNS) for r in rows],
                     ("text", "text", "text", "text", "text", "text", "text", "float8", "text"))

    def rows(self, start: str, end: str) -> list[Row]:
        with self.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            mark = "?" if isinstance(self, SQLiteStatsView) else "%s"
            cursor.execute(f"SELECT * FROM stats_referrals WHERE submitted_at >= {mark} "
                           f"AND submitted_at < {mark} ORDER BY submitted_at", (start, end))
            return [dict(row) for row in cursor.fetchall()]


class SQLiteStatsView(SqlStatsView, SQLiteTrackedView):
    """The statistics view in the SQLite file."""


class PostgresStatsView(SqlStatsView, PostgresTrackedView):
    """The statistics view in the PostgreSQL database."""


class MemoryStatsView(MemoryTrackedView):
    """The statistics view in memory (unit tests)."""

    def load(self, txn: Any, ids: Iterable[str]) -> dict[str, Row]:
        return {i: dict(row) for i in ids if (row := txn.get("stats", i)) is not None}

    def save(self, txn: Any, rows: Sequence[Row]) -> None:
        for row in rows:
            txn.put("stats", row["id"], dict(row))

    def rows(self, start: str, end: str) -> list[Row]:
        found = self.tables.get("stats", {}).values()
        return sorted((dict(r) for r in found if start <= r["submitted_at"] < end),
                      key=lambda r: r["submitted_at"])

