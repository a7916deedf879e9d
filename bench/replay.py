"""Bench: replay of a 5,000-event stream as of its middle (latency), against a full scan.
Run by hand: `.venv/bin/python -m bench.replay`."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.settings import Settings
from adapters.storage import open_application
from bench.audit_data import RECEIVER, START, agencies, referral
from domain.referral import Referral
from projections.audit.replay import replay_stream
from tests.stores import TEST_CIPHER_KEY


def latency(work: Callable[[], Any], repeat: int = 20) -> tuple[float, float]:
    """Median and worst of `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database", help="sqlite:///… or postgresql://…")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'hub.sqlite'}"
    app = open_application(Settings(database_url=url, cipher_key=TEST_CIPHER_KEY),
                           create_tables=True)
    agencies(app)
    stream = referral(0, 0)
    app.save(stream)
    while stream.version < args.events:  # saved 50 at a time, as commands would, so the
        for _ in range(min(50, args.events - stream.version)):  # snapshot policy applies
            stream.add_note(RECEIVER, at=START + timedelta(hours=3, seconds=stream.version),
                            text="note")
        app.save(stream)
    history = app.history(stream.id)
    middle = history[len(history) // 2]
    print(f"stream of {len(history)} events; as of {middle.timestamp.isoformat()} "
          f"(version {middle.originator_version}); store {url.split(':')[0]}")
    as_of = latency(lambda: app.as_of(stream.id, Referral, middle.timestamp))
    print(f"app.as_of (binary search + snapshot)   median {as_of[0]:7.1f} ms, max {as_of[1]:7.1f}")
    replay = latency(lambda: replay_stream(app, str(stream.id), as_of=middle.timestamp), 5)
    print(f"hub replay --as-of (state + events)    median {replay[0]:7.1f} ms, max {replay[1]:7.1f}")
    scan = latency(lambda: [e for e in app.events.get(stream.id)
                            if e.timestamp <= middle.timestamp], 5)
    print(f"a linear scan of the stream (before)   median {scan[0]:7.1f} ms, max {scan[1]:7.1f}")
    app.close()


if __name__ == "__main__":
    main()
