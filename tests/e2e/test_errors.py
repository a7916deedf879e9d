"""The contract's error table, row by row, over HTTP; and bad bodies never cause a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.hubclient import World, referral_body
from tests.e2e.strategies import JSON, TEXT

PROBLEM = "application/problem+json"


@pytest.fixture
def world(client: Any) -> World:
    return World(client).build()


def assert_problem(answer: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 document with that status, and no stack trace in it."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == PROBLEM
    body: dict[str, Any] = answer.json
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    assert "Traceback" not in answer.get_data(as_text=True)
    return body


def post_raw(world: World, path: str, data: bytes | str, content_type: str | None,
             user: str = "referrer") -> Any:
    headers = dict(world.headers[user])
    if content_type is not None:
        headers["Content-Type"] = content_type
    return world.client.post(f"/api/v1/{path}", data=data, headers=headers)


class Test400:
    @pytest.mark.parametrize("data", ["{", "not json", '{"a": }', "\xff"])
    def test_a_body_that_is_not_json(self, world: World, data: str) -> None:
        assert_problem(post_raw(world, "referrals", data, "application/json"), 400)

    @pytest.mark.parametrize("data", ["[]", "[1, 2]", '"text"', "42", "null", "true"])
    def test_a_body_that_is_not_an_object(self, world: World, data: str) -> None:
        assert_problem(post_raw(world, "referrals", data, "application/json"), 400)

    def test_an_action_body_that_is_not_an_object(self, world: World) -> None:
        rid = world.new_referral()
        assert_problem(post_raw(world, f"referrals/{rid}/withdraw", "[]", "application/json"),
                       400)

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
    def test_a_json_body_not_in_utf_8(self, world: World, encoding: str) -> None:
        """json itself would read these; the API takes UTF-8 only (RFC 8259), parsed once."""
        data = json.dumps(referral_body()).encode(encoding)
        assert_problem(post_raw(world, "referrals", data, "application/json"), 400)

    def test_a_body_is_parsed_once(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        """The arguments parser takes the body the body guard parsed (hub.api.BodyParser)."""
        def parse_again(*_: Any, **__: Any) -> Any:
            raise AssertionError("the body was parsed a second time")

        monkeypatch.setattr("webargs.core.parse_json", parse_again)
        assert world.submit().status_code == 201


class Test401:
    def test_no_token(self, world: World) -> None:
        answer = world.client.get("/api/v1/referrals")
        assert_problem(answer, 401)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("header", ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer ", "x"])
    def test_an_unknown_token_or_scheme(self, world: World, header: str) -> None:
        answer = world.client.get("/api/v1/agencies", headers={"Authorization": header})
        assert_problem(answer, 401)

    def test_a_revoked_token(self, world: World) -> None:
        assert world.get("outsider", "agencies").status_code == 200
        revoked = world.client.delete("/api/v1/agencies/court-x/tokens/outsider",
                                      headers={"Authorization": "Bearer test-hub-admin-token"})
        assert revoked.status_code == 200 and revoked.json["revoked"] == 1
        assert_problem(world.get("outsider", "agencies"), 401)

    def test_the_token_is_checked_before_the_body(self, world: World) -> None:
        answer = world.client.post("/api/v1/referrals", data="not json",
                                   content_type="text/plain")
        assert_problem(answer, 401)


class Test403:
    def test_a_body_naming_another_referrer(self, world: World) -> None:
        assert_problem(world.submit(from_agency="civil-affairs-c"), 403)

    def test_naming_the_callers_own_agency_as_referrer_is_fine(self, world: World) -> None:
        assert world.submit(from_agency="school-a").status_code == 201

    def test_the_wrong_party(self, world: World) -> None:
        rid = world.new_referral()
        assert_problem(world.act("referrer", rid, "accept"), 403)

    def test_an_inspector_cannot_act_or_submit(self, world: World) -> None:
        rid = world.new_referral()
        assert_problem(world.act("inspector", rid, "notes", {"text": "x"}), 403)
        assert_problem(world.submit("inspector", to_agency="school-a"), 403)

    def test_staff_cannot_register_agencies_or_issue_tokens(self, world: World) -> None:
        answer = world.client.post("/api/v1/agencies", headers=world.headers["referrer"], json={
            "id": "new-agency", "name": "N", "kind": "other", "jurisdiction": "hubei"})
        assert_problem(answer, 403)
        answer = world.client.post("/api/v1/agencies/school-a/tokens", json={
            "user": "x", "role": "admin"}, headers=world.headers["referrer"])
        assert_problem(answer, 403)


class Test404:
    def test_no_such_referral(self, world: World) -> None:
        assert_problem(world.get("referrer", "referrals/6f1c3e0e-0000-4000-8000-000000000000"),
                       404)
        assert_problem(world.get("referrer", "referrals/not-a-uuid"), 404)

    def test_no_such_route_or_agency(self, world: World) -> None:
        assert_problem(world.get("referrer", "nothing-here"), 404)
        assert_problem(world.get("referrer", "agencies/no-such"), 404)
        rid = world.new_referral()
        assert_problem(world.act("receiver", rid, "approve"), 404)


class Test409:
    def test_detail_names_the_status_and_the_allowed_actions(self, world: World) -> None:
        rid = world.new_referral()
        body = assert_problem(world.act("receiver", rid, "complete", {
            "outcome": "other", "summary": "x"}), 409)
        assert "submitted" in body["detail"]
        for action in ("accept", "decline", "redirect", "request-info"):
            assert action in body["detail"]
        assert body["current_status"] == "submitted"
        assert body["allowed_actions"] == ["accept", "decline", "redirect", "request-info",
                                           "withdraw"]

    def test_registering_an_agency_twice(self, world: World) -> None:
        answer = world.client.post("/api/v1/agencies", json={
            "id": "school-a", "name": "Again", "kind": "school", "jurisdiction": "hubei"},
            headers={"Authorization": "Bearer test-hub-admin-token"})
        assert_problem(answer, 409)


class Test412:
    def test_if_match_names_an_old_version(self, world: World) -> None:
        rid = world.new_referral()
        world.act("receiver", rid, "request-info", {"question": "?"})
        body = assert_problem(world.act("referrer", rid, "provide-info", {"answer": "!"},
                                        headers={"If-Match": '"1"'}), 412)
        assert body["current_version"] == 2


class Test413:
    def test_a_body_over_one_mebibyte(self, world: World) -> None:
        big = json.dumps(referral_body(reason="x" * (1024 * 1024)))
        assert_problem(post_raw(world, "referrals", big, "application/json"), 413)


class Test415:
    @pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                              None])
    def test_a_body_not_declared_as_json(self, world: World, content_type: str | None) -> None:
        body = json.dumps(referral_body())
        assert_problem(post_raw(world, "referrals", body, content_type), 415)


class Test422:
    def test_unknown_fields_are_refused_by_name(self, world: World) -> None:
        body = assert_problem(world.submit(priority="high"), 422)
        assert body["errors"] == {"priority": ["Unknown field."]}

    def test_unknown_nested_fields_are_refused_by_path(self, world: World) -> None:
        subject = {"name": "x", "guardian": {"name": "y", "relation": "father", "age": 40}}
        body = assert_problem(world.submit(subject=subject), 422)
        assert "subject.guardian.age" in body["errors"]

    @pytest.mark.parametrize("raw,field", [
        (b'"reason": "\\ud800 asks for help"', "reason"),
        (b'"reason": "asks \\uDFFF"', "reason"),
        (b'"reason": "\xed\xa0\x80 raw surrogate bytes"', "reason"),
        (b'"subject": {"name": "\\udc00"}', "subject.name"),
        (b'"subject": {"name": "x", "\\ud83d": "y"}', "subject.\\ud83d"),
        (b'"attachments": ["ok", "\\ud800"]', "attachments.1"),
    ])
    def test_text_that_is_not_unicode_is_refused_by_path(self, world: World, raw: bytes,
                                                         field: str) -> None:
        """json accepts an escaped unpaired surrogate; nothing can store or send it as UTF-8
        (it was a 500 at the event's hashing). A field-level 422 names where it is."""
        body = referral_body()
        name = raw.split(b'"')[1].decode()
        body.pop(name, None)
        data = json.dumps(body).encode()[:-1] + b", " + raw + b"}"
        before = len(world.client.get("/api/v1/referrals?box=outbox",
                                      headers=world.headers["referrer"]).json["items"])
        problem = assert_problem(post_raw(world, "referrals", data, "application/json"), 422)
        assert list(problem["errors"]) == [field]
        after = world.client.get("/api/v1/referrals?box=outbox", headers=world.headers["referrer"])
        assert len(after.json["items"]) == before  # nothing was written

    def test_a_body_nested_too_deeply_is_refused_by_path(self, world: World) -> None:
        body = referral_body()
        data = json.dumps(body)[:-1] + ', "subject": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
        problem = assert_problem(post_raw(world, "referrals", data, "application/json"), 422)
        assert list(problem["errors"]) == ["subject" + ".a" * 31]

    @pytest.mark.parametrize("data", ["[" * 100_000 + "]" * 100_000,
                                      '{"reason": ' + "[" * 50_000 + "]" * 50_000 + "}"])
    def test_a_body_too_deep_even_to_parse_is_a_400(self, world: World, data: str) -> None:
        """It was a 500: json's parser gives up with a RecursionError, not a ValueError."""
        assert_problem(post_raw(world, "referrals", data, "application/json"), 400)

    @pytest.mark.parametrize("path", ["referrals", "cases"])
    @pytest.mark.parametrize("raw", [b'["\\ud800", "x"]', b'["2025-01-01", "\\udfff"]',
                                     b"[" * 3000 + b"]" * 3000])
    def test_a_forged_cursor_is_refused_by_name(self, world: World, path: str,
                                                raw: bytes) -> None:
        """A cursor is base64 of JSON the client can forge: it was a 500 when its strings held
        unpaired surrogates (they reached the store's query)."""
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        answer = world.get("receiver", f"{path}?cursor={cursor}")
        assert "cursor" in assert_problem(answer, 422)["errors"]

    @pytest.mark.parametrize("query,field", [
        ("from=0001-01-01T00:00:00%2B01:00", "from"), ("to=9999-12-31T23:59:59-01:00", "to"),
        ("from=2026-02-01T00:00:00&to=2026-01-01T00:00:00Z", "to"),
    ])
    @pytest.mark.parametrize("path", ["stats", "stats/plot.svg"])
    def test_a_statistics_period_that_is_no_period(self, world: World, path: str, query: str,
                                                   field: str) -> None:
        """A moment with no UTC time, or a naive end before an aware start: each was a 500."""
        answer = world.get("receiver", f"{path}?{query}")
        assert field in assert_problem(answer, 422)["errors"]

    def test_a_naive_and_an_aware_end_make_a_period(self, world: World) -> None:
        answer = world.get("receiver", "stats?from=2026-01-01T00:00:00&to=2026-02-01T00:00:00Z")
        assert answer.status_code == 200, answer.json

    @pytest.mark.parametrize("path,field", [
        (f"audit/log?after={2**63}", "after"),
        (f"audit/proofs/inclusion?position={2**63}&tree_size=1", "position"),
        (f"audit/proofs/consistency?old_size=0&new_size={2**64}", "new_size"),
    ])
    def test_integers_beyond_64_bits_are_refused_by_name(self, world: World, path: str,
                                                         field: str) -> None:
        """audit/log?after=2**63 reached SQLite, which holds 64-bit integers: it was a 500."""
        assert field in assert_problem(world.get("receiver", path), 422)["errors"]

    @pytest.mark.parametrize("path,body,field", [
        ("agencies", {"id": "new-agency\n", "name": "N", "kind": "other",
                      "jurisdiction": "hubei"}, "id"),
        ("agencies", {"id": "new-agency", "name": "N", "kind": "other",
                      "jurisdiction": "hubei\n"}, "jurisdiction"),
        ("agencies", {"id": "new-agency", "name": "N", "kind": "other",
                      "jurisdiction": "hubei", "parent": "school-a\n"}, "parent"),
        ("agencies/school-a/tokens", {"user": "bob\n", "role": "staff"}, "user"),
    ])
    def test_an_identifier_with_a_trailing_newline_is_refused_by_name(
            self, world: World, path: str, body: dict[str, Any], field: str) -> None:
        """`$` in the patterns also matched before a final newline: "new-agency\n" was
        registered as an agency id, "hubei\n" as a jurisdiction."""
        answer = world.client.post(f"/api/v1/{path}", json=body,
                                   headers={"Authorization": "Bearer test-hub-admin-token"})
        assert field in assert_problem(answer, 422)["errors"]

    @pytest.mark.parametrize("month", ["0000-01", "9999-12", "\u0662\u0660\u0662\u0666-01",
                                       "2026-01%0A", "2026-1", "2026-13"])
    def test_a_summary_month_that_is_no_month_is_refused_by_name(self, world: World,
                                                                 month: str) -> None:
        """Year 0000 (no such date) and 9999-12 (no month after it to bound it) were 500s."""
        answer = world.get("receiver", f"cases/summary?month={month}")
        assert "month" in assert_problem(answer, 422)["errors"]

    @pytest.mark.parametrize("month", ["0001-01", "2026-01", "9998-12"])
    def test_a_summary_month_in_the_calendar(self, world: World, month: str) -> None:
        answer = world.get("receiver", f"cases/summary?month={month}")
        assert answer.status_code == 200 and answer.json["month"] == month

    def test_a_paired_surrogate_escape_is_ordinary_text(self, world: World) -> None:
        body = referral_body()
        data = json.dumps({**body, "reason": "\U0001F600 smiles"}).encode()  # \ud83d\ude00
        assert b"\\ud83d\\ude00" in data
        assert post_raw(world, "referrals", data, "application/json").status_code == 201

    @pytest.mark.parametrize("field,value", [
        ("category", "housing"), ("urgency", "soon"), ("risk_level", "green"),
        ("to_agency", "Bad Slug!"), ("reason", ""), ("reason", "x" * 4001),
        ("respond_within_hours", 0), ("respond_within_hours", 721),
        ("respond_within_hours", "12"), ("respond_within_hours", True),
        ("consent", {"basis": "implied"}), ("subject", {"id_number": "1"}),
    ])
    def test_field_rules(self, world: World, field: str, value: Any) -> None:
        body = assert_problem(world.submit(**{field: value}), 422)
        assert any(name == field or name.startswith(field + ".") for name in body["errors"])

    def test_missing_required_fields(self, world: World) -> None:
        answer = world.client.post("/api/v1/referrals", json={},
                                   headers=world.headers["referrer"])
        body = assert_problem(answer, 422)
        assert {"to_agency", "category", "urgency", "reason", "subject", "consent"} <= set(
            body["errors"])

    def test_an_action_body_is_checked(self, world: World) -> None:
        rid = world.new_referral()
        body = assert_problem(world.act("receiver", rid, "decline", {"because": "x"}), 422)
        assert set(body["errors"]) == {"because", "reason"}

    def test_a_bad_birth_date(self, world: World) -> None:
        body = assert_problem(world.submit(subject={"name": "x", "birth_date": "2009-13-01"}),
                              422)
        assert "subject.birth_date" in body["errors"]




def post_json(world: World, path: str, body: Any, user: str) -> Any:
    """POST `body` as json.dumps writes it (ASCII, escapes: a lone surrogate goes as \\udXXX)."""
    return world.client.post(path, data=json.dumps(body), content_type="application/json",
                             headers=world.headers[user])
FIELDS = list(referral_body())


@pytest.fixture
def referral_id(world: World) -> str:
    return world.new_referral()


class TestFuzz:
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=JSON)
    def test_any_json_body_gets_a_problem_or_a_referral(self, world: World, body: Any) -> None:
        answer = post_json(world, "/api/v1/referrals", body, "referrer")
        assert answer.status_code in (201, 400, 422), answer.get_data(as_text=True)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(changes=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3))
    def test_a_valid_body_with_fields_spoiled(self, world: World, changes: dict[str, Any]) -> None:
        answer = post_json(world, "/api/v1/referrals", referral_body(**changes), "referrer")
        assert answer.status_code in (201, 422), answer.get_data(as_text=True)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(action=st.sampled_from(["accept", "decline", "redirect", "request-info", "notes",
                                   "complete"]),
           body=st.dictionaries(TEXT, JSON, max_size=3))
    def test_any_action_body(self, world: World, referral_id: str, action: str,
                             body: dict[str, Any]) -> None:
        answer = post_json(world, f"/api/v1/referrals/{referral_id}/{action}", body, "receiver")
        assert answer.status_code in (200, 409, 422), answer.get_data(as_text=True)
