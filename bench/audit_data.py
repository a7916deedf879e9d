"""Fill a store with many hash-chained events quickly (bench helper): referrals saved in bulk."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from rich.progress import Progress

from bench import seed_cache
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


def referral_with_eight_notes(n: int) -> Referral:
    """The seed cache's recipe for `fill`'s default: ten events per referral."""
    return referral(n, 8)


def fill(app: HubApplication, events: int, per_referral: int = 10, batch: int = 200) -> int:
    """Append about `events` events; returns how many were written.

    Into an empty store with the default shape, the stored events come from the seed cache
    (bench/seed_cache.py; HUB_BENCH_SEED_CACHE=0 saves them through `app.save` instead)."""
    cacheable = per_referral == 10 and not app.recorder.max_notification_id()
    agencies(app)
    count = -(-events // (batch * per_referral)) * batch  # whole batches, as before
    with Progress() as progress:
        task = progress.add_task("writing events", total=count * per_referral)
        if cacheable and seed_cache.enabled():
            seed_cache.insert_referrals(app, referral_with_eight_notes, 0, count,
                                        lambda n: progress.update(task, advance=n))
            return count * per_referral
        for n in range(0, count, batch):
            app.save(*(referral(n + i, per_referral - 2) for i in range(batch)))
            progress.update(task, advance=batch * per_referral)
    return count * per_referral
