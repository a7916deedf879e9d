"""The rules of a case that need no aggregate: who may act, review cadence, report hashing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.base import stable_id
from domain.chain import canonical_json

SESSION_KINDS = ("home_visit", "phone_visit", "individual_guidance", "group_class",
                 "parent_school", "school_visit")
DEFAULT_REVIEW_DAYS: Mapping[str, int] = {"red": 7, "orange": 30, "blue": 90}
# A case whose colour is not yet known is reviewed on the shortest cadence.
UNKNOWN_RISK = "red"

# action -> who may do it; every action needs an open case.
RULES: dict[str, str] = {
    "risk-assessments": "lead", "investigation-reports": "lead", "plan": "lead",
    "sessions": "participant", "supervision-reviews": "lead", "participants": "lead",
    "close": "lead",
}


def case_id_for(referral_id: str | UUID) -> UUID:
    """One case per referral: its id follows from the referral's, so a race opens one."""
    return stable_id("case", str(referral_id))


def review_due(on: date, level: str | None, review_days: Mapping[str, int]) -> date:
    """When a case assessed `level` on `on` is next due for review."""
    return on + timedelta(days=review_days[level or UNKNOWN_RISK])


def next_review(cadence_due: str, assessed_on: str | None, plan_review_on: str | None) -> str:
    """The earlier of the colour's cadence and the plan's review date — the plan's date counts
    while it lies after the last assessment (a reassessment on or after it is that review)."""
    if plan_review_on is not None and (assessed_on is None or plan_review_on > assessed_on):
        return min(cadence_due, plan_review_on)
    return cadence_due


def report_content(case_id: str, number: int, summary: str, findings: str,
                   recommendations: str, submitted_to: list[str]) -> dict[str, Any]:
    """What an investigation report's hash covers: the document and where it belongs."""
    return {"case_id": case_id, "number": number, "summary": summary, "findings": findings,
            "recommendations": recommendations, "submitted_to": list(submitted_to)}


def report_sha256(content: Mapping[str, Any]) -> str:
    """SHA-256 of an investigation report's canonical content (domain.chain.canonical_json)."""
    return hashlib.sha256(canonical_json(dict(content))).hexdigest()
