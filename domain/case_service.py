"""Commands on cases: open one from an accepted referral, the seven actions, and reads by role."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import Caller
from domain.case import Case
from domain.case_rules import DEFAULT_REVIEW_DAYS
from domain.case_view import (
    FULL,
    MASKED,
    OUTCOME_ONLY,
    case_view,
    case_view_is_timeless,
    masked_case_view,
    outcome_view,
    report_view,
)
from domain.errors import Invalid, NotFound
from domain.referral import Referral

if TYPE_CHECKING:
    from domain.application import HubApplication as _Base
else:
    _Base = object

ACTIONS: dict[str, Callable[..., None]] = {
    "risk-assessments": Case.assess_risk,
    "investigation-reports": Case.report_investigation,
    "plan": Case.set_plan,
    "sessions": Case.record_session,
    "supervision-reviews": Case.review_supervision,
    "participants": Case.add_participant,
    "close": Case.close,
}
# Actions whose next review date follows the configured cadence.
CADENCED = ("risk-assessments",)


@dataclass(frozen=True)
class CaseReading:
    """A case as one caller sees it on `today`; `recorded_as` is the access record's view
    (None for the referrer's outcome-only view, which holds no personal data)."""

    case: Case
    view: dict[str, Any]
    today: date
    recorded_as: str | None

    def same_as_when_written(self) -> bool:
        """Whether every copy of this version made since it was written reads the same."""
        return case_view_is_timeless(self.case, self.today)


class CaseCommands(_Base):
    """The cases' part of the service layer."""

    # Days between reviews by colour; open_application sets it from the settings.
    review_days: Mapping[str, int] = DEFAULT_REVIEW_DAYS

    def open_case(self, caller: Caller, *, referral_id: str | UUID, lead_worker: str,
                  participants: list[dict[str, str]]) -> Case:
        """The receiver of an accepted referral opens its case; the referral records it in
        the same save, so the case exists exactly when the referral names it."""
        opened: list[Case] = []

        def command(referral: Referral) -> list[Any]:
            referral.guard("open-case", caller)  # 403/409 before the body is checked
            self._check_agencies([p["agency"] for p in participants], "participants")
            at = self.clock()
            case = Case.open(referral_id=referral.id, referrer=referral.from_agency,
                             caller=caller, lead_worker=lead_worker, participants=participants,
                             subject=referral.subject, risk_level=referral.risk_level, at=at,
                             review_days=self.review_days)
            referral.open_case(caller, at=at, case_id=str(case.id))
            opened[:] = [case]
            return [case]

        try:
            self.change(referral_id, Referral, command,
                        check=lambda r: self.require_visible(caller, r))
        except NotFound:
            raise Invalid("No such referral.", {"referral_id": ["No such referral."]}) from None
        return opened[-1]

    def _check_agencies(self, agencies: list[str], field: str) -> None:
        unknown = sorted(a for a in set(agencies) if not self.agency_exists(a))
        if unknown:
            raise Invalid("Unknown agency.", {field: [f"No such agency: {', '.join(unknown)}."]})

    def act_on_case(self, caller: Caller, case_id: str | UUID, action: str,
                    payload: dict[str, Any], expected_version: int | None = None) -> Case:
        """Run one of the case's actions, retried on a lost race without If-Match."""
        if action not in ACTIONS:
            raise NotFound(f"No action {action!r}.")
        extra = {"review_days": self.review_days} if action in CADENCED else {}

        def command(case: Case) -> None:
            if action == "participants":
                case.guard(action, caller)  # 403/409 before the body's agency is checked
                self._check_agencies([payload["agency"]], "agency")
            ACTIONS[action](case, caller, at=self.clock(), **payload, **extra)

        def visible(case: Case) -> None:
            self.case_access(caller, case)

        return self.change(case_id, Case, command, expected_version=expected_version,
                           check=visible)

    def case_access(self, caller: Caller, case: Case) -> str:
        """How the caller may see the case (full, masked, outcome-only); NotFound otherwise."""
        if case.visible_to(caller):
            return FULL
        if case.outcome_only_for(caller):
            return OUTCOME_ONLY
        if caller.is_inspector and any(
            caller.oversees(self.jurisdiction_of(p)) for p in case.parties
        ):
            return MASKED
        raise NotFound("No such resource.")

    def get_case(self, caller: Caller, case_id: str | UUID, *, version: int | None = None,
                 as_of: datetime | None = None) -> tuple[Case, str]:
        """The case now, at a version, or as of a moment, and how the caller may see it."""
        current = self.load(case_id, Case)
        access = self.case_access(caller, current)
        if version is not None:
            if not 1 <= version <= current.version:
                raise NotFound(f"The case has no version {version}.")
            return self.load(case_id, Case, version=version), access
        if as_of is not None:
            return self.as_of(case_id, Case, as_of), access
        return current, access

    def case_reading(self, caller: Caller, case_id: str | UUID, *, version: int | None = None,
                     as_of: datetime | None = None) -> CaseReading:
        """The caller's representation of the case, not yet recorded as a read."""
        case, access = self.get_case(caller, case_id, version=version, as_of=as_of)
        today = as_of.date() if as_of is not None else self.clock().date()
        if access == OUTCOME_ONLY:
            return CaseReading(case, outcome_view(case, caller.agency), today, None)
        view = case_view(case, today) if access == FULL else masked_case_view(case, today)
        read = "version" if version is not None else "as_of" if as_of is not None else "current"
        return CaseReading(case, view, today, read)

    def record_case_read(self, caller: Caller, reading: CaseReading,
                         purpose: str | None = None) -> None:
        """Record a reading that returned personal data (the outcome-only view holds none)."""
        if reading.recorded_as is not None:
            self.record_access(caller, reading.case.id, "case", purpose=purpose,
                               view=reading.recorded_as)

    def read_case(self, caller: Caller, case_id: str | UUID, *, version: int | None = None,
                  as_of: datetime | None = None, purpose: str | None = None) -> dict[str, Any]:
        """The caller's representation of the case; reads of personal data are recorded."""
        reading = self.case_reading(caller, case_id, version=version, as_of=as_of)
        self.record_case_read(caller, reading, purpose)
        return reading.view

    def read_investigation_report(self, caller: Caller, case_id: str | UUID, number: int, *,
                                  purpose: str | None = None) -> dict[str, Any]:
        """Report version `number` for participants, for the agencies it was submitted to,
        and masked for inspectors; NotFound for anyone else."""
        case, access = self.get_case(caller, case_id)
        if not 1 <= number <= len(case.investigation_reports):
            raise NotFound(f"The case has no investigation report {number}.")
        addressed = caller.agency in case.investigation_reports[number - 1]["submitted_to"]
        if access == OUTCOME_ONLY and not addressed:
            raise NotFound(f"The case has no investigation report {number}.")
        self.record_access(caller, case.id, "case", purpose=purpose,
                           view=f"investigation_report:{number}")
        return report_view(case, number, masked=access == MASKED)
