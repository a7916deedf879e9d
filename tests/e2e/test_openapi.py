"""The OpenAPI document: served without a token, valid, generated from the schemas, complete."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from domain.agency import AGENCY_KINDS
from domain.referral import CATEGORIES, OUTCOMES
from hub.schemas.referrals import ACTION_SCHEMAS

DOC_ROUTES = {"/api/v1/openapi.json", "/api/v1/docs"}
PROBLEM = "application/problem+json"


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json)


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<int:number>` → `{number}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_api_route_and_method_is_documented(flask_app: Any,
                                                  document: dict[str, Any]) -> None:
    missing = []
    for rule in flask_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in DOC_ROUTES:
            continue
        path = document["paths"].get(openapi_path(rule.rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in path:
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_every_operation_needs_a_bearer_token(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                                   "scheme": "bearer"}
    assert document["security"] == [{"bearer": []}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("security", document["security"]) == [{"bearer": []}], path


def test_errors_are_documented_as_problem_documents(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    for name in ("BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT",
                 "PRECONDITION_FAILED", "REQUEST_ENTITY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
                 "UNPROCESSABLE_ENTITY", "DEFAULT_ERROR"):
        schema = responses[name]["content"][PROBLEM]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem)


def test_the_referral_routes_document_their_errors(document: dict[str, Any]) -> None:
    for action in ACTION_SCHEMAS:
        responses = document["paths"][f"/api/v1/referrals/{{referral_id}}/{action}"]["post"][
            "responses"]
        assert {"200", "400", "401", "403", "404", "409", "412", "413", "415", "422"} <= set(
            responses), action
        assert "ETag" in responses["200"]["headers"]
    submit = document["paths"]["/api/v1/referrals"]["post"]
    assert {"Location", "ETag", "Idempotent-Replayed"} <= set(submit["responses"]["201"]["headers"])
    headers = {p["name"] for p in submit["parameters"] if p["in"] == "header"}
    assert headers == {"Idempotency-Key"}


def test_request_schemas_come_from_the_domain_and_refuse_unknown_fields(
        document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    create = schemas["ReferralCreate"]
    assert create["additionalProperties"] is False
    assert create["properties"]["category"]["enum"] == list(CATEGORIES)
    assert set(create["required"]) == {"to_agency", "category", "urgency", "reason", "subject",
                                       "consent"}
    assert create["properties"]["respond_within_hours"]["maximum"] == 720
    assert schemas["Subject"]["additionalProperties"] is False
    assert schemas["Complete"]["properties"]["outcome"]["enum"] == list(OUTCOMES)
    assert schemas["AgencyCreate"]["properties"]["kind"]["enum"] == list(AGENCY_KINDS)
    assert schemas["AgencyCreate"]["properties"]["id"]["pattern"] == "^[a-z0-9-]{2,64}$"


def test_every_operation_has_a_summary(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("summary"), f"{method} {path}"


def test_every_integer_a_client_sends_is_documented_as_int64(document: dict[str, Any]) -> None:
    """The API refuses integers beyond 64 bits (StrictInteger); the document says so, so that
    generated clients and fuzzers stay within them."""
    schemas = document["components"]["schemas"]
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method == "parameters":  # the path's own: ids, and a report number found in memory
                continue
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    found.append((f"{method} {path} {parameter['name']}", parameter["schema"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                name = body["schema"]["$ref"].rsplit("/", 1)[1]
                for field, prop in schemas[name]["properties"].items():
                    if prop.get("type") == "integer":
                        found.append((f"{method} {path} body.{field}", prop))
    assert len(found) >= 8
    assert [where for where, schema in found if schema.get("format") != "int64"] == []
