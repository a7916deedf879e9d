"""A fictional Dongbao-like district for case tests: seven parties, the workstation, outsiders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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

    now: datetime = field(default_factory=lambda: datetime(2024, 3, 1, 2, tzinfo=UTC))

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


ADMIN_TOKEN = "case-world-admin-token"
INSPECTORS = {"inspector": "city-inspection", "far-inspector": "elsewhere-inspection"}


@dataclass
class HttpWorld:
    """The district over HTTP: every agency registered, a staff token for each, inspectors."""

    client: Any
    clock: Clock
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def build(self) -> HttpWorld:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        for slug, (name, kind, jurisdiction) in AGENCIES.items():
            answer = self.client.post("/api/v1/agencies", headers=admin, json={
                "id": slug, "name": name, "kind": kind, "jurisdiction": jurisdiction})
            assert answer.status_code == 201, answer.json
        users = {slug: (slug, "staff") for slug in AGENCIES}
        users.update({user: (agency, "inspector") for user, agency in INSPECTORS.items()})
        for user, (agency, role) in users.items():
            answer = self.client.post(f"/api/v1/agencies/{agency}/tokens", headers=admin,
                                      json={"user": user, "role": role})
            assert answer.status_code == 201, answer.json
            self.headers[user] = {"Authorization": f"Bearer {answer.json['token']}"}
        return self

    def get(self, who: str, path: str, **headers: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers={**self.headers[who], **headers})

    def post(self, who: str, path: str, body: dict[str, Any], **headers: str) -> Any:
        return self.client.post(f"/api/v1{path}", json=body,
                                headers={**self.headers[who], **headers})

    def ok(self, answer: Any, status: int = 200) -> Any:
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()

    def referral(self, to: str = "workstation", risk_level: str | None = None) -> str:
        """A referral from the procuratorate, accepted by `to`; returns its id."""
        body = {"to_agency": to, "category": "family_education_guidance",
                "urgency": "routine", "reason": "涉案未成年人家庭教育指导（示例）",
                "subject": SUBJECT, "consent": {"basis": "legal_mandate"}}
        if risk_level:
            body["risk_level"] = risk_level
        referral = self.ok(self.post("procuratorate", "/referrals", body), 201)
        self.ok(self.post(to, f"/referrals/{referral['id']}/accept", {"assignee": "worker"}))
        return str(referral["id"])

    def case(self, partners: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """A case opened by the workstation on a fresh accepted referral."""
        body = {"referral_id": self.referral(**kwargs), "lead_worker": "示例社工甲",
                "participants": [{"agency": a, "role": "partner"}
                                 for a in (PARTNERS if partners is None else partners)]}
        return dict(self.ok(self.post("workstation", "/cases", body), 201))


@pytest.fixture
def world(tmp_path: Any) -> Iterator[HttpWorld]:
    """A fresh SQLite store behind the Flask app, on a hand-moved clock."""
    from adapters.settings import Settings
    from adapters.storage import open_application
    from hub import create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                        cipher_key=TEST_CIPHER_KEY, admin_token=ADMIN_TOKEN)
    clock = Clock()
    application = open_application(settings, clock=clock)
    flask_app = create_app({"TESTING": True, "HUB_SETTINGS": settings,
                            "HUB_APPLICATION": application})
    try:
        yield HttpWorld(flask_app.test_client(), clock).build()
    finally:
        flask_app.extensions["hub"].services["boards"].close()
        application.close()
