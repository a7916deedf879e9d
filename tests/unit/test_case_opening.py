# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""Opening a case from an accepted referral: who may, with whom, and once only."""

from __future__ import annotations

import pytest

from domain.application import HubApplication
from domain.case import Case
from domain.case_rules import case_id_for
from domain.errors import Conflict, Invalid, InvalidTransition, NotPermitted
from domain.referral import Referral
from tests.case_world import (  # noqa: F401 (fixtures)
    PARTNERS,
    SUBJECT,
    accepted_referral,
    app,
    clock,
    inspector,
    opened_case,
    staff,
)


class TestOpenCase:
    def test_receiver_opens_a_case_with_seven_participants(self, app: HubApplication) -> None:
        case = opened_case(app)
        assert case.status == "open"
        assert case.lead_agency == "workstation"
        assert case.participant_agencies == ["workstation", *PARTNERS]
        assert case.participants[0]["role"] == "lead"
        assert case.referrer == "procuratorate"

    def test_subject_is_copied_from_the_referral(self, app: HubApplication) -> None:
        assert opened_case(app).subject == SUBJECT

    def test_referral_records_the_case_in_the_same_save(self, app: HubApplication) -> None:
        case = opened_case(app)
        referral = app.load(case.referral_id, Referral)
        assert referral.case_id == str(case.id)
        assert [type(e).TYPE for e in app.history(referral.id)][-1] == "referral.case_opened"

    def test_case_id_follows_from_the_referral(self, app: HubApplication) -> None:
        case = opened_case(app)
        assert case.id == case_id_for(case.referral_id)

    def test_a_second_opening_is_refused(self, app: HubApplication) -> None:
        case = opened_case(app)
        with pytest.raises(Conflict):
            app.open_case(staff("workstation"), referral_id=case.referral_id,
                          lead_worker="other", participants=[])
        assert len(app.history(case.id)) == 1

    def test_lead_named_among_participants_keeps_its_role(self, app: HubApplication) -> None:
        referral = accepted_referral(app)
        case = app.open_case(staff("workstation"), referral_id=referral.id, lead_worker="w",
                             participants=[{"agency": "workstation", "role": "guidance"}])
        assert case.participants == [{"agency": "workstation", "role": "guidance",
                                      "added_at": case.participants[0]["added_at"]}]

    def test_referrer_may_not_open_the_case(self, app: HubApplication) -> None:
        referral = accepted_referral(app)
        with pytest.raises(NotPermitted):
            app.open_case(staff("procuratorate"), referral_id=referral.id, lead_worker="w",
                          participants=[])

    def test_inspector_may_not_open_a_case(self, app: HubApplication) -> None:
        referral = accepted_referral(app)
        with pytest.raises(NotPermitted):
            app.open_case(inspector(), referral_id=referral.id, lead_worker="w", participants=[])

    def test_a_referral_not_yet_accepted_cannot_have_a_case(self, app: HubApplication) -> None:
        referral, _ = app.submit_referral(staff("procuratorate"), {
            "to_agency": "workstation", "category": "other", "urgency": "routine",
            "reason": "r", "subject": SUBJECT, "consent": {"basis": "legal_mandate"}})
        with pytest.raises(InvalidTransition) as refused:
            app.open_case(staff("workstation"), referral_id=referral.id, lead_worker="w",
                          participants=[])
        assert refused.value.status == "submitted"

    def test_unknown_participant_is_refused_naming_participants(self,
                                                                app: HubApplication) -> None:
        referral = accepted_referral(app)
        with pytest.raises(Invalid) as refused:
            app.open_case(staff("workstation"), referral_id=referral.id, lead_worker="w",
                          participants=[{"agency": "nobody", "role": "x"}])
        assert "participants" in refused.value.errors
        assert app.load(referral.id, Referral).case_id is None

    def test_duplicate_participant_is_refused(self, app: HubApplication) -> None:
        referral = accepted_referral(app)
        with pytest.raises(Invalid) as refused:
            app.open_case(staff("workstation"), referral_id=referral.id, lead_worker="w",
                          participants=[{"agency": "ngc", "role": "a"},
                                        {"agency": "ngc", "role": "b"}])
        assert "participants" in refused.value.errors

    def test_an_invisible_referral_is_named_as_the_field_at_fault(self,
                                                                  app: HubApplication) -> None:
        referral = accepted_referral(app)
        with pytest.raises(Invalid) as refused:
            app.open_case(staff("school"), referral_id=referral.id, lead_worker="w",
                          participants=[])
        assert "referral_id" in refused.value.errors

    def test_opened_event_keeps_the_subject_personal(self, app: HubApplication) -> None:
        case = opened_case(app)
        opened = app.history(case.id)[0]
        assert type(opened).TYPE == "case.opened" and type(opened).PERSONAL == ("subject",)
        assert isinstance(opened, Case.Opened)


class TestReviewCadence:
    def test_without_a_colour_the_first_review_is_due_within_a_week(
            self, app: HubApplication) -> None:
        assert opened_case(app).next_review_on == "2024-03-08"

    def test_colour_from_the_referral_sets_the_cadence(self, app: HubApplication) -> None:
        assert opened_case(app, risk_level="blue").next_review_on == "2024-05-30"

    def test_configured_cadence_is_used(self, app: HubApplication) -> None:
        app.review_days = {"red": 3, "orange": 14, "blue": 60}
        assert opened_case(app, risk_level="orange").next_review_on == "2024-03-15"
