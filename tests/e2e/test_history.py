"""Histories over HTTP: every event with its hashes, chained, masked for inspectors, recorded."""

from __future__ import annotations

import itertools
from typing import Any

from domain.chain import GENESIS
from domain.privacy import HIDDEN
from tests import case_world
from tests.case_world import SUBJECT, HttpWorld

world = case_world.world  # the fixture


def history(world: HttpWorld, who: str, path: str, **headers: str) -> Any:
    return world.ok(world.get(who, f"{path}/history", **headers))


class TestReferralHistory:
    def test_a_party_sees_every_event_chained_with_personal_data(self,
                                                                 world: HttpWorld) -> None:
        referral_id = world.referral()
        world.ok(world.post("workstation", f"/referrals/{referral_id}/notes", {"text": "见面"}))
        found = history(world, "procuratorate", f"/referrals/{referral_id}")
        assert found["stream_id"] == referral_id and found["verified"] is True
        events = found["events"]
        assert [e["type"] for e in events] == [
            "referral.submitted", "referral.accepted", "referral.note_added"]
        assert [e["version"] for e in events] == [1, 2, 3]
        assert events[0]["prev_hash"] == GENESIS
        assert all(later["prev_hash"] == earlier["hash"]
                   for earlier, later in itertools.pairwise(events))
        assert events[0]["data"]["subject"]["name"] == SUBJECT["name"]
        assert events[1]["actor"] == {"agency": "workstation", "user": "workstation"}

    def test_inspectors_get_it_masked_and_their_read_is_recorded(self,
                                                                 world: HttpWorld) -> None:
        referral_id = world.referral()
        found = history(world, "inspector", f"/referrals/{referral_id}", **{"X-Purpose": "督查"})
        subject = found["events"][0]["data"]["subject"]
        assert subject["name"] == SUBJECT["name"][0] + "*"
        assert subject["id_number"] == HIDDEN and subject["phone"] == HIDDEN
        assert found["verified"] is True
        log = world.ok(world.get("inspector", f"/referrals/{referral_id}/access-log"))
        assert [(r["actor"]["user"], r["view"], r["purpose"]) for r in log["reads"]][-1] == (
            "inspector", "history", "督查")

    def test_non_parties_and_far_inspectors_get_not_found(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        for who in ("school", "far-inspector"):
            assert world.get(who, f"/referrals/{referral_id}/history").status_code == 404
        assert world.get("school", "/referrals/not-a-uuid/history").status_code == 404


class TestCaseHistory:
    def test_participants_see_it_and_inspectors_masked(self, world: HttpWorld) -> None:
        case = world.case(partners=["ngc"])
        world.ok(world.post("workstation", f"/cases/{case['id']}/risk-assessments",
                            {"level": "red", "factors": ["监护缺位"]}))
        full = history(world, "ngc", f"/cases/{case['id']}")
        assert [e["type"] for e in full["events"]] == ["case.opened", "case.risk_assessed"]
        assert full["verified"] is True
        masked = history(world, "inspector", f"/cases/{case['id']}")
        assert masked["events"][0]["data"]["subject"]["name"] == SUBJECT["name"][0] + "*"
        assert [e["hash"] for e in masked["events"]] == [e["hash"] for e in full["events"]]

    def test_the_referrer_sees_outcomes_not_history(self, world: HttpWorld) -> None:
        case = world.case(partners=[])
        assert world.get("procuratorate", f"/cases/{case['id']}/history").status_code == 403
        assert world.get("school", f"/cases/{case['id']}/history").status_code == 404


class TestAsOf:
    def test_a_referral_as_it_stood_between_two_events(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        world.clock.advance(hours=1)
        middle = world.clock.now.isoformat()
        world.clock.advance(hours=1)
        world.ok(world.post("workstation", f"/referrals/{referral_id}/notes", {"text": "n"}))
        then = world.ok(world.get("procuratorate",
                                  f"/referrals/{referral_id}?as_of={middle.replace('+', '%2B')}"))
        assert then["version"] == 2 and then["status"] == "accepted"
        before = world.get("procuratorate", f"/referrals/{referral_id}?as_of=2000-01-01T00:00:00Z")
        assert before.status_code == 404
