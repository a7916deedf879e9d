"""A small world of agencies and callers for the domain and application tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.application import HubApplication
from domain.base import Caller

HUB_ADMIN = Caller(agency="hub", user="hub-admin", role="hub_admin")
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

# slug -> (kind, jurisdiction)
AGENCIES = {
    "ref": ("civil_affairs", "hubei/jingmen/dongbao"),
    "rec": ("workstation", "hubei/jingmen/shayang"),
    "alt": ("social_work_firm", "hubei/jingmen/zhongxiang"),
    "third": ("school", "hubei/jingmen/jingshan"),
    "outsider": ("health", "hubei/wuhan/hongshan"),
    "insp-jingmen": ("procuratorate", "hubei/jingmen"),
    "insp-jing": ("procuratorate", "hubei/jing"),
    "insp-wuhan": ("procuratorate", "hubei/wuhan"),
    "insp-hubei": ("procuratorate", "hubei"),
}


def caller(slug: str, role: str = "staff", user: str = "") -> Caller:
    """A caller of one of the world's agencies."""
    return Caller(agency=slug, user=user or f"{slug}-{role}", role=role,
                  jurisdiction=AGENCIES[slug][1])


def inspector(slug: str) -> Caller:
    return caller(slug, "inspector")


def submission(to_agency: str = "rec", **overrides: Any) -> dict[str, Any]:
    """A valid submission body (the fields the application's submit takes)."""
    fields: dict[str, Any] = {
        "to_agency": to_agency,
        "category": "family_education_guidance",
        "urgency": "urgent",
        "reason": "Guardian asks for parenting guidance.",
        "subject": {"name": "Li Xiaoming", "id_number": "420802201001011234",
                    "guardian": {"name": "Li Wei", "relation": "father"}},
        "consent": {"basis": "guardian_consent"},
    }
    fields.update(overrides)
    return fields


def payload(action: str, *, to_agency: str = "alt") -> dict[str, Any]:
    """A valid body for each of the contract's ten actions."""
    return {
        "accept": {"assignee": "worker-1", "note": "on it"},
        "decline": {"reason": "out of scope"},
        "redirect": {"to_agency": to_agency, "reason": "better placed"},
        "request-info": {"question": "Which school?"},
        "provide-info": {"answer": "Dongbao No. 2"},
        "withdraw": {"reason": "resolved elsewhere"},
        "notes": {"text": "home visit booked"},
        "complete": {"outcome": "service_provided", "summary": "six sessions held"},
        "acknowledge": {"note": "thanks"},
        "reopen": {"reason": "problems returned"},
    }[action]


@dataclass
class Clock:
    """An injectable clock that only moves when told."""

    now: datetime = T0
    step: timedelta = field(default=timedelta(seconds=1))

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def register_world(app: HubApplication, slugs: Any = None) -> None:
    """Register the world's agencies (all by default) as the hub administrator."""
    for slug in slugs or AGENCIES:
        kind, jurisdiction = AGENCIES[slug]
        app.register_agency(HUB_ADMIN, id=slug, name=f"Agency {slug}", kind=kind,
                            jurisdiction=jurisdiction)


def with_clock(app: HubApplication) -> Clock:
    """Give `app` a controllable clock and return it."""
    clock = Clock()
    app.clock = clock
    return clock


Step = tuple[str, str]  # (action, side: "referrer" | "receiver")

# How to reach each status of the contract from a fresh submission.
PATHS: dict[str, list[Step]] = {
    "submitted": [],
    "info_requested": [("request-info", "receiver")],
    "accepted": [("accept", "receiver")],
    "completed": [("accept", "receiver"), ("complete", "receiver")],
    "declined": [("decline", "receiver")],
    "withdrawn": [("withdraw", "referrer")],
    "closed": [("accept", "receiver"), ("complete", "receiver"), ("acknowledge", "referrer")],
}
STATUSES = tuple(PATHS)


def walk(act: Callable[[Caller, str, dict[str, Any]], Any], status: str,
         referrer: Caller, receiver: Caller) -> None:
    """Drive a submitted referral to `status` through `act(caller, action, payload)`."""
    for action, side in PATHS[status]:
        act(referrer if side == "referrer" else receiver, action, payload(action))
