"""The Case aggregate: the accepting agency's work with one subject, from opening to closure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from domain.base import Caller, HubAggregate
from domain.case_rules import (
    RULES,
    SESSION_KINDS,
    case_id_for,
    next_review,
    report_content,
    report_sha256,
    review_due,
)
from domain.chain import format_time
from domain.errors import Conflict, Invalid, InvalidTransition, NotPermitted
from domain.referral import OUTCOMES, RISK_LEVELS


class Case(HubAggregate):
    """A case run by a lead agency with participant agencies; every change is an event."""

    if TYPE_CHECKING:
        status: str
        referral_id: str
        referrer: str
        lead_agency: str
        lead_worker: str
        participants: list[dict[str, Any]]
        subject: dict[str, Any]
        risk_level: str | None
        risk_assessments: list[dict[str, Any]]
        investigation_reports: list[dict[str, Any]]
        plan: dict[str, Any] | None
        sessions: list[dict[str, Any]]
        supervision_reviews: list[dict[str, Any]]
        outcome: str | None
        evaluation: str | None
        cadence_due: str
        assessed_on: str | None
        next_review_on: str | None
        closed_at: str | None

    class Opened(HubAggregate.Created):
        TYPE = "case.opened"
        PERSONAL: ClassVar[tuple[str, ...]] = ("subject",)
        referral_id: str
        referrer: str
        lead_agency: str
        lead_worker: str
        participants: list[dict[str, Any]]
        subject: dict[str, Any]
        risk_level: str | None
        next_review_on: str

        def evolve(self, c: Case) -> None:
            c.status, c.referral_id, c.referrer = "open", self.referral_id, self.referrer
            c.lead_agency, c.lead_worker = self.lead_agency, self.lead_worker
            at = format_time(self.timestamp)
            c.participants = [{**p, "added_at": at} for p in self.participants]
            c.subject, c.risk_level = dict(self.subject), self.risk_level
            c.risk_assessments, c.investigation_reports, c.sessions = [], [], []
            c.supervision_reviews, c.plan = [], None
            c.outcome = c.evaluation = c.assessed_on = c.closed_at = None
            c.cadence_due = c.next_review_on = self.next_review_on

    class RiskAssessed(HubAggregate.Event):
        TYPE = "case.risk_assessed"
        PERSONAL: ClassVar[tuple[str, ...]] = ("note",)
        level: str
        previous_level: str | None
        factors: list[str]
        note: str | None
        cadence_due: str
        next_review_on: str

        def evolve(self, c: Case) -> None:
            c.risk_level, c.assessed_on = self.level, self.timestamp.date().isoformat()
            c.cadence_due, c.next_review_on = self.cadence_due, self.next_review_on
            c.risk_assessments.append({
                "number": len(c.risk_assessments) + 1, "level": self.level,
                "previous_level": self.previous_level, "factors": list(self.factors),
                "note": self.note, "next_review_on": self.next_review_on,
                "assessed_at": format_time(self.timestamp), "by": dict(self.actor)})

    class InvestigationReported(HubAggregate.Event):
        TYPE = "case.investigation_reported"
        PERSONAL: ClassVar[tuple[str, ...]] = ("summary", "findings", "recommendations")
        number: int
        summary: str
        findings: str
        recommendations: str
        submitted_to: list[str]
        sha256: str

        def evolve(self, c: Case) -> None:
            c.investigation_reports.append({
                "number": self.number, "summary": self.summary, "findings": self.findings,
                "recommendations": self.recommendations, "submitted_to": list(self.submitted_to),
                "sha256": self.sha256, "submitted_at": format_time(self.timestamp),
                "by": dict(self.actor)})

    class PlanSet(HubAggregate.Event):
        TYPE = "case.plan_set"
        goals: list[str]
        sessions_planned: int
        review_on: str
        next_review_on: str

        def evolve(self, c: Case) -> None:
            c.plan = {"goals": list(self.goals), "sessions_planned": self.sessions_planned,
                      "review_on": self.review_on, "set_at": format_time(self.timestamp),
                      "by": dict(self.actor)}
            c.next_review_on = self.next_review_on

    class SessionRecorded(HubAggregate.Event):
        TYPE = "case.session_recorded"
        PERSONAL: ClassVar[tuple[str, ...]] = ("attendees", "notes")
        agency: str
        held_on: str
        kind: str
        attendees: list[str]
        guardian_present: bool
        notes: str

        def evolve(self, c: Case) -> None:
            c.sessions.append({
                "number": len(c.sessions) + 1, "agency": self.agency, "held_on": self.held_on,
                "kind": self.kind, "attendees": list(self.attendees),
                "guardian_present": self.guardian_present, "notes": self.notes,
                "recorded_at": format_time(self.timestamp), "by": dict(self.actor)})

    class SupervisionReviewed(HubAggregate.Event):
        TYPE = "case.supervision_reviewed"
        PERSONAL: ClassVar[tuple[str, ...]] = ("advice",)
        reviewer: str
        advice: str

        def evolve(self, c: Case) -> None:
            c.supervision_reviews.append({
                "number": len(c.supervision_reviews) + 1, "reviewer": self.reviewer,
                "advice": self.advice, "reviewed_at": format_time(self.timestamp),
                "by": dict(self.actor)})

    class ParticipantAdded(HubAggregate.Event):
        TYPE = "case.participant_added"
        agency: str
        role: str

        def evolve(self, c: Case) -> None:
            c.participants.append({"agency": self.agency, "role": self.role,
                                   "added_at": format_time(self.timestamp)})

    class Closed(HubAggregate.Event):
        TYPE = "case.closed"
        PERSONAL: ClassVar[tuple[str, ...]] = ("evaluation",)
        outcome: str
        evaluation: str

        def evolve(self, c: Case) -> None:
            c.status, c.outcome, c.evaluation = "closed", self.outcome, self.evaluation
            c.closed_at, c.next_review_on = format_time(self.timestamp), None

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, *, referral_id: UUID, referrer: str, caller: Caller, lead_worker: str,
             participants: list[dict[str, str]], subject: dict[str, Any], risk_level: str | None,
             at: datetime, review_days: Mapping[str, int]) -> Case:
        """The receiver of an accepted referral opens the case; it leads and participates."""
        if caller.is_inspector:
            raise NotPermitted("Inspectors are read-only.")
        agencies = [p["agency"] for p in participants]
        if len(set(agencies)) != len(agencies):
            raise Invalid("An agency participates once.",
                          {"participants": ["Each agency may appear only once."]})
        if caller.agency not in agencies:
            participants = [{"agency": caller.agency, "role": "lead"}, *participants]
        due = review_due(at.date(), risk_level, review_days)
        case: Case = cls._start(
            cls.Opened, id=case_id_for(referral_id), actor=caller.actor, timestamp=at,
            referral_id=str(referral_id), referrer=referrer, lead_agency=caller.agency,
            lead_worker=lead_worker, subject=subject, risk_level=risk_level,
            participants=[{"agency": p["agency"], "role": p["role"]} for p in participants],
            next_review_on=due.isoformat())
        return case

    # --- rules ------------------------------------------------------------------------------

    @property
    def participant_agencies(self) -> list[str]:
        return [p["agency"] for p in self.participants]

    @property
    def parties(self) -> list[str]:
        """Every agency with some view of the case: participants and the referrer."""
        return [*self.participant_agencies,
                *([self.referrer] if self.referrer not in self.participant_agencies else [])]

    def visible_to(self, caller: Caller) -> bool:
        """Participants see the whole case."""
        return caller.agency in self.participant_agencies

    def outcome_only_for(self, caller: Caller) -> bool:
        """The referrer, when not a participant, sees the status and the outcome only."""
        return caller.agency == self.referrer and not self.visible_to(caller)

    def guard(self, action: str, caller: Caller) -> None:
        """Refuse the action unless the caller's part in the case and its status allow it."""
        who = RULES[action]
        if caller.is_inspector:
            raise NotPermitted("Inspectors are read-only.")
        if who == "lead" and caller.agency != self.lead_agency:
            raise NotPermitted(f"Only the lead agency ({self.lead_agency}) may do {action}.")
        if who == "participant" and not self.visible_to(caller):
            raise NotPermitted(f"Only a participant agency may do {action}.")
        if self.status != "open":
            raise InvalidTransition(
                f"Cannot do {action} on a case that is {self.status}; allowed now: none (final).",
                status=self.status, allowed=[])

    def allowed_actions(self) -> list[str]:
        return list(RULES) if self.status == "open" else []

    @property
    def _plan_on(self) -> str | None:
        return self.plan["review_on"] if self.plan else None

    def review_overdue(self, today: date) -> bool:
        """An open case whose next review date has passed."""
        return (self.status == "open" and self.next_review_on is not None
                and today.isoformat() > self.next_review_on)

    # --- commands (lead agency unless noted) ------------------------------------------------

    def assess_risk(self, caller: Caller, *, at: datetime, level: str, factors: list[str],
                    note: str | None = None, review_days: Mapping[str, int]) -> None:
        """Record a colour card (红橙蓝); a change of colour must say why."""
        self.guard("risk-assessments", caller)
        if level not in RISK_LEVELS:
            raise Invalid("Unknown risk level.", {"level": [f"Must be one of {RISK_LEVELS}."]})
        if self.risk_level is not None and level != self.risk_level and not (note or "").strip():
            raise Invalid(f"A change of colour from {self.risk_level} to {level} needs a note.",
                          {"note": ["Required when the colour changes."]})
        on = at.date().isoformat()
        cadence = review_due(at.date(), level, review_days).isoformat()
        self._record(self.RiskAssessed, actor=caller.actor, timestamp=at, level=level,
                     previous_level=self.risk_level, factors=list(factors), note=note,
                     cadence_due=cadence, next_review_on=next_review(cadence, on, self._plan_on))

    def report_investigation(self, caller: Caller, *, at: datetime, summary: str, findings: str,
                             recommendations: str, submitted_to: list[str]) -> None:
        """File a new version of the social-investigation report, hashed as a document of
        record, and address it to participants or the referrer."""
        self.guard("investigation-reports", caller)
        strangers = sorted(set(submitted_to) - set(self.parties))
        if strangers:
            raise Invalid("A report goes only to participants or the referrer.",
                          {"submitted_to": [f"Not a party to this case: {', '.join(strangers)}."]})
        number = len(self.investigation_reports) + 1
        addressees = sorted(set(submitted_to))
        content = report_content(str(self.id), number, summary, findings, recommendations,
                                 addressees)
        self._record(self.InvestigationReported, actor=caller.actor, timestamp=at,
                     number=number, summary=summary, findings=findings,
                     recommendations=recommendations, submitted_to=addressees,
                     sha256=report_sha256(content))

    def set_plan(self, caller: Caller, *, at: datetime, goals: list[str], sessions_planned: int,
                 review_on: date) -> None:
        """Set (or replace) the service plan; its review date may bring the next review on."""
        self.guard("plan", caller)
        if review_on < at.date():
            raise Invalid("The plan's review date has passed.",
                          {"review_on": ["Must be today or later."]})
        review = review_on.isoformat()
        self._record(self.PlanSet, actor=caller.actor, timestamp=at, goals=list(goals),
                     sessions_planned=sessions_planned, review_on=review,
                     next_review_on=next_review(self.cadence_due, self.assessed_on, review))

    def record_session(self, caller: Caller, *, at: datetime, held_on: date, kind: str,
                       attendees: list[str], guardian_present: bool, notes: str) -> None:
        """Any participant records a session it held, in its own agency's name."""
        self.guard("sessions", caller)
        if kind not in SESSION_KINDS:
            raise Invalid("Unknown session kind.", {"kind": [f"Must be one of {SESSION_KINDS}."]})
        if held_on > at.date():
            raise Invalid("A session is recorded after it is held.",
                          {"held_on": ["Must not be in the future."]})
        self._record(self.SessionRecorded, actor=caller.actor, timestamp=at,
                     agency=caller.agency, held_on=held_on.isoformat(), kind=kind,
                     attendees=list(attendees), guardian_present=guardian_present, notes=notes)

    def review_supervision(self, caller: Caller, *, at: datetime, reviewer: str,
                           advice: str) -> None:
        """Record a supervisor's review (督导) of the case."""
        self.guard("supervision-reviews", caller)
        self._record(self.SupervisionReviewed, actor=caller.actor, timestamp=at,
                     reviewer=reviewer, advice=advice)

    def add_participant(self, caller: Caller, *, at: datetime, agency: str, role: str) -> None:
        """Bring another agency into the case."""
        self.guard("participants", caller)
        if agency in self.participant_agencies:
            raise Conflict(f"{agency} already participates in this case.")
        self._record(self.ParticipantAdded, actor=caller.actor, timestamp=at,
                     agency=agency, role=role)

    def close(self, caller: Caller, *, at: datetime, outcome: str, evaluation: str) -> None:
        """Close the case with an outcome and an evaluation; final."""
        self.guard("close", caller)
        if outcome not in OUTCOMES:
            raise Invalid("Unknown outcome.", {"outcome": [f"Must be one of {OUTCOMES}."]})
        self._record(self.Closed, actor=caller.actor, timestamp=at, outcome=outcome,
                     evaluation=evaluation)
