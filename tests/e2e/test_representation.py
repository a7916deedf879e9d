# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""Answers shaped without `dump` stay what the schemas say: byte-identical to `dump`, and valid
against the OpenAPI document generated from the same schemas."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema, fields
from openapi_schema_validator import OAS30Validator

from hub.representation import shape_of
from hub.schemas.cases import CasePageSchema, CaseSchema
from hub.schemas.referrals import ReferralPageSchema, ReferralSchema
from tests.case_world import HttpWorld, world  # noqa: F401 (fixture)

SCHEMAS: dict[str, tuple[type[Schema], str]] = {
    "referral": (ReferralSchema, "Referral"), "referral page": (ReferralPageSchema, "ReferralPage"),
    "case": (CaseSchema, "Case"), "case page": (CasePageSchema, "CasePage"),
}


def check(world: HttpWorld, answer: Any, kind: str) -> None:
    """The answer is what `dump` would have sent, and the OpenAPI schema accepts it."""
    assert answer.status_code in (200, 201), answer.get_json()
    schema, component = SCHEMAS[kind]
    flask_app = world.client.application
    dumped = flask_app.json.response(schema().dump(answer.get_json())).get_data()
    assert answer.get_data() == dumped
    document = world.client.get("/api/v1/openapi.json").get_json()
    OAS30Validator({"$ref": f"#/components/schemas/{component}",
                    "components": document["components"]},
                   ).validate(answer.get_json())


class TestShape:
    def test_it_keeps_declared_fields_in_declared_order_like_dump(self) -> None:
        view = {"updated_at": "2024-03-01T08:00:00.000000Z", "extra": 1, "id": "x",
                "version": 2, "subject": {"phone": "1", "name": "n", "guardian": None, "odd": 0},
                "notes": [{"at": "t", "by": {"user": "u", "agency": "a", "x": 1}, "text": "t"}],
                "questions": None, "overdue": False}
        assert list(shape_of(ReferralSchema)(view)) == list(ReferralSchema().dump(view))
        assert shape_of(ReferralSchema)(view) == ReferralSchema().dump(view)

    def test_a_field_kind_it_cannot_reproduce_is_refused_at_once(self) -> None:
        class Computed(Schema):
            total = fields.Method("count")

            def count(self, obj: Any) -> int:
                return len(obj)

        with pytest.raises(TypeError, match="Method"):
            shape_of(Computed)


class TestReferralAnswers:
    def test_every_referral_answer_matches_its_schema(self, world: HttpWorld) -> None:
        referral_id = world.referral()
        path = f"/referrals/{referral_id}"
        check(world, world.post("workstation", f"{path}/notes", {"text": "第一次家访（示例）"}),
              "referral")
        for who in ("procuratorate", "workstation", "inspector"):  # in full and masked
            check(world, world.get(who, path), "referral")
            check(world, world.get(who, "/referrals?box=all&limit=5"), "referral page")
        asked = world.ok(world.post("procuratorate", "/referrals", {
            "to_agency": "workstation", "category": "other", "urgency": "emergency",
            "reason": "r", "subject": {"name": "示例"}, "consent": {"basis": "self_consent"}}),
            201)
        world.ok(world.post("workstation", f"/referrals/{asked['id']}/request-info",
                            {"question": "q?"}))
        check(world, world.get("workstation", f"/referrals/{asked['id']}?version=2"), "referral")
        check(world, world.get("workstation", "/referrals?box=inbox"), "referral page")


class TestCaseAnswers:
    def test_every_case_answer_matches_its_schema(self, world: HttpWorld) -> None:
        case = world.case()
        path = f"/cases/{case['id']}"
        check(world, world.post("workstation", f"{path}/risk-assessments", {
            "level": "orange", "factors": ["监护缺位"]}), "case")
        for who in ("workstation", "ngc", "inspector", "procuratorate"):  # full, masked, outcome
            check(world, world.get(who, path), "case")
            check(world, world.get(who, "/cases?limit=5"), "case page")
