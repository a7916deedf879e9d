# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""`If-None-Match` on a referral and a case: 304 for a current copy, never a leak, never a
stale `overdue`, and no access record for an answer that carries no data."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import access_log_id
from tests.case_world import HttpWorld, world  # noqa: F401 (fixture)


def reads_of(world: HttpWorld, resource_id: str) -> int:
    """How many reads the resource's access log holds."""
    app = world.client.application.extensions["hub"].app
    return max(len(app.history(access_log_id(resource_id))) - 1, 0)


def submitted(world: HttpWorld) -> str:
    body = {"to_agency": "workstation", "category": "other", "urgency": "routine",
            "reason": "r", "subject": {"name": "示例"}, "consent": {"basis": "self_consent"}}
    return str(world.ok(world.post("procuratorate", "/referrals", body), 201)["id"])


class TestReferral:
    def test_a_current_copy_is_not_sent_again_nor_recorded(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        path = f"/referrals/{referral_id}"
        first = world.get("procuratorate", path)
        assert first.status_code == 200 and first.headers["ETag"] == '"2"'
        again = world.get("procuratorate", path, **{"If-None-Match": '"2"'})
        assert again.status_code == 304 and again.get_data() == b""
        assert again.headers["ETag"] == '"2"'
        assert reads_of(world, referral_id) == 1

    @pytest.mark.parametrize("tags", ['W/"2"', '"1", "2"', '"7",W/"2"', "*"])
    def test_weak_tags_lists_and_star_match(self, world: HttpWorld, tags: str) -> None:
        referral_id = world.referral()
        again = world.get("workstation", f"/referrals/{referral_id}", **{"If-None-Match": tags})
        assert again.status_code == 304 and again.headers["ETag"] == '"2"'

    def test_a_stale_copy_gets_the_referral_and_the_read_is_recorded(
            self, world: HttpWorld) -> None:
        referral_id = world.referral()
        world.ok(world.post("workstation", f"/referrals/{referral_id}/notes", {"text": "n"}))
        answer = world.get("procuratorate", f"/referrals/{referral_id}",
                           **{"If-None-Match": '"2"'})
        assert answer.status_code == 200 and answer.headers["ETag"] == '"3"'
        assert answer.get_json()["subject"]["name"] and reads_of(world, referral_id) == 1

    def test_an_old_version_read_is_conditional_too(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        answer = world.get("workstation", f"/referrals/{referral_id}?version=1",
                           **{"If-None-Match": '"1"'})
        assert answer.status_code == 304 and answer.headers["ETag"] == '"1"'

    def test_a_copy_made_before_the_deadline_is_stale_after_it(self, world: HttpWorld) -> None:
        referral_id = submitted(world)
        path = f"/referrals/{referral_id}"
        assert world.get("workstation", path).get_json()["overdue"] is False
        world.clock.advance(hours=71)
        assert world.get("workstation", path, **{"If-None-Match": '"1"'}).status_code == 304
        world.clock.advance(hours=2)  # past the 72 h answer window, same version
        late = world.get("workstation", path, **{"If-None-Match": '"1"'})
        assert late.status_code == 200 and late.get_json()["overdue"] is True
        assert late.headers["ETag"] == '"1"'

    def test_a_non_party_learns_nothing(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        for tags in ("*", '"2"'):
            answer = world.get("school", f"/referrals/{referral_id}", **{"If-None-Match": tags})
            assert answer.status_code == 404

    @pytest.mark.parametrize("tags", ["2", '"two"', '"2" "3"', 'W/2'])
    def test_a_malformed_header_is_a_client_error(self, world: HttpWorld, tags: str) -> None:
        referral_id = world.referral()
        answer = world.get("workstation", f"/referrals/{referral_id}", **{"If-None-Match": tags})
        assert answer.status_code == 400
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert reads_of(world, referral_id) == 0


class TestCase:
    def assessed(self, world: HttpWorld) -> dict[str, Any]:
        case = world.case()
        return dict(world.ok(world.post("workstation", f"/cases/{case['id']}/risk-assessments",
                                        {"level": "orange", "factors": ["监护缺位"]})))

    def test_a_current_copy_is_not_sent_again_nor_recorded(self, world: HttpWorld) -> None:
        case = self.assessed(world)
        path = f"/cases/{case['id']}"
        for who in ("workstation", "inspector", "procuratorate"):  # full, masked, outcome only
            first = world.get(who, path)
            assert first.status_code == 200 and first.headers["ETag"] == '"2"'
            again = world.get(who, path, **{"If-None-Match": '"2"'})
            assert again.status_code == 304 and again.get_data() == b""
        assert reads_of(world, case["id"]) == 2  # the two 200s with personal data

    def test_a_copy_made_before_the_review_date_is_stale_after_it(
            self, world: HttpWorld) -> None:
        case = self.assessed(world)
        path = f"/cases/{case['id']}"
        assert world.get("workstation", path).get_json()["review_overdue"] is False
        world.clock.advance(days=29)
        assert world.get("workstation", path, **{"If-None-Match": '"2"'}).status_code == 304
        world.clock.advance(days=2)  # past the orange 30-day review, same version
        late = world.get("workstation", path, **{"If-None-Match": '"2"'})
        assert late.status_code == 200 and late.get_json()["review_overdue"] is True

    def test_a_non_party_learns_nothing(self, world: HttpWorld) -> None:
        case = world.case()
        answer = world.get("school", f"/cases/{case['id']}", **{"If-None-Match": "*"})
        assert answer.status_code == 404
