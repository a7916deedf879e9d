"""Events stored before a field was added still load, verify and project."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.base import Caller, recompute_hash
from domain.presentation import chain_breaks
from domain.referral import Referral
from tests.conftest import memory_application

REFERRER = Caller(agency="civil-affairs", user="wang", role="staff")


def stored_before_response_window_existed() -> Referral:
    """A referral whose submitted event lacks `respond_within_hours`, hashed as written then."""
    referral = Referral.submit(
        id=uuid.uuid4(), caller=REFERRER, to_agency="workstation", category="other",
        urgency="urgent", reason="need", subject={"name": "测试"},
        consent={"basis": "self_consent"}, at=datetime.now(UTC))
    submitted = referral.pending_events[0]
    del submitted.__dict__["respond_within_hours"]
    object.__setattr__(submitted, "hash", recompute_hash(submitted))
    return referral


def test_a_submission_without_a_response_window_loads_with_its_urgencys_window() -> None:
    app = memory_application()
    referral = stored_before_response_window_existed()
    app.save(referral)
    loaded = app.repository.get(referral.id)
    assert loaded.respond_within_hours == 24
    assert loaded.view(datetime.now(UTC))["respond_within_hours"] == 24


def test_a_submission_without_a_response_window_still_verifies() -> None:
    app = memory_application()
    referral = stored_before_response_window_existed()
    app.save(referral)
    assert chain_breaks(app.history(referral.id)) == []
