"""Agencies and tokens over HTTP: registration, the directory, issuing and revoking tokens."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.settings import Settings
from hub import create_app
from tests.e2e.hubclient import ADMIN, World, bearer

AGENCY = {"id": "womens-fed", "name": "示例区妇联", "kind": "womens_federation",
          "jurisdiction": "hubei/jingmen/dongbao"}


@pytest.fixture
def world(client: Any) -> World:
    return World(client).build()


def issue(world: World, agency: str, user: str, role: str, by: dict[str, str]) -> Any:
    return world.client.post(f"/api/v1/agencies/{agency}/tokens", json={"user": user,
                                                                         "role": role}, headers=by)


class TestRegistration:
    def test_the_hub_administrator_registers_an_agency(self, client: Any) -> None:
        answer = client.post("/api/v1/agencies", json={**AGENCY, "parent": None}, headers=ADMIN)
        assert answer.status_code == 201
        assert answer.headers["Location"] == "/api/v1/agencies/womens-fed"
        assert {k: answer.json[k] for k in AGENCY} == AGENCY
        assert answer.json["parent"] is None and answer.json["created_at"].endswith("Z")

    def test_a_parent_must_be_registered(self, world: World) -> None:
        child = {**AGENCY, "id": "branch", "parent": "school-a"}
        assert world.client.post("/api/v1/agencies", json=child, headers=ADMIN).status_code == 201
        orphan = {**AGENCY, "id": "orphan", "parent": "no-such"}
        answer = world.client.post("/api/v1/agencies", json=orphan, headers=ADMIN)
        assert answer.status_code == 422 and "parent" in answer.json["errors"]

    @pytest.mark.parametrize("field,value", [
        ("id", "A"), ("id", "Upper-Case"), ("id", "x" * 65), ("id", "has space"),
        ("kind", "ngo"), ("jurisdiction", "Hubei Jingmen"), ("jurisdiction", ""),
        ("name", ""), ("name", "n" * 201), ("extra", "field"),
    ])
    def test_bad_fields_are_named(self, client: Any, field: str, value: Any) -> None:
        answer = client.post("/api/v1/agencies", json={**AGENCY, field: value}, headers=ADMIN)
        assert answer.status_code == 422 and field in answer.json["errors"]

    def test_any_token_reads_the_directory(self, world: World) -> None:
        listed = world.get("outsider", "agencies")
        assert listed.status_code == 200
        assert [a["id"] for a in listed.json["items"]][:3] == ["school-a", "social-work-b",
                                                              "civil-affairs-c"]
        one = world.get("inspector", "agencies/court-x")
        assert one.status_code == 200 and one.json["jurisdiction"] == "hubei/xiangyang/xiangzhou"


class TestTokens:
    def test_the_token_is_shown_once_and_works(self, world: World) -> None:
        answer = issue(world, "court-x", "judge-wu", "staff", ADMIN)
        assert answer.status_code == 201
        assert set(answer.json) == {"token", "user", "role", "agency"}
        assert answer.json["agency"] == "court-x" and answer.json["role"] == "staff"
        me = world.client.get("/api/v1/agencies", headers=bearer(answer.json["token"]))
        assert me.status_code == 200

    def test_an_agency_admin_manages_its_own_tokens_only(self, world: World) -> None:
        admin = world.headers["referrer-admin"]
        made = issue(world, "school-a", "teacher-zhao", "staff", admin)
        assert made.status_code == 201
        assert issue(world, "court-x", "intruder", "admin", admin).status_code == 403
        gone = world.client.delete("/api/v1/agencies/school-a/tokens/teacher-zhao",
                                   headers=admin)
        assert gone.status_code == 200 and gone.json == {
            "agency": "school-a", "user": "teacher-zhao", "revoked": 1}
        denied = world.client.delete("/api/v1/agencies/court-x/tokens/outsider", headers=admin)
        assert denied.status_code == 403

    def test_only_the_hub_administrator_issues_inspector_tokens(self, world: World) -> None:
        own = issue(world, "school-a", "self-inspector", "inspector",
                    world.headers["referrer-admin"])
        assert own.status_code == 403
        assert issue(world, "school-a", "inspector-2", "inspector", ADMIN).status_code == 201

    def test_staff_may_not_issue(self, world: World) -> None:
        assert issue(world, "school-a", "x", "staff", world.headers["referrer"]).status_code == 403

    @pytest.mark.parametrize("body,field", [
        ({"user": "u", "role": "boss"}, "role"), ({"user": "has space", "role": "staff"}, "user"),
        ({"role": "staff"}, "user"), ({"user": "u", "role": "staff", "ttl": 3}, "ttl"),
    ])
    def test_bad_token_requests_are_named(self, world: World, body: dict[str, Any],
                                          field: str) -> None:
        answer = world.client.post("/api/v1/agencies/school-a/tokens", json=body, headers=ADMIN)
        assert answer.status_code == 422 and field in answer.json["errors"]

    def test_a_revocation_counts_at_once_in_another_worker(self, world: World,
                                                         settings: Settings) -> None:
        other = create_app({"TESTING": True, "HUB_SETTINGS": settings})  # a second worker
        try:
            worker, outsider = other.test_client(), world.headers["outsider"]
            assert worker.get("/api/v1/agencies", headers=outsider).status_code == 200
            world.client.delete("/api/v1/agencies/court-x/tokens/outsider", headers=ADMIN)
            assert worker.get("/api/v1/agencies", headers=outsider).status_code == 401
            fresh = bearer(issue(world, "court-x", "outsider", "staff", ADMIN).json["token"])
            assert worker.get("/api/v1/agencies", headers=fresh).status_code == 200
        finally:
            other.extensions["hub"].app.close()

    def test_unknown_agency_or_user_is_not_found(self, world: World) -> None:
        assert issue(world, "no-such", "u", "staff", ADMIN).status_code == 404
        missing = world.client.delete("/api/v1/agencies/school-a/tokens/nobody", headers=ADMIN)
        assert missing.status_code == 404

    def test_revoking_every_token_of_a_user(self, world: World) -> None:
        second = issue(world, "court-x", "outsider", "staff", ADMIN).json["token"]
        answer = world.client.delete("/api/v1/agencies/court-x/tokens/outsider", headers=ADMIN)
        assert answer.json["revoked"] == 2
        assert world.get("outsider", "agencies").status_code == 401
        assert world.client.get("/api/v1/agencies", headers=bearer(second)).status_code == 401
        again = world.client.delete("/api/v1/agencies/court-x/tokens/outsider", headers=ADMIN)
        assert again.status_code == 200 and again.json["revoked"] == 0
