"""Schemas of cases: opening, the seven actions' bodies, reads, lists, reports and the summary."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from domain.case_rules import SESSION_KINDS
from domain.referral import OUTCOMES, RISK_LEVELS
from hub.schemas.common import StrictInteger, StrictSchema, Whole, choice, iso_month, slug, text
from hub.schemas.referrals import ActorSchema, ReferralReadQuery, SubjectSchema

CASE_STATUSES = ("open", "closed")
VIEWS = ("full", "masked", "outcome_only")


def texts(max_length: int, *, min_items: int = 0, max_items: int = 50) -> fields.List:
    """A list of short non-empty strings."""
    return fields.List(fields.String(validate=validate.Length(min=1, max=max_length)),
                       required=True, validate=validate.Length(min=min_items, max=max_items))


class ParticipantSchema(StrictSchema):
    """An agency taking part in the case, and its part."""

    agency = slug()
    role = text(64)


class CaseOpenSchema(StrictSchema):
    """Open the case of an accepted referral (its receiver leads it)."""

    referral_id = fields.UUID(required=True)
    lead_worker = text(100)
    participants = fields.List(fields.Nested(ParticipantSchema), load_default=list,
                               validate=validate.Length(max=50))


class RiskAssessmentSchema(StrictSchema):
    """A colour card (红橙蓝): a change of colour needs a note."""

    level = choice(RISK_LEVELS)
    factors = texts(200, min_items=1)
    note = text(4000, required=False)


class InvestigationReportSchema(StrictSchema):
    """A new version of the social-investigation report (a document of record)."""

    summary = text(4000)
    findings = text(20000)
    recommendations = text(8000)
    submitted_to = fields.List(slug(), required=True, validate=validate.Length(max=20))


class PlanSchema(StrictSchema):
    """The service plan (replaces the previous one)."""

    goals = texts(500, min_items=1)
    sessions_planned = StrictInteger(required=True, validate=validate.Range(min=1, max=500))
    review_on = fields.Date(required=True)


class SessionSchema(StrictSchema):
    """A session the caller's agency held."""

    held_on = fields.Date(required=True)
    kind = choice(SESSION_KINDS)
    attendees = texts(100)
    guardian_present = fields.Boolean(required=True)
    notes = text(8000)


class SupervisionSchema(StrictSchema):
    """A supervisor's review (督导)."""

    reviewer = text(100)
    advice = text(8000)


class CloseSchema(StrictSchema):
    """Close the case with an outcome and an evaluation."""

    outcome = choice(OUTCOMES)
    evaluation = text(8000)


ACTION_SCHEMAS: dict[str, type[StrictSchema]] = {
    "risk-assessments": RiskAssessmentSchema, "investigation-reports": InvestigationReportSchema,
    "plan": PlanSchema, "sessions": SessionSchema, "supervision-reviews": SupervisionSchema,
    "participants": ParticipantSchema, "close": CloseSchema,
}


class CaseReadQuery(ReferralReadQuery):
    """Which state of the case to read: now, at a version, or as of a moment."""


class CaseListQuery(StrictSchema):
    """Filters and paging of the caller's cases."""

    status = fields.String(validate=validate.OneOf(CASE_STATUSES))
    risk_level = fields.String(validate=validate.OneOf(RISK_LEVELS))
    review_overdue = fields.Boolean()
    limit = StrictInteger(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(min=1, max=500))


class SummaryQuery(StrictSchema):
    """Which month's sessions to count (default: the current one)."""

    month = fields.String(validate=[Whole(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="Must be YYYY-MM."),
                                    iso_month])


def _any(description: str = "", **kwargs: Any) -> fields.Raw:
    return fields.Raw(metadata={"description": description}, **kwargs)


class CaseSchema(Schema):
    """A case as the caller may see it: whole (participants), masked (inspectors), or status
    and outcome only (the referrer); `view` says which."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(CASE_STATUSES)})
    view = fields.String(required=True, metadata={"enum": list(VIEWS)})
    referral_id = fields.String(required=True)
    referrer = fields.String()
    lead_agency = fields.String(required=True)
    lead_worker = fields.String()
    participants = fields.List(fields.Dict())
    subject = fields.Nested(SubjectSchema)
    risk_level = fields.String(allow_none=True, metadata={"enum": [*RISK_LEVELS, None]})
    risk_assessments = fields.List(fields.Dict())
    investigation_reports = fields.List(fields.Dict())
    plan = fields.Dict(allow_none=True)
    sessions = fields.List(fields.Dict())
    supervision_reviews = fields.List(fields.Dict())
    outcome = fields.String(allow_none=True, metadata={"enum": [*OUTCOMES, None]})
    evaluation = fields.String(allow_none=True)
    next_review_on = fields.String(allow_none=True, metadata={"format": "date"})
    review_overdue = fields.Boolean()
    allowed_actions = fields.List(fields.String())
    reports_for_you = fields.List(fields.Dict(), metadata={
        "description": "Outcome-only view: the reports submitted to the caller's agency."})
    closed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})


class CaseItemSchema(Schema):
    """One case in a caseload list (no personal data but the subject's name)."""

    id = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    referral_id = fields.String(required=True)
    referrer = fields.String(required=True)
    lead_agency = fields.String(required=True)
    lead_worker = fields.String(required=True)
    participants = fields.List(fields.String(), required=True)
    subject = fields.Dict(required=True)
    risk_level = fields.String(allow_none=True)
    next_review_on = fields.String(allow_none=True, metadata={"format": "date"})
    review_overdue = fields.Boolean(required=True)
    plan_review_on = fields.String(allow_none=True)
    investigation_reports = fields.Integer(required=True)
    sessions = fields.Integer(required=True)
    last_session_on = fields.String(allow_none=True)
    supervision_reviews = fields.Integer(required=True)
    outcome = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class CasePageSchema(Schema):
    """One page of the caller's cases, newest first."""

    items = fields.List(fields.Nested(CaseItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ReportContentSchema(Schema):
    """What the report's SHA-256 covers (canonical JSON: sorted keys, UTF-8, no spaces)."""

    case_id = fields.String(required=True)
    number = fields.Integer(required=True)
    summary = fields.String(required=True)
    findings = fields.String(required=True)
    recommendations = fields.String(required=True)
    submitted_to = fields.List(fields.String(), required=True)


class InvestigationReportRecordSchema(Schema):
    """An investigation report version and the SHA-256 of its canonical content."""

    case_id = fields.String(required=True)
    number = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    content = fields.Nested(ReportContentSchema, required=True)
    submitted_at = fields.String(required=True, metadata={"format": "date-time"})
    by = fields.Nested(ActorSchema, required=True)
    latest = fields.Boolean(required=True)


class AttendanceSchema(Schema):
    sessions = fields.Integer(required=True)
    guardian_present = fields.Integer(required=True)
    rate = fields.Float(allow_none=True, required=True)


class CaseSummarySchema(Schema):
    """The caller's caseload at a glance."""

    as_of = fields.String(required=True, metadata={"format": "date"})
    month = fields.String(required=True)
    open_cases = fields.Integer(required=True)
    open_by_risk_level = fields.Dict(keys=fields.String(), values=fields.Integer())
    overdue_reviews = fields.Integer(required=True)
    sessions_this_month = fields.Integer(required=True)
    sessions_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    sessions_by_agency = fields.Dict(keys=fields.String(), values=fields.Integer())
    guardian_attendance = fields.Nested(AttendanceSchema, required=True)
