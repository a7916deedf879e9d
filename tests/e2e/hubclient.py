"""A small world spoken to over HTTP: agencies registered and tokens issued through the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.read_models import open_boards
from adapters.storage import open_application
from tests.conftest import ADMIN_TOKEN
from tests.stores import store_settings

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DISTRICT = "hubei/jingmen/dongbao"

# slug -> (kind, jurisdiction)
AGENCIES = {
    "school-a": ("school", DISTRICT),
    "social-work-b": ("social_work_firm", DISTRICT),
    "civil-affairs-c": ("civil_affairs", DISTRICT),
    "court-x": ("court", "hubei/xiangyang/xiangzhou"),
    "city-inspection": ("civil_affairs", "hubei/jingmen"),
    "far-inspection": ("procuratorate", "hubei/xiangyang"),
}
# user -> (agency, role)
USERS = {
    "referrer": ("school-a", "staff"),
    "referrer-admin": ("school-a", "admin"),
    "receiver": ("social-work-b", "staff"),
    "third": ("civil-affairs-c", "staff"),
    "outsider": ("court-x", "staff"),
    "inspector": ("city-inspection", "inspector"),
    "far-inspector": ("far-inspection", "inspector"),
}
SUBJECT = {"name": "示例小明", "id_number": "000000200901019999", "birth_date": "2009-01-01",
           "gender": "male", "phone": "00000000000", "address": "示例市虚构路1号",
           "guardian": {"name": "示例王某", "relation": "mother", "phone": "00000000001"}}


def referral_body(**overrides: Any) -> dict[str, Any]:
    """A valid submission from school-a to social-work-b."""
    body = {"to_agency": "social-work-b", "category": "family_education_guidance",
            "urgency": "urgent", "reason": "Guardian asks for parenting guidance.",
            "subject": SUBJECT, "consent": {"basis": "guardian_consent"}, "risk_level": "orange"}
    return {**body, **overrides}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """The test client with the agencies above registered and a token per user."""

    client: Any
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def build(self) -> World:
        for slug, (kind, jurisdiction) in AGENCIES.items():
            answer = self.client.post("/api/v1/agencies", headers=ADMIN, json={
                "id": slug, "name": f"Agency {slug}", "kind": kind, "jurisdiction": jurisdiction})
            assert answer.status_code == 201, answer.json
        for user, (agency, role) in USERS.items():
            answer = self.client.post(f"/api/v1/agencies/{agency}/tokens", headers=ADMIN,
                                      json={"user": user, "role": role})
            assert answer.status_code == 201, answer.json
            self.headers[user] = bearer(answer.json["token"])
        return self

    def submit(self, user: str = "referrer", headers: dict[str, str] | None = None,
               **overrides: Any) -> Any:
        return self.client.post("/api/v1/referrals", json=referral_body(**overrides),
                                headers={**self.headers[user], **(headers or {})})

    def new_referral(self, **overrides: Any) -> str:
        answer = self.submit(**overrides)
        assert answer.status_code == 201, answer.json
        return str(answer.json["id"])

    def act(self, user: str, referral_id: str, action: str, body: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1/referrals/{referral_id}/{action}", json=body or {},
                                headers={**self.headers[user], **(headers or {})})

    def get(self, user: str, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(f"/api/v1/{path}", headers={**self.headers[user], **(headers or {})})

    def page(self, user: str, **query: Any) -> Any:
        return self.client.get("/api/v1/referrals", query_string=query, headers=self.headers[user])


@contextmanager
def served_world(kind: str, tmp_path: Path) -> Iterator[World]:
    """A World on a fresh store of `kind` ('sqlite' or 'postgres'), tables created first
    (as `hub db init` does)."""
    from hub import create_app

    with store_settings(kind, tmp_path, admin_token=ADMIN_TOKEN) as settings:
        application = open_application(settings, create_tables=True)
        open_boards(settings, application, create_tables=True).close()
        flask_app = create_app({"TESTING": True, "HUB_SETTINGS": settings,
                                "HUB_APPLICATION": application})
        try:
            yield World(flask_app.test_client()).build()
        finally:
            flask_app.extensions["hub"].services["boards"].close()
            application.close()
