"""How a case is shown: whole to participants, masked to inspectors, outcome-only to the referrer."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.case import Case
from domain.case_rules import report_content
from domain.chain import format_time
from domain.privacy import mask_fields, mask_person

FULL, MASKED, OUTCOME_ONLY = "full", "masked", "outcome_only"

# Each list in a case's state, with the personal fields of the event that fills it.
PERSONAL_ITEMS = {
    "risk_assessments": Case.RiskAssessed.PERSONAL,
    "investigation_reports": Case.InvestigationReported.PERSONAL,
    "sessions": Case.SessionRecorded.PERSONAL,
    "supervision_reviews": Case.SupervisionReviewed.PERSONAL,
}


def case_view(case: Case, today: date) -> dict[str, Any]:
    """The case as the contract represents it (personal data in clear)."""
    return {
        "id": str(case.id), "version": case.version, "status": case.status,
        "referral_id": case.referral_id, "referrer": case.referrer,
        "lead_agency": case.lead_agency, "lead_worker": case.lead_worker,
        "participants": [dict(p) for p in case.participants], "subject": dict(case.subject),
        "risk_level": case.risk_level,
        "risk_assessments": [dict(a) for a in case.risk_assessments],
        "investigation_reports": [dict(r) for r in case.investigation_reports],
        "plan": dict(case.plan) if case.plan else None,
        "sessions": [dict(s) for s in case.sessions],
        "supervision_reviews": [dict(r) for r in case.supervision_reviews],
        "outcome": case.outcome, "evaluation": case.evaluation,
        "next_review_on": case.next_review_on, "review_overdue": case.review_overdue(today),
        "allowed_actions": case.allowed_actions(), "closed_at": case.closed_at,
        "created_at": format_time(case.created_on), "updated_at": format_time(case.modified_on),
        "view": FULL,
    }


def case_view_is_timeless(case: Case, today: date) -> bool:
    """Whether the case at its version is represented on `today` as on the day it was written:
    only `review_overdue` follows the calendar, and it turns true at most once."""
    return case.review_overdue(case.modified_on.date()) == case.review_overdue(today)


def masked_case_view(case: Case, today: date) -> dict[str, Any]:
    """The case for an inspector: identifiers hidden, free text about the family hidden."""
    view = case_view(case, today)
    view["subject"] = mask_person(view["subject"])
    for name, personal in PERSONAL_ITEMS.items():
        view[name] = [mask_fields(item, personal) for item in view[name]]
    view.update(mask_fields({"evaluation": view["evaluation"]}, Case.Closed.PERSONAL))
    view["view"] = MASKED
    return view


def outcome_view(case: Case, agency: str) -> dict[str, Any]:
    """What the referrer sees: status and outcome, and the reports addressed to it."""
    return {
        "id": str(case.id), "version": case.version, "status": case.status,
        "referral_id": case.referral_id, "lead_agency": case.lead_agency,
        "outcome": case.outcome, "closed_at": case.closed_at,
        "reports_for_you": [
            {"number": r["number"], "sha256": r["sha256"], "submitted_at": r["submitted_at"]}
            for r in case.investigation_reports if agency in r["submitted_to"]],
        "created_at": format_time(case.created_on), "updated_at": format_time(case.modified_on),
        "view": OUTCOME_ONLY,
    }


def report_view(case: Case, number: int, *, masked: bool = False) -> dict[str, Any]:
    """Investigation report version `number`: its canonical `content` and that content's
    SHA-256 (recompute it from `content` to confirm the copy is the version on record)."""
    report = case.investigation_reports[number - 1]
    content = report_content(str(case.id), number, report["summary"], report["findings"],
                             report["recommendations"], report["submitted_to"])
    if masked:
        content = mask_fields(content, Case.InvestigationReported.PERSONAL)
    return {"case_id": str(case.id), "number": number, "sha256": report["sha256"],
            "content": content, "submitted_at": report["submitted_at"], "by": dict(report["by"]),
            "latest": number == len(case.investigation_reports)}
