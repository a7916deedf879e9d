# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""Reading a case: each agency's view, history by version and time, reports, access records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.access import AccessLog, access_log_id
from domain.application import HubApplication
from domain.case_rules import report_sha256
from domain.chain import format_time
from domain.errors import NotFound
from domain.privacy import HIDDEN
from tests.case_world import (  # noqa: F401 (fixtures)
    SUBJECT,
    Clock,
    app,
    assess,
    clock,
    inspector,
    opened_case,
    staff,
)

LEAD = staff("workstation")
REPORT = {"summary": "社会调查报告（示例）", "findings": "家庭环境（虚构）",
          "recommendations": "建议家庭教育指导", "submitted_to": ["procuratorate"]}


def reads(app: HubApplication, case_id: object) -> list[dict[str, object]]:
    return app.load(access_log_id(str(case_id)), AccessLog).reads


class TestViews:
    def test_participant_sees_the_whole_case(self, app: HubApplication) -> None:
        case = opened_case(app)
        view = app.read_case(staff("ngc"), case.id)
        assert view["view"] == "full" and view["subject"] == SUBJECT
        assert view["allowed_actions"][0] == "risk-assessments"

    def test_referrer_sees_status_and_outcome_only(self, app: HubApplication) -> None:
        case = opened_case(app)
        view = app.read_case(staff("procuratorate"), case.id)
        assert view["view"] == "outcome_only" and view["status"] == "open"
        assert "subject" not in view and "sessions" not in view and "risk_level" not in view

    def test_non_party_gets_not_found(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.read_case(staff("school"), opened_case(app).id)

    def test_hub_admin_is_no_party(self, app: HubApplication) -> None:
        from tests.case_world import HUB_ADMIN

        with pytest.raises(NotFound):
            app.read_case(HUB_ADMIN, opened_case(app).id)

    def test_inspector_within_jurisdiction_sees_it_masked(self, app: HubApplication) -> None:
        case = opened_case(app)
        app.act_on_case(staff("ngc"), case.id, "sessions", {
            "held_on": date(2024, 3, 1), "kind": "phone_visit", "attendees": ["示例王某"],
            "guardian_present": True, "notes": "电访"})
        view = app.read_case(inspector(), case.id)
        assert view["view"] == "masked"
        assert view["subject"]["name"] == "示*" and view["subject"]["id_number"] == HIDDEN
        assert view["sessions"][0]["notes"] == HIDDEN
        assert view["sessions"][0]["attendees"] == HIDDEN
        assert view["sessions"][0]["kind"] == "phone_visit"

    def test_inspector_outside_jurisdiction_gets_not_found(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.read_case(inspector("elsewhere-inspection"), opened_case(app).id)

    def test_a_non_uuid_names_nothing(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.read_case(LEAD, "not-a-case")


class TestHistory:
    def test_as_of_before_and_after_a_reassessment(self, app: HubApplication,
                                                   clock: Clock) -> None:
        case = assess(app, opened_case(app), "orange")
        between = clock.advance(days=20)
        clock.advance(days=1)
        assess(app, case, "blue", note="情况好转")
        before = app.read_case(LEAD, case.id, as_of=between)
        after = app.read_case(LEAD, case.id, as_of=clock.now)
        assert (before["risk_level"], before["next_review_on"]) == ("orange", "2024-03-31")
        assert (after["risk_level"], after["next_review_on"]) == ("blue", "2024-06-20")
        assert after["version"] == before["version"] + 1

    def test_as_of_before_the_case_existed_is_not_found(self, app: HubApplication,
                                                        clock: Clock) -> None:
        case = opened_case(app)
        with pytest.raises(NotFound):
            app.read_case(LEAD, case.id, as_of=clock.now - timedelta(seconds=1))

    def test_a_version_shows_the_case_as_it_was(self, app: HubApplication) -> None:
        case = assess(app, assess(app, opened_case(app), "red"), "orange", note="n")
        assert app.read_case(LEAD, case.id, version=2)["risk_level"] == "red"
        with pytest.raises(NotFound):
            app.read_case(LEAD, case.id, version=4)

    def test_overdue_as_of_is_measured_at_that_moment(self, app: HubApplication,
                                                      clock: Clock) -> None:
        case = assess(app, opened_case(app), "red")
        clock.advance(days=8)
        assert app.read_case(LEAD, case.id)["review_overdue"] is True
        assert app.read_case(LEAD, case.id, as_of=clock.now - timedelta(days=2))[
            "review_overdue"] is False


class TestReports:
    def test_content_hashes_to_the_recorded_sha256(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "investigation-reports", REPORT)
        report = app.read_investigation_report(staff("procuratorate"), case.id, 1)
        assert report_sha256(report["content"]) == report["sha256"]
        assert report["content"]["findings"] == REPORT["findings"]

    def test_referrer_reads_only_what_was_submitted_to_it(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "investigation-reports",
                               {**REPORT, "submitted_to": []})
        with pytest.raises(NotFound):
            app.read_investigation_report(staff("procuratorate"), case.id, 1)
        assert app.read_investigation_report(staff("ngc"), case.id, 1)["number"] == 1

    def test_referrers_view_lists_the_reports_addressed_to_it(self,
                                                             app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "investigation-reports", REPORT)
        view = app.read_case(staff("procuratorate"), case.id)
        assert view["reports_for_you"] == [{
            "number": 1, "sha256": case.investigation_reports[0]["sha256"],
            "submitted_at": format_time(case.modified_on)}]

    def test_inspector_gets_the_hash_with_the_text_masked(self, app: HubApplication) -> None:
        case = app.act_on_case(LEAD, opened_case(app).id, "investigation-reports", REPORT)
        report = app.read_investigation_report(inspector(), case.id, 1)
        assert report["content"]["findings"] == HIDDEN and len(report["sha256"]) == 64

    def test_missing_report_is_not_found(self, app: HubApplication) -> None:
        with pytest.raises(NotFound):
            app.read_investigation_report(LEAD, opened_case(app).id, 1)


class TestAccessRecords:
    def test_full_and_masked_reads_are_recorded_with_purpose(self,
                                                             app: HubApplication) -> None:
        case = opened_case(app)
        app.read_case(LEAD, case.id, purpose="review")
        app.read_case(inspector(), case.id, version=1)
        recorded = [(r["actor"]["agency"], r["purpose"], r["view"]) for r in reads(app, case.id)]
        assert recorded == [("workstation", "review", "current"),
                            ("city-inspection", None, "version")]

    def test_the_referrers_outcome_only_read_holds_no_personal_data(
            self, app: HubApplication) -> None:
        case = opened_case(app)
        app.read_case(staff("procuratorate"), case.id)
        with pytest.raises(NotFound):
            reads(app, case.id)
