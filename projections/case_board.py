"""The case board: one row per case (its list item, encrypted) and its sessions, for caseloads.

Agencies see the cases they lead or take part in, newest first, filtered by status, colour and
overdue review — the workstation's daily worklist — and a summary of their caseload. One small
handler per event type; a batch of events is applied in one view transaction (`CaseBatch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import orjson
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic

from domain.agency import Agency
from domain.case import Case
from domain.chain import format_time
from projections.engine.catchup import BatchProjection
from projections.engine.tracked import Txn
from projections.referral_board import Sealer

Doc = dict[str, Any]


class CaseStore(Protocol):
    """What the projection needs of a view, inside one of its transactions."""

    def load_cases(self, txn: Any, ids: Iterable[str]) -> dict[str, bytes]: ...
    def load_jurisdictions(self, txn: Any, slugs: Iterable[str]) -> dict[str, str]: ...
    def save(self, txn: Any, changes: CaseChanges) -> None: ...


def case_topics() -> tuple[str, ...]:
    """Every case event's topic, and the agency registration (for inspectors' jurisdictions)."""
    events = [v for v in vars(Case).values() if isinstance(v, type) and issubclass(v, Case.Event)]
    return (*sorted(get_topic(e) for e in events), get_topic(Agency.Registered))


class CaseChanges:
    """Rows one batch writes: cases (columns and sealed item), parties, sessions, agencies."""

    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.parties: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.agencies: dict[str, str] = {}

    def unique_parties(self) -> list[dict[str, Any]]:
        """One row per (case, agency), the latest (one upsert may not touch a row twice)."""
        latest = {(p["case_id"], p["agency"]): p for p in self.parties}
        return [latest[key] for key in sorted(latest)]


class CaseBatch:
    """The list items one batch touches: loaded once, changed in memory, written once."""

    def __init__(self, store: CaseStore, txn: Txn, sealer: Sealer) -> None:
        self.store, self.txn, self.sealer = store, txn, sealer
        self.docs: dict[str, Doc] = {}
        self.dirty: set[str] = set()
        self.changes = CaseChanges()
        self.jurisdictions: dict[str, str] = {}

    def prefetch(self, events: Sequence[Any]) -> None:
        ids = {str(e.originator_id) for e in events
               if isinstance(e, Case.Event) and not isinstance(e, Case.Opened)}
        for cid, sealed in self.store.load_cases(self.txn, ids).items():
            self.docs[cid] = orjson.loads(self.sealer.decrypt(sealed))
        slugs = {p["agency"] for e in events for p in getattr(e, "participants", [])}
        slugs |= {s for e in events if isinstance(s := getattr(e, "agency", None), str)}
        slugs |= {s for e in events if isinstance(s := getattr(e, "referrer", None), str)}
        self.jurisdictions.update(self.store.load_jurisdictions(self.txn, slugs))

    def touch(self, event: Any) -> Doc | None:
        """The event's case item, stamped with the event's version and time."""
        doc = self.docs.get(str(event.originator_id))
        if doc is None:
            return None  # the case's first event lies before the tracked position
        doc["version"], doc["updated_at"] = event.originator_version, format_time(event.timestamp)
        self.dirty.add(doc["id"])
        return doc

    def add_party(self, doc: Doc, agency: str, participant: bool) -> None:
        self.changes.parties.append({
            "case_id": doc["id"], "agency": agency, "participant": int(participant),
            "jurisdiction": self.jurisdictions.get(agency, ""), "created_at": doc["created_at"]})

    def flush(self) -> None:
        for cid in sorted(self.dirty):
            doc = self.docs[cid]
            plain = orjson.dumps(doc)  # compact UTF-8, as json.dumps; ~15x faster
            self.changes.cases.append({
                "id": cid, "created_at": doc["created_at"], "status": doc["status"],
                "risk_level": doc["risk_level"], "next_review_on": doc["next_review_on"],
                "lead_agency": doc["lead_agency"], "doc": self.sealer.encrypt(plain)})
        self.store.save(self.txn, self.changes)


class CaseBoardProjection(BatchProjection[Txn]):
    """Case events → the board's rows; agency registrations → jurisdictions."""

    name = "case_board"
    topics = case_topics()

    def __init__(self, view: Any, sealer: Sealer) -> None:
        super().__init__(view)
        self.sealer = sealer

    def apply(self, txn: Txn, events: Sequence[Any]) -> None:
        batch = CaseBatch(self.view, txn, self.sealer)
        batch.prefetch(events)
        for event in events:
            self.handle(event, batch)
        batch.flush()

    @singledispatchmethod
    def handle(self, event: Any, batch: CaseBatch) -> None:
        """Events of other kinds do not change the board."""

    @handle.register(Agency.Registered)
    def _registered(self, e: Agency.Registered, b: CaseBatch) -> None:
        b.jurisdictions[e.slug] = b.changes.agencies[e.slug] = e.jurisdiction

    @handle.register(Case.Event)
    def _other(self, e: Case.Event, b: CaseBatch) -> None:
        b.touch(e)

    @handle.register(Case.Opened)
    def _opened(self, e: Case.Opened, b: CaseBatch) -> None:
        at = format_time(e.timestamp)
        agencies = [p["agency"] for p in e.participants]
        doc = b.docs[str(e.originator_id)] = {
            "id": str(e.originator_id), "version": e.originator_version, "status": "open",
            "referral_id": e.referral_id, "referrer": e.referrer, "lead_agency": e.lead_agency,
            "lead_worker": e.lead_worker, "participants": agencies,
            "subject": {"name": e.subject.get("name")}, "risk_level": e.risk_level,
            "next_review_on": e.next_review_on, "plan_review_on": None,
            "investigation_reports": 0, "sessions": 0, "last_session_on": None,
            "supervision_reviews": 0, "outcome": None, "closed_at": None,
            "created_at": at, "updated_at": at}
        b.dirty.add(doc["id"])
        for agency in agencies:
            b.add_party(doc, agency, participant=True)
        if e.referrer not in agencies:
            b.add_party(doc, e.referrer, participant=False)

    @handle.register(Case.RiskAssessed)
    def _assessed(self, e: Case.RiskAssessed, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["risk_level"], doc["next_review_on"] = e.level, e.next_review_on

    @handle.register(Case.InvestigationReported)
    def _reported(self, e: Case.InvestigationReported, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["investigation_reports"] = e.number

    @handle.register(Case.PlanSet)
    def _planned(self, e: Case.PlanSet, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["plan_review_on"], doc["next_review_on"] = e.review_on, e.next_review_on

    @handle.register(Case.SessionRecorded)
    def _session(self, e: Case.SessionRecorded, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["sessions"] += 1
            doc["last_session_on"] = max(doc["last_session_on"] or e.held_on, e.held_on)
            b.changes.sessions.append({
                "case_id": doc["id"], "number": doc["sessions"], "agency": e.agency,
                "kind": e.kind, "held_on": e.held_on,
                "guardian_present": int(e.guardian_present)})

    @handle.register(Case.SupervisionReviewed)
    def _supervised(self, e: Case.SupervisionReviewed, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["supervision_reviews"] += 1

    @handle.register(Case.ParticipantAdded)
    def _joined(self, e: Case.ParticipantAdded, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["participants"].append(e.agency)
            b.add_party(doc, e.agency, participant=True)

    @handle.register(Case.Closed)
    def _closed(self, e: Case.Closed, b: CaseBatch) -> None:
        if (doc := b.touch(e)) is not None:
            doc["status"], doc["outcome"], doc["next_review_on"] = "closed", e.outcome, None
            doc["closed_at"] = format_time(e.timestamp)


def is_overdue(doc: Doc, today: date) -> bool:
    """An open case whose next review date has passed (the same rule as the aggregate's)."""
    due = doc["next_review_on"]
    return doc["status"] == "open" and due is not None and today.isoformat() > due
