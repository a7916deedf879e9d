"""The case board on SQLite and PostgreSQL: the same caseload, filters and summary as in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adapters.read_models import Boards, open_boards
from adapters.storage import open_application
from domain.application import HubApplication
from projections.case_board_views import Scope
from tests.case_world import (
    Clock,
    assess,
    inspector,
    opened_case,
    register_agencies,
    staff,
)
from tests.stores import store_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path
           ) -> Iterator[tuple[HubApplication, Boards, Clock]]:
    clock = Clock()
    with store_settings(str(request.param), tmp_path) as settings:
        app = open_application(settings, create_tables=True, clock=clock)
        boards = open_boards(settings, app, create_tables=True)
        try:
            register_agencies(app)
            yield app, boards, clock
        finally:
            boards.close()
            app.close()


def test_caseload_filters_and_summary(stores: tuple[HubApplication, Boards, Clock]) -> None:
    app, boards, clock = stores
    red = assess(app, opened_case(app), "red")
    clock.advance(hours=1)
    blue = assess(app, opened_case(app, partners=["ngc"]), "blue")
    app.act_on_case(staff("workstation"), blue.id, "participants",
                    {"agency": "procuratorate", "role": "oversight"})  # the referrer joins
    app.act_on_case(staff("ngc"), red.id, "sessions", {
        "held_on": date(2024, 3, 1), "kind": "home_visit", "attendees": [],
        "guardian_present": False, "notes": "n"})
    board = boards.cases
    board.catch_up()
    today = date(2024, 3, 10)
    items, _ = board.page(Scope(agency="workstation"), today=today)
    assert [i["id"] for i in items] == [str(blue.id), str(red.id)]
    late, _ = board.page(Scope(agency="workstation"), today=today, review_overdue=True)
    assert [i["id"] for i in late] == [str(red.id)]
    joined, _ = board.page(Scope(agency="procuratorate"), today=today)
    assert [i["id"] for i in joined] == [str(blue.id)]
    seen, _ = board.page(Scope(jurisdiction=inspector().jurisdiction), today=today,
                         risk_level="blue")
    assert [i["subject"]["name"] for i in seen] == ["示*"]
    summary = board.summary(Scope(agency="ngc"), today=today)
    assert summary["open_by_risk_level"] == {"red": 1, "orange": 0, "blue": 1, "unassessed": 0}
    assert summary["guardian_attendance"] == {"sessions": 1, "guardian_present": 0, "rate": 0.0}
    board.catchup.rebuild()
    assert board.page(Scope(agency="workstation"), today=today)[0] == items
