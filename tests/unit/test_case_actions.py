# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""The case's actions: who may do each, what each records, and a closed case refusing work."""

from __future__ import annotations

from datetime import date

import pytest

from domain.application import HubApplication
from domain.case_rules import report_content, report_sha256
from domain.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from tests.case_world import (  # noqa: F401 (fixtures)
    Clock,
    app,
    assess,
    clock,
    inspector,
    opened_case,
    staff,
)

LEAD = staff("workstation")
REPORT = {"summary": "家庭监护薄弱（示例）", "findings": "父母外出务工（虚构）",
          "recommendations": "开展家庭教育指导", "submitted_to": ["procuratorate"]}


def session(held_on: date, guardian_present: bool = True) -> dict[str, object]:
    return {"held_on": held_on, "kind": "home_visit", "attendees": ["示例小明", "示例王某"],
            "guardian_present": guardian_present, "notes": "家访（示例）"}


class TestRiskAssessment:
    def test_first_colour_needs_no_note(self, app: HubApplication) -> None:
        case = assess(app, opened_case(app), "orange")
        assert case.risk_level == "orange"
        assert case.risk_assessments[0]["previous_level"] is None

    def test_a_change_of_colour_needs_a_note(self, app: HubApplication) -> None:
        case = assess(app, opened_case(app), "orange")
        with pytest.raises(Invalid) as refused:
            assess(app, case, "blue")
        assert list(refused.value.errors) == ["note"]
        assert assess(app, case, "blue", note="监护改善").risk_level == "blue"

    def test_change_from_the_referrals_colour_needs_a_note(self, app: HubApplication) -> None:
        with pytest.raises(Invalid):
            assess(app, opened_case(app, risk_level="red"), "orange", note="  ")

    def test_the_same_colour_again_needs_no_note(self, app: HubApplication) -> None:
        case = assess(app, opened_case(app), "red")
        assert assess(app, case, "red").risk_assessments[-1]["previous_level"] == "red"

    @pytest.mark.parametrize(("level", "due"), [("red", "2024-03-08"), ("orange", "2024-03-31"),
                                                ("blue", "2024-05-30")])
    def test_colour_sets_the_next_review(self, app: HubApplication, level: str,
                                         due: str) -> None:
        assert assess(app, opened_case(app), level).next_review_on == due

    def test_unknown_colour_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            assess(app, opened_case(app), "green")
        assert "level" in refused.value.errors

    def test_only_the_lead_assesses(self, app: HubApplication) -> None:
        case = opened_case(app)
        with pytest.raises(NotPermitted):
            app.act_on_case(staff("ngc"), case.id, "risk-assessments",
                            {"level": "red", "factors": []})


class TestPlan:
    def test_an_earlier_plan_review_brings_the_review_forward(self, app: HubApplication) -> None:
        case = assess(app, opened_case(app), "blue")
        case = app.act_on_case(LEAD, case.id, "plan", {
            "goals": ["恢复正常上学"], "sessions_planned": 8, "review_on": date(2024, 4, 15)})
        assert case.plan is not None and case.plan["sessions_planned"] == 8
        assert case.next_review_on == "2024-04-15"

    def test_a_later_plan_review_does_not_delay_the_cadence(self, app: HubApplication) -> None:
        case = assess(app, opened_case(app), "red")
        case = app.act_on_case(LEAD, case.id, "plan", {
            "goals": ["g"], "sessions_planned": 2, "review_on": date(2024, 6, 1)})
        assert case.next_review_on == "2024-03-08"

    def test_a_reassessment_after_the_plan_review_follows_the_cadence(
            self, app: HubApplication, clock: Clock) -> None:
        case = assess(app, opened_case(app), "blue")
        app.act_on_case(LEAD, case.id, "plan", {"goals": ["g"], "sessions_planned": 2,
                                                "review_on": date(2024, 3, 10)})
        clock.advance(days=10)
        assert assess(app, case, "blue").next_review_on == "2024-06-09"

    def test_a_past_review_date_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            app.act_on_case(LEAD, opened_case(app).id, "plan", {
                "goals": ["g"], "sessions_planned": 1, "review_on": date(2024, 2, 1)})
        assert "review_on" in refused.value.errors


class TestInvestigationReport:
    def test_each_version_is_numbered_and_hashed(self, app: HubApplication) -> None:
        case = opened_case(app)
        app.act_on_case(LEAD, case.id, "investigation-reports", REPORT)
        case = app.act_on_case(LEAD, case.id, "investigation-reports",
                               {**REPORT, "summary": "修订版"})
        first, second = case.investigation_reports
        assert (first["number"], second["number"]) == (1, 2)
        expected = report_sha256(report_content(str(case.id), 1, REPORT["summary"],
                                                REPORT["findings"], REPORT["recommendations"],
                                                ["procuratorate"]))
        assert first["sha256"] == expected != second["sha256"]

    def test_addressees_must_be_parties(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            app.act_on_case(LEAD, opened_case(app).id, "investigation-reports",
                            {**REPORT, "submitted_to": ["school"]})
        assert "submitted_to" in refused.value.errors

    def test_only_the_lead_reports(self, app: HubApplication) -> None:
        with pytest.raises(NotPermitted):
            app.act_on_case(staff("social-work"), opened_case(app).id,
                            "investigation-reports", REPORT)


class TestSessions:
    def test_any_participant_records_in_its_own_name(self, app: HubApplication) -> None:
        case = opened_case(app)
        case = app.act_on_case(staff("womens-federation", "李示例"), case.id, "sessions",
                               session(date(2024, 3, 1)))
        assert case.sessions[0]["agency"] == "womens-federation"
        assert case.sessions[0]["by"] == {"agency": "womens-federation", "user": "李示例"}

    def test_the_referrer_who_is_no_participant_may_not(self, app: HubApplication) -> None:
        with pytest.raises(NotPermitted):
            app.act_on_case(staff("procuratorate"), opened_case(app).id, "sessions",
                            session(date(2024, 3, 1)))

    def test_a_non_party_is_told_the_case_does_not_exist(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.act_on_case(staff("school"), opened_case(app).id, "sessions",
                            session(date(2024, 3, 1)))

    def test_a_future_session_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            app.act_on_case(LEAD, opened_case(app).id, "sessions", session(date(2024, 3, 9)))
        assert "held_on" in refused.value.errors

    def test_unknown_kind_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            app.act_on_case(LEAD, opened_case(app).id, "sessions",
                            {**session(date(2024, 3, 1)), "kind": "party"})
        assert "kind" in refused.value.errors


class TestParticipantsAndSupervision:
    def test_lead_adds_a_registered_agency(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app, partners=["ngc"]).id, "participants",
                               {"agency": "school", "role": "school_contact"})
        assert case.participant_agencies == ["workstation", "ngc", "school"]

    def test_unknown_agency_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(Invalid) as refused:
            app.act_on_case(LEAD, opened_case(app).id, "participants",
                            {"agency": "nobody", "role": "x"})
        assert "agency" in refused.value.errors

    def test_an_agency_participates_once(self, app: HubApplication) -> None:
        with pytest.raises(Conflict):
            app.act_on_case(LEAD, opened_case(app).id, "participants",
                            {"agency": "ngc", "role": "x"})

    def test_supervision_is_recorded(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "supervision-reviews",
                               {"reviewer": "督导示例", "advice": "加强家访频次"})
        assert case.supervision_reviews[0]["reviewer"] == "督导示例"

    def test_inspectors_are_read_only(self, app: HubApplication) -> None:
        with pytest.raises(NotPermitted):
            app.act_on_case(inspector(), opened_case(app).id, "supervision-reviews",
                            {"reviewer": "x", "advice": "y"})


class TestClose:
    def test_close_records_outcome_and_evaluation(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "close",
                               {"outcome": "service_provided", "evaluation": "目标达成"})
        assert (case.status, case.outcome, case.next_review_on) == (
            "closed", "service_provided", None)

    def test_a_closed_case_refuses_further_work(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "close",
                               {"outcome": "other", "evaluation": "e"})
        with pytest.raises(InvalidTransition) as refused:
            app.act_on_case(staff("ngc"), case.id, "sessions", session(date(2024, 3, 1)))
        assert refused.value.status == "closed" and refused.value.allowed == []
        assert "closed" in refused.value.detail

    def test_unknown_outcome_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(Invalid):
            app.act_on_case(LEAD, opened_case(app).id, "close",
                            {"outcome": "vanished", "evaluation": "e"})

    def test_closing_the_case_leaves_the_referral_accepted(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "close",
                               {"outcome": "service_provided", "evaluation": "e"})
        referral = app.get_referral(LEAD, case.referral_id)
        assert referral.status == "accepted"


class TestVersions:
    def test_a_stale_expected_version_is_refused(self, app: HubApplication) -> None:
        from domain.errors import VersionMismatch

        case = assess(app, opened_case(app), "red")
        with pytest.raises(VersionMismatch):
            assess(app, case, "red", expected_version=1)
        assert assess(app, case, "red", expected_version=2).version == 3

    def test_unknown_action_is_not_found(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.act_on_case(LEAD, opened_case(app).id, "delete", {})
