"""Response deadlines: respond_by, overdue and escalation, with an injected clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from domain.application import HubApplication
from domain.base import SYSTEM
from domain.chain import format_time
from domain.referral import Referral
from tests.conftest import memory_application
from tests.referral_world import T0, caller, payload, register_world, submission, with_clock

TICK = timedelta(microseconds=1)


def submitted(urgency: str = "urgent", hours: int | None = None) -> Referral:
    fields = submission(urgency=urgency)
    return Referral.submit(id=uuid.uuid4(), caller=caller("ref"), at=T0,
                           respond_within_hours=hours, **fields)


def escalations(referral: Referral) -> int:
    return sum(isinstance(e, Referral.Escalated) for e in referral.collect_events())


class TestRespondBy:
    @pytest.mark.parametrize(("urgency", "hours"), [("emergency", 4), ("urgent", 24),
                                                    ("routine", 72)])
    def test_follows_the_urgency(self, urgency: str, hours: int) -> None:
        assert submitted(urgency).respond_by == format_time(T0 + timedelta(hours=hours))

    def test_respond_within_hours_wins_over_the_urgency(self) -> None:
        assert submitted("routine", hours=10).respond_by == format_time(T0 + timedelta(hours=10))

    def test_is_shown_in_the_view(self) -> None:
        assert submitted("emergency").view(T0)["respond_by"] == "2024-03-01T12:00:00.000000Z"


class TestOverdue:
    def test_only_after_the_deadline(self) -> None:
        referral = submitted("emergency")
        deadline = T0 + timedelta(hours=4)
        assert not referral.is_overdue(deadline)
        assert referral.is_overdue(deadline + TICK)
        assert referral.view(deadline + TICK)["overdue"] is True
        assert referral.view(deadline)["overdue"] is False

    def test_while_info_is_requested(self) -> None:
        referral = submitted("emergency")
        referral.request_info(caller("rec"), at=T0, **payload("request-info"))
        assert referral.is_overdue(T0 + timedelta(hours=5))

    @pytest.mark.parametrize("action", ["accept", "decline"])
    def test_never_once_answered(self, action: str) -> None:
        referral = submitted("emergency")
        getattr(referral, action)(caller("rec"), at=T0, **payload(action))
        assert not referral.is_overdue(T0 + timedelta(days=30))

    def test_never_once_withdrawn(self) -> None:
        referral = submitted("emergency")
        referral.withdraw(caller("ref"), at=T0, **payload("withdraw"))
        assert not referral.is_overdue(T0 + timedelta(days=30))


class TestEscalate:
    def test_escalates_once_per_deadline(self) -> None:
        referral = submitted("emergency")
        late = T0 + timedelta(hours=5)
        assert referral.escalate(SYSTEM, at=late)
        assert not referral.escalate(SYSTEM, at=late + timedelta(hours=1))
        events = list(referral.collect_events())
        assert [type(e).TYPE for e in events][-1] == "referral.escalated"
        assert sum(isinstance(e, Referral.Escalated) for e in events) == 1
        assert events[-1].actor == SYSTEM.actor
        assert (events[-1].to_agency, events[-1].respond_by) == ("rec", referral.respond_by)

    def test_does_not_escalate_before_the_deadline(self) -> None:
        referral = submitted("emergency")
        assert not referral.escalate(SYSTEM, at=T0 + timedelta(hours=4))
        assert escalations(referral) == 0

    def test_does_not_escalate_an_answered_referral(self) -> None:
        referral = submitted("emergency")
        referral.accept(caller("rec"), at=T0)
        assert not referral.escalate(SYSTEM, at=T0 + timedelta(days=3))
        assert escalations(referral) == 0

    def test_an_answered_question_does_not_reset_the_escalation(self) -> None:
        referral = submitted("emergency")
        referral.request_info(caller("rec"), at=T0, **payload("request-info"))
        assert referral.escalate(SYSTEM, at=T0 + timedelta(hours=5))
        referral.provide_info(caller("ref"), at=T0 + timedelta(hours=6), **payload("provide-info"))
        assert not referral.escalate(SYSTEM, at=T0 + timedelta(hours=7))
        assert escalations(referral) == 1

    def test_a_redirect_gives_a_new_deadline_that_may_escalate_again(self) -> None:
        referral = submitted("urgent")
        first_late = T0 + timedelta(hours=25)
        assert referral.escalate(SYSTEM, at=first_late)
        redirected_at = first_late + timedelta(hours=1)
        referral.redirect(caller("rec"), at=redirected_at, **payload("redirect"))
        assert referral.respond_by == format_time(redirected_at + timedelta(hours=24))
        assert referral.escalated_at is None
        assert not referral.is_overdue(redirected_at + timedelta(hours=24))
        assert referral.escalate(SYSTEM, at=redirected_at + timedelta(hours=24) + TICK)
        assert escalations(referral) == 2


class TestEscalateReferralInTheApplication:
    @pytest.fixture
    def app(self) -> HubApplication:
        application = memory_application()
        register_world(application, ["ref", "rec", "alt"])
        return application

    def test_uses_the_application_clock_and_appends_once(self, app: HubApplication) -> None:
        clock = with_clock(app)
        referral, _ = app.submit_referral(caller("ref"), submission(urgency="emergency"))
        assert not app.escalate_referral(referral.id)
        clock.advance(hours=4, seconds=1)
        assert app.escalate_referral(referral.id)
        assert not app.escalate_referral(referral.id)
        types = [type(e).TYPE for e in app.history(referral.id)]
        assert types == ["referral.submitted", "referral.escalated"]
        assert app.get_referral(caller("rec"), referral.id).view(clock.now)["overdue"]

    def test_an_explicit_now_is_honoured(self, app: HubApplication) -> None:
        with_clock(app)
        referral, _ = app.submit_referral(caller("ref"), submission(urgency="emergency"))
        assert app.escalate_referral(referral.id, now=T0 + timedelta(hours=5))
        assert app.history(referral.id)[-1].timestamp == T0 + timedelta(hours=5)
