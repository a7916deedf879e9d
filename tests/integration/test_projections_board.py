"""The referral board on SQLite and PostgreSQL: parity, exactly-once, concurrency, rebuild."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from adapters.read_models import Boards, open_boards
from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from domain.referral import Referral
from projections.referral_board import BoardChanges
from tests.projection_helpers import (
    START,
    SUBJECT_NAME,
    Clock,
    act,
    full_life,
    listed,
    register_agencies,
    submit,
)
from tests.stores import store_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with store_settings(request.param, tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        open_boards(settings, app, create_tables=True).close()  # what `hub db init` does
        app.close()
        yield settings


@pytest.fixture
def app(store: Settings) -> Iterator[HubApplication]:
    application = open_application(store, clock=Clock())
    register_agencies(application)
    yield application
    application.close()


@pytest.fixture
def boards(store: Settings, app: HubApplication) -> Iterator[Boards]:
    opened = open_boards(store, app)
    opened.referrals.catchup.batch_size = 5
    yield opened
    opened.close()


def decrypted_dump(boards: Boards) -> dict[str, Any]:
    board = boards.referrals
    tables = board.view.dump()
    tables["board_referrals"] = [{**r, "doc": json.loads(board.sealer.decrypt(bytes(r["doc"])))}
                                 for r in tables["board_referrals"]]
    return tables


def test_items_equal_the_aggregates_view(app, boards) -> None:
    referrals = full_life(app)
    boards.referrals.catch_up()
    now = START + timedelta(days=40)
    items, _ = boards.referrals.page(agency=None, inspector_jurisdiction="hubei", box="all",
                                     now=now, limit=10)
    assert {i["id"]: i for i in items} == {str(r.id): app.load(r.id, Referral).view(now)
                                          for r in referrals}


def test_visibility_filters_and_pages(app, boards) -> None:
    a = submit(app, "jm-civil", "wh-health", urgency="emergency")
    b = submit(app, "jm-school", "wh-health", category="elderly_care")
    act(app, "wh-health", b, "redirect", to_agency="jmx-court", reason="court matter")
    board = boards.referrals
    board.catch_up()
    assert listed(board, agency="wh-health", box="inbox", limit=1) == [str(a.id)]
    assert listed(board, agency="wh-health", box="all", limit=1) == [str(b.id), str(a.id)]
    assert listed(board, agency="jm-civil", box="all") == [str(a.id)]
    assert listed(board, agency="jmx-court", box="outbox") == []
    assert listed(board, agency=None, inspector_jurisdiction="hubei/jingmen", box="inbox") == []
    assert listed(board, agency=None, inspector_jurisdiction="hubei/jingmenx",
                  box="inbox") == [str(b.id)]
    assert listed(board, agency="wh-health", box="all", category="elderly_care") == [str(b.id)]
    late = START + timedelta(hours=5)
    assert listed(board, agency="wh-health", box="inbox", overdue=True, now=late) == [str(a.id)]
    assert listed(board, agency="jmx-court", box="inbox", overdue=False, now=late) == [str(b.id)]


def test_replaying_an_old_position_changes_nothing(app, boards) -> None:
    r = submit(app, "jm-civil", "wh-health")
    boards.referrals.catch_up()
    before = decrypted_dump(boards)
    with pytest.raises(IntegrityError):
        boards.referrals.projection.process_event(app.history(r.id)[0], Tracking(app.name, 2))
    assert decrypted_dump(boards) == before


def test_rebuilt_board_equals_the_live_one(app, boards) -> None:
    full_life(app)
    boards.referrals.catch_up()
    live = decrypted_dump(boards)
    assert boards.referrals.catchup.rebuild() > 0
    assert decrypted_dump(boards) == live
    assert boards.referrals.catchup.status().lag == 0


def test_concurrent_catch_up_from_threads_applies_each_event_once(store, app, boards) -> None:
    made = {str(submit(app, "jm-civil", "wh-health").id) for _ in range(20)}
    others = [open_boards(store, app) for _ in range(4)]
    for other in others:
        other.referrals.catchup.batch_size = 3
    threads = [threading.Thread(target=o.referrals.catch_up) for o in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = listed(boards.referrals, agency="wh-health", box="all", limit=7)
    assert len(ids) == len(set(ids)) and set(ids) == made
    assert all(doc["doc"]["version"] == 1 for doc in decrypted_dump(boards)["board_referrals"])
    for other in others:
        other.close()


def _catch_up_in_process(settings: Settings) -> int:
    app = open_application(settings)
    boards = open_boards(settings, app)
    boards.referrals.catchup.batch_size = 4
    try:
        return boards.referrals.catch_up()
    finally:
        boards.close()
        app.close()


def test_concurrent_catch_up_from_processes_applies_each_event_once(store, app, boards) -> None:
    made = {str(submit(app, "jm-civil", "wh-health").id) for _ in range(24)}
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        applied = pool.map(_catch_up_in_process, [store] * 3)
    assert sum(applied) == 24 + 4  # each referral and agency event applied by exactly one
    assert set(listed(boards.referrals, agency="jm-civil", box="outbox")) == made


def test_background_runner_keeps_the_board_current(app, boards) -> None:
    boards.start(poll_seconds=0.05)
    r = submit(app, "jm-civil", "wh-health")
    head = app.recorder.max_notification_id()
    boards.referrals.view.wait(app.name, head, timeout=10)
    boards.stop()
    assert listed(boards.referrals, agency="wh-health", box="inbox") == [str(r.id)]


def test_subject_is_not_in_clear_in_the_board_tables(store, app, boards) -> None:
    submit(app, "jm-civil", "wh-health")
    boards.referrals.catch_up()
    needle = SUBJECT_NAME.encode()
    if store.is_sqlite:
        boards.close()
        app.close()
        files = [store.sqlite_path, Path(f"{store.sqlite_path}-wal")]
        assert not [f for f in files if f.exists() and needle in f.read_bytes()]
        return
    with psycopg.connect(store.database_url) as conn:
        for table in ("board_referrals", "board_referral_parties", "board_agencies"):
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            assert rows and needle not in repr(rows).encode()


@pytest.mark.postgres
def test_hub_db_init_creates_the_store_and_every_read_model(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from hub.cli import main

    with store_settings("postgres", tmp_path) as settings:
        monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("HUB_CIPHER_KEY", settings.cipher_key or "")
        result = CliRunner().invoke(main, ["db", "init"])
        assert result.exit_code == 0, result.output
        with psycopg.connect(settings.database_url) as conn:
            names = {r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            indexes = {r[0] for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'board_referrals'")}
        assert {"hub_events", "board_referrals", "board_referral_parties", "board_agencies",
                "board_tracking"} <= names
        assert {"board_referrals_inbox", "board_referrals_outbox", "board_referrals_due"} <= indexes


def index_names(settings: Settings) -> set[str]:
    """The board's secondary indexes as the database lists them."""
    if settings.is_sqlite:
        with sqlite3.connect(settings.sqlite_path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                "AND name LIKE 'board_%'").fetchall()
        conn.close()
    else:
        with psycopg.connect(settings.database_url) as conn:
            rows = conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'board_%' "
                                "AND indexname NOT LIKE '%pkey'").fetchall()
    return {name for (name,) in rows}


def test_rebuild_in_many_pages_over_interleaved_streams_equals_live(
        app, boards, monkeypatch) -> None:
    full_life(app)
    full_life(app)  # referrals' events interleave, so rebuild pages split their streams
    boards.referrals.catch_up()
    live = decrypted_dump(boards)
    boards.referrals.catchup.batch_size = 1
    monkeypatch.setattr(boards.referrals.view, "rebuild_factor", 7)  # pages of 7 events
    assert boards.referrals.catchup.rebuild() > 2 * 7
    assert decrypted_dump(boards) == live


def test_rebuild_drops_the_indexes_while_it_fills_and_builds_them_after(
        store, app, boards, monkeypatch) -> None:
    full_life(app)
    declared = {name for name, _ in boards.referrals.view.index_statements()}
    assert declared and index_names(store) >= declared
    seen: list[set[str]] = []
    apply = boards.referrals.projection.apply
    monkeypatch.setattr(boards.referrals.projection, "apply",
                        lambda txn, events: (seen.append(index_names(store)), apply(txn, events)))
    boards.referrals.catchup.rebuild()
    assert seen and not seen[0] & declared
    assert index_names(store) >= declared


def test_a_failed_rebuild_still_restores_the_indexes(store, app, boards, monkeypatch) -> None:
    full_life(app)
    declared = {name for name, _ in boards.referrals.view.index_statements()}

    def broken(txn: Any, events: Any) -> None:
        raise RuntimeError("apply failed")

    monkeypatch.setattr(boards.referrals.projection, "apply", broken)
    with pytest.raises(RuntimeError):
        boards.referrals.catchup.rebuild()
    assert index_names(store) >= declared


@pytest.mark.parametrize("read_ahead", [True, False])
def test_a_catch_up_overtaken_by_another_reads_on_from_where_it_stands(
        store, app, boards, monkeypatch, read_ahead) -> None:
    """Many pages behind (the next page read while one is applied, or not): when another
    catch-up moves the position in between, what was read is dropped, nothing applies twice."""
    monkeypatch.setattr(boards.referrals.view, "read_ahead", read_ahead)
    made = {str(submit(app, "jm-civil", "wh-health").id) for _ in range(12)}
    other = open_boards(store, app)
    catchup = boards.referrals.catchup
    catchup.batch_size = 3
    read, overtaken = catchup._read, []

    def read_then_overtake(start: int, head: int, size: int) -> Any:
        page = read(start, head, size)
        if start > 0 and not overtaken:  # after the first page: the other applies the rest
            overtaken.append(other.referrals.catch_up())
        return page

    monkeypatch.setattr(catchup, "_read", read_then_overtake)
    applied = boards.referrals.catch_up()
    assert overtaken and overtaken[0] > 0
    assert applied + overtaken[0] == 12 + 4  # each referral and agency event applied once
    assert catchup.status().lag == 0
    ids = listed(boards.referrals, agency="wh-health", box="all", limit=20)
    assert len(ids) == len(set(ids)) and set(ids) == made
    other.close()


def test_new_referrals_and_parties_are_bulk_inserted_and_an_existing_key_refused(
        app, boards) -> None:
    """Referrals submitted in a page go in as plain inserts (COPY on PostgreSQL): they land
    whole, and a row already on the board makes the page fail and change nothing."""
    full_life(app)
    boards.referrals.catch_up()
    before = decrypted_dump(boards)
    board = boards.referrals
    row = dict(board.view.dump()["board_referrals"][0])
    party = dict(board.view.dump()["board_referral_parties"][0])
    changes = BoardChanges()
    changes.new_referrals.append({**row, "doc": bytes(row["doc"])})
    changes.new_parties.append(party)
    with pytest.raises(IntegrityError), board.view.locked(app.name) as txn:
        board.view.save(txn, changes)
    assert decrypted_dump(boards) == before
    assert len(before["board_referral_parties"]) > len(before["board_referrals"]) == 4
