"""Schemas of agencies and their users' tokens."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.agency import AGENCY_KINDS
from domain.base import ROLES
from hub.schemas.common import JURISDICTION, USER, StrictSchema, Whole, choice, slug, text


class AgencyCreateSchema(StrictSchema):
    """An agency to register (hub administrator only)."""

    id = slug(metadata={"description": "The agency's slug, used in every reference to it."})
    name = text(200)
    kind = choice(AGENCY_KINDS)
    jurisdiction = fields.String(required=True, validate=[
        validate.Length(min=1, max=200),
        Whole(JURISDICTION, error="A slash path such as 'hubei/jingmen/dongbao'.")])
    parent = slug(required=False, metadata={"description": "A registered agency above it."})


class AgencySchema(Schema):
    """A registered agency."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(AGENCY_KINDS)})
    jurisdiction = fields.String(required=True)
    parent = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})


class AgencyListSchema(Schema):
    """Every registered agency, in registration order."""

    items = fields.List(fields.Nested(AgencySchema), required=True)


class TokenRequestSchema(StrictSchema):
    """A token to issue for one user of the agency."""

    user = fields.String(required=True, validate=Whole(
        USER, error="1-64 characters of letters, digits and '._@-'."))
    role = choice(ROLES)


class TokenIssuedSchema(Schema):
    """A newly issued bearer token: shown this once, stored only as a hash."""

    token = fields.String(required=True)
    user = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    agency = fields.String(required=True)


class TokensRevokedSchema(Schema):
    """How many live tokens of the user were revoked."""

    agency = fields.String(required=True)
    user = fields.String(required=True)
    revoked = fields.Integer(required=True)
