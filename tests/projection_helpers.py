"""Shared scenario for the projection tests: agencies in a jurisdiction tree, referrals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.application import HubApplication
from domain.base import Caller
from domain.referral import Referral
from projections.referral_board import ReferralBoard

HUB_ADMIN = Caller(agency="hub", user="hub-admin", role="hub_admin")
AGENCIES = {
    "jm-civil": "hubei/jingmen", "jm-school": "hubei/jingmen/dongbao",
    "wh-health": "hubei/wuhan", "jmx-court": "hubei/jingmenx",
}
START = datetime(2030, 1, 1, tzinfo=UTC)
SUBJECT_NAME = "Xiaoming Testperson 4401"


class Clock:
    """A clock the test moves: every command gets a distinct, increasing time."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def staff(agency: str) -> Caller:
    return Caller(agency=agency, user=f"{agency}-user", role="staff",
                  jurisdiction=AGENCIES.get(agency, ""))


def register_agencies(app: HubApplication) -> None:
    for slug, jurisdiction in AGENCIES.items():
        app.register_agency(HUB_ADMIN, id=slug, name=slug, kind="other",
                            jurisdiction=jurisdiction)


def submit(app: HubApplication, frm: str, to: str, **extra: Any) -> Referral:
    fields = {"to_agency": to, "category": "other", "urgency": "urgent",
              "reason": "needs help", "subject": {"name": SUBJECT_NAME, "id_number": "X123"},
              "consent": {"basis": "guardian_consent"}, **extra}
    referral, _ = app.submit_referral(staff(frm), fields, idempotency_key=str(uuid.uuid4()))
    return referral


def act(app: HubApplication, who: str, referral: Referral, action: str, **payload: Any) -> Referral:
    return app.act_on_referral(staff(who), referral.id, action, payload)


def full_life(app: HubApplication) -> list[Referral]:
    """Referrals that between them pass through every referral event type."""
    a = submit(app, "jm-civil", "wh-health", category="elderly_care", urgency="emergency")
    act(app, "wh-health", a, "request-info", question="Which school?")
    act(app, "jm-civil", a, "provide-info", answer="No. 3 middle school")
    act(app, "wh-health", a, "redirect", to_agency="jm-school", reason="closer")
    act(app, "jm-school", a, "accept", assignee="teacher-li")
    act(app, "jm-civil", a, "notes", text="called the family")
    act(app, "jm-school", a, "complete", outcome="service_provided", summary="done")
    act(app, "jm-civil", a, "reopen", reason="not finished")
    app.change(a.id, Referral, lambda r: r.open_case(staff("jm-school"), at=app.clock(),
                                                     case_id="case-1"))
    act(app, "jm-school", a, "complete", outcome="service_provided", summary="done now")
    act(app, "jm-civil", a, "acknowledge", note="thanks")
    b = submit(app, "wh-health", "jm-civil")
    act(app, "jm-civil", b, "decline", reason="not ours")
    c = submit(app, "jm-school", "jmx-court")
    act(app, "jm-school", c, "withdraw", reason="mistake")
    d = submit(app, "jmx-court", "wh-health", urgency="emergency")
    app.escalate_referral(d.id, START + timedelta(days=30))
    return [a, b, c, d]


def listed(board: ReferralBoard, **query: Any) -> list[str]:
    """Every id the query lists, following cursors to the end."""
    ids: list[str] = []
    cursor = query.pop("cursor", None)
    query.setdefault("now", START)
    while True:
        items, cursor = board.page(cursor=cursor, **query)
        ids += [item["id"] for item in items]
        if cursor is None:
            return ids
