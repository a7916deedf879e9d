"""Commands on referrals: submit, the ten actions, escalation, and visibility-checked reads."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import SYSTEM, Caller, stable_id
from domain.errors import Conflict, Invalid, NotFound, NotPermitted
from domain.referral import URGENCY_HOURS, Referral

if TYPE_CHECKING:
    from domain.application import HubApplication as _Base
else:
    _Base = object

# Fields of a submission that a retried request with the same Idempotency-Key must repeat.
SUBMISSION_FIELDS = ("to_agency", "category", "urgency", "reason", "subject", "consent",
                     "risk_level", "external_ref")

ACTIONS: dict[str, Callable[..., None]] = {
    "accept": Referral.accept,
    "decline": Referral.decline,
    "redirect": Referral.redirect,
    "request-info": Referral.request_info,
    "provide-info": Referral.provide_info,
    "withdraw": Referral.withdraw,
    "notes": Referral.add_note,
    "complete": Referral.complete,
    "acknowledge": Referral.acknowledge,
    "reopen": Referral.reopen,
}


def submission_id(agency: str, key: str) -> UUID:
    """The referral id an idempotency key (or a Kafka command id) stands for."""
    return stable_id("submission", agency, key)


class ReferralCommands(_Base):
    """The referrals' part of the service layer."""

    def submit_referral(self, caller: Caller, fields: dict[str, Any],
                        idempotency_key: str | None = None) -> tuple[Referral, bool]:
        """Submit a referral from the caller's agency; returns it and whether it is new.

        With an idempotency key, a repeat returns the first referral as it was submitted.
        """
        if caller.is_hub_admin:
            raise NotPermitted("The hub administrator does not submit referrals.")
        if caller.is_inspector:  # before an Idempotency-Key repeat could answer for them
            raise NotPermitted("Inspectors are read-only.")
        fields = dict(fields)
        if fields.pop("from_agency", caller.agency) != caller.agency:
            raise NotPermitted("The referrer is always the caller's own agency.")
        self._check_receiver(caller, fields["to_agency"])
        stream_id = submission_id(caller.agency, idempotency_key) if idempotency_key else uuid.uuid4()
        referral = Referral.submit(id=stream_id, caller=caller, at=self.clock(), **fields)
        try:  # no read first: a repeat's key names a stream that exists, so creating it collides
            self.create(referral)
        except Conflict:
            if not idempotency_key:
                raise
            return self._repeat(stream_id, caller, fields), False
        return referral, True

    def _check_receiver(self, caller: Caller, to_agency: str) -> None:
        if to_agency == caller.agency:
            raise Invalid("A referral goes to another agency.",
                          {"to_agency": ["Must not be the caller's own agency."]})
        if not self.agency_exists(to_agency):
            raise Invalid("Unknown receiving agency.", {"to_agency": ["No such agency."]})

    def _repeat(self, stream_id: UUID, caller: Caller, fields: dict[str, Any]) -> Referral:
        first = self.load(stream_id, Referral, version=1)
        if first.from_agency != caller.agency:
            raise NotFound("No such resource.")
        hours = fields.get("respond_within_hours") or URGENCY_HOURS[fields["urgency"]]
        for name, value in [*((n, fields.get(n)) for n in SUBMISSION_FIELDS),
                            ("respond_within_hours", hours)]:
            if value != getattr(first, name):
                raise Invalid("This Idempotency-Key was used for a different request.",
                              {"Idempotency-Key": [f"Reused with a different {name!r}."]})
        return first

    def get_referral(self, caller: Caller, referral_id: str | UUID, *,
                     version: int | None = None, as_of: datetime | None = None) -> Referral:
        """The referral now, at a version, or as of a moment — if the caller may see it."""
        current = self.load(referral_id, Referral)
        self.require_visible(caller, current)
        if version is not None:
            if not 1 <= version <= current.version:
                raise NotFound(f"The referral has no version {version}.")
            return self.load(referral_id, Referral, version=version)
        if as_of is not None:
            return self.as_of(referral_id, Referral, as_of)
        return current

    def require_visible(self, caller: Caller, referral: Referral) -> None:
        """NotFound unless the caller is a party (or an inspector over one of the parties)."""
        if referral.visible_to(caller):
            return
        if caller.is_inspector and any(
            caller.oversees(self.jurisdiction_of(p)) for p in referral.parties
        ):
            return
        raise NotFound("No such resource.")

    def act_on_referral(self, caller: Caller, referral_id: str | UUID, action: str,
                        payload: dict[str, Any], expected_version: int | None = None) -> Referral:
        """Run one of the contract's ten actions, retried on a lost race without If-Match."""
        if action not in ACTIONS:
            raise NotFound(f"No action {action!r}.")

        def command(referral: Referral) -> None:
            if action == "redirect":
                referral.guard(action, caller)  # 403/409 before the body's agency is checked
                if not self.agency_exists(payload["to_agency"]):
                    raise Invalid("Unknown receiving agency.", {"to_agency": ["No such agency."]})
            ACTIONS[action](referral, caller, at=self.clock(), **payload)

        return self.change(referral_id, Referral, command, expected_version=expected_version,
                           check=lambda r: self.require_visible(caller, r))

    def escalate_referral(self, referral_id: str | UUID, now: datetime | None = None) -> bool:
        """Append `referral.escalated` once if the referral is overdue; returns whether it did."""
        escalated = []

        def command(referral: Referral) -> None:
            escalated.append(referral.escalate(SYSTEM, at=now or self.clock()))

        self.change(referral_id, Referral, command)
        return escalated[-1]
