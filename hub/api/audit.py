"""Audit and inspection: histories, access logs, verification, the global log and its proofs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import MapperDeserialisationError
from flask import Response
from marshmallow import RAISE
from werkzeug.exceptions import ServiceUnavailable

from adapters.auditor import Auditor, auditor_for
from adapters.settings import SettingsError
from adapters.stats import open_stats
from domain.base import Caller
from domain.chain import format_time
from domain.errors import Invalid, NotFound, NotPermitted
from domain.presentation import event_record
from hub.api import Blueprint
from hub.app import hub
from hub.auth import caller
from hub.errors import problems
from hub.schemas.audit import (
    AccessLogSchema,
    CheckpointsSchema,
    ConsistencyQuery,
    ConsistencySchema,
    HistorySchema,
    InclusionQuery,
    InclusionSchema,
    LogPageSchema,
    LogQuery,
    PlotQuery,
    StatsQuery,
    StatsSchema,
    VerifySchema,
)
from hub.schemas.common import PurposeHeaders
from projections.audit import history
from projections.stats_plot import render

PLOT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}

blp = Blueprint("audit", __name__, url_prefix="/api/v1",
                description="Audit and inspection: hash-chained histories, who read what, "
                            "the signed Merkle log over every event.")


def auditor() -> Auditor:
    """The hub's auditor; 503 naming the setting when no audit key is configured (PostgreSQL
    without HUB_AUDIT_KEY: the hub runs, the log cannot be checked here; that was a 500)."""
    try:
        return auditor_for(hub().app, hub().settings)
    except SettingsError as error:
        raise ServiceUnavailable(f"The audit log cannot be checked here: {error}") from None


def overseer() -> Caller:
    """The caller, who must be the hub administrator or an inspector."""
    who = caller()
    if not (who.is_hub_admin or who.is_inspector):
        raise NotPermitted("Only the hub administrator and inspectors may do this.")
    return who


@blp.get("/referrals/<referral_id>/history")
@blp.arguments(PurposeHeaders, location="headers")
@blp.response(200, HistorySchema)
@problems(blp, 404)
def referral_history(headers: dict[str, Any], referral_id: str) -> Any:
    """Every event of the referral with its hashes (masked for inspectors); a recorded read."""
    return history.referral_history(hub().app, caller(), referral_id, headers.get("purpose"))


@blp.get("/cases/<case_id>/history")
@blp.arguments(PurposeHeaders, location="headers")
@blp.response(200, HistorySchema)
@problems(blp, 403, 404)
def case_history(headers: dict[str, Any], case_id: str) -> Any:
    """Every event of the case with its hashes (masked for inspectors); a recorded read."""
    return history.case_history(hub().app, caller(), case_id, headers.get("purpose"))


@blp.get("/referrals/<referral_id>/access-log")
@blp.response(200, AccessLogSchema)
@problems(blp, 403, 404)
def referral_access_log(referral_id: str) -> Any:
    """Who read the referral's personal data, when and why (parties' admins, inspectors)."""
    return history.access_log(hub().app, caller(), referral_id, "referral")


@blp.get("/cases/<case_id>/access-log")
@blp.response(200, AccessLogSchema)
@problems(blp, 403, 404)
def case_access_log(case_id: str) -> Any:
    """Who read the case's personal data, when and why (participants' admins, inspectors)."""
    return history.access_log(hub().app, caller(), case_id, "case")


@blp.get("/audit/verify")
@blp.response(200, VerifySchema)
@problems(blp, 403, 503)
def verify() -> Any:
    """Check every chain, the Merkle root and every signed checkpoint; name the first break."""
    overseer()
    return auditor().verify().to_dict()


@blp.get("/audit/log")
@blp.arguments(LogQuery, location="query", unknown=RAISE)
@blp.response(200, LogPageSchema)
@problems(blp, 403, 422)
def audit_log(query: dict[str, Any]) -> Any:
    """Every event after position `after`, in global order, personal data masked."""
    overseer()
    app = hub().app
    found = app.recorder.select_notifications(query["after"], query["limit"],
                                              inclusive_of_start=False)
    items = [_entry(app, n) for n in found]
    more = len(found) == query["limit"]
    return {"items": items, "next_after": found[-1].id if more else None}


def _entry(app: Any, notification: Any) -> dict[str, Any]:
    where = {"position": notification.id, "stream_id": str(notification.originator_id),
             "version": notification.originator_version}
    try:
        return {**event_record(app.mapper.to_domain_event(notification), masked=True), **where}
    except (MapperDeserialisationError, AttributeError, TypeError):
        return {**where, "unreadable": True}


@blp.get("/audit/checkpoints")
@blp.response(200, CheckpointsSchema)
@problems(blp, 403, 503)
def checkpoints() -> Any:
    """The signed checkpoints, oldest first, and the public key that verifies them."""
    overseer()
    found = auditor()
    return {"key_id": found.key_id, "public_key": found.public_key_pem,
            "checkpoints": [c.to_dict() for c in found.store.all()]}


@blp.get("/audit/proofs/inclusion")
@blp.arguments(InclusionQuery, location="query", unknown=RAISE)
@blp.response(200, InclusionSchema)
@problems(blp, 403, 422, 503)
def inclusion(query: dict[str, Any]) -> Any:
    """The RFC 6962 audit path of the event at `position` in the tree of `tree_size` events."""
    overseer()
    try:
        return auditor().inclusion(query["position"], query["tree_size"])
    except LookupError as error:
        raise Invalid(str(error), {"position": [str(error)]}) from None


@blp.get("/audit/proofs/consistency")
@blp.arguments(ConsistencyQuery, location="query", unknown=RAISE)
@blp.response(200, ConsistencySchema)
@problems(blp, 403, 422, 503)
def consistency(query: dict[str, Any]) -> Any:
    """The RFC 6962 proof that the tree of `old_size` events is a prefix of `new_size`'s."""
    overseer()
    try:
        return auditor().consistency(query["old_size"], query["new_size"])
    except LookupError as error:
        raise Invalid(str(error), {"new_size": [str(error)]}) from None


_STATS_LOCK = threading.Lock()


def stats_model() -> Any:
    """The statistics read model of this app (built once), caught up to the store's head."""
    services = hub().services
    with _STATS_LOCK:  # one model per app, even when the first requests arrive together
        if "stats" not in services:
            services["stats"] = open_stats(hub().settings, hub().app)
    services["stats"].catch_up()
    return services["stats"]


def _bounds(query: dict[str, Any]) -> tuple[str | None, str | None]:
    """The period's ends in the hashed time format (a time without an offset is UTC)."""
    start, end = _in_utc(query.get("from_"), "from"), _in_utc(query.get("to"), "to")
    if start and end and start >= end:
        raise Invalid("Empty period.", {"to": ["Must be after 'from'."]})
    return (format_time(start) if start else None, format_time(end) if end else None)


def _in_utc(moment: datetime | None, field: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC time
        raise Invalid("No such moment.", {field: [
            "Must be a moment whose UTC time lies within the years 1-9999."]}) from None


@blp.get("/stats")
@blp.arguments(StatsQuery, location="query", unknown=RAISE)
@blp.response(200, StatsSchema)
@problems(blp, 422)
def stats(query: dict[str, Any]) -> Any:
    """Referral counts per group, median hours to answer, closure rate — no personal data."""
    caller()
    start, end = _bounds(query)
    groups = stats_model().summary(query["group_by"], start, end)
    return {"group_by": query["group_by"], "total": sum(g["count"] for g in groups),
            "groups": groups}


@blp.get("/stats/plot.<fmt>")
@blp.arguments(PlotQuery, location="query", unknown=RAISE)
@blp.response(200, content_type="image/svg+xml")
@blp.alt_response(200, content_type="image/png", success=True, description="PNG")
@problems(blp, 404, 422)
def stats_plot(query: dict[str, Any], fmt: str) -> Any:
    """Referrals per month by outcome and the distribution of hours to answer (SVG or PNG)."""
    caller()
    if fmt not in PLOT_TYPES:
        raise NotFound("Plots are plot.svg and plot.png.")
    start, end = _bounds(query)
    image = render(stats_model().rows(start, end), fmt)
    return Response(image, mimetype=PLOT_TYPES[fmt])
