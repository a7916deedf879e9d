"""Histories and access logs of referrals and cases, as each caller may see them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.access import access_log_id, reads_of
from domain.application import HubApplication
from domain.base import Caller
from domain.case_view import MASKED, OUTCOME_ONLY
from domain.chain import format_time
from domain.errors import NotFound, NotPermitted
from domain.presentation import chain_breaks, event_record


def _history(app: HubApplication, caller: Caller, stream_id: UUID, kind: str, masked: bool,
             purpose: str | None) -> dict[str, Any]:
    events = app.history(stream_id)
    records = [{k: v for k, v in event_record(e, masked=masked).items() if k != "stream_id"}
               for e in events]
    app.record_access(caller, stream_id, kind, purpose=purpose, view="history")
    return {"stream_id": str(stream_id), "events": records, "verified": not chain_breaks(events)}


def referral_history(app: HubApplication, caller: Caller, referral_id: str,
                     purpose: str | None = None) -> dict[str, Any]:
    """Every event of a referral with its hashes; masked for inspectors; a recorded read."""
    referral = app.get_referral(caller, referral_id)
    return _history(app, caller, referral.id, "referral", caller.is_inspector, purpose)


def case_history(app: HubApplication, caller: Caller, case_id: str,
                 purpose: str | None = None) -> dict[str, Any]:
    """Every event of a case; participants in full, inspectors masked, referrers refused."""
    case, access = app.get_case(caller, case_id)
    if access == OUTCOME_ONLY:
        raise NotPermitted("The referrer of a case sees its status and outcome only.")
    return _history(app, caller, case.id, "case", access == MASKED, purpose)


def _require_reader_of_log(caller: Caller) -> None:
    if not (caller.is_inspector or caller.role == "admin"):
        raise NotPermitted("Access logs are for the parties' admins and for inspectors.")


def access_log(app: HubApplication, caller: Caller, resource_id: str,
               kind: str) -> dict[str, Any]:
    """Who read the resource's personal data, when, how and why (oldest first)."""
    if kind == "referral":
        found = app.get_referral(caller, resource_id).id
    else:
        case, access = app.get_case(caller, resource_id)
        if access == OUTCOME_ONLY:
            raise NotFound("No such resource.")
        found = case.id
    _require_reader_of_log(caller)
    events = app.history(access_log_id(found))  # one pass: the reads and their chain
    reads = [{**read, "at": format_time(read["at"])} for read in reads_of(events)]
    verified = not chain_breaks(events)
    return {"resource_id": str(found), "kind": kind, "reads": reads, "verified": verified}
