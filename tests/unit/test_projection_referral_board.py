"""The referral board on an in-memory view: handlers, visibility, filters, cursors, tracking."""

from __future__ import annotations

import gc
import json
from datetime import timedelta

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from domain.application import HubApplication
from domain.errors import Invalid
from domain.referral import Referral
from projections.engine.catchup import WINDOW_PAGES
from projections.referral_board import BoardChanges, ReferralBoard
from projections.referral_board_views import MemoryBoardView
from tests.conftest import memory_application
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


@pytest.fixture
def app() -> HubApplication:
    application = memory_application()
    application.clock = Clock()
    register_agencies(application)
    return application


@pytest.fixture
def board(app: HubApplication) -> ReferralBoard:
    return ReferralBoard(MemoryBoardView(), app, app.mapper.cipher, batch_size=7)


class TestItems:
    def test_every_item_equals_the_aggregates_own_view(self, app, board) -> None:
        referrals = full_life(app)
        board.catch_up()
        for now in (START, START + timedelta(days=40)):
            items = {i["id"]: i for i in board.page(agency=None, inspector_jurisdiction="hubei",
                                                    box="all", now=now, limit=50)[0]}
            for r in referrals:
                assert items[str(r.id)] == app.load(r.id, Referral).view(now)

    def test_personal_data_is_stored_encrypted(self, app, board) -> None:
        submit(app, "jm-civil", "wh-health")
        board.catch_up()
        rows = board.view.tables["referrals"].values()
        assert rows and all(SUBJECT_NAME.encode() not in json.dumps(
            {k: v for k, v in r.items() if k != "doc"}).encode() + r["doc"] for r in rows)


class TestVisibility:
    def test_inbox_is_the_current_receiver_outbox_the_referrer(self, app, board) -> None:
        r = submit(app, "jm-civil", "wh-health")
        act(app, "wh-health", r, "redirect", to_agency="jm-school", reason="closer")
        board.catch_up()
        assert listed(board, agency="jm-school", box="inbox") == [str(r.id)]
        assert listed(board, agency="wh-health", box="inbox") == []
        assert listed(board, agency="wh-health", box="all") == [str(r.id)]
        assert listed(board, agency="jm-civil", box="outbox") == [str(r.id)]
        assert listed(board, agency="jm-civil", box="inbox") == []

    def test_a_non_party_never_sees_it(self, app, board) -> None:
        submit(app, "jm-civil", "wh-health")
        board.catch_up()
        for box in ("inbox", "outbox", "all"):
            assert listed(board, agency="jmx-court", box=box) == []

    def test_inspector_sees_parties_within_the_jurisdiction_prefix(self, app, board) -> None:
        inside = submit(app, "jm-school", "wh-health")
        outside = submit(app, "jmx-court", "wh-health")
        board.catch_up()
        assert listed(board, agency=None, inspector_jurisdiction="hubei/jingmen",
                      box="all") == [str(inside.id)]
        assert listed(board, agency=None, inspector_jurisdiction="hubei", box="outbox") == [
            str(outside.id), str(inside.id)]
        assert listed(board, agency=None, inspector_jurisdiction="", box="all") == []


class TestFilters:
    def test_status_category_and_overdue(self, app, board) -> None:
        a = submit(app, "jm-civil", "wh-health", category="elderly_care", urgency="emergency")
        b = submit(app, "jm-civil", "wh-health", urgency="routine")
        act(app, "wh-health", b, "accept")
        board.catch_up()
        q = {"agency": "wh-health", "box": "inbox"}
        assert listed(board, **q, status="accepted") == [str(b.id)]
        assert listed(board, **q, category="elderly_care") == [str(a.id)]
        later = START + timedelta(hours=5)
        assert listed(board, **q, overdue=True, now=later) == [str(a.id)]
        assert listed(board, **q, overdue=False, now=later) == [str(b.id)]
        assert board.page(**q, now=later)[0][1]["overdue"] is True

    def test_due_for_escalation_skips_escalated_until_a_redirect(self, app, board) -> None:
        r = submit(app, "jm-civil", "wh-health", urgency="emergency")
        late = START + timedelta(hours=5)
        board.catch_up()
        assert board.due_for_escalation(late) == [str(r.id)]
        assert app.escalate_referral(r.id, late)
        board.catch_up()
        assert board.due_for_escalation(late) == []
        act(app, "wh-health", r, "redirect", to_agency="jm-school", reason="closer")
        board.catch_up()
        assert board.due_for_escalation(late + timedelta(hours=5)) == [str(r.id)]


class TestPages:
    def test_cursor_pages_newest_first_without_gaps_while_new_ones_arrive(self, app, board) -> None:
        made = [str(submit(app, "jm-civil", "wh-health").id) for _ in range(7)]
        board.catch_up()
        first, cursor = board.page(agency="jm-civil", box="outbox", now=START, limit=3)
        submit(app, "jm-civil", "wh-health")
        board.catch_up()
        rest = listed(board, agency="jm-civil", box="outbox", limit=3, cursor=cursor)
        assert [i["id"] for i in first] + rest == made[::-1]

    @pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "WzEsMl0"])
    def test_a_bad_cursor_is_invalid_naming_the_field(self, board, cursor) -> None:
        with pytest.raises(Invalid) as caught:
            board.page(agency="a", box="all", now=START, cursor=cursor)
        assert "cursor" in caught.value.errors

    def test_bad_box_and_limit_are_invalid(self, board) -> None:
        with pytest.raises(Invalid):
            board.page(agency="a", box="sideways", now=START)
        with pytest.raises(Invalid):
            board.page(agency="a", box="all", now=START, limit=0)


class TestTracking:
    def test_replaying_an_old_position_raises_and_changes_nothing(self, app, board) -> None:
        r = submit(app, "jm-civil", "wh-health")
        board.catch_up()
        before = {k: dict(v) for k, v in board.view.tables["referrals"].items()}
        event = app.history(r.id)[0]
        with pytest.raises(IntegrityError):
            board.projection.process_event(event, Tracking(app.name, 1))
        assert board.view.tables["referrals"] == before

    def test_the_stock_path_applies_one_event_per_position(self, app, board) -> None:
        r = submit(app, "jm-civil", "wh-health")
        for notification in app.recorder.select_notifications(1, 100):
            event = app.mapper.to_domain_event(notification)
            board.projection.process_event(event, Tracking(app.name, notification.id))
        assert listed(board, agency="wh-health", box="inbox") == [str(r.id)]
        assert board.catchup.status().lag == 0

    def test_pages_read_bounded_windows_of_the_log(self, app, board, monkeypatch) -> None:
        """Each page reads at most WINDOW_PAGES pages' worth of positions; a window without a
        board event still moves the position; the board equals one built in a single page."""
        full_life(app)
        select, windows = app.recorder.select_notifications, []

        def recorded(start: int, limit: int, stop: int | None = None, **kw: object) -> object:
            windows.append((start, limit, stop))
            return select(start, limit, stop=stop, **kw)

        monkeypatch.setattr(app.recorder, "select_notifications", recorded)
        board.catchup.batch_size = 1
        board.catch_up()
        assert all(stop - (start - 1) <= limit * WINDOW_PAGES for start, limit, stop in windows)
        assert len(windows) > app.recorder.max_notification_id() // WINDOW_PAGES
        whole = ReferralBoard(MemoryBoardView(), app, app.mapper.cipher, batch_size=10_000)
        whole.catch_up()
        assert board.catchup.status().lag == 0
        assert _plain(board, board.view.tables) == _plain(whole, whole.view.tables)

    def test_rebuild_pauses_the_collector_and_resumes_it(self, app, board, monkeypatch) -> None:
        full_life(app)
        apply, seen = board.projection.apply, []
        monkeypatch.setattr(board.projection, "apply",
                            lambda txn, events: (seen.append(gc.isenabled()), apply(txn, events)))
        board.catchup.rebuild()
        assert seen and not any(seen)
        assert gc.isenabled() and gc.get_freeze_count() == 0

    def test_rebuild_reads_pages_of_the_views_rebuild_factor(self, app, board,
                                                             monkeypatch) -> None:
        full_life(app)
        select, limits = app.recorder.select_notifications, []

        def recorded(start: int, limit: int, **kw: object) -> object:
            limits.append(limit)
            return select(start, limit, **kw)

        monkeypatch.setattr(app.recorder, "select_notifications", recorded)
        monkeypatch.setattr(board.view, "rebuild_factor", 3)
        board.catchup.rebuild()
        assert limits and set(limits) == {board.catchup.batch_size * 3}

    def test_rebuild_equals_the_live_board(self, app, board) -> None:
        full_life(app)
        board.catch_up()
        live = {k: dict(v) for k, v in board.view.tables.items()}
        board.catchup.rebuild()
        assert _plain(board, board.view.tables) == _plain(board, live)


def _plain(board: ReferralBoard, tables: dict) -> dict:
    """Tables with documents decrypted (ciphertexts differ by nonce)."""
    out = {name: dict(rows) for name, rows in tables.items()}
    out["referrals"] = {k: {**v, "doc": json.loads(board.sealer.decrypt(v["doc"]))}
                        for k, v in tables["referrals"].items()}
    return out


class TestBoardChanges:
    def test_parties_of_new_referrals_are_kept_once_and_apart(self) -> None:
        changes = BoardChanges()
        rows = [{"referral_id": "new", "agency": "a", "jurisdiction": "x", "created_at": "1"},
                {"referral_id": "old", "agency": "a", "jurisdiction": "x", "created_at": "0"},
                {"referral_id": "new", "agency": "a", "jurisdiction": "y", "created_at": "2"},
                {"referral_id": "new", "agency": "b", "jurisdiction": "x", "created_at": "1"}]
        changes.add_parties(rows, {"new"})
        assert changes.new_parties == [rows[0], rows[3]]
        assert changes.parties == [rows[1]]

    def test_a_page_inserts_its_new_referrals_and_upserts_the_earlier_ones(
            self, app, board, monkeypatch) -> None:
        first = submit(app, "jm-civil", "wh-health")
        board.catch_up()
        act(app, "wh-health", first, "accept", assignee="someone")
        second = submit(app, "jm-civil", "wh-health")
        saved = []
        save = board.view.save
        monkeypatch.setattr(board.view, "save",
                            lambda txn, changes: (saved.append(changes), save(txn, changes)))
        board.catch_up()
        assert [r["id"] for c in saved for r in c.new_referrals] == [str(second.id)]
        assert [r["id"] for c in saved for r in c.referrals] == [str(first.id)]

    def test_a_new_referral_already_on_the_board_is_refused(self, app, board) -> None:
        submit(app, "jm-civil", "wh-health")
        board.catch_up()
        row = dict(next(iter(board.view.tables["referrals"].values())))
        changes = BoardChanges()
        changes.new_referrals.append(row)
        with pytest.raises(IntegrityError), board.view.locked(app.name) as txn:
            board.view.save(txn, changes)
