"""Bench: HTTP submit (1 and 8 clients) beside the raw eventsourcing append rate, same store,
same run; then GET of one referral and of an inbox page with 1k and with N events stored.

    .venv/bin/python bench/submit.py [--store sqlite|postgres|both] [--submits 2000]
        [--events 1000000] [--workers W] [--threads T]

Targets: HTTP submit with 8 clients ≥ 0.5 × raw append; read latency at N / at 1k ≤ 1.25.
The store is filled with H2's bulk seeder (bench/projection_rebuild.py: many referrals per save).
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figures, bench_store, checked, serving, timed_clients, timed_loop
from projection_rebuild import ADMIN, AGENCIES, seed, staff

from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from domain.referral import Referral
from tests.e2e.server import bearer, referral_body

console = Console(width=160)
READS = 300


def raw_append(app: HubApplication, count: int) -> Figures:
    """The library's own rate: one `Referral.submitted` per `save`, one writer, no HTTP."""
    sender = staff(AGENCIES[1])

    def append() -> None:
        app.save(Referral.submit(
            id=uuid.uuid4(), caller=sender, at=app.clock(), to_agency=AGENCIES[0],
            category="family_education_guidance", urgency="urgent", reason="bench",
            subject={"name": "Raw Append"}, consent={"basis": "guardian_consent"}))

    return timed_loop(append, count)


def http_submit(base: str, token: str) -> Callable[[], Callable[[], None]]:
    """An operation factory: each client gets its own keep-alive session."""
    def make() -> Callable[[], None]:
        session = requests.Session()
        session.headers.update(bearer(token))

        def submit() -> None:
            checked(session.post(f"{base}/api/v1/referrals", json=referral_body(AGENCIES[0])), 201)
        return submit
    return make


def reads(base: str, token: str, referral_id: str) -> dict[str, Figures]:
    """GET one referral, and the first inbox page, READS times each (one client)."""
    session = requests.Session()
    session.headers.update(bearer(token))
    one = f"{base}/api/v1/referrals/{referral_id}"
    inbox = f"{base}/api/v1/referrals?box=inbox&limit=25"
    checked(session.get(inbox), 200)  # warm: the worker's board catches up before timing
    return {"get one": timed_loop(lambda: checked(session.get(one), 200), READS),
            "inbox page": timed_loop(lambda: checked(session.get(inbox), 200), READS)}


def tokens_for(app: HubApplication) -> dict[str, str]:
    """Staff tokens of the busy receiver (AGENCIES[0]) and of a referrer (AGENCIES[1])."""
    return {slug: app.issue_token(ADMIN, agency=slug, user=f"bench-{uuid.uuid4().hex[:6]}",
                                  role="staff") for slug in AGENCIES[:2]}


def run(kind: str, args: argparse.Namespace) -> None:
    console.rule(f"{kind}: {args.workers} workers × {args.threads} threads, "
                 f"{os.cpu_count()} cores")
    with bench_store(kind) as (settings, workdir):
        app = open_application(settings)
        following = seed(app, 1000)
        tokens = tokens_for(app)
        with serving(settings, workdir, args.workers, args.threads) as server:
            first = checked(requests.post(server.url("/api/v1/referrals"), headers=bearer(
                tokens[AGENCIES[1]]), json=referral_body(AGENCIES[0])), 201).json()["id"]
            small = reads(server.base, tokens[AGENCIES[0]], first)
            raw = raw_append(app, args.submits)
            console.print(f"raw append (1 writer, no HTTP)  {raw.line()}")
            make = http_submit(server.base, tokens[AGENCIES[1]])
            for clients in (1, 8):
                got = timed_clients(make, clients, args.submits)
                console.print(f"HTTP submit, {clients} client(s)       {got.line()}"
                              f"  = {got.rate / raw.rate:.2f} × raw")
            report_reads(app, settings, server.base, tokens, first, small, args.events, following)
        app.close()


def report_reads(app: HubApplication, settings: Settings, base: str, tokens: dict[str, str],
                 referral_id: str, small: dict[str, Figures], events: int, following: int) -> None:
    """Fill the store to `events`, then read again and compare with the 1k figures."""
    stored = app.recorder.max_notification_id() or 0
    if events > stored:
        seed(app, events - stored, first=following)
    total = app.recorder.max_notification_id() or 0
    big = reads(base, tokens[AGENCIES[0]], referral_id)
    for name in small:
        console.print(f"{name:10} ~1k events: median {small[name].median_ms:6.2f} ms  "
                      f"{total:>9,} events: median {big[name].median_ms:6.2f} ms "
                      f"(p99 {big[name].p99_ms:6.2f})  ratio "
                      f"{big[name].median_ms / small[name].median_ms:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--submits", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
        run(kind, args)


if __name__ == "__main__":
    main()
