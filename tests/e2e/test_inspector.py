"""An inspector, tried as a new user would: reads masked within its jurisdiction, acts never."""

from __future__ import annotations

from domain.privacy import HIDDEN
from tests import case_world
from tests.case_world import SUBJECT, HttpWorld

world = case_world.world  # the fixture
MASKED_NAME = SUBJECT["name"][0] + "*"


def assert_masked(subject: dict[str, object]) -> None:
    assert subject["name"] == MASKED_NAME
    assert subject["id_number"] == HIDDEN and subject["phone"] == HIDDEN
    assert subject["address"] == HIDDEN
    assert subject["guardian"]["name"] == SUBJECT["guardian"]["name"][0] + "*"  # type: ignore[index]


class TestWithinJurisdiction:
    def test_reads_a_referral_masked_now_and_as_it_stood(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        now = world.ok(world.get("inspector", f"/referrals/{referral_id}"))
        assert_masked(now["subject"])
        first = world.ok(world.get("inspector", f"/referrals/{referral_id}?version=1"))
        assert first["status"] == "submitted"
        assert_masked(first["subject"])

    def test_reads_a_case_and_its_history_masked(self, world: HttpWorld) -> None:
        case = world.case(partners=["ngc"])
        found = world.ok(world.get("inspector", f"/cases/{case['id']}"))
        assert_masked(found["subject"])
        history = world.ok(world.get("inspector", f"/cases/{case['id']}/history"))
        assert_masked(history["events"][0]["data"]["subject"])
        assert SUBJECT["id_number"] not in str(history)

    def test_never_acts(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        answer = world.post("inspector", f"/referrals/{referral_id}/notes", {"text": "x"})
        assert answer.status_code == 403
        case = world.case(partners=[])
        answer = world.post("inspector", f"/cases/{case['id']}/sessions", {
            "held_on": "2024-03-01", "kind": "home_visit", "attendees": ["x"],
            "guardian_present": True, "notes": "n"})
        assert answer.status_code == 403
        assert world.post("inspector", "/cases", {"referral_id": world.referral(),
                                                  "lead_worker": "x"}).status_code == 403

    def test_every_read_is_on_record(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        world.ok(world.get("inspector", f"/referrals/{referral_id}", **{"X-Purpose": "年度评估"}))
        world.ok(world.get("inspector", f"/referrals/{referral_id}/history"))
        log = world.ok(world.get("inspector", f"/referrals/{referral_id}/access-log"))
        mine = [(r["view"], r["purpose"]) for r in log["reads"] if r["role"] == "inspector"]
        assert mine == [("current", "年度评估"), ("history", None)]


class TestOutsideJurisdiction:
    def test_gets_not_found_everywhere(self, world: HttpWorld) -> None:
        case = world.case(partners=[])
        referral_id = case["referral_id"]
        for path in (f"/referrals/{referral_id}", f"/referrals/{referral_id}/history",
                     f"/referrals/{referral_id}/access-log", f"/cases/{case['id']}",
                     f"/cases/{case['id']}/history", f"/cases/{case['id']}/access-log"):
            assert world.get("far-inspector", path).status_code == 404, path

    def test_the_global_log_is_masked_for_everyone(self, world: HttpWorld) -> None:
        world.referral()
        page = world.ok(world.get("far-inspector", "/audit/log?limit=1000"))
        assert SUBJECT["name"] not in str(page) and SUBJECT["id_number"] not in str(page)
