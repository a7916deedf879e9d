# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""The case board on its in-memory view: caseloads, filters, paging, the monthly summary."""

from __future__ import annotations

from datetime import date

import pytest

from domain.application import HubApplication
from domain.errors import Invalid
from projections.case_board_reads import CaseBoard, month_bounds
from projections.case_board_views import MemoryCaseBoardView, Scope
from tests.case_world import (  # noqa: F401 (fixtures)
    DISTRICT,
    Clock,
    app,
    assess,
    clock,
    opened_case,
    staff,
)

LEAD = staff("workstation")


@pytest.fixture
def board(app: HubApplication) -> CaseBoard:
    assert app.mapper.cipher is not None
    return CaseBoard(MemoryCaseBoardView(), app, app.mapper.cipher, batch_size=7)


def page(board: CaseBoard, agency: str, today: date = date(2024, 3, 1),
         **filters: object) -> list[dict[str, object]]:
    board.catch_up()
    items, _ = board.page(Scope(agency=agency), today=today, **filters)  # type: ignore[arg-type]
    return items


def record(app: HubApplication, case_id: object, agency: str, held_on: date, kind: str,
           guardian_present: bool) -> None:
    app.act_on_case(staff(agency), case_id, "sessions", {
        "held_on": held_on, "kind": kind, "attendees": [], "guardian_present": guardian_present,
        "notes": "n"})


class TestCaseload:
    def test_lead_and_participants_see_the_case_the_referrer_does_not(
            self, app: HubApplication, board: CaseBoard) -> None:
        case = opened_case(app, partners=["ngc"])
        assert [i["id"] for i in page(board, "workstation")] == [str(case.id)]
        assert [i["id"] for i in page(board, "ngc")] == [str(case.id)]
        assert page(board, "procuratorate") == [] and page(board, "school") == []

    def test_a_participant_added_later_sees_it(self, app: HubApplication,
                                               board: CaseBoard) -> None:
        case = opened_case(app, partners=["ngc"])
        app.act_on_case(LEAD, case.id, "participants", {"agency": "procuratorate",
                                                        "role": "oversight"})
        assert [i["id"] for i in page(board, "procuratorate")] == [str(case.id)]

    def test_the_item_follows_the_case(self, app: HubApplication, board: CaseBoard) -> None:
        case = assess(app, opened_case(app), "orange")
        record(app, case.id, "ngc", date(2024, 3, 1), "home_visit", True)
        item = page(board, "workstation")[0]
        assert (item["risk_level"], item["next_review_on"], item["sessions"]) == (
            "orange", "2024-03-31", 1)
        assert item["version"] == 3 and item["subject"] == {"name": "示例小明"}

    def test_filters_by_status_and_colour(self, app: HubApplication, board: CaseBoard,
                                          clock: Clock) -> None:
        red = assess(app, opened_case(app), "red")
        clock.advance(hours=1)
        blue = assess(app, opened_case(app), "blue")
        app.act_on_case(LEAD, blue.id, "close", {"outcome": "other", "evaluation": "e"})
        assert [i["id"] for i in page(board, "workstation", risk_level="red")] == [str(red.id)]
        assert [i["id"] for i in page(board, "workstation", status="closed")] == [str(blue.id)]

    def test_review_overdue_lists_cases_past_their_review(self, app: HubApplication,
                                                          board: CaseBoard) -> None:
        red = assess(app, opened_case(app), "red")
        assess(app, opened_case(app), "blue")
        late = page(board, "workstation", today=date(2024, 3, 9), review_overdue=True)
        assert [(i["id"], i["review_overdue"]) for i in late] == [(str(red.id), True)]
        assert page(board, "workstation", today=date(2024, 3, 8), review_overdue=True) == []
        assert len(page(board, "workstation", today=date(2024, 3, 9),
                        review_overdue=False)) == 1

    def test_pages_newest_first_with_a_cursor(self, app: HubApplication, board: CaseBoard,
                                              clock: Clock) -> None:
        ids = []
        for _ in range(5):
            ids.append(str(opened_case(app).id))
            clock.advance(minutes=5)
        board.catch_up()
        seen, cursor = [], None
        while True:
            items, cursor = board.page(Scope(agency="workstation"), today=date(2024, 3, 1),
                                       limit=2, cursor=cursor)
            seen += [i["id"] for i in items]
            if cursor is None:
                break
        assert seen == ids[::-1]

    def test_a_bad_cursor_names_the_field(self, board: CaseBoard) -> None:
        with pytest.raises(Invalid) as refused:
            board.page(Scope(agency="workstation"), today=date(2024, 3, 1), cursor="!!")
        assert "cursor" in refused.value.errors

    def test_inspector_scope_masks_the_name(self, app: HubApplication, board: CaseBoard) -> None:
        opened_case(app)
        board.catch_up()
        items, _ = board.page(Scope(jurisdiction="hubei/jingmen"), today=date(2024, 3, 1))
        assert items[0]["subject"] == {"name": "示*"}
        elsewhere, _ = board.page(Scope(jurisdiction="hubei/xiangyang"), today=date(2024, 3, 1))
        assert elsewhere == [] and DISTRICT.startswith("hubei/jingmen")


class TestSummary:
    def test_counts_colours_overdue_sessions_and_attendance(
            self, app: HubApplication, board: CaseBoard, clock: Clock) -> None:
        red = assess(app, opened_case(app), "red")
        orange = assess(app, opened_case(app), "orange")
        opened_case(app)
        record(app, red.id, "workstation", date(2024, 2, 28), "home_visit", True)
        record(app, red.id, "workstation", date(2024, 3, 1), "home_visit", True)
        record(app, orange.id, "womens-federation", date(2024, 3, 1), "parent_school", False)
        clock.advance(days=10)
        board.catch_up()
        summary = board.summary(Scope(agency="workstation"), today=clock.now.date())
        assert summary["open_by_risk_level"] == {"red": 1, "orange": 1, "blue": 0,
                                                 "unassessed": 1}
        assert summary["overdue_reviews"] == 2  # the red one and the unassessed one
        assert summary["sessions_by_kind"] == {"home_visit": 1, "parent_school": 1}
        assert summary["sessions_by_agency"] == {"womens-federation": 1, "workstation": 1}
        assert summary["guardian_attendance"] == {"sessions": 2, "guardian_present": 1,
                                                  "rate": 0.5}

    def test_a_month_without_sessions_has_no_rate(self, app: HubApplication,
                                                  board: CaseBoard) -> None:
        opened_case(app)
        board.catch_up()
        summary = board.summary(Scope(agency="ngc"), today=date(2024, 3, 1))
        assert summary["guardian_attendance"]["rate"] is None and summary["open_cases"] == 1

    def test_month_bounds_wrap_the_year(self) -> None:
        assert month_bounds(date(2024, 12, 15)) == ("2024-12-01", "2025-01-01")


class TestRebuild:
    def test_a_rebuild_gives_the_same_items(self, app: HubApplication, board: CaseBoard) -> None:
        case = assess(app, opened_case(app), "red")
        record(app, case.id, "ngc", date(2024, 3, 1), "phone_visit", True)
        before = page(board, "workstation")
        board.catchup.rebuild()
        assert page(board, "workstation") == before
