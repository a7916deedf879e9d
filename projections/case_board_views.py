"""The case board's views: SQL (SQLite and PostgreSQL, same tables) and in memory.

Tables live in the events' own database: `board_cases` (the columns the filters use and the
list item as an encrypted document), `board_case_parties` (participants, and the referrer with
`participant = 0`), `board_case_sessions` (kind, agency, date, guardian present — for the
summary) and `board_case_agencies` (jurisdictions); the tracking row is in `case_board_tracking`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from projections.case_board import CaseChanges
from projections.engine.reading import read_transaction
from projections.engine.tracked import (
    MemoryTrackedView,
    MemoryTxn,
    PostgresTrackedView,
    SQLiteTrackedView,
    SqlTxn,
)
from projections.referral_board_query import within

CASE_COLUMNS = ("id", "created_at", "status", "risk_level", "next_review_on", "lead_agency", "doc")
PARTY_COLUMNS = ("case_id", "agency", "participant", "jurisdiction", "created_at")
SESSION_COLUMNS = ("case_id", "number", "agency", "kind", "held_on", "guardian_present")
# PostgreSQL's column types, for bulk inserts
CASE_TYPES = ("text",) * 6 + ("bytea",)
PARTY_TYPES = ("text", "text", "integer", "text", "text")
SESSION_TYPES = ("text", "integer", "text", "text", "text", "integer")
TABLES = ("board_cases", "board_case_parties", "board_case_sessions", "board_case_agencies")


@dataclass(frozen=True)
class Scope:
    """Whose cases: an agency's (as lead or participant) or an inspector's jurisdiction."""

    agency: str | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True)
class CaseQuery:
    """One page of a scope's cases, newest first."""

    scope: Scope
    today: str
    limit: int
    status: str | None = None
    risk_level: str | None = None
    review_overdue: bool | None = None
    after: tuple[str, str] | None = None  # the last (created_at, id) of the previous page


def ddl(blob: str) -> tuple[str, ...]:
    return (
        ("CREATE TABLE IF NOT EXISTS board_cases (id TEXT PRIMARY KEY, "
         "created_at TEXT NOT NULL, status TEXT NOT NULL, risk_level TEXT, next_review_on TEXT, "
         f"lead_agency TEXT NOT NULL, doc {blob} NOT NULL)"),
        ("CREATE TABLE IF NOT EXISTS board_case_parties (case_id TEXT NOT NULL, "
         "agency TEXT NOT NULL, participant INTEGER NOT NULL, jurisdiction TEXT NOT NULL, "
         "created_at TEXT NOT NULL, PRIMARY KEY (case_id, agency))"),
        ("CREATE TABLE IF NOT EXISTS board_case_sessions (case_id TEXT NOT NULL, "
         "number INTEGER NOT NULL, agency TEXT NOT NULL, kind TEXT NOT NULL, "
         "held_on TEXT NOT NULL, guardian_present INTEGER NOT NULL, "
         "PRIMARY KEY (case_id, number))"),
        ("CREATE TABLE IF NOT EXISTS board_case_agencies (slug TEXT PRIMARY KEY, "
         "jurisdiction TEXT NOT NULL)"),
        "CREATE INDEX IF NOT EXISTS board_cases_newest ON board_cases (created_at, id)",
        ("CREATE INDEX IF NOT EXISTS board_case_parties_agency "
         "ON board_case_parties (agency, participant, case_id)"),
        "CREATE INDEX IF NOT EXISTS board_case_sessions_held ON board_case_sessions (held_on)",
    )


def _upsert(table: str, columns: Sequence[str], keys: str, update: Sequence[str]) -> str:
    sets = ", ".join(f"{c} = excluded.{c}" for c in update)
    return (f"INSERT INTO {table} ({', '.join(columns)}) {{values}} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {sets}")


UPSERT_CASE = _upsert("board_cases", CASE_COLUMNS, "id", CASE_COLUMNS[1:])
UPSERT_PARTY = _upsert("board_case_parties", PARTY_COLUMNS, "case_id, agency", ("participant",))
UPSERT_SESSION = _upsert("board_case_sessions", SESSION_COLUMNS, "case_id, number",
                         SESSION_COLUMNS[2:])
UPSERT_AGENCY = _upsert("board_case_agencies", ("slug", "jurisdiction"), "slug",
                        ("jurisdiction",))


def scope_sql(scope: Scope) -> tuple[str, list[Any]]:
    """A subquery of the scope's case ids, and its parameters."""
    if scope.jurisdiction is not None:
        path = scope.jurisdiction.strip("/")
        if not path:
            return "SELECT case_id FROM board_case_parties WHERE 1 = 0", []
        within_path = ("SELECT p.case_id FROM board_case_parties p WHERE "
                       "(p.jurisdiction = ? OR substr(p.jurisdiction, 1, ?) = ?)")
        return within_path, [path, len(path) + 1, path + "/"]
    agency = "SELECT p.case_id FROM board_case_parties p WHERE p.agency = ? AND p.participant = 1"
    return agency, [scope.agency]


OVERDUE = "(r.status = 'open' AND r.next_review_on IS NOT NULL AND r.next_review_on < ?)"


def page_sql(q: CaseQuery) -> tuple[str, list[Any]]:
    """One keyset-paginated statement, newest first."""
    subquery, params = scope_sql(q.scope)
    where = [f"r.id IN ({subquery})"]
    for column, value in (("r.status", q.status), ("r.risk_level", q.risk_level)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if q.review_overdue is not None:
        where.append(OVERDUE if q.review_overdue else f"NOT {OVERDUE}")
        params.append(q.today)
    if q.after is not None:
        where.append("(r.created_at, r.id) < (?, ?)")
        params += list(q.after)
    statement = (f"SELECT r.* FROM board_cases r WHERE {' AND '.join(where)} "
                 "ORDER BY r.created_at DESC, r.id DESC LIMIT ?")
    return statement, [*params, q.limit + 1]


class SqlCaseBoard:
    """The board's reads and writes in SQL common to SQLite and PostgreSQL."""

    dialect: ClassVar[str]
    tracking_table: ClassVar[str] = "case_board_tracking"
    data_tables: ClassVar[tuple[str, ...]] = TABLES
    datastore: Any

    def load_cases(self, txn: SqlTxn, ids: Iterable[str]) -> dict[str, bytes]:
        wanted = sorted(ids)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = txn.rows(f"SELECT id, doc FROM board_cases WHERE id IN ({marks})", wanted)
        return {r["id"]: bytes(r["doc"]) for r in rows}

    def load_jurisdictions(self, txn: SqlTxn, slugs: Iterable[str]) -> dict[str, str]:
        wanted = sorted(slugs)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = txn.rows(f"SELECT slug, jurisdiction FROM board_case_agencies WHERE slug IN "
                        f"({marks})", wanted)
        return {r["slug"]: r["jurisdiction"] for r in rows}

    def save(self, txn: SqlTxn, changes: CaseChanges) -> None:
        txn.run_many(UPSERT_AGENCY, sorted(changes.agencies.items()), ("text", "text"))
        txn.run_many(UPSERT_CASE, [tuple(c[k] for k in CASE_COLUMNS) for c in changes.cases],
                     CASE_TYPES)
        txn.run_many(UPSERT_PARTY, [tuple(p[k] for k in PARTY_COLUMNS)
                                    for p in changes.unique_parties()], PARTY_TYPES)
        txn.run_many(UPSERT_SESSION,
                     [tuple(s[k] for k in SESSION_COLUMNS) for s in changes.sessions],
                     SESSION_TYPES)

    @contextmanager
    def reading(self) -> Iterator[SqlTxn]:
        with read_transaction(self.datastore, self.dialect) as txn:
            yield txn

    def page_rows(self, query: CaseQuery) -> list[dict[str, Any]]:
        """Rows of one page (one more than the limit, to tell whether another follows)."""
        statement, params = page_sql(query)
        with self.reading() as txn:
            return [{**r, "doc": bytes(r["doc"])} for r in txn.rows(statement, params)]

    def open_rows(self, scope: Scope) -> list[dict[str, Any]]:
        """The scope's open cases: colour and next review date."""
        subquery, params = scope_sql(scope)
        with self.reading() as txn:
            return txn.rows("SELECT r.risk_level, r.next_review_on FROM board_cases r "
                            f"WHERE r.status = 'open' AND r.id IN ({subquery})", params)

    def session_rows(self, scope: Scope, start: str, end: str) -> list[dict[str, Any]]:
        """The scope's sessions held on or after `start` and before `end`."""
        subquery, params = scope_sql(scope)
        with self.reading() as txn:
            return txn.rows("SELECT s.agency, s.kind, s.guardian_present FROM "
                            "board_case_sessions s WHERE s.held_on >= ? AND s.held_on < ? "
                            f"AND s.case_id IN ({subquery})", [start, end, *params])


class SQLiteCaseBoardView(SqlCaseBoard, SQLiteTrackedView):
    """The case board in the SQLite file."""

    dialect = "sqlite"
    data_statements = ddl("BLOB")


class PostgresCaseBoardView(SqlCaseBoard, PostgresTrackedView):
    """The case board in the PostgreSQL database."""

    dialect = "postgres"
    data_statements = ddl("BYTEA")


class MemoryCaseBoardView(MemoryTrackedView):
    """The case board in memory, for unit tests: the same queries as Python predicates."""

    def load_cases(self, txn: MemoryTxn, ids: Iterable[str]) -> dict[str, bytes]:
        return {i: row["doc"] for i in ids if (row := txn.get("cases", i)) is not None}

    def load_jurisdictions(self, txn: MemoryTxn, slugs: Iterable[str]) -> dict[str, str]:
        return {s: j for s in slugs if (j := txn.get("agencies", s)) is not None}

    def save(self, txn: MemoryTxn, changes: CaseChanges) -> None:
        for slug, jurisdiction in changes.agencies.items():
            txn.put("agencies", slug, jurisdiction)
        for row in changes.cases:
            txn.put("cases", row["id"], dict(row))
        for party in changes.unique_parties():
            key = (party["case_id"], party["agency"])
            txn.put("parties", key, {**(txn.get("parties", key) or party),
                                     "participant": party["participant"]})
        for session in changes.sessions:
            txn.put("sessions", (session["case_id"], session["number"]), dict(session))

    def _ids(self, scope: Scope) -> set[str]:
        parties = self.tables.get("parties", {}).values()
        if scope.jurisdiction is not None:
            return {p["case_id"] for p in parties if within(p["jurisdiction"], scope.jurisdiction)}
        return {p["case_id"] for p in parties if p["agency"] == scope.agency and p["participant"]}

    def page_rows(self, q: CaseQuery) -> list[dict[str, Any]]:
        with self._database_lock:
            ids = self._ids(q.scope)
            rows = [r for r in self.tables.get("cases", {}).values() if r["id"] in ids
                    and (q.status is None or r["status"] == q.status)
                    and (q.risk_level is None or r["risk_level"] == q.risk_level)
                    and (q.review_overdue is None or _overdue(r, q.today) == q.review_overdue)
                    and (q.after is None or (r["created_at"], r["id"]) < q.after)]
        rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return rows[: q.limit + 1]

    def open_rows(self, scope: Scope) -> list[dict[str, Any]]:
        with self._database_lock:
            ids = self._ids(scope)
            return [{"risk_level": r["risk_level"], "next_review_on": r["next_review_on"]}
                    for r in self.tables.get("cases", {}).values()
                    if r["id"] in ids and r["status"] == "open"]

    def session_rows(self, scope: Scope, start: str, end: str) -> list[dict[str, Any]]:
        with self._database_lock:
            ids = self._ids(scope)
            return [{k: s[k] for k in ("agency", "kind", "guardian_present")}
                    for s in self.tables.get("sessions", {}).values()
                    if s["case_id"] in ids and start <= s["held_on"] < end]


def _overdue(row: dict[str, Any], today: str) -> bool:
    due = row["next_review_on"]
    return row["status"] == "open" and due is not None and due < today
