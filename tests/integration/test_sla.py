"""SLA sweeping on SQLite and PostgreSQL: once per deadline, a redirect resets it, one sweeper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.read_models import Boards, open_boards
from adapters.settings import Settings
from adapters.sla import SlaSweeper, sweep, sweep_lock
from adapters.storage import open_application
from domain.application import HubApplication
from domain.referral import Referral
from hub.cli import main
from tests.projection_helpers import START, Clock, act, register_agencies, submit
from tests.stores import store_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with store_settings(request.param, tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        open_boards(settings, app, create_tables=True).close()
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
    yield opened
    opened.close()


def escalations(app: HubApplication, referral: Referral) -> int:
    return sum(type(e).TYPE == "referral.escalated" for e in app.history(referral.id))


def test_sweep_escalates_each_overdue_referral_once(app, boards) -> None:
    late = submit(app, "jm-civil", "wh-health", urgency="emergency")
    in_time = submit(app, "jm-civil", "wh-health", urgency="routine")
    answered = submit(app, "jm-civil", "wh-health", urgency="emergency")
    act(app, "wh-health", answered, "accept")
    now = START + timedelta(hours=5)
    assert sweep(app, boards.referrals, now) == 1
    assert sweep(app, boards.referrals, now + timedelta(minutes=1)) == 0
    assert (escalations(app, late), escalations(app, in_time), escalations(app, answered)) == (1, 0, 0)


def test_a_redirect_gives_a_new_deadline_and_a_new_escalation(app, boards) -> None:
    r = submit(app, "jm-civil", "wh-health", urgency="emergency")
    assert sweep(app, boards.referrals, START + timedelta(hours=5)) == 1
    app.clock.now = START + timedelta(hours=6)
    act(app, "wh-health", r, "redirect", to_agency="jm-school", reason="closer")
    assert sweep(app, boards.referrals, START + timedelta(hours=7)) == 0
    assert sweep(app, boards.referrals, START + timedelta(hours=11)) == 1
    assert escalations(app, r) == 2


def test_racing_sweepers_escalate_once(store, app, boards) -> None:
    r = submit(app, "jm-civil", "wh-health", urgency="emergency")
    now = START + timedelta(hours=5)
    counts: list[int] = []
    others = [open_boards(store, app) for _ in range(4)]
    threads = [threading.Thread(target=lambda b=b: counts.append(sweep(app, b.referrals, now)))
               for b in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for b in others:
        b.close()
    assert sum(counts) == 1 and escalations(app, r) == 1


def test_only_one_process_holds_the_sweep_lock(store) -> None:
    with sweep_lock(store) as first:
        assert first
        holder: list[bool] = []
        other = threading.Thread(target=lambda: holder.append(_try_lock(store)))
        other.start()
        other.join()
        assert holder == [False]
    assert _try_lock(store)


def _try_lock(settings: Settings) -> bool:
    with sweep_lock(settings) as held:
        return held


def test_the_sweeper_thread_sweeps(store, app, boards) -> None:
    r = submit(app, "jm-civil", "wh-health", urgency="emergency")
    sweeper = SlaSweeper(store, app, boards.referrals, clock=lambda: START + timedelta(hours=5))
    assert sweeper.sweep_once() == 1
    sweeper.start()
    sweeper.stop()
    assert escalations(app, r) == 1


def test_hub_sla_sweep_prints_the_count(store, app, monkeypatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", store.database_url)
    monkeypatch.setenv("HUB_CIPHER_KEY", store.cipher_key or "")
    result = CliRunner().invoke(main, ["sla", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Escalated 0 overdue referral(s)." in result.output
    status = CliRunner().invoke(main, ["projections", "status"])
    assert status.exit_code == 0 and "referral_board" in status.output
    rebuilt = CliRunner().invoke(main, ["projections", "rebuild", "referral_board"])
    assert rebuilt.exit_code == 0 and "rebuilt" in rebuilt.output
