"""Bench: an inbox page's latency with 1k events in the store, then with N (1M by hand).

    .venv/bin/python bench/list_scaling.py --events 1000000 [--store sqlite|postgres|both]

Each sample is what the list route does: `catch_up()` (at the head) then one page of the busy
receiver's inbox, newest first. Target: median(N) / median(1k) ≤ 1.25.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from projection_rebuild import AGENCIES, seed, store

from adapters.read_models import open_boards
from adapters.storage import open_application
from projections.referral_board import ReferralBoard

SAMPLES = 300
LIMIT = 25
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def latency(board: ReferralBoard, **query: object) -> tuple[float, float]:
    """Median and p95 milliseconds of catch-up + one page."""
    times = []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        board.catch_up()
        items, _ = board.page(agency=AGENCIES[0], box="inbox", now=NOW, limit=LIMIT, **query)
        times.append((time.perf_counter() - began) * 1000)
        assert len(items) == LIMIT, "the busy inbox should fill a page"
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def run(kind: str, events: int) -> None:
    with store(kind) as settings:
        app = open_application(settings, create_tables=True)
        boards = open_boards(settings, app, create_tables=True)
        board = boards.referrals
        following = seed(app, 1000)
        board.catch_up()
        small = {name: latency(board, **q) for name, q in QUERIES.items()}
        seed(app, events - 1000, first=following)
        board.catch_up()
        board.view.analyze()  # what autovacuum (PostgreSQL) would do after a bulk load
        total = app.recorder.max_notification_id()
        for name, q in QUERIES.items():
            big = latency(board, **q)
            print(f"{kind:9} {name:16} 1k: {small[name][0]:6.2f} ms (p95 {small[name][1]:6.2f})  "
                  f"{total:>9,}: {big[0]:6.2f} ms (p95 {big[1]:6.2f})  "
                  f"ratio {big[0] / small[name][0]:.2f}")
        boards.close()
        app.close()


QUERIES: dict[str, dict[str, object]] = {"inbox": {}, "inbox closed": {"status": "closed"},
                                         "inbox not overdue": {"overdue": False}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
        run(kind, args.events)


if __name__ == "__main__":
    main()
