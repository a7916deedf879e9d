"""Agencies and their users' tokens: registered by the hub administrator, listed for everyone."""

from __future__ import annotations

from typing import Any

from hub.api import Blueprint
from hub.app import hub
from hub.auth import caller
from hub.errors import problems
from hub.presenters import agency_view
from hub.representation import resource_path
from hub.schemas.agencies import (
    AgencyCreateSchema,
    AgencyListSchema,
    AgencySchema,
    TokenIssuedSchema,
    TokenRequestSchema,
    TokensRevokedSchema,
)

blp = Blueprint("agencies", __name__, url_prefix="/api/v1", description="Agencies and tokens.")


@blp.post("/agencies")
@blp.arguments(AgencyCreateSchema)
@blp.response(201, AgencySchema, headers={"Location": {"schema": {"type": "string"}}})
@problems(blp, 400, 403, 409, 413, 415, 422)
def register_agency(fields: dict[str, Any]) -> Any:
    """Register an agency (hub administrator)."""
    agency = hub().app.register_agency(caller(), **fields)
    location = resource_path("agencies", agency.slug)
    return agency_view(agency), {"Location": location}


@blp.get("/agencies")
@blp.response(200, AgencyListSchema)
@problems(blp)
def list_agencies() -> Any:
    """Every registered agency, in registration order."""
    return {"items": [agency_view(a) for a in hub().app.list_agencies()]}


@blp.get("/agencies/<agency_id>")
@blp.response(200, AgencySchema)
@problems(blp, 404)
def get_agency(agency_id: str) -> Any:
    """One registered agency."""
    return agency_view(hub().app.get_agency(agency_id))


@blp.post("/agencies/<agency_id>/tokens")
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenIssuedSchema)
@problems(blp, 400, 403, 404, 413, 415, 422)
def issue_token(fields: dict[str, Any], agency_id: str) -> Any:
    """Issue a token to a user of the agency (hub administrator or the agency's admin)."""
    token = hub().app.issue_token(caller(), agency=agency_id, **fields)
    return {"token": token, "agency": agency_id, **fields}


@blp.delete("/agencies/<agency_id>/tokens/<user>")
@blp.response(200, TokensRevokedSchema)
@problems(blp, 403, 404)
def revoke_tokens(agency_id: str, user: str) -> Any:
    """Revoke every token of a user of the agency (hub administrator or the agency's admin)."""
    revoked = hub().app.revoke_tokens(caller(), agency=agency_id, user=user)
    return {"agency": agency_id, "user": user, "revoked": revoked}
