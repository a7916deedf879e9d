# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""The cases resource over HTTP: opening, actions, each party's view, lists, summary, reports."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from domain.chain import canonical_json
from tests.case_world import HttpWorld, world  # noqa: F401 (fixture)

REPORT = {"summary": "社会调查报告（示例）", "findings": "家庭监护薄弱（虚构）",
          "recommendations": "开展家庭教育指导", "submitted_to": ["procuratorate"]}


def assess(world: HttpWorld, case_id: str, level: str, note: str | None = None,
           **headers: str) -> object:
    body = {"level": level, "factors": ["监护缺位"], **({"note": note} if note else {})}
    return world.post("workstation", f"/cases/{case_id}/risk-assessments", body, **headers)


class TestOpening:
    def test_opened_case_has_location_etag_and_the_referral_names_it(
            self, world: HttpWorld) -> None:
        referral_id = world.referral()
        answer = world.post("workstation", "/cases", {
            "referral_id": referral_id, "lead_worker": "示例社工甲",
            "participants": [{"agency": "ngc", "role": "mentor"}]})
        case = world.ok(answer, 201)
        assert answer.headers["ETag"] == '"1"'
        assert answer.headers["Location"].endswith(f"/api/v1/cases/{case['id']}")
        assert [p["agency"] for p in case["participants"]] == ["workstation", "ngc"]
        referral = world.ok(world.get("procuratorate", f"/referrals/{referral_id}"))
        assert referral["case_id"] == case["id"]

    def test_a_second_opening_conflicts(self, world: HttpWorld) -> None:
        case = world.case()
        answer = world.post("workstation", "/cases", {"referral_id": case["referral_id"],
                                                      "lead_worker": "x", "participants": []})
        assert answer.status_code == 409

    def test_unknown_fields_and_agencies_are_named(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        odd = world.post("workstation", "/cases", {"referral_id": referral_id,
                                                   "lead_worker": "x", "colour": "red"})
        assert odd.status_code == 422 and "colour" in odd.json["errors"]
        unknown = world.post("workstation", "/cases", {
            "referral_id": referral_id, "lead_worker": "x",
            "participants": [{"agency": "nobody", "role": "r"}]})
        assert unknown.status_code == 422 and "participants" in unknown.json["errors"]
        bad_id = world.post("workstation", "/cases", {"referral_id": "nope", "lead_worker": "x"})
        assert bad_id.status_code == 422 and "referral_id" in bad_id.json["errors"]

    def test_the_referrer_may_not_open_it(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        answer = world.post("procuratorate", "/cases", {"referral_id": referral_id,
                                                        "lead_worker": "x"})
        assert answer.status_code == 403


class TestActions:
    def test_a_change_of_colour_without_a_note_names_note(self, world: HttpWorld) -> None:
        case = world.case()
        world.ok(assess(world, case["id"], "orange"))
        refused = assess(world, case["id"], "blue")
        assert refused.status_code == 422 and list(refused.json["errors"]) == ["note"]

    def test_if_match_is_honoured(self, world: HttpWorld) -> None:
        case = world.case()
        stale = assess(world, case["id"], "red", **{"If-Match": '"7"'})
        assert stale.status_code == 412 and stale.json["current_version"] == 1
        fresh = assess(world, case["id"], "red", **{"If-Match": '"1"'})
        assert fresh.status_code == 200 and fresh.headers["ETag"] == '"2"'

    def test_a_closed_case_answers_409_naming_status_and_actions(self,
                                                                 world: HttpWorld) -> None:
        case = world.case()
        world.ok(world.post("workstation", f"/cases/{case['id']}/close",
                            {"outcome": "service_provided", "evaluation": "目标达成"}))
        refused = world.post("ngc", f"/cases/{case['id']}/sessions", {
            "held_on": "2024-03-01", "kind": "home_visit", "attendees": [],
            "guardian_present": True, "notes": "n"})
        assert refused.status_code == 409
        assert refused.json["current_status"] == "closed"
        assert refused.json["allowed_actions"] == []

    def test_a_participant_may_not_run_the_case(self, world: HttpWorld) -> None:
        case = world.case()
        answer = world.post("ngc", f"/cases/{case['id']}/plan", {
            "goals": ["g"], "sessions_planned": 3, "review_on": "2024-04-01"})
        assert answer.status_code == 403

    def test_bad_bodies_are_422_not_500(self, world: HttpWorld) -> None:
        case = world.case()
        for action, body, field in [
            ("sessions", {"held_on": "yesterday", "kind": "home_visit", "attendees": [],
                          "guardian_present": True, "notes": "n"}, "held_on"),
            ("sessions", {"held_on": "2024-03-01", "kind": "disco", "attendees": [],
                          "guardian_present": True, "notes": "n"}, "kind"),
            ("plan", {"goals": [], "sessions_planned": 3, "review_on": "2024-04-01"}, "goals"),
            ("risk-assessments", {"level": "green", "factors": ["f"]}, "level"),
            ("close", {"outcome": "vanished", "evaluation": "e"}, "outcome"),
        ]:
            answer = world.post("workstation", f"/cases/{case['id']}/{action}", body)
            assert answer.status_code == 422 and field in answer.json["errors"], (action, body)


class TestViews:
    def test_each_party_sees_its_view(self, world: HttpWorld) -> None:
        case = world.case()
        path = f"/cases/{case['id']}"
        assert world.ok(world.get("social-work", path))["subject"]["name"] == "示例小明"
        reduced = world.ok(world.get("procuratorate", path))
        assert reduced["view"] == "outcome_only" and "subject" not in reduced
        assert world.get("school", path).status_code == 404
        masked = world.ok(world.get("inspector", path))
        assert masked["subject"]["name"] == "示*" and masked["subject"]["phone"] == "***"
        assert world.get("far-inspector", path).status_code == 404
        assert world.get("workstation", "/cases/not-a-uuid").status_code == 404

    def test_as_of_and_version_show_the_case_before_a_reassessment(
            self, world: HttpWorld) -> None:
        case = world.case()
        world.ok(assess(world, case["id"], "orange"))
        between = quote(world.clock.advance(days=3).isoformat())
        world.clock.advance(days=1)
        world.ok(assess(world, case["id"], "blue", note="家庭支持改善"))
        before = world.ok(world.get("workstation", f"/cases/{case['id']}?as_of={between}"))
        now = world.ok(world.get("workstation", f"/cases/{case['id']}"))
        assert (before["risk_level"], now["risk_level"]) == ("orange", "blue")
        by_version = world.ok(world.get("workstation", f"/cases/{case['id']}?version=2"))
        assert by_version["risk_level"] == "orange"
        both = world.get("workstation", f"/cases/{case['id']}?version=2&as_of={between}")
        assert both.status_code == 422

    def test_report_hash_recomputes_from_the_returned_content(self, world: HttpWorld) -> None:
        case = world.case()
        world.ok(world.post("workstation", f"/cases/{case['id']}/investigation-reports", REPORT))
        report = world.ok(world.get("procuratorate",
                                    f"/cases/{case['id']}/investigation-reports/1"))
        assert hashlib.sha256(canonical_json(report["content"])).hexdigest() == report["sha256"]
        assert world.get("school", f"/cases/{case['id']}/investigation-reports/1"
                         ).status_code == 404
        assert world.get("workstation", f"/cases/{case['id']}/investigation-reports/2"
                         ).status_code == 404


class TestListsAndSummary:
    def test_review_overdue_surfaces_in_the_list(self, world: HttpWorld) -> None:
        red = world.case()
        world.ok(assess(world, red["id"], "red"))
        blue = world.case()
        world.ok(assess(world, blue["id"], "blue"))
        world.clock.advance(days=8)
        late = world.ok(world.get("workstation", "/cases?review_overdue=true"))
        assert [i["id"] for i in late["items"]] == [red["id"]]
        assert late["items"][0]["review_overdue"] is True
        assert world.ok(world.get("workstation", "/cases?risk_level=blue"))["items"][0][
            "id"] == blue["id"]
        assert world.ok(world.get("procuratorate", "/cases"))["items"] == []
        assert world.get("workstation", "/cases?colour=red").status_code == 422

    def test_pages_follow_the_cursor(self, world: HttpWorld) -> None:
        ids = []
        for _ in range(3):
            ids.append(world.case(partners=[])["id"])
            world.clock.advance(minutes=1)
        first = world.ok(world.get("workstation", "/cases?limit=2"))
        second = world.ok(world.get("workstation",
                                    f"/cases?limit=2&cursor={first['next_cursor']}"))
        assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]
        assert second["next_cursor"] is None
        assert world.get("workstation", "/cases?cursor=xyz").status_code == 422

    def test_summary_counts_the_callers_caseload(self, world: HttpWorld) -> None:
        case = world.case()
        world.ok(assess(world, case["id"], "orange"))
        world.ok(world.post("womens-federation", f"/cases/{case['id']}/sessions", {
            "held_on": "2024-03-01", "kind": "parent_school", "attendees": ["示例王某"],
            "guardian_present": True, "notes": "家长学校（示例）"}))
        summary = world.ok(world.get("workstation", "/cases/summary"))
        assert summary["open_by_risk_level"]["orange"] == 1
        assert summary["sessions_by_agency"] == {"womens-federation": 1}
        assert summary["guardian_attendance"]["rate"] == 1.0
        assert world.ok(world.get("school", "/cases/summary"))["open_cases"] == 0
        assert world.get("workstation", "/cases/summary?month=2024-13").status_code == 422

    def test_openapi_documents_the_case_routes(self, world: HttpWorld) -> None:
        paths = world.client.get("/api/v1/openapi.json").get_json()["paths"]
        assert {"/api/v1/cases", "/api/v1/cases/summary", "/api/v1/cases/{case_id}",
                "/api/v1/cases/{case_id}/investigation-reports/{number}",
                "/api/v1/cases/{case_id}/sessions"} <= set(paths)
