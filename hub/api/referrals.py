"""Referrals: submit, read (now, at a version, as of a moment), list, and the ten actions."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE

from domain.base import Caller
from domain.referral import Referral
from domain.referral_service import ACTIONS
from hub.api import Blueprint
from hub.api.actions import register_actions
from hub.api.conditional import if_none_match, not_modified
from hub.app import hub
from hub.auth import caller
from hub.errors import problems
from hub.presenters import etag, for_list, referral_view, referral_view_is_timeless
from hub.representation import json_answer, resource_path, shape_of
from hub.schemas.common import ReadHeaders
from hub.schemas.referrals import (
    ACTION_SCHEMAS,
    ReferralCreateSchema,
    ReferralListQuery,
    ReferralPageSchema,
    ReferralReadQuery,
    ReferralSchema,
    SubmitHeaders,
)

blp = Blueprint("referrals", __name__, url_prefix="/api/v1",
                description="Referrals between agencies, from submission to acknowledgement.")

STRING = {"schema": {"type": "string"}}
ONE = {"ETag": {**STRING, "description": 'The version, quoted: "N".'}}
CREATED = {**ONE, "Location": STRING,
           "Idempotent-Replayed": {**STRING, "description": "'true' on a replayed POST."}}
REFERRAL = shape_of(ReferralSchema)
REFERRAL_PAGE = shape_of(ReferralPageSchema)


def one(referral: Referral, who: Caller, status: int = 200, **headers: str) -> Any:
    """A response representing one referral, with its ETag."""
    view = referral_view(referral, who, hub().app.clock())
    return json_answer(REFERRAL(view), status, ETag=etag(referral.version), **headers)


@blp.post("/referrals")
@blp.arguments(SubmitHeaders(), location="headers")  # instances: a class is built per request
@blp.arguments(ReferralCreateSchema())
@blp.response(201, ReferralSchema, headers=CREATED)
@problems(blp, 400, 403, 413, 415, 422)
def submit_referral(headers: dict[str, Any], fields: dict[str, Any]) -> Any:
    """Submit a referral from the caller's agency (Idempotency-Key makes a retry safe)."""
    who = caller()
    referral, is_new = hub().app.submit_referral(who, fields, headers.get("idempotency_key"))
    location = resource_path("referrals", str(referral.id))
    replayed = {} if is_new else {"Idempotent-Replayed": "true"}
    return one(referral, who, 201, Location=location, **replayed)


@blp.get("/referrals")
@blp.arguments(ReferralListQuery, location="query", unknown=RAISE)
@blp.response(200, ReferralPageSchema)
@problems(blp, 422)
def list_referrals(query: dict[str, Any]) -> Any:
    """The caller's referrals, newest first: inbox, outbox or all, filtered, a page at a time."""
    who = caller()
    if who.is_hub_admin:  # the hub administrator manages agencies and never sees referrals
        return json_answer(REFERRAL_PAGE({"items": [], "next_cursor": None}))
    board = hub().services["boards"].referrals
    board.catch_up()  # read-your-writes: the caller's last write is on the board
    items, next_cursor = board.page(
        agency=who.agency, inspector_jurisdiction=who.jurisdiction if who.is_inspector else None,
        now=hub().app.clock(), **query)
    page = {"items": [for_list(item) for item in items], "next_cursor": next_cursor}
    return json_answer(REFERRAL_PAGE(page))


@blp.get("/referrals/<referral_id>")
@blp.arguments(ReadHeaders, location="headers")
@blp.arguments(ReferralReadQuery, location="query", unknown=RAISE)
@blp.response(200, ReferralSchema, headers=ONE)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 400, 404, 422)
def get_referral(headers: dict[str, Any], query: dict[str, Any], referral_id: str) -> Any:
    """The referral now, at `version`, or as of a moment; the read is kept on record
    (If-None-Match naming a current version: 304, nothing sent, nothing recorded)."""
    who, held = caller(), if_none_match(headers.get("if_none_match"))
    referral = hub().app.get_referral(who, referral_id, **query)
    if held is not None and held.include(referral.version) and \
            referral_view_is_timeless(referral, hub().app.clock()):
        return not_modified(referral.version)
    view = (f"version {query['version']}" if "version" in query
            else f"as_of {query['as_of'].isoformat()}" if "as_of" in query else "current")
    hub().app.record_access(who, referral.id, "referral", purpose=headers.get("purpose"),
                            view=view)
    return one(referral, who)


def _run_action(action: str, referral_id: str, payload: dict[str, Any],
                expected: int | None) -> Any:
    who = caller()
    return one(hub().app.act_on_referral(who, referral_id, action, payload, expected), who)


register_actions(blp, path="/referrals", id_name="referral_id", schemas=ACTION_SCHEMAS,
                 commands=ACTIONS, response=ReferralSchema, headers=ONE, run=_run_action)
