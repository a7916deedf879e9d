"""The Referral aggregate: one hand-over of a person in need, from submission to its end."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from domain.base import Caller, HubAggregate
from domain.chain import format_time
from domain.errors import Conflict, Invalid, InvalidTransition, NotPermitted

CATEGORIES = (
    "family_education_guidance", "children_in_difficulty", "minor_protection", "elderly_care",
    "disability_support", "social_assistance", "psychological_support", "dispute_mediation",
    "other",
)
URGENCY_HOURS = {"emergency": 4, "urgent": 24, "routine": 72}
CONSENT_BASES = ("guardian_consent", "self_consent", "legal_mandate")
RISK_LEVELS = ("red", "orange", "blue")
OUTCOMES = (
    "service_provided", "assistance_granted", "referred_onward", "no_service_needed",
    "unable_to_contact", "other",
)
AWAITING_ANSWER = ("submitted", "info_requested")
FINAL = ("declined", "withdrawn", "closed")

# action -> (who may do it, statuses it may be done from)
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "accept": ("receiver", ("submitted",)),
    "decline": ("receiver", ("submitted", "info_requested")),
    "redirect": ("receiver", ("submitted",)),
    "request-info": ("receiver", ("submitted",)),
    "provide-info": ("referrer", ("info_requested",)),
    "withdraw": ("referrer", ("submitted", "info_requested")),
    "notes": ("either", ("accepted",)),
    "complete": ("receiver", ("accepted",)),
    "acknowledge": ("referrer", ("completed",)),
    "reopen": ("referrer", ("completed",)),
    "open-case": ("receiver", ("accepted",)),
}


def submitted_window(event: Any) -> int:
    """The hours the receiver had to answer a `referral.submitted` event.

    Events stored before the field existed are read as written (an upcaster would change their
    hashed content): their window was the urgency's.
    """
    return int(vars(event).get("respond_within_hours") or URGENCY_HOURS[event.urgency])


def allowed_actions(status: str) -> list[str]:
    """The actions the contract allows from `status`."""
    return [a for a, (_, statuses) in RULES.items() if status in statuses and a != "open-case"]


class Referral(HubAggregate):
    """A referral between two agencies; every change is an appended event."""

    if TYPE_CHECKING:
        status: str
        from_agency: str
        to_agency: str
        parties: list[str]
        category: str
        urgency: str
        reason: str
        subject: dict[str, Any]
        consent: dict[str, Any]
        risk_level: str | None
        respond_by: str
        respond_within_hours: int
        external_ref: str | None
        assignee: str | None
        case_id: str | None
        outcome: str | None
        summary: str | None
        escalated_at: str | None
        closing_reason: str | None
        questions: list[dict[str, Any]]
        notes: list[dict[str, Any]]

    class Submitted(HubAggregate.Created):
        TYPE = "referral.submitted"
        PERSONAL: ClassVar[tuple[str, ...]] = ("subject",)
        from_agency: str
        to_agency: str
        category: str
        urgency: str
        reason: str
        subject: dict[str, Any]
        consent: dict[str, Any]
        risk_level: str | None
        respond_by: str
        respond_within_hours: int
        external_ref: str | None

        def evolve(self, r: Referral) -> None:
            r.status, r.from_agency, r.to_agency = "submitted", self.from_agency, self.to_agency
            r.respond_within_hours = submitted_window(self)
            r.parties = [self.from_agency, self.to_agency]
            r.category, r.urgency, r.reason = self.category, self.urgency, self.reason
            r.subject, r.consent, r.risk_level = dict(self.subject), self.consent, self.risk_level
            r.respond_by, r.external_ref = self.respond_by, self.external_ref
            r.assignee = r.case_id = r.outcome = r.summary = None
            r.escalated_at = r.closing_reason = None
            r.questions, r.notes = [], []

    class Accepted(HubAggregate.Event):
        TYPE = "referral.accepted"
        assignee: str | None
        note: str | None

        def evolve(self, r: Referral) -> None:
            r.status, r.assignee = "accepted", self.assignee

    class Declined(HubAggregate.Event):
        TYPE = "referral.declined"
        reason: str

        def evolve(self, r: Referral) -> None:
            r.status, r.closing_reason = "declined", self.reason

    class Redirected(HubAggregate.Event):
        TYPE = "referral.redirected"
        from_receiver: str
        to_agency: str
        reason: str
        respond_by: str

        def evolve(self, r: Referral) -> None:
            r.status, r.to_agency, r.respond_by = "submitted", self.to_agency, self.respond_by
            r.escalated_at = None
            if self.to_agency not in r.parties:
                r.parties.append(self.to_agency)

    class InfoRequested(HubAggregate.Event):
        TYPE = "referral.info_requested"
        question: str

        def evolve(self, r: Referral) -> None:
            r.status = "info_requested"
            r.questions.append({"question": self.question, "asked_at": format_time(self.timestamp),
                                "answer": None, "answered_at": None})

    class InfoProvided(HubAggregate.Event):
        TYPE = "referral.info_provided"
        answer: str

        def evolve(self, r: Referral) -> None:
            r.status = "submitted"
            if r.questions:
                r.questions[-1] = {**r.questions[-1], "answer": self.answer,
                                   "answered_at": format_time(self.timestamp)}

    class Withdrawn(HubAggregate.Event):
        TYPE = "referral.withdrawn"
        reason: str

        def evolve(self, r: Referral) -> None:
            r.status, r.closing_reason = "withdrawn", self.reason

    class NoteAdded(HubAggregate.Event):
        TYPE = "referral.note_added"
        text: str

        def evolve(self, r: Referral) -> None:
            r.notes.append({"text": self.text, "by": dict(self.actor),
                            "at": format_time(self.timestamp)})

    class Completed(HubAggregate.Event):
        TYPE = "referral.completed"
        outcome: str
        summary: str

        def evolve(self, r: Referral) -> None:
            r.status, r.outcome, r.summary = "completed", self.outcome, self.summary

    class OutcomeAcknowledged(HubAggregate.Event):
        TYPE = "referral.outcome_acknowledged"
        note: str | None

        def evolve(self, r: Referral) -> None:
            r.status = "closed"

    class Reopened(HubAggregate.Event):
        TYPE = "referral.reopened"
        reason: str

        def evolve(self, r: Referral) -> None:
            r.status, r.outcome, r.summary = "accepted", None, None

    class Escalated(HubAggregate.Event):
        TYPE = "referral.escalated"
        to_agency: str
        respond_by: str

        def evolve(self, r: Referral) -> None:
            r.escalated_at = format_time(self.timestamp)

    class CaseOpened(HubAggregate.Event):
        TYPE = "referral.case_opened"
        case_id: str

        def evolve(self, r: Referral) -> None:
            r.case_id = self.case_id

    # --- creation -------------------------------------------------------------------------

    @classmethod
    def submit(cls, *, id: UUID, caller: Caller, to_agency: str, category: str, urgency: str,
               reason: str, subject: dict[str, Any], consent: dict[str, Any],
               risk_level: str | None = None, external_ref: str | None = None,
               respond_within_hours: int | None = None, at: datetime) -> Referral:
        """Hand a person's need from the caller's agency to `to_agency`."""
        if caller.is_inspector:
            raise NotPermitted("Inspectors are read-only.")
        hours = respond_within_hours or URGENCY_HOURS[urgency]
        referral: Referral = cls._start(
            cls.Submitted, id=id, actor=caller.actor, timestamp=at,
            from_agency=caller.agency, to_agency=to_agency, category=category, urgency=urgency,
            reason=reason, subject=subject, consent=consent, risk_level=risk_level,
            respond_by=format_time(at + timedelta(hours=hours)), respond_within_hours=hours,
            external_ref=external_ref,
        )
        return referral

    # --- rules ----------------------------------------------------------------------------

    def visible_to(self, caller: Caller) -> bool:
        """Parties see a referral; everyone else is told it does not exist."""
        return caller.agency in self.parties

    def guard(self, action: str, caller: Caller) -> None:
        """Refuse the action unless the caller's side and the status allow it."""
        who, statuses = RULES[action]
        if caller.is_inspector:
            raise NotPermitted("Inspectors are read-only.")
        sides = {"receiver": (self.to_agency,), "referrer": (self.from_agency,),
                 "either": (self.from_agency, self.to_agency)}[who]
        if caller.agency not in sides:
            raise NotPermitted(f"Only the {who} of this referral may {action} it.")
        if self.status not in statuses:
            allowed = allowed_actions(self.status)
            raise InvalidTransition(
                f"Cannot {action} a referral that is {self.status}; "
                f"allowed now: {', '.join(allowed) or 'none (final)'}.",
                status=self.status, allowed=allowed,
            )

    # --- commands ---------------------------------------------------------------------------

    def accept(self, caller: Caller, *, at: datetime, assignee: str | None = None,
               note: str | None = None) -> None:
        """The receiver takes the referral on."""
        self.guard("accept", caller)
        self._record(self.Accepted, actor=caller.actor, timestamp=at, assignee=assignee, note=note)

    def decline(self, caller: Caller, *, at: datetime, reason: str) -> None:
        """The receiver refuses, with a reason; final."""
        self.guard("decline", caller)
        self._record(self.Declined, actor=caller.actor, timestamp=at, reason=reason)

    def redirect(self, caller: Caller, *, at: datetime, to_agency: str, reason: str) -> None:
        """The receiver forwards it to a better-placed agency, which gets a fresh deadline."""
        self.guard("redirect", caller)
        if to_agency in (self.to_agency, self.from_agency):
            raise Invalid("Cannot redirect to the referrer or the current receiver.",
                          {"to_agency": ["Must be another agency."]})
        hours = self.respond_within_hours  # the new receiver gets the same window
        self._record(self.Redirected, actor=caller.actor, timestamp=at,
                     from_receiver=self.to_agency, to_agency=to_agency, reason=reason,
                     respond_by=format_time(at + timedelta(hours=hours)))

    def request_info(self, caller: Caller, *, at: datetime, question: str) -> None:
        """The receiver asks the referrer a question before answering."""
        self.guard("request-info", caller)
        self._record(self.InfoRequested, actor=caller.actor, timestamp=at, question=question)

    def provide_info(self, caller: Caller, *, at: datetime, answer: str) -> None:
        """The referrer answers the receiver's question."""
        self.guard("provide-info", caller)
        self._record(self.InfoProvided, actor=caller.actor, timestamp=at, answer=answer)

    def withdraw(self, caller: Caller, *, at: datetime, reason: str) -> None:
        """The referrer takes the referral back before it is answered; final."""
        self.guard("withdraw", caller)
        self._record(self.Withdrawn, actor=caller.actor, timestamp=at, reason=reason)

    def add_note(self, caller: Caller, *, at: datetime, text: str) -> None:
        """Either party records a note while the referral is being served."""
        self.guard("notes", caller)
        self._record(self.NoteAdded, actor=caller.actor, timestamp=at, text=text)

    def complete(self, caller: Caller, *, at: datetime, outcome: str, summary: str) -> None:
        """The receiver reports the outcome back to the referrer."""
        self.guard("complete", caller)
        self._record(self.Completed, actor=caller.actor, timestamp=at, outcome=outcome,
                     summary=summary)

    def acknowledge(self, caller: Caller, *, at: datetime, note: str | None = None) -> None:
        """The referrer confirms it heard the outcome; closes the loop."""
        self.guard("acknowledge", caller)
        self._record(self.OutcomeAcknowledged, actor=caller.actor, timestamp=at, note=note)

    def reopen(self, caller: Caller, *, at: datetime, reason: str) -> None:
        """The referrer sends a completed referral back for more work."""
        self.guard("reopen", caller)
        self._record(self.Reopened, actor=caller.actor, timestamp=at, reason=reason)

    def open_case(self, caller: Caller, *, at: datetime, case_id: str) -> None:
        """The receiver records that it opened a case for this referral (once)."""
        self.guard("open-case", caller)
        if self.case_id is not None:
            raise Conflict(f"A case is already open for this referral: {self.case_id}.")
        self._record(self.CaseOpened, actor=caller.actor, timestamp=at, case_id=case_id)

    def is_overdue(self, now: datetime) -> bool:
        """An answer is late: `respond_by` passed while submitted or info_requested."""
        return self.status in AWAITING_ANSWER and format_time(now) > self.respond_by

    def escalate(self, caller: Caller, *, at: datetime) -> bool:
        """Flag an overdue referral once per deadline; returns whether it escalated."""
        if self.escalated_at is not None or not self.is_overdue(at):
            return False
        self._record(self.Escalated, actor=caller.actor, timestamp=at,
                     to_agency=self.to_agency, respond_by=self.respond_by)
        return True

    def view(self, now: datetime) -> dict[str, Any]:
        """The referral as the contract represents it (personal data in clear)."""
        return {
            "id": str(self.id), "version": self.version, "status": self.status,
            "from_agency": self.from_agency, "to_agency": self.to_agency,
            "category": self.category, "urgency": self.urgency, "reason": self.reason,
            "subject": dict(self.subject), "consent": dict(self.consent),
            "risk_level": self.risk_level, "respond_by": self.respond_by,
            "respond_within_hours": self.respond_within_hours,
            "overdue": self.is_overdue(now), "escalated_at": self.escalated_at,
            "external_ref": self.external_ref, "assignee": self.assignee,
            "case_id": self.case_id, "outcome": self.outcome, "summary": self.summary,
            "closing_reason": self.closing_reason, "questions": list(self.questions),
            "notes": list(self.notes), "parties": list(self.parties),
            "created_at": format_time(self.created_on), "updated_at": format_time(self.modified_on),
        }
