"""Cases: open from an accepted referral, read by role, list, summarise, and the seven actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE

from domain.case import Case
from domain.case_service import ACTIONS
from domain.case_view import case_view
from hub.api import Blueprint
from hub.api.actions import register_actions
from hub.api.conditional import if_none_match, not_modified
from hub.api.referrals import ONE, STRING
from hub.app import hub
from hub.auth import caller
from hub.errors import problems
from hub.presenters import etag
from hub.representation import json_answer, resource_path, shape_of
from hub.schemas.cases import (
    ACTION_SCHEMAS,
    CaseListQuery,
    CaseOpenSchema,
    CasePageSchema,
    CaseReadQuery,
    CaseSchema,
    CaseSummarySchema,
    InvestigationReportRecordSchema,
    SummaryQuery,
)
from hub.schemas.common import PurposeHeaders, ReadHeaders
from projections.case_board_views import Scope

OPENED = {**ONE, "Location": STRING}

blp = Blueprint("cases", __name__, url_prefix="/api/v1",
                description="Cases: the accepting agency's work with one subject, with partners.")


CASE = shape_of(CaseSchema)
CASE_PAGE = shape_of(CasePageSchema)


def one(case: Case, status: int = 200, **headers: str) -> Any:
    """A response with the whole case (the caller acts on it, so it takes part in it)."""
    view = case_view(case, hub().app.clock().date())
    return json_answer(CASE(view), status, ETag=etag(case.version), **headers)


def scope() -> Scope | None:
    """Whose cases the caller lists: its agency's, or an inspector's jurisdiction's."""
    who = caller()
    if who.is_hub_admin:  # the hub administrator manages agencies and never sees cases
        return None
    return Scope(jurisdiction=who.jurisdiction) if who.is_inspector else Scope(agency=who.agency)


@blp.post("/cases")
@blp.arguments(CaseOpenSchema)
@blp.response(201, CaseSchema, headers=OPENED)
@problems(blp, 400, 403, 409, 413, 415, 422)
def open_case(fields: dict[str, Any]) -> Any:
    """Open the case of an accepted referral (its receiver); the referral records it."""
    case = hub().app.open_case(caller(), **fields)
    return one(case, 201, Location=resource_path("cases", str(case.id)))


@blp.get("/cases")
@blp.arguments(CaseListQuery, location="query", unknown=RAISE)
@blp.response(200, CasePageSchema)
@problems(blp, 422)
def list_cases(query: dict[str, Any]) -> Any:
    """The caller's cases (as lead or participant), newest first, filtered, a page at a time."""
    whose = scope()
    if whose is None:
        return json_answer(CASE_PAGE({"items": [], "next_cursor": None}))
    board = hub().services["boards"].cases
    board.catch_up()  # read-your-writes
    items, next_cursor = board.page(whose, today=hub().app.clock().date(), **query)
    return json_answer(CASE_PAGE({"items": items, "next_cursor": next_cursor}))


@blp.get("/cases/summary")
@blp.arguments(SummaryQuery, location="query", unknown=RAISE)
@blp.response(200, CaseSummarySchema)
@problems(blp, 422)
def case_summary(query: dict[str, Any]) -> Any:
    """The caller's open cases by colour, overdue reviews, the month's sessions by kind and
    agency, and guardians' attendance rate."""
    whose = scope() or Scope(agency="")
    board = hub().services["boards"].cases
    board.catch_up()
    month = date.fromisoformat(query["month"] + "-01") if "month" in query else None
    return board.summary(whose, today=hub().app.clock().date(), month=month)


@blp.get("/cases/<case_id>")
@blp.arguments(ReadHeaders, location="headers")
@blp.arguments(CaseReadQuery, location="query", unknown=RAISE)
@blp.response(200, CaseSchema, headers=ONE)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 400, 404, 422)
def get_case(headers: dict[str, Any], query: dict[str, Any], case_id: str) -> Any:
    """The case now, at `version`, or as of a moment, as the caller may see it (kept on record;
    If-None-Match naming a current version: 304, nothing sent, nothing recorded)."""
    who, held = caller(), if_none_match(headers.get("if_none_match"))
    reading = hub().app.case_reading(who, case_id, **query)
    if held is not None and held.include(reading.case.version) and \
            reading.same_as_when_written():
        return not_modified(reading.case.version)
    hub().app.record_case_read(who, reading, purpose=headers.get("purpose"))
    return json_answer(CASE(reading.view), ETag=etag(reading.case.version))


@blp.get("/cases/<case_id>/investigation-reports/<int:number>")
@blp.arguments(PurposeHeaders, location="headers")
@blp.response(200, InvestigationReportRecordSchema)
@problems(blp, 404)
def get_investigation_report(headers: dict[str, Any], case_id: str, number: int) -> Any:
    """Investigation report version `number` with the SHA-256 of its canonical content."""
    return hub().app.read_investigation_report(caller(), case_id, number,
                                               purpose=headers.get("purpose"))


def _run_action(action: str, case_id: str, payload: dict[str, Any],
                expected: int | None) -> Any:
    return one(hub().app.act_on_case(caller(), case_id, action, payload, expected))


register_actions(blp, path="/cases", id_name="case_id", schemas=ACTION_SCHEMAS,
                 commands=ACTIONS, response=CaseSchema, headers=ONE, run=_run_action)
