"""Schemas of referrals: submission, the ten actions' bodies, reads, lists and the referral."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from domain.referral import (
    AWAITING_ANSWER,
    CATEGORIES,
    CONSENT_BASES,
    FINAL,
    OUTCOMES,
    RISK_LEVELS,
    URGENCY_HOURS,
)
from hub.schemas.common import (
    HEADER_MAX,
    HeaderSchema,
    StrictInteger,
    StrictSchema,
    choice,
    iso_date,
    slug,
    text,
)

STATUSES = (*AWAITING_ANSWER, "accepted", "completed", *FINAL)
BOXES = ("inbox", "outbox", "all")


def _drop_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """Optional fields sent as null are left out, so a retried submission compares equal."""
    return {k: v for k, v in data.items() if v is not None}


class GuardianSchema(StrictSchema):
    """The subject's guardian."""

    name = text(100)
    relation = text(50)
    phone = text(32, required=False)

    @post_load
    def _clean(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _drop_nulls(data)


class SubjectSchema(StrictSchema):
    """The person the referral is about (personal data: encrypted at rest, masked for inspectors)."""

    name = text(100)
    id_number = text(32, required=False)
    birth_date = fields.String(allow_none=True, validate=iso_date, metadata={"format": "date"})
    gender = text(20, required=False)
    phone = text(32, required=False)
    address = text(300, required=False)
    guardian = fields.Nested(GuardianSchema, allow_none=True)

    @post_load
    def _clean(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _drop_nulls(data)


class ConsentSchema(StrictSchema):
    """On what basis the subject's data is shared."""

    basis = choice(CONSENT_BASES)
    note = text(1000, required=False)

    @post_load
    def _clean(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _drop_nulls(data)


class ReferralCreateSchema(StrictSchema):
    """A referral to submit; the referrer is always the caller's agency."""

    from_agency = slug(required=False, metadata={"description": "If given, the caller's own."})
    to_agency = slug()
    category = choice(CATEGORIES)
    urgency = choice(tuple(URGENCY_HOURS))
    reason = text(4000)
    subject = fields.Nested(SubjectSchema, required=True)
    consent = fields.Nested(ConsentSchema, required=True)
    risk_level = choice(RISK_LEVELS, required=False)
    external_ref = text(200, required=False)
    respond_within_hours = StrictInteger(strict=True, allow_none=True,
                                         validate=validate.Range(min=1, max=720))

    @post_load
    def _clean(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _drop_nulls(data)


class AcceptSchema(StrictSchema):
    """Accept: optionally name who will serve it."""

    assignee = text(100, required=False)
    note = text(2000, required=False)


class ReasonSchema(StrictSchema):
    """Decline, withdraw or reopen: why."""

    reason = text(2000)


class RedirectSchema(StrictSchema):
    """Redirect to a better-placed agency."""

    to_agency = slug()
    reason = text(2000)


class QuestionSchema(StrictSchema):
    """Request information from the referrer."""

    question = text(2000)


class AnswerSchema(StrictSchema):
    """Provide the information asked for."""

    answer = text(4000)


class NoteSchema(StrictSchema):
    """A note while the referral is served."""

    text = text(4000)


class CompleteSchema(StrictSchema):
    """Report the outcome back to the referrer."""

    outcome = choice(OUTCOMES)
    summary = text(4000)


class AcknowledgeSchema(StrictSchema):
    """Confirm the outcome was heard."""

    note = text(2000, required=False)


ACTION_SCHEMAS: dict[str, type[StrictSchema]] = {
    "accept": AcceptSchema, "decline": ReasonSchema, "redirect": RedirectSchema,
    "request-info": QuestionSchema, "provide-info": AnswerSchema, "withdraw": ReasonSchema,
    "notes": NoteSchema, "complete": CompleteSchema, "acknowledge": AcknowledgeSchema,
    "reopen": ReasonSchema,
}


class SubmitHeaders(HeaderSchema):
    """Headers of a submission."""

    idempotency_key = fields.String(
        data_key="Idempotency-Key", validate=validate.Length(min=1, max=HEADER_MAX),
        metadata={"description": "A retried POST with the same key returns the first response."})


class ActionHeaders(HeaderSchema):
    """Headers of an action."""

    if_match = fields.String(data_key="If-Match", validate=validate.Length(max=HEADER_MAX),
                             metadata={"description": 'The version acted upon: "N" (or W/"N").'})


class ReferralReadQuery(StrictSchema):
    """Which state of the referral to read: now, at a version, or as of a moment."""

    version = StrictInteger(validate=validate.Range(min=1))
    as_of = fields.AwareDateTime(format="iso", metadata={
        "description": "ISO 8601 with a UTC offset (e.g. 2024-05-01T08:00:00+08:00)."})

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if "version" in data and "as_of" in data:
            raise ValidationError("Give version or as_of, not both.", "as_of")


class ReferralListQuery(StrictSchema):
    """Filters and paging of the caller's referrals."""

    box = fields.String(load_default="all", validate=validate.OneOf(BOXES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    overdue = fields.Boolean()
    limit = StrictInteger(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(min=1, max=500))


class ActorSchema(Schema):
    """Who did something: a user of an agency."""

    agency = fields.String(required=True)
    user = fields.String(required=True)


class QuestionAskedSchema(Schema):
    """A question of the receiver and the referrer's answer."""

    question = fields.String(required=True)
    asked_at = fields.String(required=True, metadata={"format": "date-time"})
    answer = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class NoteRecordSchema(Schema):
    """A note on the referral."""

    text = fields.String(required=True)
    by = fields.Nested(ActorSchema, required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


def _out(*, enum: tuple[str, ...] | None = None, fmt: str | None = None) -> fields.String:
    metadata: dict[str, Any] = {}
    if enum:  # OpenAPI 3.0: a nullable enum allows null only when it lists null
        metadata["enum"] = [*enum, None]
    if fmt:
        metadata["format"] = fmt
    return fields.String(allow_none=True, metadata=metadata)


class ReferralSchema(Schema):
    """A referral as the caller may see it (the subject masked for inspectors)."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    version = fields.Integer(required=True)
    status = _out(enum=STATUSES)
    from_agency = fields.String(required=True)
    to_agency = fields.String(required=True)
    category = _out(enum=CATEGORIES)
    urgency = _out(enum=tuple(URGENCY_HOURS))
    reason = fields.String(required=True)
    subject = fields.Nested(SubjectSchema, required=True)
    consent = fields.Nested(ConsentSchema, required=True)
    risk_level = _out(enum=RISK_LEVELS)
    respond_by = _out(fmt="date-time")
    respond_within_hours = fields.Integer(required=True)
    overdue = fields.Boolean(required=True)
    escalated_at = _out(fmt="date-time")
    external_ref = _out()
    assignee = _out()
    case_id = _out()
    outcome = _out(enum=OUTCOMES)
    summary = _out()
    closing_reason = _out()
    questions = fields.List(fields.Nested(QuestionAskedSchema))
    notes = fields.List(fields.Nested(NoteRecordSchema))
    parties = fields.List(fields.String(), required=True)
    created_at = _out(fmt="date-time")
    updated_at = _out(fmt="date-time")


class ReferralPageSchema(Schema):
    """One page of the caller's referrals, newest first."""

    items = fields.List(fields.Nested(ReferralSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "Pass as `cursor` for the next page."})
