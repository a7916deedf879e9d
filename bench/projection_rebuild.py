"""Bench: rebuild of the referral board vs raw notification read + decode, same store, same run.

    .venv/bin/python bench/projection_rebuild.py --events 100000 [--store sqlite|postgres|both]

Target: rebuild events/s ≥ 0.5 × raw read+decode events/s. Run 1M by hand (--events 1000000).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.stores

from adapters.read_models import open_boards
from adapters.settings import Settings
from adapters.storage import open_application
from bench import seed_cache
from domain.application import HubApplication
from domain.base import Caller
from domain.referral import Referral
from tests.stores import TEST_CIPHER_KEY, fresh_postgres_database

ADMIN = Caller(agency="hub", user="bench", role="hub_admin")
AGENCIES = [f"agency-{i:02d}" for i in range(40)]
START = datetime(2025, 1, 1, tzinfo=UTC)
EVENTS_PER_REFERRAL = 5
CHUNK = 400  # referrals per save (one transaction)


def staff(slug: str) -> Caller:
    return Caller(agency=slug, user="bench", role="staff", jurisdiction=f"hubei/{slug}")


def referral(n: int) -> Referral:
    """Submitted, accepted, one note, completed, acknowledged: five events."""
    frm, to = AGENCIES[n % len(AGENCIES)], AGENCIES[(n * 7 + 1) % len(AGENCIES)]
    if n % 4 == 0 and frm != AGENCIES[0]:
        to = AGENCIES[0]  # one busy receiver: its inbox is full from the first thousand events
    at = START + timedelta(seconds=n)
    r = Referral.submit(id=uuid.uuid4(), caller=staff(frm), at=at, to_agency=to,
                        category="family_education_guidance", urgency="routine", reason="bench",
                        subject={"name": f"测试{n}", "phone": "13800000000"},
                        consent={"basis": "guardian_consent"})
    r.accept(staff(to), at=at + timedelta(hours=1))
    r.add_note(staff(frm), at=at + timedelta(hours=2), text="called")
    r.complete(staff(to), at=at + timedelta(hours=3), outcome="service_provided", summary="ok")
    r.acknowledge(staff(frm), at=at + timedelta(hours=4))
    return r


def seed(app: HubApplication, events: int, first: int = 0) -> int:
    """Add about `events` events (referrals first, first+1, …); returns the next referral number.

    The stored events come from the seed cache (bench/seed_cache.py: built once by `referral`
    and the application's own mapper); HUB_BENCH_SEED_CACHE=0 saves them through `app.save`.
    """
    for slug in AGENCIES:
        if not app.agency_exists(slug):
            app.register_agency(ADMIN, id=slug, name=slug, kind="other",
                                jurisdiction=f"hubei/{slug}")
    total = events // EVENTS_PER_REFERRAL
    with Progress(transient=True) as bar:
        task = bar.add_task("seeding", total=total * EVENTS_PER_REFERRAL)
        if seed_cache.enabled():
            seed_cache.insert_referrals(app, referral, first, total,
                                        lambda n: bar.update(task, advance=n))
            return first + total
        for start in range(first, first + total, CHUNK):
            batch = [referral(n) for n in range(start, min(start + CHUNK, first + total))]
            app.save(*batch)
            bar.update(task, advance=len(batch) * EVENTS_PER_REFERRAL)
    return first + total


@contextmanager
def store(kind: str) -> Iterator[Settings]:
    """A fresh store of `kind` with its tables."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                           cipher_key=TEST_CIPHER_KEY)
        return
    with fresh_postgres_database() as url:
        yield Settings(database_url=url, cipher_key=TEST_CIPHER_KEY)


def raw_read_rate(app: HubApplication, topics: tuple[str, ...]) -> tuple[int, float, float]:
    """Read every notification of the board's topics in pages of 1000 and decode them;
    (count, wall seconds, this process's CPU seconds)."""
    count, position = 0, 0
    began, cpu = time.perf_counter(), time.process_time()
    while True:
        page = app.recorder.select_notifications(position + 1, 1000, topics=topics)
        count += len([app.mapper.to_domain_event(n) for n in page])
        if len(page) < 1000:
            return count, time.perf_counter() - began, time.process_time() - cpu
        position = page[-1].id


def run(kind: str, events: int) -> None:
    with store(kind) as settings:
        app = open_application(settings, create_tables=True)
        boards = open_boards(settings, app, create_tables=True)
        board = boards.referrals
        seed(app, events)
        raw_count, raw_seconds, raw_cpu = raw_read_rate(app, board.projection.topics)
        began, cpu = time.perf_counter(), time.process_time()
        applied = board.catchup.rebuild()
        seconds, rebuild_cpu = time.perf_counter() - began, time.process_time() - cpu
        raw, rebuilt = raw_count / raw_seconds, applied / seconds
        # CPU time counts this process only (not the PostgreSQL server): a steadier figure on
        # a busy machine, never a substitute for the wall-clock ratio on a quiet one.
        print(f"{kind:9} events={raw_count:>9,}  raw read+decode {raw:>9,.0f} ev/s  "
              f"rebuild {rebuilt:>9,.0f} ev/s  ratio {rebuilt / raw:.2f}  "
              f"(client CPU: raw {raw_cpu:.1f} s, rebuild {rebuild_cpu:.1f} s, "
              f"ratio {raw_cpu / rebuild_cpu:.2f}; load {os.getloadavg()[0]:.1f})")
        boards.close()
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
        run(kind, args.events)


if __name__ == "__main__":
    main()
