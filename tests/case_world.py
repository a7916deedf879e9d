"""A fictional Dongbao-like district for case tests: seven parties, the workstation, outsiders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from domain.application import HubApplication
from domain.base import Caller
from domain.case import Case
from domain.referral import Referral
from tests.stores import TEST_CIPHER_KEY

HUB_ADMIN = Caller(agency="hub", user="hub-admin", role="hub_admin")
DISTRICT = "hubei/jingmen/dongbao"

# slug -> (name, kind, jurisdiction)
AGENCIES = {
    "procuratorate": ("示例区检察院", "procuratorate", DISTRICT),
    "workstation": ("示例区家庭教育指导工作站", "workstation", DISTRICT),
    "ngc": ("示例区关工委", "next_generation_committee", DISTRICT),
    "youth-league": ("示例区团委", "youth_league", DISTRICT),
    "womens-federation": ("示例区妇联", "womens_federation", DISTRICT),
    "education": ("示例区教育局", "education", DISTRICT),
    "civil-affairs": ("示例区民政局", "civil_affairs", DISTRICT),
    "social-work": ("示例社工服务中心", "social_work_firm", DISTRICT),
    "school": ("示例第三中学", "school", DISTRICT),
    "city-inspection": ("示例市民政局督查", "civil_affairs", "hubei/jingmen"),
    "elsewhere-inspection": ("外县民政局督查", "civil_affairs", "hubei/xiangyang"),
}
# The workstation leads; these six join it: seven participants in all.
PARTNERS = ["ngc", "youth-league", "womens-federation", "education", "civil-affairs",
            "social-work"]

SUBJECT = {"name": "示例小明", "id_number": "000000200901010000", "birth_date": "2009-01-01",
           "gender": "male", "phone": "00000000000", "address": "示例市虚构路1号",
           "guardian": {"name": "示例王某", "relation": "mother", "phone": "00000000001"}}


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2024, 3, 1, 2, tzinfo=timezone.utc))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def staff(agency: str, user: str = "worker") -> Caller:
    return Caller(agency=agency, user=user, role="staff", jurisdiction=AGENCIES[agency][2])


def inspector(agency: str = "city-inspection") -> Caller:
    return Caller(agency=agency, user="inspector", role="inspector",
                  jurisdiction=AGENCIES[agency][2])


def register_agencies(app: HubApplication) -> None:
    for slug, (name, kind, jurisdiction) in AGENCIES.items():
        app.register_agency(HUB_ADMIN, id=slug, name=name, kind=kind, jurisdiction=jurisdiction)


def accepted_referral(app: HubApplication, risk_level: str | None = None,
                      to: str = "workstation") -> Referral:
    referral, _ = app.submit_referral(staff("procuratorate"), {
        "to_agency": to, "category": "family_education_guidance", "urgency": "routine",
        "reason": "涉案未成年人家庭教育指导（示例）", "subject": SUBJECT,
        "consent": {"basis": "legal_mandate"}, "risk_level": risk_level})
    return app.act_on_referral(staff(to), referral.id, "accept", {"assignee": "worker"})


def opened_case(app: HubApplication, risk_level: str | None = None,
                partners: list[str] | None = None) -> Case:
    referral = accepted_referral(app, risk_level)
    participants = [{"agency": a, "role": "partner"} for a in (partners or PARTNERS)]
    return app.open_case(staff("workstation"), referral_id=referral.id, lead_worker="worker",
                         participants=participants)


def assess(app: HubApplication, case: Case, level: str, note: str | None = None,
           **kwargs: Any) -> Case:
    return app.act_on_case(staff("workstation"), case.id, "risk-assessments",
                           {"level": level, "factors": ["监护缺位"], "note": note}, **kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Iterator[HubApplication]:
    """An in-memory Application on a hand-moved clock, with the district's agencies."""
    application = HubApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                                      "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                                      "CIPHER_KEY": TEST_CIPHER_KEY}, clock=clock)
    register_agencies(application)
    yield application
