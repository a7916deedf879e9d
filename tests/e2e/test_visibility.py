"""Who sees what: non-parties never learn a referral exists; inspectors read masked, never act."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import AccessLog, access_log_id
from domain.privacy import HIDDEN
from hub.schemas.referrals import ACTION_SCHEMAS
from tests.e2e.hubclient import ADMIN, SUBJECT, World

# A valid body for each action, so only visibility can refuse it.
BODIES: dict[str, dict[str, Any]] = {
    "accept": {}, "decline": {"reason": "r"}, "redirect": {"to_agency": "court-x", "reason": "r"},
    "request-info": {"question": "q"}, "provide-info": {"answer": "a"},
    "withdraw": {"reason": "r"}, "notes": {"text": "t"},
    "complete": {"outcome": "other", "summary": "s"}, "acknowledge": {}, "reopen": {"reason": "r"},
}


@pytest.fixture
def world(client: Any) -> World:
    return World(client).build()


@pytest.fixture
def referral_id(world: World) -> str:
    return world.new_referral()


def reads(world: World, referral_id: str) -> list[dict[str, Any]]:
    """The access records of a referral, read from the store."""
    application = world.client.application.extensions["hub"].app
    return list(application.load(access_log_id(referral_id), AccessLog).reads)


def masked(subject: dict[str, Any]) -> bool:
    return (subject["name"] == SUBJECT["name"][0] + "*" and subject["id_number"] == HIDDEN
            and subject["phone"] == HIDDEN and subject["guardian"]["phone"] == HIDDEN)


class TestNonParty:
    def test_get_is_not_found(self, world: World, referral_id: str) -> None:
        answer = world.get("outsider", f"referrals/{referral_id}")
        assert answer.status_code == 404
        assert world.get("outsider", f"referrals/{referral_id}?version=1").status_code == 404

    def test_not_found_looks_like_no_such_referral(self, world: World, referral_id: str) -> None:
        hidden = world.get("outsider", f"referrals/{referral_id}").json
        absent = world.get("outsider", "referrals/6f1c3e0e-0000-4000-8000-000000000000").json
        assert {k: v for k, v in hidden.items() if k != "request_id"} == {
            k: v for k, v in absent.items() if k != "request_id"}

    @pytest.mark.parametrize("action", list(ACTION_SCHEMAS))
    def test_every_action_is_not_found(self, world: World, referral_id: str,
                                       action: str) -> None:
        assert world.act("outsider", referral_id, action, BODIES[action]).status_code == 404

    def test_a_stale_if_match_still_answers_not_found(self, world: World,
                                                      referral_id: str) -> None:
        answer = world.act("outsider", referral_id, "notes", {"text": "t"},
                           headers={"If-Match": '"7"'})
        assert answer.status_code == 404

    def test_it_is_in_no_list(self, world: World, referral_id: str) -> None:
        for box in ("inbox", "outbox", "all"):
            answer = world.page("outsider", box=box)
            assert answer.status_code == 200, answer.json
            assert referral_id not in [item["id"] for item in answer.json["items"]]

    def test_the_hub_administrator_sees_no_referrals(self, world: World,
                                                     referral_id: str) -> None:
        got = world.client.get(f"/api/v1/referrals/{referral_id}", headers=ADMIN)
        assert got.status_code == 404
        listed = world.client.get("/api/v1/referrals", headers=ADMIN)
        assert listed.status_code == 200 and listed.json["items"] == []
        assert world.client.post(f"/api/v1/referrals/{referral_id}/accept", json={},
                                 headers=ADMIN).status_code == 404


class TestParties:
    def test_lists_show_inbox_and_outbox(self, world: World, referral_id: str) -> None:
        def ids(user: str, box: str) -> list[str]:
            return [item["id"] for item in world.page(user, box=box).json["items"]]

        assert referral_id in ids("referrer", "outbox") and referral_id in ids("referrer", "all")
        assert referral_id not in ids("referrer", "inbox")
        assert referral_id in ids("receiver", "inbox")
        assert referral_id not in ids("receiver", "outbox")

    def test_list_items_mask_the_subject(self, world: World, referral_id: str) -> None:
        items = world.page("receiver", box="inbox").json["items"]
        assert masked(next(i for i in items if i["id"] == referral_id)["subject"])

    def test_a_read_is_kept_on_record_with_its_purpose(self, world: World,
                                                       referral_id: str) -> None:
        world.get("receiver", f"referrals/{referral_id}", headers={"X-Purpose": "home visit"})
        world.get("referrer", f"referrals/{referral_id}?version=1")
        records = reads(world, referral_id)
        assert [(r["actor"]["agency"], r["purpose"], r["view"]) for r in records] == [
            ("social-work-b", "home visit", "current"), ("school-a", None, "version 1")]

    def test_an_overlong_purpose_is_refused(self, world: World, referral_id: str) -> None:
        answer = world.get("receiver", f"referrals/{referral_id}",
                           headers={"X-Purpose": "p" * 201})
        assert answer.status_code == 422 and "X-Purpose" in answer.json["errors"]


class TestInspectors:
    def test_an_inspector_over_the_parties_reads_it_masked(self, world: World,
                                                           referral_id: str) -> None:
        answer = world.get("inspector", f"referrals/{referral_id}", headers={"X-Purpose": "audit"})
        assert answer.status_code == 200 and answer.headers["ETag"] == '"1"'
        assert masked(answer.json["subject"])
        assert reads(world, referral_id)[-1]["role"] == "inspector"

    def test_an_inspector_lists_it_masked(self, world: World, referral_id: str) -> None:
        answer = world.page("inspector")
        assert answer.status_code == 200
        listed = [i for i in answer.json["items"] if i["id"] == referral_id]
        assert listed and masked(listed[0]["subject"])

    @pytest.mark.parametrize("action", list(ACTION_SCHEMAS))
    def test_an_inspector_may_not_act(self, world: World, referral_id: str, action: str) -> None:
        assert world.act("inspector", referral_id, action, BODIES[action]).status_code == 403

    def test_outside_its_jurisdiction_it_is_not_found(self, world: World,
                                                      referral_id: str) -> None:
        assert world.get("far-inspector", f"referrals/{referral_id}").status_code == 404
        assert world.act("far-inspector", referral_id, "accept").status_code == 404
        items = world.page("far-inspector").json["items"]
        assert referral_id not in [item["id"] for item in items]
