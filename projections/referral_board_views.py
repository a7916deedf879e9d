"""The referral board's views: SQL (SQLite and PostgreSQL, same tables) and in memory.

Tables live in the events' own database: `board_referrals` (one row per referral: the columns
the filters use, and the contract view as an encrypted document), `board_referral_parties`
(every agency that has been referrer or receiver) and `board_agencies` (jurisdictions, for
inspectors); the tracking row is in `board_tracking`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError

from projections.engine.reading import read_transaction
from projections.engine.tracked import (
    MemoryTrackedView,
    MemoryTxn,
    PostgresTrackedView,
    SQLiteTrackedView,
    SqlTxn,
)
from projections.referral_board import BoardChanges
from projections.referral_board_query import PageQuery, matches, sort_key, to_sql

COLUMNS = ("id", "created_at", "status", "category", "from_agency", "to_agency",
           "from_jurisdiction", "to_jurisdiction", "respond_by", "escalated", "doc")
COLUMN_TYPES = ("text",) * 9 + ("integer", "bytea")  # PostgreSQL's, for bulk inserts
PARTY_COLUMNS = ("referral_id", "agency", "jurisdiction", "created_at")
PARTY_TYPES = ("text",) * 4
TABLES = ("board_referrals", "board_referral_parties", "board_agencies")


INDEXES = (
    ("board_referrals_inbox", "board_referrals", "to_agency, created_at, id"),
    ("board_referrals_inbox_status", "board_referrals", "to_agency, status, created_at, id"),
    ("board_referrals_outbox", "board_referrals", "from_agency, created_at, id"),
    ("board_referrals_outbox_status", "board_referrals", "from_agency, status, created_at, id"),
    ("board_referrals_newest", "board_referrals", "created_at, id"),
    ("board_referrals_due", "board_referrals", "status, escalated, respond_by"),
    ("board_parties_agency", "board_referral_parties", "agency, created_at, referral_id"),
)


def ddl(blob: str) -> tuple[str, ...]:
    """Tables and the indexes every filter and the SLA sweep use."""
    return (
        ("CREATE TABLE IF NOT EXISTS board_referrals (id TEXT PRIMARY KEY, "
         "created_at TEXT NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, "
         "from_agency TEXT NOT NULL, to_agency TEXT NOT NULL, from_jurisdiction TEXT NOT NULL, "
         "to_jurisdiction TEXT NOT NULL, respond_by TEXT NOT NULL, escalated INTEGER NOT NULL, "
         f"doc {blob} NOT NULL)"),
        ("CREATE TABLE IF NOT EXISTS board_referral_parties (referral_id TEXT NOT NULL, "
         "agency TEXT NOT NULL, jurisdiction TEXT NOT NULL, created_at TEXT NOT NULL, "
         "PRIMARY KEY (referral_id, agency))"),
        "CREATE TABLE IF NOT EXISTS board_agencies (slug TEXT PRIMARY KEY, jurisdiction TEXT NOT NULL)",
        *(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
          for name, table, columns in INDEXES),
    )


UPSERT_REFERRAL = (
    f"INSERT INTO board_referrals ({', '.join(COLUMNS)}) {{values}} "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:]))
INSERT_PARTY = ("INSERT INTO board_referral_parties (referral_id, agency, jurisdiction, created_at) "
                "{values} ON CONFLICT (referral_id, agency) DO NOTHING")
UPSERT_AGENCY = ("INSERT INTO board_agencies (slug, jurisdiction) {values} "
                 "ON CONFLICT (slug) DO UPDATE SET jurisdiction = excluded.jurisdiction")


def _in(values: Sequence[str]) -> str:
    return ", ".join("?" * len(values))


class SqlBoard:
    """The board's reads and writes in SQL common to SQLite and PostgreSQL."""

    dialect: ClassVar[str]
    tracking_table: ClassVar[str] = "board_tracking"
    data_tables: ClassVar[tuple[str, ...]] = TABLES
    datastore: Any

    def load_referrals(self, txn: SqlTxn, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(ids)
        if not wanted:
            return {}
        rows = txn.rows(f"SELECT id, doc FROM board_referrals WHERE id IN ({_in(wanted)})", wanted)
        return {r["id"]: {"doc": bytes(r["doc"])} for r in rows}

    def load_jurisdictions(self, txn: SqlTxn, slugs: Iterable[str]) -> dict[str, str]:
        wanted = sorted(slugs)
        if not wanted:
            return {}
        rows = txn.rows(f"SELECT slug, jurisdiction FROM board_agencies WHERE slug IN "
                        f"({_in(wanted)})", wanted)
        return {r["slug"]: r["jurisdiction"] for r in rows}

    def save(self, txn: SqlTxn, changes: BoardChanges) -> None:
        """Agencies and earlier referrals upserted; referrals new in the batch, with their
        parties, inserted in bulk."""
        txn.run_many(UPSERT_AGENCY, sorted(changes.agencies.items()), ("text", "text"))
        txn.run_many(UPSERT_REFERRAL, [tuple(r[c] for c in COLUMNS) for r in changes.referrals],
                     COLUMN_TYPES)
        txn.insert_new("board_referrals", COLUMNS,
                       [tuple(r[c] for c in COLUMNS) for r in changes.new_referrals],
                       COLUMN_TYPES)
        txn.run_many(INSERT_PARTY, [tuple(p[c] for c in PARTY_COLUMNS) for p in changes.parties],
                     PARTY_TYPES)
        txn.insert_new("board_referral_parties", PARTY_COLUMNS,
                       [tuple(p[c] for c in PARTY_COLUMNS) for p in changes.new_parties],
                       PARTY_TYPES)

    @contextmanager
    def reading(self) -> Iterator[SqlTxn]:
        with read_transaction(self.datastore, self.dialect) as txn:
            yield txn

    def page_rows(self, query: PageQuery) -> list[dict[str, Any]]:
        """Rows of one page (one more than the limit, to tell whether another follows)."""
        statement, params = to_sql(query)
        with self.reading() as txn:
            return [{**r, "doc": bytes(r["doc"])} for r in txn.rows(statement, params)]

    def due_ids(self, now: str) -> list[str]:
        """Referrals past their deadline while awaiting an answer, not yet escalated."""
        with self.reading() as txn:
            rows = txn.rows("SELECT id FROM board_referrals WHERE status IN (?, ?) "
                            "AND escalated = 0 AND respond_by < ? ORDER BY respond_by, id",
                            ("submitted", "info_requested", now))
        return [r["id"] for r in rows]

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, in key order (to compare a rebuild with the live view)."""
        keys = {"board_referrals": "id", "board_referral_parties": "referral_id, agency",
                "board_agencies": "slug"}
        with self.reading() as txn:
            return {t: txn.rows(f"SELECT * FROM {t} ORDER BY {keys[t]}") for t in TABLES}


class SQLiteBoardView(SqlBoard, SQLiteTrackedView):
    """The board in the SQLite file."""

    dialect = "sqlite"
    data_statements = ddl("BLOB")


class PostgresBoardView(SqlBoard, PostgresTrackedView):
    """The board in the PostgreSQL database."""

    dialect = "postgres"
    data_statements = ddl("BYTEA")


class MemoryBoardView(MemoryTrackedView):
    """The board in memory, for unit tests: the same queries as Python predicates."""

    def load_referrals(self, txn: MemoryTxn, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {i: row for i in ids if (row := txn.get("referrals", i)) is not None}

    def load_jurisdictions(self, txn: MemoryTxn, slugs: Iterable[str]) -> dict[str, str]:
        return {s: j for s in slugs if (j := txn.get("agencies", s)) is not None}

    def save(self, txn: MemoryTxn, changes: BoardChanges) -> None:
        for slug, jurisdiction in changes.agencies.items():
            txn.put("agencies", slug, jurisdiction)
        for row in changes.referrals:
            txn.put("referrals", row["id"], dict(row))
        for row in changes.new_referrals:
            if txn.get("referrals", row["id"]) is not None:
                raise IntegrityError(f"referral {row['id']} is already on the board")
            txn.put("referrals", row["id"], dict(row))
        for party in [*changes.parties, *changes.new_parties]:
            key = (party["referral_id"], party["agency"])
            if txn.get("parties", key) is None:
                txn.put("parties", key, dict(party))

    def page_rows(self, query: PageQuery) -> list[dict[str, Any]]:
        with self._database_lock:
            parties: dict[str, list[dict[str, Any]]] = {}
            for party in self.tables.get("parties", {}).values():
                parties.setdefault(party["referral_id"], []).append(party)
            rows = [r for r in self.tables.get("referrals", {}).values()
                    if matches(query, r, parties.get(r["id"], []))]
        return sorted(rows, key=sort_key, reverse=True)[: query.limit + 1]

    def due_ids(self, now: str) -> list[str]:
        with self._database_lock:
            rows = [r for r in self.tables.get("referrals", {}).values()
                    if r["status"] in ("submitted", "info_requested") and not r["escalated"]
                    and r["respond_by"] < now]
        return [r["id"] for r in sorted(rows, key=lambda r: (r["respond_by"], r["id"]))]
