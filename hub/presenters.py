"""How referrals and agencies are represented to a caller (personal data masked for inspectors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.agency import Agency
from domain.base import Caller
from domain.chain import format_time
from domain.privacy import mask_person
from domain.referral import Referral


def etag(version: int) -> str:
    """The strong entity tag of a referral at `version`."""
    return f'"{version}"'


def for_caller(view: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """A referral view as `caller` may see it: inspectors get the subject masked."""
    if caller.is_inspector and "subject" in view:
        return {**view, "subject": mask_person(view["subject"])}
    return view


def for_list(view: dict[str, Any]) -> dict[str, Any]:
    """A referral in a list: the subject always masked (opening the referral is the recorded
    read of personal data), so no page of a list ever needs an access record."""
    if "subject" in view:
        return {**view, "subject": mask_person(view["subject"])}
    return view


def referral_view(referral: Referral, caller: Caller, now: Any) -> dict[str, Any]:
    """The referral as the contract represents it, for this caller."""
    return for_caller(referral.view(now), caller)


def referral_view_is_timeless(referral: Referral, now: datetime) -> bool:
    """Whether the referral at its version is represented at `now` as when it was written:
    only `overdue` follows the clock, and it turns true at most once (so every copy made in
    between reads the same when both ends do)."""
    return referral.is_overdue(referral.modified_on) == referral.is_overdue(now)


def agency_view(agency: Agency) -> dict[str, Any]:
    """A registered agency (its users and tokens are not shown)."""
    return {"id": agency.slug, "name": agency.name, "kind": agency.kind,
            "jurisdiction": agency.jurisdiction, "parent": agency.parent,
            "created_at": format_time(agency.created_on)}
