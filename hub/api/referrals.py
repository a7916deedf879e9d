"""Referrals: submit, read (now, at a version, as of a moment), list, and the ten actions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import RAISE
from werkzeug.exceptions import BadRequest

from domain.base import Caller
from domain.referral import Referral
from domain.referral_service import ACTIONS
from hub.app import hub
from hub.auth import caller
from hub.errors import problems
from hub.presenters import etag, for_list, referral_view
from hub.schemas.common import PurposeHeaders
from hub.schemas.referrals import (
    ACTION_SCHEMAS,
    ActionHeaders,
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
# One entity tag, strong or weak, whose opaque part is the version.
ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def if_match_version(value: str | None) -> int | None:
    """The version an If-Match header names; None when absent or `*` (any current version)."""
    if value is None or value.strip() == "*":
        return None
    found = ENTITY_TAG.match(value.strip())
    if not found:
        raise BadRequest('If-Match must be one entity tag such as "3" (or W/"3"), or *.')
    return int(found.group(1))


def one(referral: Referral, who: Caller, status: int = 200, **headers: str) -> Any:
    """A response representing one referral, with its ETag."""
    view = referral_view(referral, who, hub().app.clock())
    return view, status, {"ETag": etag(referral.version), **headers}


@blp.post("/referrals")
@blp.arguments(SubmitHeaders, location="headers")
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema, headers=CREATED)
@problems(blp, 400, 403, 413, 415, 422)
def submit_referral(headers: dict[str, Any], fields: dict[str, Any]) -> Any:
    """Submit a referral from the caller's agency (Idempotency-Key makes a retry safe)."""
    who = caller()
    referral, is_new = hub().app.submit_referral(who, fields, headers.get("idempotency_key"))
    location = url_for("referrals.get_referral", referral_id=str(referral.id))
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
        return {"items": [], "next_cursor": None}
    board = hub().services["boards"].referrals
    board.catch_up()  # read-your-writes: the caller's last write is on the board
    items, next_cursor = board.page(
        agency=who.agency, inspector_jurisdiction=who.jurisdiction if who.is_inspector else None,
        now=hub().app.clock(), **query)
    return {"items": [for_list(item) for item in items], "next_cursor": next_cursor}


@blp.get("/referrals/<referral_id>")
@blp.arguments(PurposeHeaders, location="headers")
@blp.arguments(ReferralReadQuery, location="query", unknown=RAISE)
@blp.response(200, ReferralSchema, headers=ONE)
@problems(blp, 404, 422)
def get_referral(headers: dict[str, Any], query: dict[str, Any], referral_id: str) -> Any:
    """The referral now, at `version`, or as of a moment; the read is kept on record."""
    who = caller()
    referral = hub().app.get_referral(who, referral_id, **query)
    view = (f"version {query['version']}" if "version" in query
            else f"as_of {query['as_of'].isoformat()}" if "as_of" in query else "current")
    hub().app.record_access(who, referral.id, "referral", purpose=headers.get("purpose"),
                            view=view)
    return one(referral, who)


def _action_view(action: str) -> Callable[..., Any]:
    """The view of one action: validate the body, honour If-Match, run it, answer the referral."""

    def act(headers: dict[str, Any], payload: dict[str, Any], referral_id: str) -> Any:
        who = caller()
        expected = if_match_version(headers.get("if_match"))
        referral = hub().app.act_on_referral(who, referral_id, action, payload, expected)
        return one(referral, who)

    act.__name__ = "act_" + action.replace("-", "_")
    act.__doc__ = (ACTIONS[action].__doc__ or action).strip().splitlines()[0]
    return act


for _action, _schema in ACTION_SCHEMAS.items():
    _view = _action_view(_action)
    _view = problems(blp, 400, 403, 404, 409, 412, 413, 415, 422)(_view)
    _view = blp.response(200, ReferralSchema, headers=ONE)(_view)
    _view = blp.arguments(_schema)(_view)
    _view = blp.arguments(ActionHeaders, location="headers")(_view)
    blp.post(f"/referrals/<referral_id>/{_action}")(_view)
