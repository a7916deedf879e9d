"""The command ledger: an agency's command id takes effect at most once (in-memory store)."""

from __future__ import annotations

import pytest

from domain.application import HubApplication
from domain.base import Caller
from domain.commands import ProcessedCommand, command_stream_id
from domain.errors import InvalidTransition, NotFound
from domain.referral import Referral
from tests.conftest import HUB_ADMIN, memory_application


def staff(agency: str) -> Caller:
    return Caller(agency=agency, user="clerk", role="staff")


@pytest.fixture
def app() -> HubApplication:
    hub = memory_application()
    for slug in ("school-a", "civil-b", "court-d"):
        hub.register_agency(HUB_ADMIN, id=slug, name=slug, kind="other", jurisdiction="hubei")
    return hub


def submitted(app: HubApplication) -> Referral:
    referral, _ = app.submit_referral(staff("school-a"), {
        "to_agency": "civil-b", "category": "other", "urgency": "routine", "reason": "r",
        "subject": {"name": "张小明"}, "consent": {"basis": "self_consent"}})
    return referral


class TestActOnce:
    def test_a_repeated_command_id_answers_the_first_outcome_and_changes_nothing(
            self, app: HubApplication) -> None:
        referral = submitted(app)
        first = app.act_once(staff("civil-b"), "c-1", referral.id, "accept", {})
        again = app.act_once(staff("civil-b"), "c-1", referral.id, "accept", {})
        assert first == ({"referral_id": str(referral.id), "status": "accepted"}, False)
        assert again == ({"referral_id": str(referral.id), "status": "accepted"}, True)
        assert app.load(referral.id, Referral).version == 2

    def test_the_ledger_entry_is_saved_with_the_effect(self, app: HubApplication) -> None:
        referral = submitted(app)
        app.act_once(staff("civil-b"), "c-2", referral.id, "request-info", {"question": "q?"})
        entry = app.load(command_stream_id("civil-b", "c-2"), ProcessedCommand)
        assert (entry.action, entry.status, entry.referral_version) == ("request-info",
                                                                        "info_requested", 2)

    def test_a_refused_command_leaves_no_entry_and_may_be_retried(
            self, app: HubApplication) -> None:
        referral = submitted(app)
        with pytest.raises(InvalidTransition):
            app.act_once(staff("civil-b"), "c-3", referral.id, "complete",
                         {"outcome": "other", "summary": "s"})
        assert app.processed_command("civil-b", "c-3") is None

    def test_command_ids_are_per_agency(self, app: HubApplication) -> None:
        referral = submitted(app)
        app.act_once(staff("civil-b"), "same", referral.id, "accept", {})
        outcome, repeated = app.act_once(staff("school-a"), "same", referral.id, "notes",
                                         {"text": "t"})
        assert (outcome["status"], repeated) == ("accepted", False)

    def test_a_non_party_is_told_nothing_exists(self, app: HubApplication) -> None:
        referral = submitted(app)
        with pytest.raises(NotFound):
            app.act_once(staff("court-d"), "c-4", referral.id, "accept", {})
