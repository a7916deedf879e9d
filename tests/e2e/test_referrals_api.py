"""Referrals over HTTP: the whole life, redirect, decline, withdraw, ETags, idempotency, reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings
from tests.e2e.hubclient import SUBJECT, World, served_world


@pytest.fixture
def world(client: Any) -> World:
    return World(client).build()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A World on SQLite and on PostgreSQL in turn."""
    with served_world(str(request.param), tmp_path) as world:
        yield world


def step(world: World, user: str, rid: str, action: str, body: dict[str, Any] | None,
         version: int, status: str) -> Any:
    """One action with If-Match on the expected version; checks status, version and ETag."""
    answer = world.act(user, rid, action, body, headers={"If-Match": f'"{version}"'})
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == status
    assert answer.json["version"] == version + 1
    assert answer.headers["ETag"] == f'"{version + 1}"'
    return answer


class TestLife:
    def test_a_referral_lives_from_submission_to_acknowledgement(self, store_world: World) -> None:
        w = store_world
        created = w.submit()
        assert created.status_code == 201
        rid = created.json["id"]
        assert created.headers["Location"].endswith(f"/api/v1/referrals/{rid}")
        assert created.headers["ETag"] == '"1"'
        assert created.json["from_agency"] == "school-a"
        assert created.json["subject"] == SUBJECT
        step(w, "receiver", rid, "request-info", {"question": "School attendance?"}, 1,
             "info_requested")
        step(w, "referrer", rid, "provide-info", {"answer": "Absent 12 days."}, 2, "submitted")
        step(w, "receiver", rid, "accept", {"assignee": "worker-li"}, 3, "accepted")
        step(w, "referrer", rid, "notes", {"text": "Mother prefers evening visits."}, 4,
             "accepted")
        step(w, "receiver", rid, "notes", {"text": "First visit booked."}, 5, "accepted")
        step(w, "receiver", rid, "complete", {"outcome": "service_provided",
                                              "summary": "Eight sessions held."}, 6, "completed")
        step(w, "referrer", rid, "reopen", {"reason": "Attendance dropped again."}, 7,
             "accepted")
        step(w, "receiver", rid, "complete", {"outcome": "service_provided",
                                              "summary": "Four more sessions."}, 8, "completed")
        done = step(w, "referrer", rid, "acknowledge", {}, 9, "closed").json
        assert done["outcome"] == "service_provided"
        assert [n["text"] for n in done["notes"]] == ["Mother prefers evening visits.",
                                                      "First visit booked."]
        assert done["questions"][0]["answer"] == "Absent 12 days."
        assert done["parties"] == ["school-a", "social-work-b"]
        final = w.get("receiver", f"referrals/{rid}")
        assert final.status_code == 200 and final.headers["ETag"] == '"10"'

    def test_every_read_of_one_referral_names_its_version_in_the_etag(self, world: World) -> None:
        rid = world.new_referral()
        world.act("receiver", rid, "accept")
        old = world.get("referrer", f"referrals/{rid}?version=1")
        assert old.status_code == 200 and old.headers["ETag"] == '"1"'
        assert old.json["status"] == "submitted"

    def test_accept_and_acknowledge_need_no_body(self, world: World) -> None:
        rid = world.new_referral()
        answer = world.client.post(f"/api/v1/referrals/{rid}/accept",
                                   headers=world.headers["receiver"])
        assert answer.status_code == 200 and answer.json["status"] == "accepted"


class TestOtherEndings:
    def test_decline_is_final(self, store_world: World) -> None:
        rid = store_world.new_referral()
        step(store_world, "receiver", rid, "decline", {"reason": "Outside our remit."}, 1,
             "declined")
        late = store_world.act("receiver", rid, "accept")
        assert late.status_code == 409
        assert late.json["current_status"] == "declined" and late.json["allowed_actions"] == []

    def test_withdraw_is_final(self, world: World) -> None:
        rid = world.new_referral()
        world.act("receiver", rid, "request-info", {"question": "Which school?"})
        step(world, "referrer", rid, "withdraw", {"reason": "Family moved away."}, 2,
             "withdrawn")
        assert world.act("referrer", rid, "provide-info", {"answer": "x"}).status_code == 409

    def test_redirected_away_agency_still_sees_it_but_cannot_act(self,
                                                                 store_world: World) -> None:
        w = store_world
        rid = w.new_referral()
        moved = step(w, "receiver", rid, "redirect",
                     {"to_agency": "civil-affairs-c", "reason": "Needs assistance first."}, 1,
                     "submitted").json
        assert moved["to_agency"] == "civil-affairs-c"
        assert moved["parties"] == ["school-a", "social-work-b", "civil-affairs-c"]
        seen = w.get("receiver", f"referrals/{rid}")
        assert seen.status_code == 200 and seen.json["to_agency"] == "civil-affairs-c"
        assert w.act("receiver", rid, "accept").status_code == 403
        assert w.act("third", rid, "accept").status_code == 200

    def test_redirect_to_an_unknown_agency_names_the_field(self, world: World) -> None:
        rid = world.new_referral()
        answer = world.act("receiver", rid, "redirect", {"to_agency": "no-such", "reason": "x"})
        assert answer.status_code == 422 and "to_agency" in answer.json["errors"]


class TestConditionalRequests:
    def test_a_stale_if_match_gets_412_with_the_current_version(self, world: World) -> None:
        rid = world.new_referral()
        world.act("receiver", rid, "accept")
        stale = world.act("referrer", rid, "notes", {"text": "x"}, headers={"If-Match": '"1"'})
        assert stale.status_code == 412 and stale.json["current_version"] == 2

    def test_weak_and_star_if_match_are_accepted(self, world: World) -> None:
        rid = world.new_referral()
        assert world.act("receiver", rid, "accept",
                         headers={"If-Match": 'W/"1"'}).status_code == 200
        assert world.act("receiver", rid, "notes", {"text": "x"},
                         headers={"If-Match": "*"}).status_code == 200

    @pytest.mark.parametrize("value", ["1", '"one"', '"1", "2"', 'W/1'])
    def test_a_malformed_if_match_is_a_bad_request(self, world: World, value: str) -> None:
        rid = world.new_referral()
        answer = world.act("receiver", rid, "accept", headers={"If-Match": value})
        assert answer.status_code == 400 and "If-Match" in answer.json["detail"]


class TestIdempotency:
    def test_a_retried_post_returns_the_first_response(self, store_world: World) -> None:
        world = store_world
        key = {"Idempotency-Key": "school-a-2024-0001"}
        first = world.submit(headers=key)
        world.act("receiver", first.json["id"], "accept")
        again = world.submit(headers=key)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["ETag"] == '"1"'
        assert {k: v for k, v in again.json.items() if k != "overdue"} == {
            k: v for k, v in first.json.items() if k != "overdue"}

    def test_the_same_key_with_another_body_is_refused(self, world: World) -> None:
        key = {"Idempotency-Key": "k-1"}
        assert world.submit(headers=key).status_code == 201
        other = world.submit(headers=key, reason="Something else entirely.")
        assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]

    def test_keys_are_per_agency(self, world: World) -> None:
        key = {"Idempotency-Key": "shared-key"}
        mine = world.submit(headers=key)
        theirs = world.submit("outsider", headers=key)
        assert theirs.status_code == 201 and theirs.json["id"] != mine.json["id"]

    def test_an_overlong_key_is_refused_by_name(self, world: World) -> None:
        answer = world.submit(headers={"Idempotency-Key": "k" * 201})
        assert answer.status_code == 422 and "Idempotency-Key" in answer.json["errors"]

    def test_a_replay_after_a_restart_returns_the_first_referral(self, flask_app: Any,
                                                                 settings: Settings) -> None:
        from hub import create_app

        world = World(flask_app.test_client()).build()
        key = {"Idempotency-Key": "before-restart"}
        first = world.submit(headers=key)
        flask_app.extensions["hub"].app.close()
        restarted = create_app({"TESTING": True, "HUB_SETTINGS": settings})
        try:
            world.client = restarted.test_client()
            again = world.submit(headers=key)
            assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
            assert again.json["id"] == first.json["id"]
        finally:
            restarted.extensions["hub"].app.close()


class TestReads:
    def test_as_of_a_moment_before_a_change_shows_the_earlier_state(self, world: World) -> None:
        rid = world.new_referral()
        between = datetime.now(UTC)
        world.act("receiver", rid, "accept")
        then = world.client.get(f"/api/v1/referrals/{rid}", query_string={
            "as_of": between.isoformat()}, headers=world.headers["referrer"])
        assert then.status_code == 200 and then.json["status"] == "submitted"
        before = (between - timedelta(days=1)).isoformat()
        gone = world.client.get(f"/api/v1/referrals/{rid}", query_string={"as_of": before},
                                headers=world.headers["referrer"])
        assert gone.status_code == 404

    @pytest.mark.parametrize("query,field", [
        ({"version": "0"}, "version"), ({"version": "two"}, "version"),
        ({"as_of": "yesterday"}, "as_of"), ({"as_of": "2024-01-01T00:00:00"}, "as_of"),
        ({"version": "1", "as_of": "2024-01-01T00:00:00Z"}, "as_of"), ({"page": "2"}, "page"),
    ])
    def test_bad_read_parameters_are_named(self, world: World, query: dict[str, str],
                                           field: str) -> None:
        rid = world.new_referral()
        answer = world.client.get(f"/api/v1/referrals/{rid}", query_string=query,
                                  headers=world.headers["referrer"])
        assert answer.status_code == 422 and field in answer.json["errors"]

    @pytest.mark.parametrize("moment,status", [
        ("9999-12-31T23:59:59-12:00", 200), ("0001-01-01T00:00:00+14:00", 404),
        ("2999-01-01T00:00:00Z", 200), ("99999999999999999999", 422),
    ])
    def test_extreme_moments_are_answered(self, world: World, moment: str, status: int) -> None:
        rid = world.new_referral()
        answer = world.client.get(f"/api/v1/referrals/{rid}", query_string={"as_of": moment},
                                  headers=world.headers["referrer"])
        assert answer.status_code == status, answer.json

    def test_a_version_past_the_last_is_not_found(self, world: World) -> None:
        rid = world.new_referral()
        assert world.get("referrer", f"referrals/{rid}?version=2").status_code == 404

    def test_respond_within_hours_sets_the_deadline(self, world: World) -> None:
        made = world.submit(respond_within_hours=2, urgency="routine").json
        created = datetime.fromisoformat(made["created_at"])
        assert datetime.fromisoformat(made["respond_by"]) - created == timedelta(hours=2)


class TestList:
    def test_pages_run_newest_first_without_gaps_or_repeats(self, store_world: World) -> None:
        w = store_world
        made = [w.new_referral() for _ in range(5)]
        seen: list[str] = []
        cursor = None
        while True:
            query = {"box": "inbox", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = w.page("receiver", **query)
            assert page.status_code == 200, page.json
            seen += [item["id"] for item in page.json["items"]]
            cursor = page.json["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(made))

    def test_a_non_party_finds_nothing(self, store_world: World) -> None:
        rid = store_world.new_referral()
        assert store_world.get("outsider", f"referrals/{rid}").status_code == 404
        assert store_world.act("outsider", rid, "decline", {"reason": "x"}).status_code == 404
        for box in ("inbox", "outbox", "all"):
            assert store_world.page("outsider", box=box).json["items"] == []

    def test_a_caller_sees_its_own_write_at_once(self, world: World) -> None:
        rid = world.new_referral()
        world.act("receiver", rid, "accept")
        items = world.page("referrer", box="outbox").json["items"]
        assert [(i["id"], i["status"], i["version"]) for i in items] == [(rid, "accepted", 2)]

    def test_filters(self, world: World) -> None:
        kept = world.new_referral(category="elderly_care")
        other = world.new_referral()
        world.act("receiver", other, "accept")

        def ids(**query: Any) -> list[str]:
            return [i["id"] for i in world.page("receiver", **query).json["items"]]

        assert ids(category="elderly_care") == [kept]
        assert ids(status="accepted") == [other]
        assert ids(status="submitted", category="elderly_care") == [kept]
        assert ids(overdue="true") == []
        assert set(ids(overdue="false")) == {kept, other}

    @pytest.mark.parametrize("query,field", [
        ({"box": "archive"}, "box"), ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"), ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMl0"}, "cursor"), ({"status": "lost"}, "status"),
        ({"category": "x"}, "category"), ({"overdue": "maybe"}, "overdue"),
        ({"sort": "asc"}, "sort"),
    ])
    def test_bad_list_parameters_are_named(self, world: World, query: dict[str, str],
                                           field: str) -> None:
        answer = world.page("referrer", **query)
        assert answer.status_code == 422, answer.json
        assert field in answer.json["errors"]
