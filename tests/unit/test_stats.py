"""The statistics read model: counts, median hours to answer, closure rate, no personal data."""

from __future__ import annotations

import pytest

from domain.application import HubApplication
from projections.stats import MemoryStatsView, Stats
from projections.stats_plot import render
from tests.conftest import memory_application
from tests.referral_world import Clock, caller, payload, register_world, submission, with_clock


@pytest.fixture
def world() -> tuple[HubApplication, Clock]:
    app = memory_application()
    register_world(app, ["ref", "rec", "alt"])
    clock = with_clock(app)
    return app, clock


def referral(app: HubApplication, clock: Clock, answer_after: float, *actions: str,
             category: str = "family_education_guidance") -> str:
    found, _ = app.submit_referral(caller("ref"), submission(category=category))
    clock.advance(hours=answer_after)
    for action in actions:
        who = caller("ref") if action in ("withdraw", "acknowledge", "provide-info") else (
            caller("alt") if "redirect" in actions and actions.index(action) > 0
            else caller("rec"))
        app.act_on_referral(who, found.id, action, payload(action))
    return str(found.id)


def fill(app: HubApplication, clock: Clock) -> None:
    referral(app, clock, 2, "accept", "complete", "acknowledge")
    referral(app, clock, 5, "decline", category="elderly_care")
    referral(app, clock, 1, "redirect", "accept")
    referral(app, clock, 3, "withdraw")
    clock.advance(days=40)
    referral(app, clock, 10, "accept", "complete")


def test_groups_count_answer_times_and_closure(world: tuple[HubApplication, Clock]) -> None:
    app, clock = world
    fill(app, clock)
    stats = Stats(MemoryStatsView(), app)
    stats.catch_up()
    by_status = {g["group"]: g["count"] for g in stats.summary("status")}
    assert by_status == {"accepted": 1, "closed": 1, "completed": 1, "declined": 1,
                         "withdrawn": 1}
    by_agency = {g["group"]: g["count"] for g in stats.summary("to_agency")}
    assert by_agency == {"rec": 4, "alt": 1}
    months = stats.summary("month")
    assert [g["count"] for g in months] == [4, 1]
    first = months[0]
    assert first["answered"] == 3 and first["concluded"] == 1
    assert first["closure_rate"] == 0.25
    assert 1.0 <= first["median_hours_to_answer"] <= 2.1  # 1 h, ~2 h and ~5 h: the middle one
    elderly = next(g for g in stats.summary("category") if g["group"] == "elderly_care")
    assert elderly["count"] == 1 and elderly["closure_rate"] == 0.0


def test_a_period_and_a_rebuild(world: tuple[HubApplication, Clock]) -> None:
    app, clock = world
    fill(app, clock)
    stats = Stats(MemoryStatsView(), app, batch_size=3)
    stats.catch_up()
    rows = stats.rows()
    late = rows[-1]["submitted_at"]
    assert [r["submitted_at"] for r in stats.rows(start=late)] == [late]
    assert len(stats.rows(end=late)) == 4
    rebuilt = Stats(MemoryStatsView(), app, batch_size=1000)
    rebuilt.catchup.rebuild()
    assert rebuilt.rows() == rows


def test_rows_and_plots_hold_no_personal_data(world: tuple[HubApplication, Clock]) -> None:
    app, clock = world
    fill(app, clock)
    stats = Stats(MemoryStatsView(), app)
    stats.catch_up()
    name = submission()["subject"]["name"]
    assert name not in str(stats.rows())
    assert render(stats.rows(), "png").startswith(b"\x89PNG")
    assert b"<svg" in render(stats.rows(), "svg")
    assert render([], "svg")  # an empty period still draws
