"""Personal data never lies in clear at rest: raw SQLite files, every PostgreSQL table."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters.read_models import open_boards
from adapters.settings import Settings
from adapters.storage import cipher_key, open_application
from domain.application import HubApplication
from tests.referral_world import HUB_ADMIN, caller, register_world, submission
from tests.stores import TEST_CIPHER_KEY, fresh_postgres_database

CANARY_ID = "CANARY-110101199003077777"
CANARY_NAME = "金丝雀测试员"
CANARY_GUARDIAN = "Guardian Canaryson"
CANARY_PHONE = "13907770777"
CANARY_ADDRESS = "77 Canary Lane, Dongbao"
CANARIES = (CANARY_ID, CANARY_NAME, CANARY_GUARDIAN, CANARY_PHONE, CANARY_ADDRESS)
SUBJECT = {"name": CANARY_NAME, "id_number": CANARY_ID, "phone": CANARY_PHONE,
           "address": CANARY_ADDRESS, "birth_date": "1990-03-07",
           "guardian": {"name": CANARY_GUARDIAN, "relation": "father", "phone": CANARY_PHONE}}
TOPIC = re.compile(r"^[a-z_][a-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*$")


def needles(secret: str) -> list[bytes]:
    """How a string could be stored: UTF-8, JSON-escaped ASCII, UTF-16."""
    escaped = json.dumps(secret)[1:-1].encode("ascii")
    return list({secret.encode("utf-8"), escaped, secret.encode("utf-16-le")})


def found(blob: bytes, secrets: Iterable[str]) -> list[str]:
    """The secrets that appear in `blob` in any of their stored forms."""
    return [s for s in secrets if any(n in blob for n in needles(s))]


@dataclass
class Populated:
    app: HubApplication
    token: str
    referral_id: UUID


def populate(app: HubApplication, settings: Settings) -> Populated:
    """A referral with a canary subject through a long life, a case, reads and read models."""
    register_world(app, ["ref", "rec", "alt"])
    token = app.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
    referral, _ = app.submit_referral(caller("ref"), submission(subject=SUBJECT),
                                      idempotency_key="canary-key")
    app.act_on_referral(caller("rec"), referral.id, "accept", {})
    for n in range(55):  # past the snapshot interval: snapshots hold the subject too
        app.act_on_referral(caller("ref"), referral.id, "notes", {"text": f"note {n}"})
    app.record_access(caller("rec"), referral.id, "referral", purpose="review")
    app.open_case(caller("rec"), referral_id=referral.id, lead_worker="worker-1",
                  participants=[{"agency": "alt", "role": "support"}])
    boards = open_boards(settings, app, create_tables=True)
    try:
        for board in boards.all().values():
            board.catch_up()
    finally:
        boards.close()
    return Populated(app, token, referral.id)


def stored_events(app: HubApplication) -> Iterator[Any]:
    """Every stored event, decoded."""
    for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
        yield app.mapper.to_domain_event(notification)


def assert_ids_and_topics_are_clean(app: HubApplication) -> None:
    for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
        UUID(str(notification.originator_id))
        assert TOPIC.match(notification.topic), notification.topic
        assert not found(f"{notification.originator_id} {notification.topic}".encode(), CANARIES)


def assert_token_only_hashed(populated: Populated) -> None:
    events = list(stored_events(populated.app))
    assert any(CANARY_ID in repr(vars(e)) for e in events)  # the decoder does see the subject
    assert not [e for e in events if populated.token in repr(vars(e))]


class TestSQLite:
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[tuple[Settings, Populated]]:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}")  # key generated
        app = open_application(settings, create_tables=True)
        try:
            yield settings, populate(app, settings)
        finally:
            app.close()

    @staticmethod
    def raw_bytes(settings: Settings) -> bytes:
        base = settings.sqlite_path
        files = [base, *(base.with_name(base.name + s) for s in ("-wal", "-shm", "-journal"))]
        return b"".join(f.read_bytes() for f in files if f.exists())

    def test_no_personal_data_or_token_in_the_raw_files(
        self, store: tuple[Settings, Populated]
    ) -> None:
        settings, populated = store
        assert settings.sqlite_path.with_name("hub.sqlite-wal").exists()
        assert found(self.raw_bytes(settings), [*CANARIES, populated.token]) == []
        assert_token_only_hashed(populated)
        assert_ids_and_topics_are_clean(populated.app)

    def test_the_same_search_finds_data_stored_without_the_cipher(self, tmp_path: Path) -> None:
        path = tmp_path / "plain.sqlite"
        app = HubApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                  "SQLITE_DBNAME": str(path)})
        register_world(app, ["ref", "rec"])
        app.submit_referral(caller("ref"), submission(subject=SUBJECT))
        try:
            settings = Settings(database_url=f"sqlite:///{path}")
            assert set(found(self.raw_bytes(settings), CANARIES)) == set(CANARIES)
        finally:
            app.close()

    def test_every_table_is_free_of_personal_data(self, store: tuple[Settings, Populated]) -> None:
        settings, _ = store
        with sqlite3.connect(settings.sqlite_path) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            assert {"stored_events", "stored_snapshots"} <= set(tables)
            assert db.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0] >= 1
            for table in tables:
                for row in db.execute(f'SELECT * FROM "{table}"'):
                    assert found(cell_bytes(row), CANARIES) == [], table


def cell_bytes(row: Iterable[Any]) -> bytes:
    """A row's cells as bytes, whatever their column types."""
    parts = []
    for cell in row:
        if isinstance(cell, bytes | bytearray | memoryview):
            parts.append(bytes(cell))
        else:
            parts.append(json.dumps(cell, default=str, ensure_ascii=False).encode("utf-8"))
    return b"\x00".join(parts)


def postgres_tables(url: str) -> dict[str, list[bytes]]:
    """Every row of every table of the database, as bytes."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
        return {f"{schema}.{name}": [cell_bytes(row) for row in conn.execute(
                    f'SELECT * FROM "{schema}"."{name}"')]
                for schema, name in tables}


@pytest.mark.postgres
class TestPostgres:
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[tuple[str, Populated]]:
        with fresh_postgres_database() as url:
            settings = Settings(database_url=url, cipher_key=TEST_CIPHER_KEY)
            app = open_application(settings, create_tables=True)
            try:
                yield url, populate(app, settings)
            finally:
                app.close()

    def test_no_table_holds_personal_data_or_the_token(self,
                                                       store: tuple[str, Populated]) -> None:
        url, populated = store
        tables = postgres_tables(url)
        assert {"public.hub_events", "public.hub_snapshots"} <= set(tables)
        assert len(tables["public.hub_snapshots"]) >= 1
        for table, rows in tables.items():
            for row in rows:
                assert found(row, [*CANARIES, populated.token]) == [], table
        assert_token_only_hashed(populated)
        assert_ids_and_topics_are_clean(populated.app)

    def test_the_scan_reaches_a_table_added_later(self, store: tuple[str, Populated]) -> None:
        url, _ = store
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE later_projection (note text, blob bytea, doc jsonb)")
            conn.execute("INSERT INTO later_projection VALUES (%s, %s, %s)",
                         (CANARY_ID, CANARY_NAME.encode(), json.dumps({"n": CANARY_GUARDIAN})))
        rows = postgres_tables(url)["public.later_projection"]
        assert set(found(b"".join(rows), CANARIES)) == {CANARY_ID, CANARY_NAME, CANARY_GUARDIAN}


class TestGeneratedKey:
    def test_is_kept_beside_the_database_owner_only_and_reused(self, tmp_path: Path) -> None:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'hub.sqlite'}")
        key = cipher_key(settings)
        key_file = tmp_path / "db" / "hub.key"
        assert key_file.read_text() == key and cipher_key(settings) == key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [p.name for p in key_file.parent.iterdir()] == ["hub.key"]

    def test_racing_start_ups_all_get_the_same_complete_key(self, tmp_path: Path) -> None:
        for round_ in range(20):
            database = tmp_path / str(round_) / "hub.sqlite"
            keys = start_up_together(Settings(database_url=f"sqlite:///{database}"), 8)
            assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 44

    def test_postgres_without_a_key_is_refused(self) -> None:
        from adapters.settings import SettingsError

        with pytest.raises(SettingsError):
            cipher_key(Settings(database_url="postgresql://postgres@127.0.0.1/x"))

    def test_an_explicit_key_wins(self, tmp_path: Path) -> None:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                            cipher_key=TEST_CIPHER_KEY)
        assert cipher_key(settings) == TEST_CIPHER_KEY
        assert not (tmp_path / "hub.key").exists()


def start_up_together(settings: Settings, processes: int) -> list[str]:
    """The cipher keys that `processes` threads starting at the same moment obtain."""
    keys: list[str] = []
    barrier = threading.Barrier(processes)

    def start_up() -> None:
        barrier.wait()
        keys.append(cipher_key(settings))

    threads = [threading.Thread(target=start_up) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys
