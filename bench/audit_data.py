"""Fill a store with many hash-chained events quickly (bench helper): referrals saved in bulk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from rich.progress import Progress

from domain.application import HubApplication
from domain.base import Caller
from domain.referral import Referral

ADMIN = Caller(agency="hub", user="bench", role="hub_admin")
SENDER = Caller(agency="bench-school", user="teacher", role="staff", jurisdiction="hubei/a/school")
RECEIVER = Caller(agency="bench-workstation", user="worker", role="staff",
                  jurisdiction="hubei/a/ws")
START = datetime(2025, 1, 1, tzinfo=UTC)


def agencies(app: HubApplication) -> None:
    """The two agencies every bench referral runs between."""
    for caller, kind in ((SENDER, "school"), (RECEIVER, "workstation")):
        if not app.agency_exists(caller.agency):
            app.register_agency(ADMIN, id=caller.agency, name=caller.agency, kind=kind,
                                jurisdiction=caller.jurisdiction)


def referral(n: int, notes: int) -> Referral:
    """One referral with a submission, an acceptance and `notes` notes."""
    at = START + timedelta(minutes=n)
    r = Referral.submit(id=uuid.uuid4(), caller=SENDER, at=at, to_agency=RECEIVER.agency,
                        category="family_education_guidance", urgency="routine",
                        reason="bench", subject={"name": f"测试{n}", "phone": "13800000000"},
                        consent={"basis": "guardian_consent"}, risk_level=None,
                        external_ref=None)
    r.accept(RECEIVER, at=at + timedelta(hours=1))
    for i in range(notes):
        r.add_note(RECEIVER, at=at + timedelta(hours=2, seconds=i), text=f"note {i}")
    return r


def fill(app: HubApplication, events: int, per_referral: int = 10, batch: int = 200) -> int:
    """Append about `events` events; returns how many were written."""
    agencies(app)
    written, n = 0, 0
    with Progress() as progress:
        task = progress.add_task("writing events", total=events)
        while written < events:
            group = [referral(n + i, per_referral - 2) for i in range(batch)]
            app.save(*group)
            n += batch
            written += batch * per_referral
            progress.update(task, advance=batch * per_referral)
    return written
