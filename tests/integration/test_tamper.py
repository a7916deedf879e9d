"""Tampering with the stored rows directly (sqlite3 / psycopg) is caught, each kind of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.cryptography import AESCipher

from adapters.audit_keys import audit_key
from adapters.auditor import auditor_for
from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from projections.audit.verify import Report
from tests.referral_world import caller, payload, register_world, submission, with_clock
from tests.stores import TEST_CIPHER_KEY, store_settings

KEY_ENV = {"HUB_AUDIT_KEY": "bm90LWEtcmVhbC1rZXktanVzdC1mb3ItdGVzdHMhISE="}


class Rows:
    """Raw access to the events table, bypassing the application."""

    def __init__(self, settings: Settings) -> None:
        self.sqlite = settings.is_sqlite
        self.settings = settings
        self.table = "stored_events" if self.sqlite else "hub_events"
        self.pos = "rowid" if self.sqlite else "notification_id"
        self.mark = "?" if self.sqlite else "%s"

    @contextmanager
    def db(self) -> Iterator[Any]:
        if self.sqlite:
            conn = sqlite3.connect(self.settings.sqlite_path)
            try:
                yield conn
                conn.commit()
            finally:
                conn.close()
        else:
            with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
                yield conn

    def run(self, sql: str, *params: Any) -> list[Any]:
        with self.db() as conn:
            cursor = conn.execute(sql.replace("?", self.mark).format(t=self.table, p=self.pos),
                                  params)
            return list(cursor.fetchall()) if cursor.description else []

    def row(self, position: int) -> tuple[Any, ...]:
        return tuple(self.run("SELECT originator_id, originator_version, topic, state "
                              "FROM {t} WHERE {p} = ?", position)[0])

    def positions_of(self, stream_id: str) -> list[int]:
        key = stream_id.replace("-", "") if self.sqlite else stream_id
        return [r[0] for r in self.run("SELECT {p} FROM {t} WHERE originator_id = ? "
                                       "ORDER BY originator_version", key)]

    def last(self) -> int:
        return int(self.run("SELECT MAX({p}) FROM {t}")[0][0])

    def move(self, position: int, to: int) -> None:
        self.run("UPDATE {t} SET {p} = ? WHERE {p} = ?", to, position)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[HubApplication,
                                                                           Rows, Any]]:
    """A store with three referrals of three events each and one signed checkpoint."""
    with store_settings(request.param, tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        register_world(app, ["ref", "rec", "alt"])
        with_clock(app)
        ids = []
        for _ in range(3):
            referral, _ = app.submit_referral(caller("ref"), submission())
            for action in ("accept", "notes"):
                app.act_on_referral(caller("rec"), referral.id, action, payload(action))
            ids.append(str(referral.id))
        auditor = auditor_for(app, settings, audit_key(settings, KEY_ENV))
        auditor.checkpoint()
        assert auditor.verify().ok
        try:
            yield app, Rows(settings), ids
        finally:
            app.close()


def verify(app: HubApplication) -> Report:
    """`hub verify` over the tampered store (the auditor made by the fixture)."""
    return auditor_for(app, Settings(database_url="unused")).verify()


def broken(report: Report, *words: str) -> None:
    assert not report.ok
    assert all(word in report.first_break for word in words), report.first_break


class TestTamperingIsCaught:
    def test_a_flipped_byte_in_a_stored_event(self, store: Any) -> None:
        app, rows, ids = store
        position = rows.positions_of(ids[1])[1]
        state = bytearray(rows.row(position)[3])
        state[len(state) // 2] ^= 0x01
        rows.run("UPDATE {t} SET state = ? WHERE {p} = ?", bytes(state), position)
        broken(verify(app), f"position {position}", "altered")

    def test_an_edit_re_encrypted_with_the_cipher_key(self, store: Any) -> None:
        app, rows, ids = store
        position = rows.positions_of(ids[0])[0]
        cipher = AESCipher({"CIPHER_KEY": TEST_CIPHER_KEY})
        plain = cipher.decrypt(rows.row(position)[3]).replace(b"parenting", b"PARENTING")
        rows.run("UPDATE {t} SET state = ? WHERE {p} = ?", cipher.encrypt(plain), position)
        broken(verify(app), f"position {position}", "hash does not match")

    def test_a_deleted_middle_event(self, store: Any) -> None:
        app, rows, ids = store
        position = rows.positions_of(ids[1])[1]
        rows.run("DELETE FROM {t} WHERE {p} = ?", position)
        broken(verify(app), f"stream {ids[1]} v3", "expected version 2")

    def test_a_deleted_last_event_against_the_checkpoint(self, store: Any) -> None:
        app, rows, _ = store
        rows.run("DELETE FROM {t} WHERE {p} = ?", rows.last())
        broken(verify(app), "truncation")

    def test_two_events_of_different_streams_swapped(self, store: Any) -> None:
        app, rows, ids = store
        a, b = rows.positions_of(ids[1])[2], rows.positions_of(ids[2])[0]
        rows.move(a, -1)
        rows.move(b, a)
        rows.move(-1, b)
        broken(verify(app), "Merkle root", "reordered")

    def test_an_inserted_event(self, store: Any) -> None:
        app, rows, ids = store
        position = rows.positions_of(ids[0])[2]
        original = rows.row(position)
        stream = original[0]
        rows.run("INSERT INTO {t} (originator_id, originator_version, topic, state) "
                 "VALUES (?, ?, ?, ?)", stream, 4, original[2], original[3])
        report = verify(app)
        broken(report, f"stream {ids[0]} v4", "prev_hash does not match")

    def test_an_edited_checkpoint(self, store: Any) -> None:
        app, rows, _ = store
        rows.run("UPDATE hub_audit_checkpoints SET tree_size = tree_size - 1")
        broken(verify(app), "signature does not verify")


def test_a_clean_store_verifies_with_its_counts(store: Any) -> None:
    app, _, ids = store
    report = verify(app)
    assert report.ok and report.first_break is None
    assert report.streams_checked >= len(ids) and report.events_checked == report.tree_size


def test_the_parallel_verifier_agrees_with_the_sequential_one(store: Any) -> None:
    from projections.audit.parallel import verify_parallel

    app, rows, ids = store
    auditor = auditor_for(app, Settings(database_url="unused"))
    clean = verify_parallel(app, auditor.store.all(), auditor.public_key, 2, chunk=4,
                            min_events=0)
    assert clean.ok and clean.to_dict() == auditor.verify().to_dict()
    rows.run("DELETE FROM {t} WHERE {p} = ?", rows.positions_of(ids[1])[1])
    broken_too = verify_parallel(app, auditor.store.all(), auditor.public_key, 2, chunk=4,
                                 min_events=0)
    assert broken_too.to_dict() == auditor.verify().to_dict()
    assert "expected version 2" in str(broken_too.first_break)


@pytest.mark.postgres
def test_db_init_creates_the_audit_tables_on_postgres(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from adapters.stats import open_stats
    from hub.cli import main
    from tests.stores import fresh_postgres_database

    with fresh_postgres_database() as url:
        env = {"HUB_DATABASE_URL": url, "HUB_CIPHER_KEY": TEST_CIPHER_KEY, **KEY_ENV}
        assert CliRunner().invoke(main, ["db", "init"], env=env).exit_code == 0
        settings = Settings(database_url=url, cipher_key=TEST_CIPHER_KEY)
        app = open_application(settings)  # no tables created from here on
        try:
            register_world(app, ["ref", "rec"])
            app.submit_referral(caller("ref"), submission())
            stats = open_stats(settings, app)
            assert stats.catch_up() == 1 and stats.summary("status")[0]["count"] == 1
            signed = auditor_for(app, settings, audit_key(settings, KEY_ENV)).checkpoint()
            assert signed.tree_size == 6
        finally:
            app.close()


@pytest.mark.parametrize("chunk", [1, 2, 3, 8])
def test_verification_by_chunks_reports_each_tampering_as_one_pass_does(store: Any,
                                                                        chunk: int) -> None:
    from projections.audit.parallel import verify_parallel

    app, rows, ids = store
    auditor = auditor_for(app, Settings(database_url="unused"))

    def both_agree() -> Report:
        chunked = verify_parallel(app, auditor.store.all(), auditor.public_key, 2, chunk=chunk,
                                  min_events=0)
        assert chunked == auditor.verify()
        return chunked

    assert both_agree().ok
    a, b = rows.positions_of(ids[1])[2], rows.positions_of(ids[2])[0]
    rows.move(a, -1)
    rows.move(b, a)
    rows.move(-1, b)
    assert "Merkle root" in str(both_agree().first_break)
    rows.run("DELETE FROM {t} WHERE {p} = ?", rows.positions_of(ids[0])[1])
    rows.run("DELETE FROM {t} WHERE {p} = ?", rows.last())
    report = both_agree()
    assert "expected version 2" in str(report.first_break) and "truncation" in report.breaks[-1]
